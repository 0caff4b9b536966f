import type { AddressInfo } from 'node:net';

import type { RegisteredHttpFunction } from '../../dev/functions-runtime';
import { createLocalHost, findRoute, routingOrder } from '../../dev/host';
import { CATALOG, operationsOf } from '../../src/catalog/operations';
import { type Resource, RESOURCES } from '../../src/catalog/resources';
import { routeTableMarkdown } from '../../src/catalog/route-table';
import { systemClock } from '../../src/clock';
import { facadeFunctions } from '../../src/functions/app';
import type { GraphGateway } from '../../src/graph/gateway';
import { MemoryIdempotencyStore } from '../../src/idempotency/memory-store';
import type { TokenInspector } from '../../src/identity/token-claims';
import type { OperationDependencies } from '../../src/operations/pipeline';
import { deviceComplianceUserOverview } from '../../src/schemas/entities';

// A fifth resource of an existing kind, declared in one entry of a copy of the catalog.
const deviceStatusOverview: Resource = {
  noun: 'DeviceCompliancePolicyDeviceStatusOverview',
  phrases: { one: "a device compliance policy's device status overview" },
  route: 'device-compliance-policies/{policyId}/device-status-overview',
  graphPath: '/deviceManagement/deviceCompliancePolicies/{policyId}/deviceStatusOverview',
  graphVersions: ['v1.0', 'beta'],
  entity: deviceComplianceUserOverview,
  permission: 'DeviceManagementConfiguration.ReadWrite.All',
  kinds: ['read', 'update'],
  exampleParameters: { policyId: 'policy-1' },
};
const catalog = operationsOf([...RESOURCES, deviceStatusOverview]);

// Only requests refused before Graph are sent below, so Graph must never be reached.
const unreachableGraph: GraphGateway = {
  send: () => Promise.reject(new Error('Graph must not be called for a request refused by validation')),
  warmUp: () => Promise.resolve(),
};
const noToken: TokenInspector = { read: () => Promise.resolve({ ok: false, reason: 'no token in this test' }) };
const dependencies: OperationDependencies = {
  graph: unreachableGraph,
  idempotency: new MemoryIdempotencyStore(),
  clock: systemClock,
  timeBudgetMs: 5000,
  inDoubtWindowMs: 10_000,
  token: noToken,
};
const functions = facadeFunctions(
  {
    callers: { mode: 'function-key', platformAuthentication: false },
    graphIdentities: { use: 'where-required', onBehalfOf: undefined },
    operations: dependencies,
    health: {
      graphCloud: 'Global',
      graphRoot: 'https://graph.microsoft.com',
      graphRootOverridden: false,
      credential: 'none in this test',
      idempotencyStore: dependencies.idempotency.description,
      timeBudgetSeconds: 5,
      inDoubtWindowSeconds: 10,
      graphBudget: { mode: 'off', writesPer20Seconds: 95, readsPer20Seconds: 800, instanceCap: 40 },
      operations: catalog.length,
    },
    diagnostics: { ...dependencies, cacheMs: 0, cloud: 'Global', graphRoot: 'https://graph.microsoft.com' },
  },
  catalog,
) as unknown as RegisteredHttpFunction[];

test('its operations are derived: names, summaries, methods, routes and Graph paths', () => {
  expect(catalog).toHaveLength(CATALOG.length + 2);
  expect(
    catalog.slice(-2).map(({ name, summary, method, route, graphPath }) => ({ name, summary, method, route, graphPath })),
  ).toEqual([
    {
      name: 'GetDeviceCompliancePolicyDeviceStatusOverview',
      summary: "Get a device compliance policy's device status overview",
      method: 'GET',
      route: 'device-compliance-policies/{policyId}/device-status-overview',
      graphPath: '/deviceManagement/deviceCompliancePolicies/{policyId}/deviceStatusOverview',
    },
    {
      name: 'UpdateDeviceCompliancePolicyDeviceStatusOverview',
      summary: "Update a device compliance policy's device status overview",
      method: 'PATCH',
      route: 'device-compliance-policies/{policyId}/device-status-overview',
      graphPath: '/deviceManagement/deviceCompliancePolicies/{policyId}/deviceStatusOverview',
    },
  ]);
});

test('its functions are registered and routed, a 405 function included', () => {
  const ordered = routingOrder(functions);
  expect(findRoute(ordered, 'GET', 'device-compliance-policies/p/device-status-overview')?.fn.name).toBe(
    'GetDeviceCompliancePolicyDeviceStatusOverview',
  );
  expect(findRoute(ordered, 'PATCH', 'device-compliance-policies/p/device-status-overview')?.fn.name).toBe(
    'UpdateDeviceCompliancePolicyDeviceStatusOverview',
  );
  expect(findRoute(ordered, 'DELETE', 'device-compliance-policies/p/device-status-overview')?.fn.name).toBe(
    'MethodNotAllowed_device-compliance-policies_policyId_device-status-overview',
  );
});

test('its requests are validated against its entity, served by the local host', async () => {
  const server = createLocalHost(functions);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/device-compliance-policies`;
    const patch = await fetch(`${base}/p/device-status-overview`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pendingCount: -1, colour: 'blue' }),
    });
    expect(patch.status).toBe(422);
    const problem = (await patch.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((error) => error.pointer).sort()).toEqual(['/colour', '/pendingCount']);
    const badId = await fetch(`${base}/bad%2Fid/device-status-overview`);
    expect(badId.status).toBe(422);
    const wrongMethod = await fetch(`${base}/p/device-status-overview`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, PATCH');
  } finally {
    server.close();
  }
});

test('it is described in the route table of the docs', () => {
  expect(routeTableMarkdown(catalog)).toContain(
    '| `/api/device-compliance-policies/{policyId}/device-status-overview` | GET, PATCH | `/deviceManagement/deviceCompliancePolicies/{policyId}/deviceStatusOverview` |',
  );
});
