import type { TokenCredential } from '@azure/identity';
import { ManagedIdentityCredential } from '@azure/identity';

import { type IdempotencySettings, SettingsError } from '../config';
import { MemoryIdempotencyStore } from './memory-store';
import type { IdempotencyStore } from './records';
import { TableIdempotencyStore } from './table-store';

/** The store the settings ask for: a table when storage is configured, else this instance's memory. */
export function createIdempotencyStore(settings: IdempotencySettings, credential: TokenCredential): IdempotencyStore {
  if (settings.kind === 'memory') return new MemoryIdempotencyStore();
  if ('connectionString' in settings) {
    try {
      return TableIdempotencyStore.withConnectionString(settings.connectionString, settings.tableName);
    } catch (error) {
      throw new SettingsError(
        `Invalid settings for intune-status-facade: IdempotencyStorage is not a usable connection string (${(error as Error).message})`,
      );
    }
  }
  const storageCredential = settings.clientId ? new ManagedIdentityCredential({ clientId: settings.clientId }) : credential;
  return TableIdempotencyStore.withIdentity(settings.tableServiceUri, settings.tableName, storageCredential);
}

export * from './records';
