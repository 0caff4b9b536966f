import type { TokenCredential } from '@azure/identity';

import { type IdempotencySettings, SettingsError } from '../config';
import { tableClientFor } from '../storage/table-client';
import { MemoryIdempotencyStore } from './memory-store';
import type { IdempotencyStore } from './records';
import { TABLE_CLIENT_OPTIONS, TableIdempotencyStore } from './table-store';

/** The store the settings ask for: a table when storage is configured, else this instance's memory. */
export function createIdempotencyStore(settings: IdempotencySettings, credential: TokenCredential): IdempotencyStore {
  if (settings.kind === 'memory') return new MemoryIdempotencyStore();
  try {
    const { client, description } = tableClientFor(settings, settings.tableName, credential, TABLE_CLIENT_OPTIONS);
    return new TableIdempotencyStore(client, description);
  } catch (error) {
    throw new SettingsError(
      `Invalid settings for intune-status-facade: IdempotencyStorage is not a usable connection string (${(error as Error).message})`,
    );
  }
}

export * from './records';
