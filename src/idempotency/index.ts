import type { TokenCredential } from '@azure/identity';

import { tableClientFor, type TableConnection } from '../storage/table-client';
import { type EntityLines, TableEntityLines } from './entity-lines';
import { MemoryIdempotencyStore } from './memory-store';
import type { OperationStore } from './operation-records';
import { TableOperationStore } from './operation-table';
import type { IdempotencyStore } from './records';
import { TABLE_CLIENT_OPTIONS, TableIdempotencyStore } from './table-store';

/** Where Idempotency-Key records and accepted writes are kept: tables of the app's table service. */
export interface IdempotencyOptions {
  readonly tableName: string;
  readonly operationsTableName: string;
}

/** The store the options ask for: a table when the app has a table service, else this instance's memory. */
export function createIdempotencyStore(
  options: IdempotencyOptions,
  tables: TableConnection | undefined,
  credential: TokenCredential,
): IdempotencyStore {
  if (!tables) return new MemoryIdempotencyStore();
  const { client, description } = tableClientFor(tables, options.tableName, credential, TABLE_CLIENT_OPTIONS);
  return new TableIdempotencyStore(client, description);
}

/**
 * The records of writes accepted with 202 and, beside them in the same table, the line of writes
 * waiting per Graph entity: one client for the table.
 */
export function createAsyncWriteStores(
  options: IdempotencyOptions,
  tables: TableConnection,
  credential: TokenCredential,
): { operations: OperationStore; lines: EntityLines } {
  const { client, description } = tableClientFor(tables, options.operationsTableName, credential, TABLE_CLIENT_OPTIONS);
  return { operations: new TableOperationStore(client, description), lines: new TableEntityLines(client) };
}

export type { EntityLines, LinePlace } from './entity-lines';
export * from './operation-records';
export * from './records';
