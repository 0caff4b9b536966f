import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

import { SEEDED_IDS } from '../graph-emulator/state';
import type { BenchEmulator } from './emulator';
import type { RequestSpec } from './load';
import { type BenchHost, type Processes, startBenchHost } from './processes';

/**
 * The three things measured, each asked for the same entity: Graph (the emulator) directly over
 * HTTPS, the bare proxy (proxy-app.ts) in the local host stand-in, and the facade in the same
 * host. All three serve one Graph read or one Graph write per request, so that their figures
 * compare the layers and not the amount of work:
 *
 * - Graph's PATCH answers 204 by default (as Intune does in practice), and the facade then reads
 *   the entity back with a second Graph call. The emulator is switched to honour
 *   `Prefer: return=representation` (behaviour honourPrefer), which the facade sends, so that a
 *   facade PATCH is one Graph call answered 200 with the entity; direct and proxy send the same
 *   Prefer and get the same answer. The preflight proves the one call.
 * - Throttling is off and the facade's write budget is off (GRAPH_BUDGET=off): raw figures.
 */

export type Op = 'GET' | 'PATCH';
export type TargetName = 'direct' | 'proxy' | 'facade';
export const OPS: readonly Op[] = ['GET', 'PATCH'];
export const TARGET_NAMES: readonly TargetName[] = ['direct', 'proxy', 'facade'];

const CONFIGURATION_ID = SEEDED_IDS.mobileAppConfiguration;
const GRAPH_PATH = `/v1.0/deviceAppManagement/mobileAppConfigurations/${CONFIGURATION_ID}/userStatusSummary`;
const FACADE_PATH = `/mobile-app-configurations/${CONFIGURATION_ID}/user-status-summary`;
/** The same body every time: a PATCH of a value already there is still a full write for Graph. */
export const PATCH_BODY = JSON.stringify({ pendingCount: 7 });

export interface Target {
  readonly name: TargetName;
  /** The process that serves it: the emulator for direct, the host for proxy and facade. */
  readonly pid: number;
  request(op: Op): RequestSpec;
}

export interface Targets {
  readonly byName: Readonly<Record<TargetName, Target>>;
  readonly facadeHost: BenchHost;
  readonly proxyHost: BenchHost;
}

/** The facade's settings for raw figures: the emulator, the budget off, idempotency keys in memory. */
export const facadeEnvironment = (emulator: BenchEmulator): Record<string, string> => ({
  ...emulator.environment,
  GRAPH_BUDGET: 'off',
});

/** The facade's request for `op`; also used by the RSS phase. */
export function facadeRequest(apiUrl: string, op: Op): RequestSpec {
  return op === 'GET'
    ? { url: `${apiUrl}${FACADE_PATH}`, method: 'GET', headers: {} }
    : { url: `${apiUrl}${FACADE_PATH}`, method: 'PATCH', headers: { 'content-type': 'application/json' }, body: PATCH_BODY };
}

function graphRequest(origin: string, op: Op, headers: Record<string, string>, ca?: Buffer): RequestSpec {
  const common = { url: `${origin}${GRAPH_PATH}`, ...(ca ? { ca } : {}) };
  return op === 'GET'
    ? { ...common, method: 'GET', headers }
    : {
        ...common,
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'application/json', prefer: 'return=representation' },
        body: PATCH_BODY,
      };
}

/** Sets the emulator up for raw figures and starts the proxy and facade hosts on it. */
export async function startTargets(emulator: BenchEmulator, processes: Processes): Promise<Targets> {
  await emulator.control('PUT', '/throttling', { enabled: false });
  await emulator.control('PUT', '/behaviour', { honourPrefer: true });
  const authorization = `Bearer ${await emulator.token()}`;
  const proxyHost = await startBenchHost(
    'proxy host',
    { ...emulator.environment, FACADE_ENTRY: join(__dirname, 'proxy-app.js') },
    processes,
  );
  const facadeHost = await startBenchHost('facade host', facadeEnvironment(emulator), processes);
  const byName: Record<TargetName, Target> = {
    direct: {
      name: 'direct',
      pid: emulator.pid,
      request: (op) => graphRequest(emulator.graphOrigin, op, { authorization }, emulator.ca),
    },
    proxy: { name: 'proxy', pid: proxyHost.pid, request: (op) => graphRequest(proxyHost.apiUrl, op, {}) },
    facade: { name: 'facade', pid: facadeHost.pid, request: (op) => facadeRequest(facadeHost.apiUrl, op) },
  };
  return { byName, facadeHost, proxyHost };
}

/** One request, certificate verified (unlike autocannon, which never verifies). */
export function sendOnce(spec: RequestSpec): Promise<{ status: number; text: string }> {
  const url = new URL(spec.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      { method: spec.method, headers: spec.headers, timeout: 10_000, agent: false, ...(spec.ca ? { ca: spec.ca } : {}) },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`${spec.method} ${spec.url} timed out`)));
    request.on('error', reject);
    request.end(spec.body);
  });
}

/**
 * Before measuring: every target answers every op 200 with the entity, and a facade PATCH is
 * exactly one Graph request. A mistake in the set-up fails here, not as a table of 4xx rates.
 */
export async function preflight(targets: Targets, emulator: BenchEmulator): Promise<void> {
  for (const target of Object.values(targets.byName)) {
    for (const op of OPS) {
      await emulator.control('DELETE', '/requests');
      const spec = target.request(op);
      const { status, text } = await sendOnce(spec);
      if (status !== 200 || !text.includes('"pendingCount"'))
        throw new Error(`preflight: ${target.name} ${op} ${spec.url} answered ${status}: ${text.slice(0, 500)}`);
      // Only calls for the entity count: a host may also touch Graph on its own (a connection warm-up).
      const { requests } = (await emulator.control('GET', '/requests')) as { requests: { method: string; path: string }[] };
      const calls = requests.filter((request) => request.path.endsWith('/userStatusSummary'));
      if (calls.length !== 1)
        throw new Error(
          `preflight: ${target.name} ${op} made ${calls.length} Graph calls, not 1: ${calls.map((c) => c.method).join(', ')}`,
        );
    }
  }
  await emulator.control('DELETE', '/requests');
}
