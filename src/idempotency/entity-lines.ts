import type { TableClient } from '@azure/data-tables';

import { boundedBy, storageStatusOf, tableCreator } from '../storage/store-calls';
import { keyHash } from './records';

/**
 * The writes waiting for one Graph entity, in the order they were accepted: a later update or
 * delete is never sent before an earlier one the app is still finishing, so that an earlier write
 * landing late cannot undo a later one. Shared by every instance: one table row per entity,
 * changed only under its ETag.
 */
export interface EntityLines {
  /** Puts the operation at the end of the entity's line (once: a retry of the same operation keeps its place). */
  join(entity: string, operationId: string): Promise<void>;
  /** The operations waiting for the entity, first first. */
  waiting(entity: string): Promise<readonly string[]>;
  /** Takes the operation out of the entity's line, wherever it is. */
  leave(entity: string, operationId: string): Promise<void>;
}

interface LineEntity {
  operations: string;
}

const CALL_TIMEOUT_MS = 5000;
/** Lost ETag races in a row before a change gives up; each loss means another instance changed the line. */
const MAX_CONFLICTS = 16;
const PARTITION = 'entity-line';

/** Entity lines in a table of the app's storage (beside the operations). */
export class TableEntityLines implements EntityLines {
  private readonly ensureTable: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.ensureTable = tableCreator(table, CALL_TIMEOUT_MS);
  }

  join(entity: string, operationId: string): Promise<void> {
    return this.change(entity, (line) => (line.includes(operationId) ? undefined : [...line, operationId]));
  }

  async waiting(entity: string): Promise<readonly string[]> {
    await this.ensureTable();
    return (await this.read(entity))?.line ?? [];
  }

  leave(entity: string, operationId: string): Promise<void> {
    return this.change(entity, (line) => (line.includes(operationId) ? line.filter((id) => id !== operationId) : undefined));
  }

  /** Applies `next` to the line under its ETag, reading again after a lost race; undefined from `next` changes nothing. */
  private async change(entity: string, next: (line: readonly string[]) => readonly string[] | undefined): Promise<void> {
    await this.ensureTable();
    const rowKey = keyHash(entity);
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      const current = await this.read(entity);
      const changed = next(current?.line ?? []);
      if (!changed) return;
      try {
        const row = { partitionKey: PARTITION, rowKey, operations: JSON.stringify(changed) };
        if (!current) await this.table.createEntity(row, boundedBy(CALL_TIMEOUT_MS));
        else if (changed.length === 0)
          await this.table.deleteEntity(PARTITION, rowKey, { etag: current.etag, ...boundedBy(CALL_TIMEOUT_MS) });
        else await this.table.updateEntity(row, 'Replace', { etag: current.etag, ...boundedBy(CALL_TIMEOUT_MS) });
        return;
      } catch (error) {
        const status = storageStatusOf(error);
        if (status !== 409 && status !== 412 && status !== 404) throw error;
      }
    }
    throw new Error(`the line of ${entity} changed under this instance ${MAX_CONFLICTS} times in a row`);
  }

  private async read(entity: string): Promise<{ line: string[]; etag: string } | undefined> {
    try {
      const row = await this.table.getEntity<LineEntity>(PARTITION, keyHash(entity), boundedBy(CALL_TIMEOUT_MS));
      return { line: JSON.parse(row.operations) as string[], etag: row.etag };
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw error;
    }
  }
}
