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
  /**
   * Puts the operation at the end of the entity's line (once: a retry of the same operation keeps
   * its place). `heldUntilMs` marks a write a caller is waiting for, which has no operation record:
   * its place counts until then, unless it leaves or is accepted (joined again without it) first.
   */
  join(entity: string, operationId: string, heldUntilMs?: number): Promise<void>;
  /** The operations waiting for the entity, first first. */
  waiting(entity: string): Promise<readonly LinePlace[]>;
  /** Takes the operation out of the entity's line, wherever it is; the line as it is then. */
  leave(entity: string, operationId: string): Promise<readonly LinePlace[]>;
}

/** A place in an entity's line. */
export interface LinePlace {
  readonly id: string;
  /** Set for a write a caller is waiting for: its place counts until then. */
  readonly heldUntilMs?: number;
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

  async join(entity: string, operationId: string, heldUntilMs?: number): Promise<void> {
    const place: LinePlace = heldUntilMs === undefined ? { id: operationId } : { id: operationId, heldUntilMs };
    await this.change(entity, (line) => {
      const index = line.findIndex((other) => other.id === operationId);
      if (index < 0) return [...line, place];
      // Already in line: it keeps its place; a write taken over by the app is held by its record from now on.
      return heldUntilMs === undefined && line[index]?.heldUntilMs !== undefined
        ? line.map((other) => (other.id === operationId ? place : other))
        : undefined;
    });
  }

  async waiting(entity: string): Promise<readonly LinePlace[]> {
    await this.ensureTable();
    return (await this.read(entity))?.line ?? [];
  }

  leave(entity: string, operationId: string): Promise<readonly LinePlace[]> {
    return this.change(entity, (line) =>
      line.some((other) => other.id === operationId) ? line.filter((other) => other.id !== operationId) : undefined,
    );
  }

  /**
   * Applies `next` to the line under its ETag, reading again after a lost race; undefined from
   * `next` changes nothing. Returns the line as it then is.
   */
  private async change(
    entity: string,
    next: (line: readonly LinePlace[]) => readonly LinePlace[] | undefined,
  ): Promise<readonly LinePlace[]> {
    await this.ensureTable();
    const rowKey = keyHash(entity);
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      const current = await this.read(entity);
      const changed = next(current?.line ?? []);
      if (!changed) return current?.line ?? [];
      try {
        const row = { partitionKey: PARTITION, rowKey, operations: JSON.stringify(changed) };
        if (!current) await this.table.createEntity(row, boundedBy(CALL_TIMEOUT_MS));
        else if (changed.length === 0)
          await this.table.deleteEntity(PARTITION, rowKey, { etag: current.etag, ...boundedBy(CALL_TIMEOUT_MS) });
        else await this.table.updateEntity(row, 'Replace', { etag: current.etag, ...boundedBy(CALL_TIMEOUT_MS) });
        return changed;
      } catch (error) {
        const status = storageStatusOf(error);
        if (status !== 409 && status !== 412 && status !== 404) throw error;
      }
    }
    throw new Error(`the line of ${entity} changed under this instance ${MAX_CONFLICTS} times in a row`);
  }

  private async read(entity: string): Promise<{ line: LinePlace[]; etag: string } | undefined> {
    try {
      const row = await this.table.getEntity<LineEntity>(PARTITION, keyHash(entity), boundedBy(CALL_TIMEOUT_MS));
      return { line: JSON.parse(row.operations) as LinePlace[], etag: row.etag };
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw error;
    }
  }
}
