/**
 * Property-based tests: hostile input on every route and method of the catalog.
 *
 * Whatever a caller sends, the facade must answer with a 4xx problem+json whose `status` is the
 * HTTP status, carry a `client-request-id` that is a safe token (never the caller's input when
 * that input is not one), never split or inject a response header, and never call Graph for an
 * input that is invalid. Inputs are invalid by construction, so the zero-Graph-calls assertion
 * needs no oracle. One property goes the other way: valid PATCH bodies are applied exactly.
 * The last block holds properties that fail today; each names the defect it found.
 */
import fc from 'fast-check';

import { CATALOG, type Operation, routeParameters } from '../../src/catalog/operations';
import { MAX_BODY_BYTES, MAX_BODY_DEPTH } from '../../src/http/body';
import type { GraphVersion } from '../../src/schemas/entities';
import {
  BODY_OPERATIONS,
  CALLER_METHODS,
  effectiveVersion,
  fillSegments,
  invalidId,
  invalidValueText,
  namesARoute,
  NOT_ALLOWED,
  objectText,
  PATCH_OPERATIONS,
  pointerOf,
  propertiesOf,
  PROTOTYPE_NAMES,
  type RawAnswer,
  rawExchange,
  rawRequest,
  readOnlyExtras,
  ROUTES,
  unknownName,
  validBody,
  validId,
  validTimestamp,
} from '../support/hostile';
import { type FacadeAnswer, SEEDED_IDS, type Stack, startStack } from '../support/stack';

let stack: Stack;
let seededStatusId: string;

beforeAll(async () => {
  // Throttling is tested elsewhere; here it would only slow the valid writes down (the facade's
  // own write limiter and the emulator's Intune windows both allow about 100 writes per 20 s).
  stack = await startStack({
    idempotencyStore: 'memory',
    facadeEnvironment: { GRAPH_WRITES_PER_20S: '200', GRAPH_WRITE_BURST: '200' },
  });
  await stack.control('PUT', 'throttling', { enabled: false });
  const list = await stack.call('GET', `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-statuses`);
  seededStatusId = list.json.value[0].id as string;
});
afterAll(() => stack.stop());

const SAFE_TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROBLEM_JSON = /^application\/problem\+json(;|$)/;

/** Runs per property; CI can raise them with FC_NUM_RUNS. */
const RUNS = Number(process.env.FC_NUM_RUNS ?? 100);
const check = <T>(property: fc.IAsyncPropertyWithHooks<T>, numRuns = RUNS) => fc.assert(property, { numRuns, verbose: 1 });

/** Each run starts with an empty record of what Graph received. */
function forgetGraphCalls(): void {
  stack.emulator.requests.length = 0;
}

/** Nothing reached Graph (printing what did, if something did). */
function expectNoGraphCall(): void {
  expect(stack.emulator.requests.map((request) => `${request.method} ${request.url}`)).toEqual([]);
}

/** The caller-facing contract of every refusal: 4xx, problem+json with the same status, a safe correlation id. */
function expectProblem(answer: FacadeAnswer, method: string, status?: number): void {
  if (status !== undefined) expect({ status: answer.status, body: answer.text.slice(0, 500) }).toMatchObject({ status });
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.headers.get('content-type')).toMatch(PROBLEM_JSON);
  expect(answer.headers.get('client-request-id')).toMatch(SAFE_TOKEN);
  if (method === 'HEAD') return; // no body, by HTTP
  expect(answer.json).toMatchObject({
    type: expect.stringMatching(/^urn:intune-status-facade:problem:/),
    title: expect.any(String),
    status: answer.status,
    detail: expect.any(String),
  });
}

const parametersNamed = (answer: FacadeAnswer) =>
  (answer.json.errors as { parameter?: string }[]).flatMap((error) => (error.parameter === undefined ? [] : [error.parameter]));
const pointersNamed = (answer: FacadeAnswer) =>
  (answer.json.errors as { pointer?: string }[]).flatMap((error) => (error.pointer === undefined ? [] : [error.pointer]));
const sortedUnique = (values: readonly string[]) => [...new Set(values)].sort();

/** A request path for an operation: ids (already encoded) and an optional query. */
function pathOf(
  route: string,
  ids: Readonly<Record<string, string>>,
  query?: Readonly<Record<string, string | undefined>>,
): string {
  const search = new URLSearchParams(
    Object.entries(query ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const text = search.toString();
  return fillSegments(route, ids) + (text ? `?${text}` : '');
}

/** Arbitraries carry operation names, so that a counterexample prints a name rather than a schema. */
const OPERATION_NAMES = CATALOG.map((operation) => operation.name);
const BODY_OPERATION_NAMES = BODY_OPERATIONS.map((operation) => operation.name);
const PATCH_OPERATION_NAMES = PATCH_OPERATIONS.map((operation) => operation.name);
function operationNamed(name: string): Operation {
  const operation = CATALOG.find((candidate) => candidate.name === name);
  if (!operation) throw new Error(`no operation ${name}`);
  return operation;
}

/** Valid ids for every parameter of a route, percent-encoded as a caller would. */
function validIds(route: string): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    Object.fromEntries(routeParameters(route).map((name) => [name, validId(name, seededStatusId).map(encodeURIComponent)])),
  );
}

