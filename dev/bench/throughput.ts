import type { BenchEmulator } from './emulator';
import { runLoad } from './load';
import { median, ratio, rounded } from './numbers';
import type { Profile } from './options';
import { cpuTimeMs } from './proc';
import { assertAlive } from './processes';
import { type Op, OPS, TARGET_NAMES, type TargetName, type Targets } from './targets';

/**
 * Throughput and latency of each target, op and connection count, and the CPU each request cost
 * the process serving it. main.ts runs every configuration once per repetition (rep 1 of all,
 * then rep 2 of all, ...), so that a slow minute on the machine hits every configuration alike;
 * the figures are medians over the repetitions.
 */

export const CONNECTIONS = [1, 8, 32] as const;
/** The connection count at which CPU per request is reported. */
export const CPU_CONNECTIONS = 8;

export interface Configuration {
  readonly op: Op;
  readonly connections: number;
  readonly target: TargetName;
}

/** Op, then connections, then target: the three targets of one op and count run back to back. */
export const CONFIGURATIONS: readonly Configuration[] = OPS.flatMap((op) =>
  CONNECTIONS.flatMap((connections) => TARGET_NAMES.map((target) => ({ op, connections, target }))),
);

export interface Sample extends Configuration {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
  readonly statuses: Record<string, number>;
  /** CPU time (user + system) of the serving process over the run, per 2xx answer. */
  readonly cpuMsPerRequest: number;
}

/**
 * One measurement: a warm-up run (JIT, connections, caches), then the measured run with the
 * serving process's CPU time read from /proc before and after. The emulator's request log is
 * emptied around it, so that it does not grow through the benchmark.
 */
export async function measureOnce(
  configuration: Configuration,
  targets: Targets,
  emulator: BenchEmulator,
  profile: Profile,
): Promise<Sample> {
  const target = targets.byName[configuration.target];
  const spec = target.request(configuration.op);
  await runLoad(spec, configuration.connections, profile.warmupSeconds);
  await emulator.control('DELETE', '/requests');
  const cpuBefore = cpuTimeMs(target.pid);
  const result = await runLoad(spec, configuration.connections, profile.measureSeconds);
  const cpuMs = cpuTimeMs(target.pid) - cpuBefore;
  await emulator.control('DELETE', '/requests');
  assertAlive('proxy host', targets.proxyHost);
  assertAlive('facade host', targets.facadeHost);
  return {
    ...configuration,
    rps: result.rps,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    failed: result.failed,
    statuses: result.statuses,
    cpuMsPerRequest: ratio(cpuMs, result.ok),
  };
}

/**
 * Before rep 1: every target and op once at CPU_CONNECTIONS, so that the first configuration
 * measured (GET, 1 connection, direct) does not alone pay for the JIT and the connections.
 */
export async function warmUpAll(targets: Targets, emulator: BenchEmulator, profile: Profile): Promise<void> {
  for (const target of Object.values(targets.byName)) {
    for (const op of OPS) await runLoad(target.request(op), CPU_CONNECTIONS, profile.warmupSeconds);
  }
  await emulator.control('DELETE', '/requests');
}

export function describeSample(sample: Sample): string {
  const failed = sample.failed > 0 ? `, ${sample.failed} failed ${JSON.stringify(sample.statuses)}` : '';
  return (
    `${sample.op.padEnd(5)} c=${String(sample.connections).padEnd(2)} ${sample.target.padEnd(6)} ` +
    `${sample.rps.toFixed(0).padStart(6)} req/s  p50 ${sample.p50Ms.toFixed(2)} ms  p99 ${sample.p99Ms.toFixed(2)} ms  ` +
    `cpu ${sample.cpuMsPerRequest.toFixed(3)} ms/req${failed}`
  );
}

export interface ThroughputRow {
  readonly op: Op;
  readonly connections: number;
  readonly directRps: number | null;
  readonly proxyRps: number | null;
  readonly facadeRps: number | null;
  readonly directP50Ms: number | null;
  readonly proxyP50Ms: number | null;
  readonly facadeP50Ms: number | null;
  readonly directP99Ms: number | null;
  readonly proxyP99Ms: number | null;
  readonly facadeP99Ms: number | null;
  /** Ratios of the median throughputs. */
  readonly facadeOverDirect: number | null;
  readonly facadeOverProxy: number | null;
  /** Non-2xx answers and errors over every repetition of the three targets: 0 when all is well. */
  readonly failedRequests: number;
}

/** Medians over the repetitions, one row per op and connection count. */
export function throughputRows(samples: readonly Sample[]): ThroughputRow[] {
  return OPS.flatMap((op) =>
    CONNECTIONS.map((connections) => {
      const of = (target: TargetName) =>
        samples.filter((s) => s.op === op && s.connections === connections && s.target === target);
      const med = (target: TargetName, pick: (s: Sample) => number) => median(of(target).map(pick));
      const rps = (target: TargetName) => med(target, (s) => s.rps);
      const failedRequests = TARGET_NAMES.flatMap(of).reduce((sum, s) => sum + s.failed, 0);
      return {
        op,
        connections,
        directRps: rounded(rps('direct'), 0),
        proxyRps: rounded(rps('proxy'), 0),
        facadeRps: rounded(rps('facade'), 0),
        directP50Ms: rounded(
          med('direct', (s) => s.p50Ms),
          2,
        ),
        proxyP50Ms: rounded(
          med('proxy', (s) => s.p50Ms),
          2,
        ),
        facadeP50Ms: rounded(
          med('facade', (s) => s.p50Ms),
          2,
        ),
        directP99Ms: rounded(
          med('direct', (s) => s.p99Ms),
          2,
        ),
        proxyP99Ms: rounded(
          med('proxy', (s) => s.p99Ms),
          2,
        ),
        facadeP99Ms: rounded(
          med('facade', (s) => s.p99Ms),
          2,
        ),
        facadeOverDirect: rounded(ratio(rps('facade'), rps('direct')), 3),
        facadeOverProxy: rounded(ratio(rps('facade'), rps('proxy')), 3),
        failedRequests,
      };
    }),
  );
}

/** Median CPU per request at CPU_CONNECTIONS of one target's serving process, per op. */
export function cpuPerRequest(samples: readonly Sample[], target: TargetName): Record<Op, number | null> {
  const at = (op: Op) =>
    median(
      samples
        .filter((s) => s.op === op && s.connections === CPU_CONNECTIONS && s.target === target)
        .map((s) => s.cpuMsPerRequest),
    );
  return { GET: rounded(at('GET'), 3), PATCH: rounded(at('PATCH'), 3) };
}
