/**
 * Arbitraries and helpers for the hostile-input properties: every route and method of the
 * catalog, valid and invalid-by-construction path ids, query values, bodies and header values,
 * and a raw HTTP/1.1 client for the requests fetch refuses to send.
 */
import { connect } from 'node:net';

import fc from 'fast-check';

import { CATALOG, catalogRoutes, type HttpMethod, type Operation, routeParameters } from '../../src/catalog/operations';
import { MAX_BODY_DEPTH } from '../../src/http/body';
import type { GraphVersion } from '../../src/schemas/entities';
import { COMPLIANCE_STATUSES, complianceStatus, count, nullableText, timestamp } from '../../src/schemas/primitives';
import { SEEDED_IDS } from './stack';

// ---------------------------------------------------------------------------------------------
// Routes and methods, derived from the catalog

/** The methods the function app registers for callers (functions.ts): a route's own, or its 405. */
export const CALLER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type CallerMethod = (typeof CALLER_METHODS)[number];

export interface CatalogRoute {
  readonly route: string;
  readonly allowed: readonly HttpMethod[];
  readonly parameters: readonly string[];
}

export const ROUTES: readonly CatalogRoute[] = [...catalogRoutes()].map(([route, allowed]) => ({
  route,
  allowed,
  parameters: routeParameters(route),
}));

/** Each route with each caller method it does not serve. */
export const NOT_ALLOWED: readonly { readonly route: CatalogRoute; readonly method: CallerMethod }[] = ROUTES.flatMap((route) =>
  CALLER_METHODS.filter((method) => !(route.allowed as readonly string[]).includes(method)).map((method) => ({ route, method })),
);

export const BODY_OPERATIONS = CATALOG.filter((operation) => operation.kind === 'update' || operation.kind === 'create');
export const PATCH_OPERATIONS = CATALOG.filter((operation) => operation.kind === 'update');

/** True when `segments` (already decoded) name a catalog route or `health`, as the host's router would match them. */
export function namesARoute(segments: readonly string[]): boolean {
  return [...ROUTES.map((route) => route.route), 'health'].some((route) => {
    const template = route.split('/');
    return (
      template.length === segments.length &&
      template.every((part, index) => part.startsWith('{') || part.toLowerCase() === segments[index]?.toLowerCase())
    );
  });
}

/** A route with its placeholders replaced by path segments that are already encoded. */
export function fillSegments(route: string, segments: Readonly<Record<string, string>>): string {
  return route.replace(/\{([A-Za-z]+)\}/g, (_match, name: string) => segments[name] ?? '');
}

// ---------------------------------------------------------------------------------------------
// Path ids

const SEEDED_BY_PARAMETER: Record<string, string> = {
  configurationId: SEEDED_IDS.mobileAppConfiguration,
  mobileAppId: SEEDED_IDS.mobileApp,
  policyId: SEEDED_IDS.deviceCompliancePolicy,
};

/** A valid id (the README's grammar): a seeded one where there is one, or any other well-formed id. */
export function validId(parameter: string, seededStatusId?: string): fc.Arbitrary<string> {
  const seeded = parameter === 'statusId' ? seededStatusId : SEEDED_BY_PARAMETER[parameter];
  const random = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,60}$/);
  return seeded ? fc.oneof(fc.constant(seeded), random) : random;
}

/** Characters and sequences an id may never contain: URL syntax, encodings, unicode, controls. */
const FORBIDDEN_IN_ID = fc.oneof(
  fc.constantFrom(
    '/',
    '?',
    '#',
    '%',
    '%2F',
    '%2f',
    '%252F',
    '../',
    '/..',
    '\\',
    ' ',
    '+',
    '&',
    '=',
    ';',
    ':',
    '@',
    '!',
    '$',
    "'",
    '(',
    ')',
    '*',
    ',',
    '~',
    '"',
    '<',
    '>',
    '{',
    '}',
    '|',
    '^',
    '`',
    '[',
    ']',
  ),
  // eslint-disable-next-line no-control-regex -- anything outside ASCII, NUL included in the range on purpose
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).filter((text) => /[^\x00-\x7f]/.test(text)),
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.constant('\x7f'),
);