/** An operation that takes a body, a version (asked or left to the default), valid ids. */
const bodyTarget = fc.constantFrom(...BODY_OPERATION_NAMES).chain((name) => {
  const operation = operationNamed(name);
  return fc.record({
    operation: fc.constant(name),
    version: fc.constantFrom<GraphVersion | undefined>(undefined, ...operation.graphVersions),
    ids: validIds(operation.route),
  });
});

interface Target {
  readonly operation: string;
  readonly version: GraphVersion | undefined;
  readonly ids: Record<string, string>;
}
const targetPath = (target: Target) =>
  pathOf(operationNamed(target.operation).route, target.ids, { graphVersion: target.version });
const targetMethod = (target: Target) => operationNamed(target.operation).method;
const targetVersion = (target: Target) => effectiveVersion(operationNamed(target.operation), target.version);

/** A target and a body within the contract for it. */
const bodyTargetWithValidBody = bodyTarget.chain((target) =>
  validBody(operationNamed(target.operation), targetVersion(target)).map((body) => ({ ...target, body })),
);

describe('hostile input never reaches Graph and is always answered with problem+json', () => {
  // Path ids and query values are the only input of GET and DELETE, and the part of every request
  // that chooses the Graph URL: a bad one must be named, and must never reach Graph.
  test('invalid path ids and query values on every operation: 422 naming exactly those parameters', async () => {
    const invalidVersion = (operation: Operation) =>
      fc
        .oneof(
          fc.string({ maxLength: 10 }),
          fc.constantFrom('v1.0', 'beta', 'V1.0', 'Beta', 'v1', '1.0', 'v2.0', 'beta ', ' v1.0', 'v1.0,beta', ''),
        )
        .filter((version) => !(operation.graphVersions as readonly string[]).includes(version));
    const paging = {
      top: [
        fc.integer({ min: 1, max: 999 }).map(String),
        fc.oneof(
          fc.constantFrom('0', '1000', '-1', '1.5', 'abc', '', ' 5', '0x10', '½'),
          fc.integer({ min: 1000, max: 1e12 }).map(String),
          fc.integer({ min: -1e12, max: -1 }).map(String),
        ),
      ],
      skip: [
        fc.integer({ min: 0, max: 999999999 }).map(String),
        fc.oneof(fc.constantFrom('-1', '1.5', 'abc', '', '1000000000'), fc.integer({ min: 1e9, max: 1e15 }).map(String)),
      ],
      skipToken: [
        // Graph's paging tokens are opaque printable ASCII (the facade encodes them again for Graph).
        fc.stringMatching(/^[\x21-\x7e]{1,60}$/),
        fc.oneof(
          fc.constantFrom('', 'a'.repeat(2049)),
          fc
            .tuple(fc.stringMatching(/^[A-Za-z0-9]{0,8}$/), fc.constantFrom(' ', '\t', '\n', '\u007f', 'é', '😀'))
            .map(([prefix, bad]) => `${prefix}${bad}`),
        ),
      ],
    } as const;
    /** A value that is absent, valid, or invalid; `bad` says which. */
    const choice = (valid: fc.Arbitrary<string>, invalid: fc.Arbitrary<string>) =>
      fc.oneof(
        fc.constant({ value: undefined as string | undefined, bad: false }),
        valid.map((value) => ({ value: value, bad: false })),
        invalid.map((value) => ({ value: value, bad: true })),
      );

    const requestArb = fc.constantFrom(...OPERATION_NAMES).chain((name) => {
      const operation = operationNamed(name);
      const parameters = routeParameters(operation.route);
      return fc
        .record({
          operation: fc.constant(name),
          ids: fc.tuple(
            ...parameters.map((name) =>
              fc.oneof(
                validId(name, seededStatusId).map((id) => ({ id, bad: false })),
                invalidId.map((id) => ({ id, bad: true })),
              ),
            ),
          ),
          graphVersion: choice(fc.constantFrom(...operation.graphVersions), invalidVersion(operation)),
          top: operation.kind === 'list' ? choice(...paging.top) : fc.constant({ value: undefined, bad: false }),
          skip: operation.kind === 'list' ? choice(...paging.skip) : fc.constant({ value: undefined, bad: false }),
          skipToken: operation.kind === 'list' ? choice(...paging.skipToken) : fc.constant({ value: undefined, bad: false }),
          bodies: fc.record(
            Object.fromEntries(operation.graphVersions.map((version) => [version, validBody(operation, version)])),
          ),
        })
        .filter((request) =>
          [...request.ids, request.graphVersion, request.top, request.skip, request.skipToken].some((part) => part.bad),
        );
    });

    await check(
      fc.asyncProperty(requestArb, async ({ operation: name, ids, graphVersion, top, skip, skipToken, bodies }) => {
        forgetGraphCalls();
        const operation = operationNamed(name);
        const parameters = routeParameters(operation.route);
        const path = pathOf(
          operation.route,
          Object.fromEntries(parameters.map((name, index) => [name, encodeURIComponent(ids[index]?.id ?? '')])),
          { graphVersion: graphVersion.value, top: top.value, skip: skip.value, skipToken: skipToken.value },
        );
        const takesBody = operation.kind === 'update' || operation.kind === 'create';
        const askedVersion = graphVersion.bad ? undefined : (graphVersion.value as GraphVersion | undefined);
        const body = takesBody ? bodies[effectiveVersion(operation, askedVersion)] : undefined;
        const answer = await stack.call(operation.method, path, body === undefined ? {} : { body });

        expectProblem(answer, operation.method, 422);
        const expected = [
          ...parameters.filter((_name, index) => ids[index]?.bad),
          ...Object.entries({ graphVersion, top, skip, skipToken }).flatMap(([name, part]) => (part.bad ? [name] : [])),
        ];
        expect(sortedUnique(parametersNamed(answer))).toEqual(sortedUnique(expected));
        expect(pointersNamed(answer)).toEqual([]);
        expectNoGraphCall();
      }),
    );
  });

  // Bodies that are not a UTF-8 JSON object must be refused before anything is read from them.
  test('malformed, truncated, non-object and oddly encoded bodies: 400', async () => {
    const objectJson = fc
      .dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })
      .map((object) => JSON.stringify(object));
    const asciiJson = (value: unknown) =>
      JSON.stringify(value).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const bodyArb = bodyTargetWithValidBody.chain((target) => {
      const valid = asciiJson(target.body);
      const notJsonText = fc.oneof(
        // A proper prefix of an object's text never closes the object.
        fc
          .tuple(objectJson, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))
          .map(([text, cut]) => text.slice(0, Math.floor(cut * text.length))),
        fc.constant(valid.slice(0, -1)),
        fc.constantFrom(
          "{'pendingCount':1}",
          '{pendingCount:1}',
          '{"pendingCount":1,}',
          '{"pendingCount":NaN}',
          '{"pendingCount":Infinity}',
          '{"pendingCount":undefined}',
          '{"pendingCount":01}',
          '{"pendingCount":.5}',
          '{"pendingCount":+1}',
          '{"pendingCount":0x10}',
          '{"userDisplayName":"a\u0001b"}',
          '{"userDisplayName":"\\u12"}',
          '{"userDisplayName":"\\x41"}',
          '// comment\n{}',
          '{}/* comment */',
          '{"a":1}}',
          '{"a" 1}',
          '{,}',
          '   ',
          '\t\r\n',
        ),
        // Valid JSON followed, or preceded, by something that is not whitespace.
        fc
          .tuple(fc.constantFrom('x', '}', ']', ',', '0', '"', '{}'), fc.boolean())
          .map(([garbage, after]) => (after ? `${valid}${garbage}` : `${garbage}${valid}`)),
        // Deeply nested arrays are JSON, but not an object.
        fc.integer({ min: 1, max: 20000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
        fc
          .jsonValue({ maxDepth: 3 })
          .filter((value) => value === null || typeof value !== 'object' || Array.isArray(value))
          .map((value) => JSON.stringify(value)),
      );
      const bytes = fc.oneof(
        notJsonText.map((text) => ({ form: 'utf-8', text })),
        notJsonText.map((text) => ({ form: 'utf-8 with BOM', text })),
        fc.constantFrom('utf-16le', 'utf-16le with BOM', 'utf-16be with BOM').map((form) => ({ form, text: valid })),
        // Bytes that are never UTF-8, put between two ASCII characters of a valid body.
        fc
          .tuple(
            fc.nat({ max: valid.length }),
            fc.constantFrom(
              [0xff],
              [0xfe],
              [0x80],
              [0xc0, 0x80],
              [0xe2, 0x82],
              [0xed, 0xa0, 0x80],
              [0xf5, 0x80, 0x80, 0x80],
              [0xc3],
            ),
          )
          .map(([at, invalid]) => ({ form: 'invalid utf-8', text: valid, at, invalid })),
      );
      return fc.record({
        target: fc.constant(target),
        bytes,
        contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/merge-patch+json'),
      });
    });

    await check(
      fc.asyncProperty(bodyArb, async ({ target, bytes, contentType }) => {
        forgetGraphCalls();
        const encoded = encodeBody(bytes);
        const answer = await stack.call(targetMethod(target), targetPath(target), {
          rawBody: encoded,
          headers: { 'content-type': contentType },
        });
        expectProblem(answer, targetMethod(target), 400);
        expectNoGraphCall();
      }),
    );
  });

  // Objects with a wrong member: each wrong member is named by its pointer, and nothing else is.
  // This covers wrong types, counts past Int32 or negative or fractional, numbers JSON.parse
  // reads as Infinity, deep nesting, `__proto__` / `constructor` keys and unknown names.
  test('objects with invalid members: 422 naming every one of them', async () => {
    type Defect =
      | { kind: 'value'; name: string; text: string }
      | { kind: 'unknown'; name: string; text: string }
      | { kind: 'odata-type'; text: string }
      | { kind: 'missing'; name: string }
      | { kind: 'null'; name: string };

    const caseArb = bodyTarget.chain((target) => {
      const operation = operationNamed(target.operation);
      const version = targetVersion(target);
      const properties = propertiesOf(operation, version);
      const anyJson = fc.oneof(
        fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
        // Deep, but within the nesting a body may have (deeper is refused whole: see body-limits.test.ts).
        fc.integer({ min: 1, max: MAX_BODY_DEPTH - 2 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
      );
      const defects: fc.Arbitrary<Defect>[] = [
        fc
          .constantFrom(...properties)
          .chain(([name, kind]) => invalidValueText(kind).map((text): Defect => ({ kind: 'value', name, text }))),
        fc.tuple(unknownName(operation, version), anyJson).map(([name, text]): Defect => ({ kind: 'unknown', name, text })),
        fc.constantFrom(...PROTOTYPE_NAMES).chain((name) => anyJson.map((text): Defect => ({ kind: 'unknown', name, text }))),
        fc
          .jsonValue({ maxDepth: 1 })
          .filter((value) => value !== operation.entity.odataType && value !== operation.entity.odataType.slice(1))
          .map((value): Defect => ({ kind: 'odata-type', text: JSON.stringify(value) })),
      ];
      if (operation.kind === 'create') {
        const required = operation.entity.requiredOnCreate;
        defects.push(fc.constantFrom(...required).map((name): Defect => ({ kind: 'missing', name })));
        defects.push(fc.constantFrom(...required).map((name): Defect => ({ kind: 'null', name })));
      }
      const base =
        operation.kind === 'create' ? validBody(operation, version) : fc.oneof(fc.constant({}), validBody(operation, version));
      return fc.record({
        target: fc.constant(target),
        base,
        defects: fc.array(fc.oneof(...defects), { minLength: 1, maxLength: 4 }),
      });
    });

    await check(
      fc.asyncProperty(caseArb, async ({ target, base, defects }) => {
        forgetGraphCalls();
        const members = new Map(Object.entries(base).map(([name, value]) => [name, JSON.stringify(value)]));
        const expected: string[] = [];
        for (const defect of defects) {
          if (defect.kind === 'odata-type') {
            members.set('@odata.type', defect.text);
            expected.push(pointerOf('@odata.type'));
          } else {
            if (defect.kind === 'missing') members.delete(defect.name);
            else members.set(defect.name, defect.kind === 'null' ? 'null' : defect.text);
            expected.push(pointerOf(defect.name));
          }
        }
        const rawBody = objectText([...members]);
        const answer = await stack.call(targetMethod(target), targetPath(target), {
          rawBody,
          headers: { 'content-type': 'application/json' },
        });
        expectProblem(answer, targetMethod(target), 422);
        expect(sortedUnique(pointersNamed(answer))).toEqual(sortedUnique(expected));
        expect(parametersNamed(answer)).toEqual([]);
        expectNoGraphCall();
      }),
    );
  });

  // A PATCH that changes nothing (only `id` and annotations, or `{}`) must not become an empty Graph PATCH.
  test('PATCH bodies with nothing to change: 422 at the root pointer', async () => {
    const caseArb = bodyTarget
      .filter((target) => operationNamed(target.operation).kind === 'update')
      .chain((target) => {
        const operation = operationNamed(target.operation);
        const names = propertiesOf(operation, targetVersion(target)).map(([name]) => name);
        return fc.record({ target: fc.constant(target), extras: readOnlyExtras(operation, names) });
      });
    await check(
      fc.asyncProperty(caseArb, async ({ target, extras }) => {
        forgetGraphCalls();
        const answer = await stack.call(targetMethod(target), targetPath(target), { body: extras });
        expectProblem(answer, targetMethod(target), 422);
        expect(pointersNamed(answer)).toEqual(['']);
        expectNoGraphCall();
      }),
      50,
    );
  });

  // A body in another media type or charset must not be guessed at: 415 even when the bytes are a valid body.
  test('a valid body under a wrong or missing Content-Type: 415', async () => {
    const charset = fc
      .tuple(
        fc.constantFrom(
          'utf-16',
          'utf-16le',
          'utf-16be',
          'iso-8859-1',
          'latin1',
          'us-ascii',
          'windows-1252',
          'utf-32',
          'utf-7',
          'shift_jis',
          'gb2312',
          '',
        ),
        fc.boolean(),
        fc.boolean(),
      )
      .map(([name, upper, quoted]) => {
        const cased = upper ? name.toUpperCase() : name;
        return quoted ? `"${cased}"` : cased;
      });
    const contentType = fc.oneof(
      fc.constantFrom(
        'text/plain',
        'text/json',
        'text/html',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/jsonp',
        'application/x-json',
        'application/json5',
        'application/javascript',
        'application/ld+xml',
        'application/problem+xml',
        'application/json+x',
        'application/ json',
        '*/*',
        'application/*',
        'json',
        'application',
        '',
      ),
      fc
        .tuple(fc.constantFrom('text', 'image', 'audio', 'application', 'x'), fc.stringMatching(/^[a-z0-9.-]{1,12}$/))
        .filter(([type, subtype]) => !(type === 'application' && subtype === 'json'))
        .map(([type, subtype]) => `${type}/${subtype}`),
      fc
        .tuple(fc.constantFrom('application/json', 'Application/JSON', 'application/merge-patch+json'), charset)
        .map(([type, set]) => `${type}; charset=${set}`),
    );
    const caseArb = fc.record({ request: bodyTargetWithValidBody, contentType: fc.option(contentType, { nil: undefined }) });

    await check(
      fc.asyncProperty(caseArb, async ({ request, contentType: type }) => {
        forgetGraphCalls();
        const bytes = new TextEncoder().encode(JSON.stringify(request.body));
        // Without a content-type header, fetch sends bytes as they are, with no Content-Type at all.
        const options = type === undefined ? { rawBody: bytes } : { rawBody: bytes, headers: { 'content-type': type } };
        const answer = await stack.call(targetMethod(request), targetPath(request), options);
        expectProblem(answer, targetMethod(request), 415);
        expectNoGraphCall();
      }),
    );
  });

  // The limit protects the function from reading and parsing anything large: over it is 413
  // whatever the bytes are; at or under it the body is read (here: refused for its padding).
  test(`bodies around the ${MAX_BODY_BYTES}-byte limit: 413 exactly when over it`, async () => {
    const caseArb = fc.record({
      target: bodyTarget,
      size: fc.oneof(
        fc.integer({ min: MAX_BODY_BYTES - 64, max: MAX_BODY_BYTES + 64 }),
        fc.integer({ min: MAX_BODY_BYTES + 1, max: 4 * MAX_BODY_BYTES }),
      ),
      filler: fc.constantFrom('unknown property', 'whitespace', 'garbage', 'invalid utf-8'),
    });
    await check(
      fc.asyncProperty(caseArb, async ({ target, size, filler }) => {
        forgetGraphCalls();
        const rawBody = bodyOfSize(size, filler);
        expect(rawBody.byteLength).toBe(size);
        const answer = await stack.call(targetMethod(target), targetPath(target), {
          rawBody,
          headers: { 'content-type': 'application/json' },
        });
        if (size > MAX_BODY_BYTES) expectProblem(answer, targetMethod(target), 413);
        else expectProblem(answer, targetMethod(target), filler === 'unknown property' || filler === 'whitespace' ? 422 : 400);
        expectNoGraphCall();
      }),
      60,
    );
  });

  // A known route asked with a method it does not serve is 405 naming what it does serve,
  // whatever else the request holds (bad ids, bad bodies, odd headers).
  test('every route with every method it does not serve: 405 with Allow', async () => {
    const caseArb = fc.constantFrom(...NOT_ALLOWED).chain(({ route, method }) =>
      fc.record({
        route: fc.constant(route),
        method: fc.constant(method),
        ids: fc.record(
          Object.fromEntries(
            route.parameters.map((name) => [name, fc.oneof(validId(name, seededStatusId), invalidId).map(encodeURIComponent)]),
          ),
        ),
        body:
          method === 'HEAD'
            ? fc.constant(undefined)
            : fc.option(
                fc.oneof(
                  fc.jsonValue().map((value) => JSON.stringify(value)),
                  fc.string(),
                ),
                { nil: undefined },
              ),
        contentType: fc.option(fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16'), {
          nil: undefined,
        }),
      }),
    );
    await check(
      fc.asyncProperty(caseArb, async ({ route, method, ids, body, contentType }) => {
        forgetGraphCalls();
        const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
        const answer = await stack.call(
          method,
          fillSegments(route.route, ids),
          body === undefined ? { headers } : { rawBody: body, headers },
        );
        expectProblem(answer, method, 405);
        expect(answer.headers.get('allow')).toBe(route.allowed.join(', '));
        expectNoGraphCall();
      }),
    );
  });

  // Anything under /api that names no route is a problem+json 404, never a Graph call.
  test('paths that name no route, with every method: 404', async () => {
    const literals = [
      ...new Set(ROUTES.flatMap((route) => route.route.split('/').filter((part) => !part.startsWith('{')))),
      'health',
      'api',
      'admin',
    ];
    const segment = fc
      .oneof(
        fc.constantFrom(...literals),
        fc.constantFrom(SEEDED_IDS.mobileAppConfiguration, SEEDED_IDS.mobileApp, SEEDED_IDS.deviceCompliancePolicy),
        fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
      )
      .filter((text) => text !== '.' && text !== '..');
    const caseArb = fc.record({
      segments: fc.array(segment, { minLength: 1, maxLength: 6 }).filter((segments) => !namesARoute(segments)),
      method: fc.constantFrom(...CALLER_METHODS),
    });
    await check(
      fc.asyncProperty(caseArb, async ({ segments, method }) => {
        forgetGraphCalls();
        const answer = await stack.call(method, segments.map(encodeURIComponent).join('/'));
        expectProblem(answer, method, 404);
        expectNoGraphCall();
      }),
    );
  });
});

