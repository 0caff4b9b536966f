import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { problemResponse } from './problem';

/** Bodies of these entities are a few hundred bytes; anything near this limit is not one of them. */
export const MAX_BODY_BYTES = 64 * 1024;

export type JsonObject = Record<string, unknown>;

/** True for a JSON object (not null, not an array). */
export const isJsonObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export type BodyReading = { readonly ok: true; readonly value: JsonObject } | { readonly ok: false; readonly response: HttpResponseInit };

/** True for `application/json` and `application/*+json`, with no charset other than UTF-8. */
export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const json = mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length);
  return json && (charset === undefined || charset.replace(/"/g, '') === 'utf-8');
}

/** Reads a JSON object body: 415 for another media type, 413 when too large, 400 when not a JSON object. */
export async function readJsonObject(request: HttpRequest): Promise<BodyReading> {
  const contentType = request.headers.get('content-type');
  if (!isJsonContentType(contentType)) {
    return failure(
      problemResponse('unsupported-media-type', {
        status: 415,
        detail: `Send the body as application/json (got ${contentType ? JSON.stringify(contentType) : 'no Content-Type'}).`,
      }),
    );
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) {
    return failure(
      problemResponse('body-too-large', { status: 413, detail: `The body must be at most ${MAX_BODY_BYTES} bytes.` }),
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return failure(invalidBody('The body is not valid UTF-8.'));
  }
  if (text.trim() === '') return failure(invalidBody('The body is empty; send a JSON object.'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return failure(invalidBody(`The body is not valid JSON: ${(error as Error).message}`));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return failure(invalidBody(`The body must be a JSON object, not ${kind}.`));
  }
  return { ok: true, value: value as JsonObject };
}

function invalidBody(detail: string): HttpResponseInit {
  return problemResponse('invalid-body', { status: 400, detail });
}

function failure(response: HttpResponseInit): BodyReading {
  return { ok: false, response };
}