/**
 * An id that breaks the id grammar by construction: it holds a forbidden character, starts
 * with `.`, `-` or `_`, or is longer than 200 characters. Sent percent-encoded as one segment,
 * so it always reaches the function as a parameter value; `.` and `..` alone are left out
 * because URL parsers remove dot segments before any router sees them.
 */
export const invalidId: fc.Arbitrary<string> = fc
  .oneof(
    fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9_.-]{0,8}$/), FORBIDDEN_IN_ID, fc.stringMatching(/^[A-Za-z0-9_.-]{0,8}$/))
      .map(([before, forbidden, after]) => `${before}${forbidden}${after}`),
    fc.tuple(fc.constantFrom('.', '-', '_'), fc.stringMatching(/^[A-Za-z0-9_.-]{0,20}$/)).map(([first, rest]) => first + rest),
    fc.integer({ min: 201, max: 400 }).map((length) => 'a'.repeat(length)),
  )
  .filter((id) => id !== '.' && id !== '..');

// ---------------------------------------------------------------------------------------------
// Entity properties and their values

export type PropertyKind = 'count' | 'timestamp' | 'text' | 'status';

/** The entity's properties for a version, each with the kind of value it takes. */
export function propertiesOf(operation: Operation, version: GraphVersion): [string, PropertyKind][] {
  return Object.entries(operation.entity.properties[version] ?? {}).map(([name, schema]) => {
    if (schema === count) return [name, 'count'];
    if (schema === timestamp) return [name, 'timestamp'];
    if (schema === nullableText) return [name, 'text'];
    if (schema === complianceStatus) return [name, 'status'];
    throw new Error(`hostile.ts does not know the schema of ${name}; add its kind`);
  });
}

/** Every property name of every entity in every version: an unknown name is none of these. */
export const ALL_PROPERTY_NAMES = new Set(
  CATALOG.flatMap((operation) => Object.values(operation.entity.properties).flatMap((entries) => Object.keys(entries ?? {}))),
);

/** The version a request resolves to: the one asked for, else the operation's default. */
export const effectiveVersion = (operation: Operation, asked: GraphVersion | undefined): GraphVersion =>
  asked ?? (operation.graphVersions[0] as GraphVersion);

const pad2 = (value: number) => String(value).padStart(2, '0');