/** Requests that are refused whatever their headers say (invalid body, wrong method, no route): none may reach Graph. */
const INVALID_RAW_TARGETS = [
  {
    method: 'PATCH',
    path: `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-status-summary`,
    body: '{"colour":1}',
  },
  { method: 'POST', path: `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-statuses`, body: '{}' },
  {
    method: 'PATCH',
    path: `mobile-apps/${SEEDED_IDS.mobileApp}/install-summary?graphVersion=v1.0`,
    body: '{"installedDeviceCount":1}',
  },
  {
    method: 'PUT',
    path: `device-compliance-policies/${SEEDED_IDS.deviceCompliancePolicy}/user-status-overview`,
    body: '{"failedCount":1}',
  },
  { method: 'GET', path: 'mobile-apps/bad%20id/install-summary' },
  { method: 'DELETE', path: 'no/such/route' },
] as const;

const INJECTED_HEADER = 'X-Injected';
const HEADER_NAMES = ['client-request-id', 'x-ms-client-request-id', 'Content-Type'] as const;

/** The raw request for a target with one header line `name: value` written byte for byte. */
function injectedRequest(target: (typeof INVALID_RAW_TARGETS)[number], name: string, value: string): Buffer {
  const contentType = name === 'Content-Type' ? [] : ['Content-Type: application/json'];
  const body = 'body' in target ? target.body : undefined;
  return rawRequest(
    stack.baseUrl,
    target.method,
    target.path,
    [...(body === undefined ? [] : contentType), `${name}: ${value}`],
    body,
  );
}

