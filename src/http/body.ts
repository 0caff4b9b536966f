import { isJsonObject, type JsonObject } from '../json';
import { problemResponse } from './problem';
import type { HttpAnswer, IncomingRequest } from './response';
import { type Result, stopWith, succeed } from './result';

/** Bodies of these entities are a few hundred bytes; anything near this limit is not one of them. */
export const MAX_BODY_BYTES = 64 * 1024;
/** The entities are flat objects: a body nested deeper than this is not one of them. */
export const MAX_BODY_DEPTH = 32;
/** Members and array items, all levels together: an entity has about a dozen. */
export const MAX_BODY_VALUES = 1000;

export { isJsonObject, type JsonObject };

/** True for `application/json` and `application/*+json`, with no charset other than UTF-8. */
export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const json = mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length);
  return json && (charset === undefined || charset.replace(/"/g, '') === 'utf-8');
}

const tooLarge = (): HttpAnswer =>
  problemResponse('body-too-large', { detail: `The body must be at most ${MAX_BODY_BYTES} bytes.` });

/**
 * Reads a JSON object body: 415 for another media type, 413 when too large (at once when
 * Content-Length says so, otherwise as soon as the limit is passed: the body is never read
 * whole first), 400 when not a JSON object or nested beyond the limits.
 */
export async function readJsonObject(request: Pick<IncomingRequest, 'headers' | 'body'>): Promise<Result<JsonObject>> {
  const contentType = request.headers.get('content-type');
  if (!isJsonContentType(contentType)) {
    return stopWith(
      problemResponse('unsupported-media-type', {
        detail: `Send the body as application/json (got ${contentType ? JSON.stringify(contentType) : 'no Content-Type'}).`,
      }),
    );
  }
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > MAX_BODY_BYTES) return stopWith(tooLarge());
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readCapped(request.body, MAX_BODY_BYTES);
  } catch {
    return stopWith(invalidBody('The body could not be read to its end (the connection broke).'));
  }
  if (!bytes) return stopWith(tooLarge());
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return stopWith(invalidBody('The body is not valid UTF-8.'));
  }
  if (text.trim() === '') return stopWith(invalidBody('The body is empty; send a JSON object.'));
  const shapeProblem = jsonShapeProblem(text);
  if (shapeProblem) return stopWith(invalidBody(shapeProblem));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return stopWith(invalidBody(`The body is not valid JSON: ${(error as Error).message}`));
  }
  if (!isJsonObject(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return stopWith(invalidBody(`The body must be a JSON object, not ${kind}.`));
  }
  return succeed(value);
}

/** The body's bytes, or undefined as soon as more than `limit` arrive (the rest is not read). */
async function readCapped(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | undefined> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Depth and value count of JSON text, measured in one pass without recursion, before anything
 * recursive (the parser, a walk) touches it. Undefined when within the limits.
 */
export function jsonShapeProblem(text: string): string | undefined {
  // Which open containers are arrays, innermost last; never deeper than MAX_BODY_DEPTH.
  const inArray: boolean[] = [];
  let values = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\')
        index++; // skip the escaped character
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      inArray.push(char === '[');
      if (inArray.length > MAX_BODY_DEPTH) return `The body nests deeper than ${MAX_BODY_DEPTH} levels.`;
    } else if (char === '}' || char === ']') inArray.pop();
    // A member is counted at its colon, an array item at the comma after it.
    else if (char === ':' || (char === ',' && inArray.at(-1) === true)) {
      if (++values > MAX_BODY_VALUES) return `The body holds more than ${MAX_BODY_VALUES} members and items.`;
    }
  }
  return undefined;
}

function invalidBody(detail: string): HttpAnswer {
  return problemResponse('invalid-body', { detail });
}
