import { randomUUID } from 'node:crypto';

import * as v from 'valibot';

import { correlationId, idempotencyKey, MAX_IDEMPOTENCY_KEY_LENGTH } from '../schemas/request-parameters';
import { problemResponse } from './problem';
import type { HttpAnswer } from './response';
import { type Result, stopWith, succeed } from './result';

/**
 * The correlation id of a call: the caller's `client-request-id` (or `x-ms-client-request-id`)
 * when it is a plain token, otherwise a new GUID. It is sent to Graph, echoed to the caller and
 * written in every log line of the call.
 */
export function correlationIdOf(headers: Headers): string {
  const given = headers.get('client-request-id') ?? headers.get('x-ms-client-request-id');
  return given !== null && v.safeParse(correlationId, given).success ? given : randomUUID();
}

/**
 * What every answer of the app carries, whatever built it (replays from the stores included):
 * never sniffed as another type than it says; not kept by any cache unless its builder says how
 * (entities and operations carry tenant data); `client-request-id`; and, when Graph answered,
 * Graph's request id as `x-graph-request-id`.
 */
export function withStandardHeaders(response: HttpAnswer, clientRequestId: string, graphRequestId?: string): HttpAnswer {
  // Every answer of the app has plain lower-case headers: a copy costs far less than a Headers object per call.
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    ...response.headers,
    'x-content-type-options': 'nosniff',
    'client-request-id': clientRequestId,
  };
  if (graphRequestId) headers['x-graph-request-id'] = graphRequestId;
  return { ...response, headers };
}

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** The caller's Idempotency-Key: absent, or 1 to 255 printable ASCII characters (400 otherwise). */
export function readIdempotencyKey(headers: Headers): Result<string | undefined> {
  const key = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (key === null) return succeed(undefined);
  if (v.safeParse(idempotencyKey, key).success) return succeed(key);
  return stopWith(
    problemResponse('invalid-idempotency-key', {
      detail: `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (got ${key.length} characters).`,
    }),
  );
}

/**
 * The preferences of a Prefer header (RFC 7240), by lower-case name: `return=minimal`,
 * `return="minimal"` and `return=minimal; foo=bar` all name `return` with the value `minimal`.
 * Preferences are comma-separated; parameters after `;` belong to their preference. A name met
 * twice keeps its first value, as the RFC asks.
 */
export function preferencesOf(header: string | null): ReadonlyMap<string, string> {
  const preferences = new Map<string, string>();
  // A comma or semicolon inside a quoted value does not split it.
  for (const preference of splitOutsideQuotes(header ?? '', ',')) {
    const [nameAndValue = ''] = splitOutsideQuotes(preference, ';');
    const equals = nameAndValue.indexOf('=');
    const name = (equals < 0 ? nameAndValue : nameAndValue.slice(0, equals)).trim().toLowerCase();
    const raw = equals < 0 ? '' : nameAndValue.slice(equals + 1).trim();
    const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    if (name !== '' && !preferences.has(name)) preferences.set(name, value);
  }
  return preferences;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (quoted && char === '\\') {
      current += char + (text[index + 1] ?? '');
      index++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/** Whether the caller asks for `Prefer: return=minimal`. */
export const prefersMinimal = (headers: Headers): boolean =>
  preferencesOf(headers.get('prefer')).get('return')?.toLowerCase() === 'minimal';

/** Whole seconds for a Retry-After header, at least 1. */
export const retryAfterSeconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));
