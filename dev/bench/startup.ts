import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { BUILT_HOST } from '../host-process';
import { median, rounded } from './numbers';
import { type Processes, startBenchHost, stopChild } from './processes';

/**
 * Cold-start figures: how long from spawning the local host until it answers, how long the entry
 * file takes to load, and what an empty Node.js start costs (the floor under both). Each is one
 * fresh process; main.ts repeats them with the throughput configurations and takes medians.
 * Entries: package.json `main` as the host serves it by default; the bundle and the compiled
 * dist/src/index.js through FACADE_ENTRY where they differ from it, so that both are compared.
 */

const PROJECT_ROOT = join(BUILT_HOST, '..', '..', '..');
/** The compiled, unbundled entry (tsc's output of src/index.ts). */
export const COMPILED_ENTRY = join(PROJECT_ROOT, 'dist', 'src', 'index.js');
/** The esbuild bundle, when the build makes one. */
export const BUNDLE_ENTRY = join(PROJECT_ROOT, 'dist', 'bundle', 'index.js');
const FUNCTIONS_RUNTIME = join(PROJECT_ROOT, 'dist', 'dev', 'functions-runtime.js');

/** The entry files the start-up figures are taken for, found once at the start of the run. */
export interface Entries {
  /** package.json `main`, relative: what the host (and Azure) loads without FACADE_ENTRY. */
  readonly main: string;
  readonly bundled: boolean;
  /** The bundle when there is one, else the compiled entry: the one whose import is timed. */
  readonly imported: string;
  /** The compiled entry, timed too when it is neither `main` nor `imported`, for comparison. */
  readonly unbundled: string | undefined;
}

export function findEntries(): Entries {
  const { main } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { main: string };
  const bundled = existsSync(BUNDLE_ENTRY);
  const mainIsCompiled = join(PROJECT_ROOT, main) === COMPILED_ENTRY;
  return {
    main,
    bundled,
    imported: bundled ? BUNDLE_ENTRY : COMPILED_ENTRY,
    unbundled: bundled && !mainIsCompiled && existsSync(COMPILED_ENTRY) ? COMPILED_ENTRY : undefined,
  };
}

const POLL_INTERVAL_MS = 5;
const FIRST_RESPONSE_TIMEOUT_MS = 30_000;

/**
 * Spawn of `node dist/dev/host.js` (PORT=0, the emulator's settings, FACADE_ENTRY if given) to
 * the first 200 from GET /api/health, polled every few milliseconds: what a cold instance costs
 * before it can serve.
 */
async function firstResponseMs(environment: Record<string, string>, processes: Processes, entry?: string): Promise<number> {
  const started = performance.now();
  const host = await startBenchHost('start-up host', { ...environment, ...(entry ? { FACADE_ENTRY: entry } : {}) }, processes);
  try {
    while (performance.now() - started < FIRST_RESPONSE_TIMEOUT_MS) {
      const status = await fetch(`${host.apiUrl}/health`).then(
        async (response) => (await response.arrayBuffer(), response.status),
        () => 0,
      );
      if (status === 200) return performance.now() - started;
      if (!host.alive()) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    throw new Error(`the host (${entry ?? 'default entry'}) never answered /api/health 200:\n${host.tail()}`);
  } finally {
    await host.stop();
  }
}

/** Runs `node <args>` to its end, bounded; answers its stdout and the wall time from spawn to exit. */
function runNode(
  args: readonly string[],
  environment: Record<string, string>,
  processes: Processes,
): Promise<{ stdout: string; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = processes.add('node -e', () => stopChild(child, 1000));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void stop(), 30_000);
    child.once('exit', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      void stop();
      if (code === 0) resolve({ stdout, ms });
      else reject(new Error(`node ${args[0]} exited with ${code ?? signal}:\n${stderr}`));
    });
  });
}

/**
 * The time `loadFunctionApp(entry)` takes in a fresh process: the entry required with
 * `@azure/functions-core` stubbed exactly as the local host does (dev/functions-runtime.ts), so
 * every `app.http` and `app.storageQueue` registers. Only the load is timed, not the process
 * start nor the stub module.
 * Exits explicitly: an entry may leave handles (clients, timers) that would hold the process.
 */