/** No response header line was injected or split, whatever the request held. */
function expectNoInjectedHeader(answer: RawAnswer): void {
  expect(
    answer.headerLines.filter((line) => /^x-injected/i.test(line.trimStart()) || /[\r\n\0]/.test(line) || line.includes('evil')),
  ).toEqual([]);
}

/** The full caller-facing contract, read from a raw answer. */
function expectRawProblem(answer: RawAnswer): void {
  expect(answer.statusCode).toBeGreaterThanOrEqual(400);
  expect(answer.statusCode).toBeLessThan(500);
  expect(answer.headers.get('content-type')).toMatch(PROBLEM_JSON);
  expect(answer.headers.get('client-request-id')).toMatch(SAFE_TOKEN);
  expect(JSON.parse(answer.body)).toMatchObject({
    status: answer.statusCode,
    type: expect.stringMatching(/^urn:intune-status-facade:problem:/),
  });
}

describe('header injection over a raw socket', () => {
  const safeToken = fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/);
  /** Header-value text HTTP allows (visible ASCII, space, tab, obs-text), so the request itself stays well formed. */
  const allowedText = fc.oneof(
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 30 }),
    fc.string({ unit: fc.constantFrom('\t', ' ', '"', ',', ';', '=', 'é', '\xff', '\x80'), maxLength: 10 }),
    // UTF-8 bytes of unicode text, sent as they are.
    fc.string({ unit: 'grapheme', maxLength: 10 }).map((text) => Buffer.from(text, 'utf8').toString('latin1')),
    fc.string({ minLength: 129, maxLength: 300, unit: fc.constantFrom('a', '1', '-') }),
  );

  // A caller's CRLF must end its own header line, never add one to the response; an unsafe id
  // is replaced, a safe one is echoed (so the caller can still correlate).
  test('CRLF-injected header lines and odd but legal header values: full contract, nothing reflected', async () => {
    const caseArb = fc.record({
      target: fc.constantFrom(...INVALID_RAW_TARGETS),
      name: fc.constantFrom(...HEADER_NAMES),
      prefix: fc.oneof(safeToken, allowedText, fc.constantFrom('application/json', 'application/json; charset=utf-8')),
      inject: fc.boolean(),
    });
    await check(
      fc.asyncProperty(caseArb, async ({ target, name, prefix, inject }) => {
        forgetGraphCalls();
        const value = inject ? `${prefix}\r\n${INJECTED_HEADER}: evil` : prefix;
        const answer = await rawExchange(stack.baseUrl, injectedRequest(target, name, value));
        expectRawProblem(answer);
        expectNoInjectedHeader(answer);
        if (name !== 'Content-Type') {
          const sent = prefix.replace(/^[ \t]+|[ \t]+$/g, '');
          const echoed = answer.headers.get('client-request-id');
          if (SAFE_TOKEN.test(sent)) expect(echoed).toBe(sent);
          else expect(echoed).toMatch(UUID);
        }
        expectNoGraphCall();
      }),
    );
  });

  // Bare CR, bare LF, NUL and other control characters make the request malformed HTTP. Such a
  // request may be refused by the HTTP layer (Node's parser answers a bare 400 before any function
  // runs, as Azure's front end would), but never with a 5xx, never with a split or injected header,
  // and never with a Graph call; when the facade does answer, it is the full contract.
  test('control characters in header values: no 5xx, no header splitting, no Graph call', async () => {
    const control = fc.oneof(
      fc.constantFrom('\r', '\n', '\0', '\x7f', '\r\n ', '\r\n\t', '\n '),
      fc
        .integer({ min: 0x01, max: 0x1f })
        .filter((code) => code !== 0x09)
        .map((code) => String.fromCharCode(code)),
    );
    const caseArb = fc.record({
      target: fc.constantFrom(...INVALID_RAW_TARGETS),
      name: fc.constantFrom(...HEADER_NAMES),
      prefix: fc.oneof(safeToken, fc.constant('application/json')),
      control,
      suffix: fc.constantFrom(`${INJECTED_HEADER}: evil`, 'evil', ''),
    });
    await check(
      fc.asyncProperty(caseArb, async ({ target, name, prefix, control: bad, suffix }) => {
        forgetGraphCalls();
        const answer = await rawExchange(stack.baseUrl, injectedRequest(target, name, `${prefix}${bad}${suffix}`));
        expect(answer.statusCode).toBeGreaterThanOrEqual(400);
        expect(answer.statusCode).toBeLessThan(500);
        expectNoInjectedHeader(answer);
        if (answer.headers.has('client-request-id')) expectRawProblem(answer);
        else expect({ status: answer.statusCode, body: answer.body }).toEqual({ status: 400, body: '' }); // the HTTP parser's refusal
        expectNoGraphCall();
      }),
    );
  });
});