const dateTimeParts = fc.record({
  year: fc.integer({ min: 1970, max: 2099 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
});
const datePart = (p: { year: number; month: number; day: number }) => `${p.year}-${pad2(p.month)}-${pad2(p.day)}`;
const timePart = (p: { hour: number; minute: number; second: number }) => `${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
/** An offset within ±14:00, as .NET takes it. */
const offset = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 13 }).map(pad2), fc.constantFrom('00', '30', '45'))
    .map(([hours, minutes]) => `${hours}:${minutes}`),
  fc.constant('14:00'),
);

/** Timestamps in the one form both the README and Graph's Edm.DateTimeOffset accept: `T`, up to 7 fraction digits, `Z` or `±hh:mm`. */
export const validTimestamp: fc.Arbitrary<string> = fc
  .tuple(
    dateTimeParts,
    fc.option(fc.stringMatching(/^[0-9]{1,7}$/), { nil: undefined }),
    fc.oneof(
      fc.constant('Z'),
      fc.tuple(fc.constantFrom('+', '-'), offset).map(([sign, hoursAndMinutes]) => `${sign}${hoursAndMinutes}`),
    ),
  )
  .map(
    ([parts, fraction, zone]) => `${datePart(parts)}T${timePart(parts)}${fraction === undefined ? '' : `.${fraction}`}${zone}`,
  );

/** Text as callers send it: any unicode (no lone surrogates), or null, within the 1024-unit limit. */
const validText = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).filter((text) => text.length <= 1024) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.string({ minLength: 1024, maxLength: 1024 }) },
);

function validValue(kind: PropertyKind): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'count':
      return fc.oneof(fc.integer({ min: 0, max: 2147483647 }), fc.constantFrom(0, 2147483647));
    case 'timestamp':
      return validTimestamp;
    case 'text':
      return validText;
    case 'status':
      return fc.constantFrom(...COMPLIANCE_STATUSES);
  }
}

/**
 * A body within the contract for the operation and version: a non-empty subset of the entity's
 * properties (the required ones on create, not null), with valid values.
 */
export function validBody(operation: Operation, version: GraphVersion): fc.Arbitrary<Record<string, unknown>> {
  const properties = propertiesOf(operation, version);
  const required = operation.kind === 'create' ? operation.entity.requiredOnCreate : [];
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, kind] of properties) {
    // A required text may be empty but not null.
    model[name] = required.includes(name) && kind === 'text' ? fc.string({ maxLength: 40 }) : validValue(kind);
  }
  return fc.record(model, { requiredKeys: [...required], noNullPrototype: true }).filter((body) => Object.keys(body).length > 0);
}

/** What Graph may be sent on top of a body and must never receive: `id` and OData annotations, as a GET returns them. */
export function readOnlyExtras(operation: Operation, properties: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record(
      {
        id: fc.string({ maxLength: 40 }),
        '@odata.context': fc.constant('https://graph.microsoft.com/v1.0/$metadata#entity'),
        '@odata.etag': fc.string({ maxLength: 20 }).map((tag) => `W/"${tag}"`),
        '@odata.type': fc.constantFrom(operation.entity.odataType, operation.entity.odataType.slice(1)),
        annotation: fc
          .tuple(fc.constantFrom(...properties), fc.constantFrom('@odata.type', '@odata.navigationLink'))
          .map(([name, suffix]) => `${name}${suffix}`),
      },
      { requiredKeys: [], noNullPrototype: true },
    )
    .map(({ annotation, ...extras }) => (annotation === undefined ? extras : { ...extras, [annotation]: '#Int32' }));
}

// ---------------------------------------------------------------------------------------------
// Invalid values (as raw JSON text, so that numbers JSON.stringify cannot write can be sent)

const json = (value: unknown) => JSON.stringify(value);

/** Deep nesting, within the depth a body may have (a deeper body is refused whole with 400). */
const nestedText = fc
  .tuple(fc.integer({ min: 1, max: MAX_BODY_DEPTH - 2 }), fc.constantFrom('array', 'object'))
  .map(([depth, shape]) =>
    shape === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
  );

const nonScalarText = fc.oneof(
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }).map(json),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map(json),
  fc.constantFrom('{"__proto__":{"pendingCount":1}}', '{"constructor":{"prototype":{"polluted":true}}}'),
  nestedText,
);

const notANumberText = fc.oneof(
  fc.string({ maxLength: 12 }).map(json),
  fc.boolean().map(json),
  fc.constant('null'),
  nonScalarText,
);

/** JSON texts that are never a valid count: out of range, fractional, huge, or not a number at all. */
export const invalidCountText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 2147483648, max: Number.MAX_SAFE_INTEGER }).map(String),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }).map(String),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((value) => !Number.isInteger(value))
    .map(String),
  // Integers of 11 to 400 digits: past Int32, past exact doubles, past Infinity.
  fc.stringMatching(/^-?[1-9][0-9]{10,400}$/),
  fc.constantFrom('1e400', '-1e400', '1E309', '2147483647.5', '2147483648', '-1', '0.5', '1e10', '-2147483648'),
  fc.integer({ min: 0, max: 2147483647 }).map((value) => json(String(value))),
  notANumberText,
);

/** JSON texts that are never an ISO 8601 timestamp with Z or an offset. */
export const invalidTimestampText: fc.Arbitrary<string> = fc.oneof(
  dateTimeParts.map((p) => json(`${datePart(p)}T${timePart(p)}`)), // no zone
  dateTimeParts.map((p) => json(datePart(p))), // date only
  dateTimeParts.map((p) => json(`${datePart(p)}t${timePart(p)}z`)), // lower case
  dateTimeParts.map((p) => json(`${p.year}-13-${pad2(p.day)}T${timePart(p)}Z`)),
  dateTimeParts.map((p) => json(`${datePart(p)}T24:${pad2(p.minute)}:00Z`)),
  dateTimeParts.map((p) => json(`${p.year}-${pad2(p.month)}-32T${timePart(p)}Z`)),
  fc.string({ maxLength: 20 }).map((text) => json(`x${text}`)),
  fc.integer().map(String),
  fc.boolean().map(json),
  fc.constant('null'),
  nonScalarText,
);

/** JSON texts that are never text as the entity takes it: not a string, or over 1024 characters. */
export const invalidTextText: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.boolean().map(json),
  fc.string({ minLength: 1025, maxLength: 1100 }).map(json),
  nonScalarText,
);

/** JSON texts that are never a complianceStatus member. */
export const invalidStatusText: fc.Arbitrary<string> = fc.oneof(
  fc
    .string({ maxLength: 15 })
    .filter((text) => !(COMPLIANCE_STATUSES as readonly string[]).includes(text))
    .map(json),
  fc.constantFrom(...COMPLIANCE_STATUSES).map((status) => json(status.toUpperCase())),
  fc.constantFrom(...COMPLIANCE_STATUSES).map((status) => json(` ${status}`)),
  fc.integer({ min: 0, max: 7 }).map(String),
  fc.constant('null'),
  nonScalarText,
);

export function invalidValueText(kind: PropertyKind): fc.Arbitrary<string> {
  switch (kind) {
    case 'count':
      return invalidCountText;
    case 'timestamp':
      return invalidTimestampText;
    case 'text':
      return invalidTextText;
    case 'status':
      return invalidStatusText;
  }
}

/** Names that look like object internals. JSON.parse makes them ordinary own properties; they must be refused as unknown. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
];

/** Property names that are not in the entity for that version and are not `id` or an annotation. */
export function unknownName(operation: Operation, version: GraphVersion): fc.Arbitrary<string> {
  const known = new Set(propertiesOf(operation, version).map(([name]) => name));
  const knownNames = [...known, 'pendingCount'];
  return fc
    .oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom(...PROTOTYPE_NAMES),
      fc.constantFrom(...ALL_PROPERTY_NAMES), // another entity's or another version's property
      fc.constantFrom(...knownNames).map((name) => name.toUpperCase()),
      fc.constantFrom(...knownNames).map((name) => `${name} `),
    )
    .filter((name) => !known.has(name) && name !== 'id' && !name.includes('@odata.'));
}

/** RFC 6901: the pointer the facade must name for a top-level member. */
export const pointerOf = (name: string) => `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** A body object as raw JSON text from members whose values are already JSON text. Keys are unique. */
export const objectText = (members: readonly (readonly [string, string])[]) =>
  `{${members.map(([name, value]) => `${json(name)}:${value}`).join(',')}}`;

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1, for header values fetch refuses to send

export interface RawAnswer {
  readonly raw: string;
  readonly statusCode: number;
  /** Header lines as received, after the status line. */
  readonly headerLines: string[];
  readonly headers: Map<string, string>;
  readonly body: string;
}

/** Bytes of a string sent as is: each char code is one byte (so CR, LF, NUL and obs-text go out untouched). */
export const latin1 = (text: string) => Buffer.from(text, 'latin1');

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Sends `request` (bytes) on a fresh connection to the host and reads the whole answer. */
export function rawExchange(baseUrl: string, request: Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const headEnd = all.indexOf('\r\n\r\n');
      const head = (headEnd < 0 ? all : all.subarray(0, headEnd)).toString('latin1');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = new Map<string, string>();
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const rawBody = headEnd < 0 ? Buffer.alloc(0) : all.subarray(headEnd + 4);
      const body = (headers.get('transfer-encoding') === 'chunked' ? dechunk(rawBody) : rawBody).toString('utf8');
      resolve({
        raw: all.toString('latin1'),
        statusCode: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
        headerLines,
        headers,
        body,
      });
    });
    socket.end(request);
  });
}

/** An HTTP/1.1 request with `headerLines` written verbatim (they may hold CR, LF or any byte). */
export function rawRequest(baseUrl: string, method: string, path: string, headerLines: readonly string[], body?: string): Buffer {
  const { host } = new URL(baseUrl);
  const lines = [
    `${method} /api/${path} HTTP/1.1`,
    `Host: ${host}`,
    ...(body === undefined ? [] : [`Content-Length: ${Buffer.byteLength(body)}`]),
    ...headerLines,
    'Connection: close',
  ];
  return Buffer.concat([latin1(`${lines.join('\r\n')}\r\n\r\n`), Buffer.from(body ?? '', 'utf8')]);
}
