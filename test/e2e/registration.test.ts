import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createCoreApiStandIn } from '../../dev/functions-runtime';
import { findRoute, routingOrder } from '../../dev/host';
import { CATALOG, catalogRoutes } from '../../src/catalog/operations';
import { routeParameters } from '../../src/catalog/operations';
import { CATCH_ALL_NAME, methodNotAllowedName } from '../../src/functions/app';
import { startHostProcess } from '../support/stack';
import { testStorage } from '../support/storage';

// `@azure/functions` registers each function through `@azure/functions-core`, which only the
// Functions worker provides. Providing it here records the registrations exactly as the worker
// receives them when it loads the app's entry file.
const mockCore = createCoreApiStandIn();
jest.mock('@azure/functions-core', () => mockCore.coreApi, { virtual: true });

const projectRoot = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { main: string };

const summaryOf = (fn: { name: string; route: string; methods: readonly string[]; authLevel: string }) => ({
  name: fn.name,
  route: fn.route,
  methods: [...fn.methods].sort(),
  authLevel: fn.authLevel,
});

beforeAll(() => {
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry, loaded by path as the worker loads it
    require(join(projectRoot, manifest.main));
  });
});

test('package.json main is the bundle: the app every test, `npm start` and Azure run', () => {
  expect(manifest.main).toBe('dist/bundle/index.js');
});

test('every catalog operation is registered with app.http: name, route, method, function key', () => {
  const registered = mockCore.registered.map(summaryOf);
  for (const operation of CATALOG) {
    expect(registered).toContainEqual({
      name: operation.name,
      route: operation.route,
      methods: [operation.method],
      authLevel: 'function',
    });
  }
});

test('each route answers 405 for the methods it does not serve, and health and 404 are registered', () => {
  const byName = new Map(mockCore.registered.map((fn) => [fn.name, summaryOf(fn)]));
  for (const [route, methods] of catalogRoutes()) {
    const methodNotAllowed = byName.get(methodNotAllowedName(route));
    expect(methodNotAllowed?.route).toBe(route);
    expect(methodNotAllowed?.authLevel).toBe('function');
    for (const method of methods) expect(methodNotAllowed?.methods).not.toContain(method);
  }
  expect(byName.get('Health')).toEqual({ name: 'Health', route: 'health', methods: ['GET'], authLevel: 'anonymous' });
  expect(byName.get(CATCH_ALL_NAME)?.route).toBe('{*path}');
  expect(byName.get(methodNotAllowedName('health'))?.methods).not.toContain('GET');
  // The descriptions and the reference page: anonymous GETs, each with its 405.
  const descriptionRoutes: [string, string][] = [
    ['OpenApiDescription', 'openapi.json'],
    ['SwaggerDescription', 'swagger.json'],
    ['ApiReference', 'docs'],
    ['ApiReferenceAsset', 'docs/{asset}'],
  ];
  for (const [name, route] of descriptionRoutes) {
    expect(byName.get(name)).toEqual({ name, route, methods: ['GET'], authLevel: 'anonymous' });
    expect(byName.get(methodNotAllowedName(route))?.methods).not.toContain('GET');
  }
  // Beyond the operations and their 405s: health, diagnostics, the write status and the four
  // description routes with their 405s, and the catch-all.
  expect(mockCore.registered).toHaveLength(CATALOG.length + catalogRoutes().size + 2 * 7 + 1);
});

test('routed as the Functions host routes (by function name, first match), every operation reaches its own function', () => {
  const ordered = routingOrder(mockCore.registered);
  expect(ordered.at(-1)?.name).toBe(CATCH_ALL_NAME);
  for (const operation of CATALOG) {
    const path = routeParameters(operation.route).reduce(
      (route, name) => route.replace(`{${name}}`, `some-${name}`),
      operation.route,
    );
    expect(findRoute(ordered, operation.method, path)?.fn.name).toBe(operation.name);
  }
  expect(findRoute(ordered, 'GET', 'health')?.fn.name).toBe('Health');
  expect(findRoute(ordered, 'GET', 'no/such/route')?.fn.name).toBe(CATCH_ALL_NAME);
});

type Listed =
  | { trigger: 'httpTrigger'; name: string; route: string; methods: string[]; authLevel: string }
  | { trigger: 'queueTrigger'; name: string; queueName: string; connection: string };

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
const queueSummaryOf = ({ name, queueName, connection }: { name: string; queueName: string; connection: string }) => ({
  name,
  queueName,
  connection,
});

async function listedBy(baseUrl: string): Promise<Listed[]> {
  return (await (await fetch(baseUrl.replace(/\/api$/, '/admin/functions'))).json()) as Listed[];
}

test('the local host serves exactly the registered set: its HTTP functions and its queue-triggered functions', async () => {
  const host = await startHostProcess({});
  try {
    const listed = await listedBy(host.baseUrl);
    const http = listed.flatMap((fn) => (fn.trigger === 'httpTrigger' ? [summaryOf(fn)] : []));
    expect(http.sort(byName)).toEqual(mockCore.registered.map(summaryOf).sort(byName));
    const queues = listed.flatMap((fn) => (fn.trigger === 'queueTrigger' ? [queueSummaryOf(fn)] : []));
    expect(queues.sort(byName)).toEqual(mockCore.queues.map(queueSummaryOf).sort(byName));
    expect(listed).toHaveLength(mockCore.registered.length + mockCore.queues.length);
  } finally {
    await host.stop();
  }
});

test('with a queue service in its settings, the app registers the same queue-triggered functions for the worker and the local host, which listens for each', async () => {
  // The app decides from its settings which functions it registers: loaded here with the same
  // settings as the host process, into a fresh record that is put back afterwards.
  const settings = { IdempotencyStorage: testStorage(), WRITE_QUEUE_NAME: `writes-${randomBytes(6).toString('hex')}` };
  const kept = { http: mockCore.registered.splice(0), queues: mockCore.queues.splice(0) };
  const environment = { ...process.env };
  let registered: ReturnType<typeof queueSummaryOf>[];
  try {
    Object.assign(process.env, settings);
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry, loaded by path as the worker loads it
      require(join(projectRoot, manifest.main));
    });
    registered = mockCore.queues.map(queueSummaryOf).sort(byName);
  } finally {
    process.env = environment;
    mockCore.registered.splice(0, Infinity, ...kept.http);
    mockCore.queues.splice(0, Infinity, ...kept.queues);
  }
  const host = await startHostProcess(settings);
  try {
    const listed = await listedBy(host.baseUrl);
    expect(listed.flatMap((fn) => (fn.trigger === 'queueTrigger' ? [queueSummaryOf(fn)] : [])).sort(byName)).toEqual(registered);
    for (const { name } of registered) expect(host.output()).toMatch(new RegExp(`Queue trigger ${name}: queue '`));
  } finally {
    await host.stop();
  }
});
