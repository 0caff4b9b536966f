import { type Result, stopWith, succeed } from '../facade/result';
import { problemResponse } from './problem';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const MAX_KEY_LENGTH = 255;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** The caller's Idempotency-Key: absent, or 1 to 255 printable ASCII characters (400 otherwise). */
export function readIdempotencyKey(headers: Headers): Result<string | undefined> {
  const key = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (key === null) return succeed(undefined);
  if (key.length >= 1 && key.length <= MAX_KEY_LENGTH && PRINTABLE_ASCII.test(key)) return succeed(key);
  return stopWith(
    problemResponse('invalid-idempotency-key', {
      status: 400,
      detail: `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters (got ${key.length} characters).`,
    }),
  );
}
