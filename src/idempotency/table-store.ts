import type { TableClient, TableEntity } from '@azure/data-tables';

import { boundedBy, storageStatusOf, tableCreator } from '../storage/store-calls';
import {
  type Claim,
  decideClaim,
  type IdempotencyRecord,
  type IdempotencyStore,
  keyHash,
  type Lease,
  type StoredResponse,
} from './records';

/** A record as a table entity; the caller's key is never stored, only its hash. */
interface RecordEntity {
  fingerprint: string;
  state: IdempotencyRecord['state'];
  createdAt: number;
  leaseUntil: number;
  lookFromMs?: number;
  responseStatus?: number;
  responseHeaders?: string;
  responseBody?: string;
}

// A call's time budget is seconds, not minutes: few, short retries, and no operation may hang.
export const TABLE_CLIENT_OPTIONS = { retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } };
const OPERATION_TIMEOUT_MS = 5000;
const bounded = () => boundedBy(OPERATION_TIMEOUT_MS);

function toRecord(entity: RecordEntity): IdempotencyRecord {
  const response: StoredResponse | undefined =
    entity.responseStatus === undefined
      ? undefined
      : {
          status: entity.responseStatus,
          headers: JSON.parse(entity.responseHeaders ?? '{}') as Record<string, string>,
          body: entity.responseBody,
        };
  return {
    fingerprint: entity.fingerprint,
    state: entity.state,
    createdAt: entity.createdAt,
    leaseUntil: entity.leaseUntil,
    ...(typeof entity.lookFromMs === 'number' ? { lookFromMs: entity.lookFromMs } : {}),
    ...(response ? { response } : {}),
  };
}

/**
 * Records in Azure Table Storage (Azurite locally), shared by every instance. Each change is
 * conditional on the entity's ETag, so two requests racing for one key cannot both win.
 */
export class TableIdempotencyStore implements IdempotencyStore {
  private readonly ensureTable: () => Promise<void>;

  constructor(
    private readonly table: TableClient,
    readonly description: string,
    private readonly now: () => number = Date.now,
  ) {
    this.ensureTable = tableCreator(table, OPERATION_TIMEOUT_MS);
  }

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<Claim> {
    await this.ensureTable();
    const hash = keyHash(key);
    const address = { partitionKey: hash.slice(0, 2), rowKey: hash };
    // Two rounds at most: a lost race re-reads what the winner wrote.
    for (let round = 0; round < 2; round++) {
      const now = this.now();
      const existing = await this.read(address);
      const decision = decideClaim(existing && toRecord(existing.entity), fingerprint, now);
      if (decision === 'replay') return { kind: 'replay', response: toRecord(existing!.entity).response as StoredResponse };
      if (decision === 'in-progress') return { kind: 'in-progress', leaseUntil: existing!.entity.leaseUntil };
      if (decision === 'mismatch') return { kind: 'mismatch' };
      const entity: TableEntity<RecordEntity> = {
        ...address,
        fingerprint,
        state: 'in-progress',
        createdAt: decision === 'take-over' ? existing!.entity.createdAt : now,
        leaseUntil: now + leaseMs,
      };
      try {
        const written = existing
          ? await this.table.updateEntity(entity, 'Replace', { etag: existing.etag, ...bounded() })
          : await this.table.createEntity(entity, bounded());
        if (!written.etag) throw new Error('Table Storage returned no ETag; the key cannot be held safely');
        return {
          kind: 'claimed',
          lease: { key, version: written.etag },
          takenOver: decision === 'take-over' ? toRecord(existing!.entity) : undefined,
        };
      } catch (error) {
        if (storageStatusOf(error) !== 409 && storageStatusOf(error) !== 412) throw error;
      }
    }
    return { kind: 'in-progress', leaseUntil: this.now() + 1000 };
  }

  async complete(lease: Lease, response: StoredResponse): Promise<void> {
    await this.change(lease, {
      state: 'completed',
      responseStatus: response.status,
      responseHeaders: JSON.stringify(response.headers),
      responseBody: response.body,
    });
  }

  async markInDoubt(lease: Lease, lookFromMs: number): Promise<void> {
    await this.change(lease, { state: 'in-doubt', lookFromMs });
  }

  async release(lease: Lease): Promise<void> {
    const hash = keyHash(lease.key);
    try {
      await this.table.deleteEntity(hash.slice(0, 2), hash, { etag: lease.version, ...bounded() });
    } catch (error) {
      if (storageStatusOf(error) !== 404 && storageStatusOf(error) !== 412) throw error;
    }
  }

  /** Merges `properties` if the lease still holds; a lease taken over since then changes nothing. */
  private async change(lease: Lease, properties: Partial<RecordEntity>): Promise<void> {
    const hash = keyHash(lease.key);
    try {
      await this.table.updateEntity({ partitionKey: hash.slice(0, 2), rowKey: hash, ...properties }, 'Merge', {
        etag: lease.version,
        ...bounded(),
      });
    } catch (error) {
      if (storageStatusOf(error) !== 404 && storageStatusOf(error) !== 412) throw error;
    }
  }

  private async read(address: { partitionKey: string; rowKey: string }) {
    try {
      const entity = await this.table.getEntity<RecordEntity>(address.partitionKey, address.rowKey, bounded());
      return { entity, etag: entity.etag };
    } catch (error) {
      if (storageStatusOf(error) === 404) return undefined;
      throw error;
    }
  }
}
