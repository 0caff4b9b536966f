import { randomUUID } from 'node:crypto';

import {
  type Claim,
  decideClaim,
  type IdempotencyRecord,
  type IdempotencyStore,
  type Lease,
  type StoredResponse,
} from './records';

interface Held {
  record: IdempotencyRecord;
  version: string;
}

/** Records in this instance's memory: for local runs with no storage configured. Not shared, lost on restart. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly description = 'in-memory (this instance only; configure IdempotencyStorage to share keys)';
  private readonly records = new Map<string, Held>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, fingerprint: string, leaseMs: number): Promise<Claim> {
    const now = this.now();
    const held = this.records.get(key);
    const decision = decideClaim(held?.record, fingerprint, now);
    switch (decision) {
      case 'replay':
        return { kind: 'replay', response: held?.record.response as StoredResponse };
      case 'in-progress':
        return { kind: 'in-progress', leaseUntil: held?.record.leaseUntil ?? now };
      case 'mismatch':
        return { kind: 'mismatch' };
      default: {
        const version = randomUUID();
        const createdAt = decision === 'take-over' ? (held?.record.createdAt ?? now) : now;
        this.records.set(key, { version, record: { fingerprint, state: 'in-progress', createdAt, leaseUntil: now + leaseMs } });
        return { kind: 'claimed', lease: { key, version }, takenOver: decision === 'take-over' ? held?.record : undefined };
      }
    }
  }

  async complete(lease: Lease, response: StoredResponse): Promise<void> {
    this.update(lease, (record) => ({ ...record, state: 'completed', response }));
  }

  async markInDoubt(lease: Lease, lookFromMs: number): Promise<void> {
    this.update(lease, (record) => ({ ...record, state: 'in-doubt', lookFromMs }));
  }

  async release(lease: Lease): Promise<void> {
    if (this.records.get(lease.key)?.version === lease.version) this.records.delete(lease.key);
  }

  private update(lease: Lease, change: (record: IdempotencyRecord) => IdempotencyRecord): void {
    const held = this.records.get(lease.key);
    if (held?.version === lease.version) held.record = change(held.record);
  }
}