async function importMs(entry: string, environment: Record<string, string>, processes: Processes): Promise<number> {
  const script = [
    `const { loadFunctionApp } = require(${JSON.stringify(FUNCTIONS_RUNTIME)});`,
    'const started = performance.now();',
    `const { http, queues } = loadFunctionApp(${JSON.stringify(entry)});`,
    'const ms = performance.now() - started;',
    'process.stdout.write(JSON.stringify({ ms, functions: http.length + queues.length }));',
    'process.exit(0);',
  ].join('\n');
  const { stdout } = await runNode(['-e', script], environment, processes);
  const { ms, functions } = JSON.parse(stdout) as { ms: number; functions: number };
  if (functions === 0) throw new Error(`${entry} registered no function`);
  return ms;
}

/** Spawn to exit of `node -e 0`: the part of every figure above that no entry can remove. */
async function nodeStartupMs(processes: Processes): Promise<number> {
  return (await runNode(['-e', '0'], {}, processes)).ms;
}

/** One repetition of every start-up figure; the optional ones only where their entry applies. */
export interface StartupSample {
  readonly mainHostMs: number;
  readonly bundleHostMs?: number;
  readonly unbundledHostMs?: number;
  readonly importMs: number;
  readonly unbundledImportMs?: number;
  readonly nodeMs: number;
}

export async function measureStartupOnce(
  entries: Entries,
  environment: Record<string, string>,
  processes: Processes,
): Promise<StartupSample> {
  const mainHostMs = await firstResponseMs(environment, processes);
  const bundleHostMs = entries.bundled ? await firstResponseMs(environment, processes, BUNDLE_ENTRY) : undefined;
  const unbundledHostMs = entries.unbundled ? await firstResponseMs(environment, processes, entries.unbundled) : undefined;
  const imported = await importMs(entries.imported, environment, processes);
  const unbundledImportMs = entries.unbundled ? await importMs(entries.unbundled, environment, processes) : undefined;
  const nodeMs = await nodeStartupMs(processes);
  return {
    mainHostMs,
    ...(bundleHostMs === undefined ? {} : { bundleHostMs }),
    ...(unbundledHostMs === undefined ? {} : { unbundledHostMs }),
    importMs: imported,
    ...(unbundledImportMs === undefined ? {} : { unbundledImportMs }),
    nodeMs,
  };
}

const ms = (value: number | undefined) => (value === undefined ? '' : `${value.toFixed(0)} ms`);

export function describeStartup(sample: StartupSample): string {
  return (
    `spawn → first 200: main ${ms(sample.mainHostMs)}` +
    (sample.bundleHostMs === undefined ? '' : `, bundle ${ms(sample.bundleHostMs)}`) +
    (sample.unbundledHostMs === undefined ? '' : `, dist/src ${ms(sample.unbundledHostMs)}`) +
    `; import ${ms(sample.importMs)}` +
    (sample.unbundledImportMs === undefined ? '' : ` (dist/src ${ms(sample.unbundledImportMs)})`) +
    `; node -e 0 ${ms(sample.nodeMs)}`
  );
}

/** Medians over the repetitions; null where the entry did not apply (or the phase failed). */
export interface StartupFigures {
  /** Spawn → first 200 with package.json `main` (no FACADE_ENTRY). */
  readonly firstResponseMs: number | null;
  readonly firstResponseEntry: string;
  /** With FACADE_ENTRY=dist/bundle/index.js, when the bundle exists. */
  readonly firstResponseBundledMs: number | null;
  /** With FACADE_ENTRY=dist/src/index.js, when `main` is the bundle. */
  readonly firstResponseUnbundledMs: number | null;
  readonly importMs: number | null;
  readonly importEntry: string;
  /** dist/src/index.js, when the bundle is the entry timed. */
  readonly importUnbundledMs: number | null;
  readonly nodeStartupMs: number | null;
}

export function startupFigures(samples: readonly StartupSample[], entries: Entries): StartupFigures {
  const med = (pick: (sample: StartupSample) => number | undefined, digits = 0) =>
    rounded(median(samples.map(pick).filter((value): value is number => value !== undefined)), digits);
  return {
    firstResponseMs: med((s) => s.mainHostMs),
    firstResponseEntry: entries.main,
    firstResponseBundledMs: med((s) => s.bundleHostMs),
    firstResponseUnbundledMs: med((s) => s.unbundledHostMs),
    importMs: med((s) => s.importMs, 1),
    importEntry: relative(PROJECT_ROOT, entries.imported),
    importUnbundledMs: med((s) => s.unbundledImportMs, 1),
    nodeStartupMs: med((s) => s.nodeMs),
  };
}
