/**
 * The shared part of the hostile-input properties: one facade stack per test file (throttling
 * off, so that valid writes are not slowed), the contract every refusal must meet, and
 * arbitraries of targets. Each property file calls `useHostileStack()` once.
 */
import fc from 'fast-check';

import { CATALOG, type Operation, routeParameters } from '../../src/catalog/operations';
import { type GraphVersion } from '../../src/schemas/entities';
import { BODY_OPERATIONS, effectiveVersion, fillSegments, PATCH_OPERATIONS, validBody, validId } from './hostile';
import { type FacadeResponse, SEEDED_IDS, type Stack, startStack, USERS_SIGN_IN } from './stack';

let stack: Stack;
let seededStatusId: string;

/**
 * Starts the file's stack before its tests and stops it after; with `usersSignIn`, callers may also
 * sign in (CALLER_AUTH=both), for the operations Graph accepts only from users.
 */
export function useHostileStack(options: { usersSignIn?: boolean } = {}): void {
  beforeAll(async () => {
    // Throttling is tested elsewhere; here it would only slow the valid writes down (the facade's
    // own write limiter and the emulator's Intune windows both allow about 100 writes per 20 s).
    stack = await startStack({
      idempotencyStore: 'memory',
      ...(options.usersSignIn ? { appServiceAuth: true } : {}),
      facadeEnvironment: {
        ...(options.usersSignIn ? USERS_SIGN_IN.facadeEnvironment : {}),
        GRAPH_BUDGET: 'off',
      },
    });
    await stack.control('PUT', 'throttling', { enabled: false });
    const list = await stack.call('GET', `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-statuses`);
    seededStatusId = list.json.value[0].id as string;
  });
  afterAll(() => stack.stop());
}

/** The running stack of the file. */
export const hostileStack = (): Stack => stack;

/** The id of the user status the emulator seeds, read when the stack starts. */
export const seededStatus = (): string => seededStatusId;

export const SAFE_TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const PROBLEM_JSON = /^application\/problem\+json(;|$)/;

/** Runs per property; CI can raise them with FC_NUM_RUNS. */
export const RUNS = Number(process.env.FC_NUM_RUNS ?? 100);
export const check = <T>(property: fc.IAsyncPropertyWithHooks<T>, numRuns = RUNS) => fc.assert(property, { numRuns, verbose: 1 });

/** Each run starts with an empty record of what Graph received. */
export function forgetGraphCalls(): void {
  stack.emulator.requests.length = 0;
}

/** Nothing reached Graph (printing what did, if something did). */
export function expectNoGraphCall(): void {
  expect(stack.emulator.requests.map((request) => `${request.method} ${request.url}`)).toEqual([]);
}

/** The caller-facing contract of every refusal: 4xx, problem+json with the same status, a safe correlation id. */
export function expectProblem(answer: FacadeResponse, method: string, status?: number): void {
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

export const parametersNamed = (answer: FacadeResponse) =>
  (answer.json.errors as { parameter?: string }[]).flatMap((error) => (error.parameter === undefined ? [] : [error.parameter]));
export const pointersNamed = (answer: FacadeResponse) =>
  (answer.json.errors as { pointer?: string }[]).flatMap((error) => (error.pointer === undefined ? [] : [error.pointer]));
export const sortedUnique = (values: readonly string[]) => [...new Set(values)].sort();

/** A request path for an operation: ids (already encoded) and an optional query. */
export function pathOf(
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
export const OPERATION_NAMES = CATALOG.map((operation) => operation.name);
export const BODY_OPERATION_NAMES = BODY_OPERATIONS.map((operation) => operation.name);
export const PATCH_OPERATION_NAMES = PATCH_OPERATIONS.map((operation) => operation.name);
export function operationNamed(name: string): Operation {
  const operation = CATALOG.find((candidate) => candidate.name === name);
  if (!operation) throw new Error(`no operation ${name}`);
  return operation;
}

/** Valid ids for every parameter of a route, percent-encoded as a caller would. */
export function validIds(route: string): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    Object.fromEntries(routeParameters(route).map((name) => [name, validId(name, seededStatusId).map(encodeURIComponent)])),
  );
}

/** An operation that takes a body, a version (asked or left to the default), valid ids. */
export const bodyTarget = fc.constantFrom(...BODY_OPERATION_NAMES).chain((name) => {
  const operation = operationNamed(name);
  return fc.record({
    operation: fc.constant(name),
    version: fc.constantFrom<GraphVersion | undefined>(undefined, ...operation.graphVersions),
    ids: validIds(operation.route),
  });
});

export interface Target {
  readonly operation: string;
  readonly version: GraphVersion | undefined;
  readonly ids: Record<string, string>;
}
export const targetPath = (target: Target) =>
  pathOf(operationNamed(target.operation).route, target.ids, { graphVersion: target.version });
export const targetMethod = (target: Target) => operationNamed(target.operation).method;
export const targetVersion = (target: Target) => effectiveVersion(operationNamed(target.operation), target.version);

/** A target and a body within the contract for it. */
export const bodyTargetWithValidBody = bodyTarget.chain((target) =>
  validBody(operationNamed(target.operation), targetVersion(target)).map((body) => ({ ...target, body })),
);
