/**
 * Hostile paths and methods on every route of the catalog: invalid ids and query values, malformed
 * percent-escapes, methods a route does not serve, OPTIONS, paths that name no route. Each is
 * refused with problem+json and never reaches Graph.
 */
import fc from 'fast-check';

import { type Operation, routeParameters } from '../../src/catalog/operations';
import { type GraphVersion } from '../../src/schemas/entities';
import {
  CALLER_METHODS,
  effectiveVersion,
  fillSegments,
  invalidId,
  namesARoute,
  NOT_ALLOWED,
  ROUTES,
  validBody,
  validId,
} from '../support/hostile';
import {
  check,
  expectNoGraphCall,
  expectProblem,
  forgetGraphCalls,
  hostileStack,
  OPERATION_NAMES,
  operationNamed,
  parametersNamed,
  pathOf,
  pointersNamed,
  seededStatus,
  sortedUnique,
  useHostileStack,
  validIds,
} from '../support/hostile-suite';
import { SEEDED_IDS } from '../support/stack';

useHostileStack();

describe('hostile paths and methods never reach Graph', () => {
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
        // Graph's paging tokens are opaque: any characters travel back as they are; only the length is bounded.
        fc.oneof(
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
          fc.constantFrom('LastId%3d%27a b%27 Name=Zoë+1', 'x&$filter=id', 'y#frag', '%ZZ', 'a'.repeat(4096)),
        ),
        fc.constantFrom('', 'a'.repeat(4097)),
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
                validId(name, seededStatus()).map((id) => ({ id, bad: false })),
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
        const answer = await hostileStack().call(operation.method, path, body === undefined ? {} : { body });

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
        const answer = await hostileStack().call(
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

  // A known route asked with a method it does not serve is 405 naming what it does serve,
  // whatever else the request holds (bad ids, bad bodies, odd headers).
  test('every route with every method it does not serve: 405 with Allow', async () => {
    const caseArb = fc.constantFrom(...NOT_ALLOWED).chain(({ route, method }) =>
      fc.record({
        route: fc.constant(route),
        method: fc.constant(method),
        ids: fc.record(
          Object.fromEntries(
            route.parameters.map((name) => [name, fc.oneof(validId(name, seededStatus()), invalidId).map(encodeURIComponent)]),
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
        const answer = await hostileStack().call(
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
        const answer = await hostileStack().call(method, segments.map(encodeURIComponent).join('/'));
        expectProblem(answer, method, 404);
        expectNoGraphCall();
      }),
    );
  });
  // OPTIONS is a method callers (and tools) send: on a route it is a wrong method like any other.
  test('OPTIONS on every route: problem+json 405 with Allow', async () => {
    const caseArb = fc
      .constantFrom(...ROUTES)
      .chain((route) => fc.record({ route: fc.constant(route), ids: validIds(route.route) }));
    await check(
      fc.asyncProperty(caseArb, async ({ route, ids }) => {
        forgetGraphCalls();
        const answer = await hostileStack().call('OPTIONS', fillSegments(route.route, ids));
        expectProblem(answer, 'OPTIONS', 405);
        expect(answer.headers.get('allow')).toBe(route.allowed.join(', '));
        expectNoGraphCall();
      }),
      20,
    );
  });
});