describe('valid bodies', () => {
  // The other side of validation: what the contract allows must go through untouched, with
  // `id` and annotations dropped, even when padded with JSON whitespace right up to the limit.
  test('valid PATCH bodies are applied: Graph receives exactly the validated body, the caller gets it back', async () => {
    const caseArb = fc.constantFrom(...PATCH_OPERATION_NAMES).chain((name) => {
      const operation = operationNamed(name);
      return fc.constantFrom<GraphVersion | undefined>(undefined, ...operation.graphVersions).chain((version) => {
        const effective = effectiveVersion(operation, version);
        const names = propertiesOf(operation, effective).map(([name]) => name);
        return fc.record({
          operation: fc.constant(name),
          version: fc.constant(version),
          body: validBody(operation, effective),
          extras: readOnlyExtras(operation, names),
          padTo: fc.option(fc.integer({ min: 0, max: MAX_BODY_BYTES }), { nil: undefined, freq: 4 }),
        });
      });
    });
    await check(
      fc.asyncProperty(caseArb, async ({ operation: name, version, body, extras, padTo }) => {
        forgetGraphCalls();
        const operation = operationNamed(name);
        const ids: Record<string, string> = {
          configurationId: SEEDED_IDS.mobileAppConfiguration,
          mobileAppId: SEEDED_IDS.mobileApp,
          policyId: SEEDED_IDS.deviceCompliancePolicy,
          statusId: seededStatusId,
        };
        const text = JSON.stringify({ ...extras, ...body });
        const padding = padTo === undefined ? 0 : Math.max(0, padTo - Buffer.byteLength(text));
        const rawBody = text + ' '.repeat(padding);
        const answer = await stack.call('PATCH', pathOf(operation.route, ids, { graphVersion: version }), {
          rawBody,
          headers: { 'content-type': 'application/json' },
        });

        if (answer.status !== 200 && answer.status !== 204)
          throw new Error(`PATCH answered ${answer.status}: ${answer.text.slice(0, 500)}`);
        expect(answer.headers.get('client-request-id')).toMatch(SAFE_TOKEN);
        const sent = stack.emulator.requests.map(({ method, version: graphVersion, body: graphBody }) => ({
          method,
          graphVersion,
          graphBody,
        }));
        expect(sent).toEqual([{ method: 'PATCH', graphVersion: effectiveVersion(operation, version), graphBody: body }]);
        if (answer.status === 200) expect(answer.json).toMatchObject(body);
      }),
      // Every run is a Graph write; the facade's write limiter lets 200 through at once.
      Math.min(RUNS, 150),
    );
  });
});

