import { cpus, loadavg } from 'node:os';

import type { GoodputFigures } from './goodput';
import { rounded } from './numbers';
import type { Profile } from './options';
import type { PackageFigures } from './package-size';
import type { RssFigures } from './rss';
import type { StartupFigures } from './startup';
import type { ThroughputRow } from './throughput';

/**
 * The benchmark's results: the object written to bench-results.json (the required fields first,
 * then the extras that explain them) and the table printed for people. Nothing here measures.
 */

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly node: string;
  readonly date: string;
  /** The 1-minute load average when the benchmark started: other work on the machine skews every figure. */
  readonly loadAverageAtStart: number | null;
}

export function machine(): Machine {
  const all = cpus();
  return {
    cpuModel: all[0]?.model.trim() ?? 'unknown',
    cores: all.length,
    node: process.version,
    date: new Date().toISOString(),
    loadAverageAtStart: rounded(loadavg()[0] ?? Number.NaN, 2),
  };
}

type PerOp = { GET: number | null; PATCH: number | null };

/** Everything measured; a phase that failed leaves its fields null and says why in `errors`. */
export interface Results extends StartupFigures {
  throughput: ThroughputRow[];
  cpuPerRequestMs: PerOp;
  packageZipBytes: number | null;
  peakRssMiB: number | null;
  writeGoodputShare: number | null;
  // Extras.
  machine: Machine;
  profile: Profile;
  proxyCpuPerRequestMs: PerOp;
  /** The emulator's CPU per request when called directly: Graph's own cost, for scale. */
  directCpuPerRequestMs: PerOp;
  /** Whether dist/bundle/index.js exists. */
  bundled: boolean;
  packageFiles: number | null;
  packageBytes: number | null;
  packageZippedWith: PackageFigures['zippedWith'] | null;
  rss: RssFigures | null;
  goodput: GoodputFigures | null;
  failedWrites: number | null;
  durationSeconds: number;
  errors: string[];
}

const cell = (value: number | null, digits = 0) => (value === null ? '—' : value.toFixed(digits));
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function throughputTable(rows: readonly ThroughputRow[]): string {
  const target = (rps: number | null, p50: number | null, p99: number | null) =>
    `${cell(rps).padStart(6)} (${cell(p50, 2)} / ${cell(p99, 2)})`.padEnd(24);
  const lines = [
    `${'op'.padEnd(6)}${'conns'.padStart(5)} | ${'direct'.padEnd(24)}| ${'proxy'.padEnd(24)}| ${'facade'.padEnd(24)}| facade÷direct | facade÷proxy`,
    '-'.repeat(122),
  ];
  for (const row of rows) {
    const failed = row.failedRequests > 0 ? `  (${row.failedRequests} failed requests)` : '';
    lines.push(
      `${row.op.padEnd(6)}${String(row.connections).padStart(5)} | ` +
        `${target(row.directRps, row.directP50Ms, row.directP99Ms)}| ` +
        `${target(row.proxyRps, row.proxyP50Ms, row.proxyP99Ms)}| ` +
        `${target(row.facadeRps, row.facadeP50Ms, row.facadeP99Ms)}| ` +
        `${cell(row.facadeOverDirect, 3).padStart(13)} | ${cell(row.facadeOverProxy, 3).padStart(12)}${failed}`,
    );
  }
  return lines.join('\n');
}

export function formatReport(results: Results): string {
  const { machine: m, profile: p } = results;
  const perOp = (figures: PerOp) => `GET ${cell(figures.GET, 3)} ms, PATCH ${cell(figures.PATCH, 3)} ms`;
  const reps = `median of ${p.reps}`;
  const lines = [
    `Machine: ${m.cpuModel}, ${m.cores} cores, Node.js ${m.node}, ${m.date}, load average ${cell(m.loadAverageAtStart, 2)} at start`,
    `Profile: ${p.name}: ${p.reps} repetition(s), ${p.warmupSeconds} s warm-up + ${p.measureSeconds} s per measurement`,
    '',
    `Throughput, requests/s (p50 / p99 latency, ms), ${reps}; keep-alive connections:`,
    throughputTable(results.throughput),
    '',
    `CPU per request at 8 connections (${reps}): facade host ${perOp(results.cpuPerRequestMs)}; ` +
      `proxy host ${perOp(results.proxyCpuPerRequestMs)}; emulator (direct) ${perOp(results.directCpuPerRequestMs)}`,
  ];
  const rss = results.rss;
  lines.push(
    rss
      ? `Peak RSS of the facade host, 32 connections for ${p.rssSeconds} s: ${rss.peakMiB.toFixed(1)} MiB ` +
          `(idle ${rss.idleMiB.toFixed(1)} MiB, highest sample ${rss.sampledMaxMiB.toFixed(1)} MiB, ${rss.requests} requests served)`
      : 'Peak RSS: not measured',
    `Spawn → first 200 of the local host (${reps}): ${cell(results.firstResponseMs)} ms with main (${results.firstResponseEntry})` +
      (results.bundled
        ? `; FACADE_ENTRY=dist/bundle/index.js ${cell(results.firstResponseBundledMs)} ms`
        : '; no bundle (dist/bundle/index.js absent), bundled: false') +
      (results.firstResponseUnbundledMs === null
        ? ''
        : `; FACADE_ENTRY=dist/src/index.js ${cell(results.firstResponseUnbundledMs)} ms`),
    `Import of ${results.importEntry} (${reps}): ${cell(results.importMs, 1)} ms` +
      (results.importUnbundledMs === null ? '' : ` (dist/src/index.js: ${cell(results.importUnbundledMs, 1)} ms)`) +
      `; node -e 0 start-up: ${cell(results.nodeStartupMs)} ms`,
    results.packageZipBytes === null
      ? 'Deployment package: not measured'
      : `Deployment package: ${results.packageFiles} files, ${mib(results.packageZipBytes)} MiB zipped ` +
          `(${results.packageZipBytes} bytes, ${results.packageZippedWith}; ${mib(results.packageBytes ?? 0)} MiB unzipped)`,
  );
  const g = results.goodput;
  lines.push(
    g
      ? `Write goodput under Intune throttling (20 callers, ${g.windowSeconds.toFixed(1)} s): ${g.share.toFixed(3)} of 100 writes / 20 s ` +
          `(${g.applied} applied in the window); of the writes started in it, ${g.succeeded} succeeded, ${g.failed} failed, ` +
          `${g.unfinished} unfinished; ` +
          `${g.graphThrottled} Graph 429s`
      : 'Write goodput: not measured',
  );
  if (results.errors.length > 0) lines.push('', 'Phases that failed:', ...results.errors.map((error) => `  - ${error}`));
  return lines.join('\n');
}
