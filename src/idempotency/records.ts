import { createHash } from 'node:crypto';

/** Records are kept this long: a key sent again within it replays the first answer. */
export const RETENTION_MS = 24 * 60 * 60 * 1000;

/** The answer stored for a key, replayed byte for byte. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

/**
 * What is known of a key: being worked on (until the lease ends), finished with an answer, or
 * in doubt (a write that may have been applied although no answer was seen).
 */
export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly state: 'in-progress' | 'in-doubt' | 'completed';
  readonly createdAt: number;
  readonly leaseUntil: number;
  /** In doubt: when the write may be looked for (epoch ms); before then it may still be under way in Graph. */
  readonly lookFromMs?: number;
  readonly response?: StoredResponse;
}

export type ClaimDecision = 'create' | 'renew' | 'take-over' | 'replay' | 'in-progress' | 'mismatch';

/**
 * What a new request with an existing key may do. `renew`: the old record has expired and the
 * key starts afresh; `take-over`: the earlier attempt ended in doubt or its lease ran out, so it
 * may have been applied and must be looked for before anything is sent again.
 */
export function decideClaim(existing: IdempotencyRecord | undefined, fingerprint: string, now: number): ClaimDecision {
  if (!existing) return 'create';
  if (now - existing.createdAt > RETENTION_MS) return 'renew';
  if (existing.fingerprint !== fingerprint) return 'mismatch';
  if (existing.state === 'completed') return 'replay';
  if (existing.state === 'in-progress' && existing.leaseUntil > now) return 'in-progress';
  return 'take-over';
}

/**
 * A key's claim. `claimed` with `takenOver`: the record of an earlier attempt that ended in doubt
 * or whose lease ran out, so that the write may have been applied. `in-progress` says until when
 * the earlier attempt holds the key.
 */
export type Claim =
  | { readonly kind: 'claimed'; readonly lease: Lease; readonly takenOver: IdempotencyRecord | undefined }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'in-progress'; readonly leaseUntil: number }
  | { readonly kind: 'mismatch' };

/** Proof of holding a key, so that an attempt whose lease was taken over cannot overwrite the new one. */
export interface Lease {
  readonly key: string;
  readonly version: string;
}

export interface IdempotencyStore {
  /** A short, secret-free description for the health route. */
  readonly description: string;
  claim(key: string, fingerprint: string, leaseMs: number): Promise<Claim>;
  complete(lease: Lease, response: StoredResponse): Promise<void>;
  markInDoubt(lease: Lease, lookFromMs: number): Promise<void>;
  release(lease: Lease): Promise<void>;
}

/** Keys are opaque caller text; records are addressed by their hash, which any storage accepts as a key. */
export function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** JSON with object keys sorted, so that the same body in another key order or spacing is the same body. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What makes two requests "the same": the operation, its validated path ids, the Graph version and
 * the validated body, exactly what Graph would receive (members accepted and dropped, such as
 * `id` and `@odata.*`, are not in it; its values are scalars, so the walk is shallow).
 */
export function requestFingerprint(
  operationName: string,
  params: Readonly<Record<string, string>>,
  graphVersion: string,
  body: unknown,
): string {
  return createHash('sha256')
    .update(canonicalJson({ operationName, params, graphVersion, body: body ?? null }), 'utf8')
    .digest('hex');
}
