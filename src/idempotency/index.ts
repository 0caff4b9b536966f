import type { TokenCredential } from '@azure/identity';

import type { IdempotencySettings } from '../config';
import { tableClientFor } from '../storage/table-client';
import { MemoryIdempotencyStore } from './memory-store';
import type { IdempotencyStore } from './records';
import { TABLE_CLIENT_OPTIONS, TableIdempotencyStore } from './table-store';

/** The store the settings ask for: a table when storage is configured, else this instance's memory. */
export function createIdempotencyStore(settings: IdempotencySettings, credential: TokenCredential): IdempotencyStore {
  if (settings.kind === 'memory') return new MemoryIdempotencyStore();
  const { client, description } = tableClientFor(settings, settings.tableName, credential, TABLE_CLIENT_OPTIONS);
  return new TableIdempotencyStore(client, description);
}

export * from './records';
