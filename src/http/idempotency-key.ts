import * as v from 'valibot';

import { type Result, stopWith, succeed } from '../facade/result';
import { idempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH } from '../schemas/request-parameters';
import { problemResponse } from './problem';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** The caller's Idempotency-Key: absent, or 1 to 255 printable ASCII characters (400 otherwise). */
export function readIdempotencyKey(headers: Headers): Result<string | undefined> {
  const key = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (key === null) return succeed(undefined);
  if (v.safeParse(idempotencyKey, key).success) return succeed(key);
  return stopWith(
    problemResponse('invalid-idempotency-key', {
      status: 400,
      detail: `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (got ${key.length} characters).`,
    }),
  );
}
