import type { TableClient, TableEntity } from '@azure/data-tables';

import { boundedBy, storageStatusOf, tableCreator } from '../storage/store-calls';
import {
  type AcceptedWrite,
  isExpired,
  type OperationProgress,
  type OperationRecord,
  type OperationState,
  type OperationStore,
} from './operation-records';

/** An operation as a table entity: the write as JSON text, the final answer in three columns. */
interface OperationEntity {
  state: OperationState;
  write: string;
  fingerprint: string;
  acceptedAt: number;
  updatedAt: number;
  runs: number;
  notBeforeMs?: number;
  responseStatus?: number;
  responseHeaders?: string;
  responseBody?: string;
}

const CALL_TIMEOUT_MS = 5000;
/** Lost ETag races in a row before progress gives up; each loss means another run changed the record. */
const MAX_CONFLICTS = 8;
const bounded = () => boundedBy(CALL_TIMEOUT_MS);
const addressOf = (id: string) => ({ partitionKey: id.slice(0, 2), rowKey: id });

function toRecord(id: string, entity: OperationEntity): OperationRecord {
  return {
    id,
    state: entity.state,
    write: JSON.parse(entity.write) as AcceptedWrite,
    fingerprint: entity.fingerprint,
    acceptedAt: entity.acceptedAt,
    updatedAt: entity.updatedAt,
    runs: entity.runs,
    ...(entity.notBeforeMs === undefined ? {} : { notBeforeMs: entity.notBeforeMs }),
    ...(entity.responseStatus === undefined
      ? {}
      : {
          response: {
            status: entity.responseStatus,
            headers: JSON.parse(entity.responseHeaders ?? '{}') as Record<string, string>,
            body: entity.responseBody,
          },
        }),
  };
}

function toEntity(record: OperationRecord): TableEntity<OperationEntity> {
  return {
    ...addressOf(record.id),
    state: record.state,
    write: JSON.stringify(record.write),
    fingerprint: record.fingerprint,
    acceptedAt: record.acceptedAt,
    updatedAt: record.updatedAt,
    runs: record.runs,
  };
}

/** Accepted writes in Table Storage (Azurite locally), shared by every instance and the workers. */
export class TableOperationStore implements OperationStore {
  private readonly ensureTable: () => Promise<void>;

  constructor(
    private readonly table: TableClient,
    readonly description: string,
    private readonly now: () => number = Date.now,
  ) {
    this.ensureTable = tableCreator(table, CALL_TIMEOUT_MS);
  }

  async accept(record: OperationRecord): Promise<{ created: boolean; record: OperationRecord }> {
    await this.ensureTable();
    try {
      await this.table.createEntity(toEntity(record), bounded());
      return { created: true, record };
    } catch (error) {
      if (storageStatusOf(error) !== 409) throw error;
    }
    const existing = await this.read(record.id);
    if (existing) return { created: false, record: existing };
    // Expired (or gone between the two calls): the id starts afresh.
    await this.table.upsertEntity(toEntity(record), 'Replace', bounded());
    return { created: true, record };
  }

  async read(id: string): Promise<OperationRecord | undefined> {
    await this.ensureTable();
    const { partitionKey, rowKey } = addressOf(id);
    try {
      const entity = await this.table.getEntity<OperationEntity>(partitionKey, rowKey, bounded());
      const record = toRecord(id, entity);
      return isExpired(record, this.now()) ? undefined : record;
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async forget(id: string): Promise<void> {
    const { partitionKey, rowKey } = addressOf(id);
    try {
      await this.table.deleteEntity(partitionKey, rowKey, bounded());
    } catch (error) {
      if (storageStatusOf(error) !== 404) throw error;
    }
  }

  /**
   * Records progress under the row's ETag, and never on a finished operation: a late run (a second
   * message of the same write, refused by its key) must not put a finished write back in a state
   * its pollers would see as unfinished.
   */
  async progress(id: string, progress: OperationProgress): Promise<void> {
    const { response, ...rest } = progress;
    const { partitionKey, rowKey } = addressOf(id);
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      let current;
      try {
        current = await this.table.getEntity<OperationEntity>(partitionKey, rowKey, bounded());
      } catch (error) {
        if (storageStatusOf(error) === 404) return;
        throw error;
      }
      if (current.state === 'done') return;
      try {
        await this.table.updateEntity(
          {
            partitionKey,
            rowKey,
            ...rest,
            updatedAt: this.now(),
            ...(response
              ? {
                  responseStatus: response.status,
                  responseHeaders: JSON.stringify(response.headers),
                  responseBody: response.body,
                }
              : {}),
          },
          'Merge',
          { etag: current.etag, ...bounded() },
        );
        return;
      } catch (error) {
        if (storageStatusOf(error) !== 412) throw error;
      }
    }
    throw new Error(`the operation ${id} changed under this instance ${MAX_CONFLICTS} times in a row`);
  }
}