describe('known defects (these properties fail until the facade or the local host is fixed)', () => {
  // A path holding a malformed percent-escape is still a request under /api: the contract says
  // problem+json (422 for the id, or 404), with a correlation id. The local host answers a bare
  // 400 instead (dev/host.ts: decodeURIComponent throws in decodedSegments).
  test('malformed percent-escapes in path ids: problem+json 422 or 404', async () => {
    const caseArb = fc.constantFrom(...OPERATION_NAMES).chain((name) => {
      const operation = operationNamed(name);
      return fc.record({
        operation: fc.constant(name),
        ids: validIds(operation.route),
        which: fc.constantFrom(...routeParameters(operation.route)),
        escape: fc.constantFrom('%', '%Z', '%ZZ', '%G0', '%E0%A4', '%C3', '%FF', '%80', '%ED%A0%80', '%%'),
      });
    });
    await check(
      fc.asyncProperty(caseArb, async ({ operation: name, ids, which, escape }) => {
        forgetGraphCalls();
        const operation = operationNamed(name);
        const path = fillSegments(operation.route, { ...ids, [which]: `a${escape}` });
        const answer = await stack.call(
          operation.method,
          path,
          operation.kind === 'update' || operation.kind === 'create' ? { body: { pendingCount: 1 } } : {},
        );
        expectProblem(answer, operation.method);
        expect([404, 422]).toContain(answer.status);
        expectNoGraphCall();
      }),
      30,
    );
  });

  // OPTIONS is a method callers (and tools) send; the contract says a wrong method is 405 with
  // Allow. functions.ts leaves OPTIONS out of the methods of the 405 and 404 functions, so no
  // function serves it and the host answers a bare 404.
  test('OPTIONS on every route: problem+json 405 with Allow', async () => {
    const caseArb = fc
      .constantFrom(...ROUTES)
      .chain((route) => fc.record({ route: fc.constant(route), ids: validIds(route.route) }));
    await check(
      fc.asyncProperty(caseArb, async ({ route, ids }) => {
        forgetGraphCalls();
        const answer = await stack.call('OPTIONS', fillSegments(route.route, ids));
        expectProblem(answer, 'OPTIONS', 405);
        expect(answer.headers.get('allow')).toBe(route.allowed.join(', '));
        expectNoGraphCall();
      }),
      20,
    );
  });

  // Graph's Edm.DateTimeOffset (OData ABNF) needs `T`, seconds with an `hh:mm` offset or `Z`,
  // and a real calendar date. valibot's isoTimestamp also takes a space for `T`, `+hhmm`, `+hh`,
  // a space before the offset, and days like 02-30; those reach Graph, which refuses them (or,
  // for impossible dates, may store something else). Invalid input must be refused before Graph.
  test('timestamps Graph cannot take are refused before Graph: 422', async () => {
    const parts = fc.record({
      date: validTimestamp.map((stamp) => stamp.slice(0, 10)),
      time: validTimestamp.map((stamp) => stamp.slice(11, 19)),
      hours: fc.integer({ min: 0, max: 14 }).map((hour) => String(hour).padStart(2, '0')),
      sign: fc.constantFrom('+', '-'),
    });
    const timestampArb = fc.oneof(
      parts.map(({ date, time }) => `${date} ${time}Z`),
      parts.map(({ date, time, sign, hours }) => `${date}T${time}${sign}${hours}00`),
      parts.map(({ date, time, sign, hours }) => `${date}T${time}${sign}${hours}`),
      parts.map(({ date, time, sign, hours }) => `${date}T${time} ${sign}${hours}:00`),
      fc
        .tuple(
          fc.integer({ min: 1970, max: 2099 }),
          fc.constantFrom(['02', 30], ['02', 31], ['04', 31], ['06', 31], ['09', 31], ['11', 31]),
        )
        .map(([year, [month, day]]) => `${year}-${month}-${day}T00:00:00Z`),
    );
    await check(
      fc.asyncProperty(timestampArb, async (lastUpdateDateTime) => {
        forgetGraphCalls();
        const path = `device-compliance-policies/${SEEDED_IDS.deviceCompliancePolicy}/user-status-overview`;
        const answer = await stack.call('PATCH', path, { body: { lastUpdateDateTime } });
        expectProblem(answer, 'PATCH', 422);
        expectNoGraphCall();
      }),
      30,
    );
  });
});

// ---------------------------------------------------------------------------------------------

/** The bytes of an oddly encoded body (see the 400 property). */
function encodeBody(bytes: { form: string; text: string; at?: number; invalid?: readonly number[] }): Uint8Array {
  switch (bytes.form) {
    case 'utf-8':
      return Buffer.from(bytes.text, 'utf8');
    case 'utf-8 with BOM':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(bytes.text, 'utf8')]);
    case 'utf-16le':
      return Buffer.from(bytes.text, 'utf16le');
    case 'utf-16le with BOM':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(bytes.text, 'utf16le')]);
    case 'utf-16be with BOM':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(bytes.text, 'utf16le').swap16()]);
    case 'invalid utf-8': {
      const ascii = Buffer.from(bytes.text, 'latin1');
      return Buffer.concat([ascii.subarray(0, bytes.at), Buffer.from(bytes.invalid ?? []), ascii.subarray(bytes.at)]);
    }
    default:
      throw new Error(`unknown form ${bytes.form}`);
  }
}

/** A body of exactly `size` bytes: a JSON object with an unknown padding property, a JSON object padded with whitespace, garbage, or invalid UTF-8. */
function bodyOfSize(size: number, filler: string): Uint8Array {
  switch (filler) {
    case 'unknown property': {
      const shell = '{"padding":""}';
      return Buffer.from(shell.slice(0, -2) + 'x'.repeat(size - shell.length) + shell.slice(-2));
    }
    case 'whitespace': {
      // Whitespace alone changes nothing: an update of `{}` is refused (422), creates lack their required members.
      return Buffer.from('{}' + ' '.repeat(size - 2));
    }
    case 'garbage':
      return Buffer.from('{'.repeat(size));
    case 'invalid utf-8':
      return Buffer.alloc(size, 0xff);
    default:
      throw new Error(`unknown filler ${filler}`);
  }
}
