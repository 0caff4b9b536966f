import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { BUILT_HOST } from '../host-process';
import { startBenchEmulator } from './emulator';
import { measureWriteGoodput } from './goodput';
import { rounded } from './numbers';
import { type Profile, profileFrom } from './options';
import { measurePackage } from './package-size';
import { Processes } from './processes';
import { formatReport, machine, type Results } from './report';
import { measurePeakRss } from './rss';
import { describeStartup, type Entries, findEntries, measureStartupOnce, startupFigures, type StartupSample } from './startup';
import { preflight, startTargets } from './targets';
import { CONFIGURATIONS, cpuPerRequest, describeSample, measureOnce, type Sample, throughputRows, warmUpAll } from './throughput';

/**
 * `npm run bench [-- --quick]`: the facade's performance figures, measured in one run on one
 * machine: throughput and latency against Graph direct and a bare proxy, CPU per request, peak
 * memory, cold start, import time, deployment package size and write goodput under Intune's
 * throttling. Prints a table and writes bench-results.json at the project root. A measurement,
 * not a test: it exits non-zero only when a phase could not be measured.
 */

const PROJECT_ROOT = join(BUILT_HOST, '..', '..', '..');
const RESULTS_FILE = join(PROJECT_ROOT, 'bench-results.json');

const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

/** Runs one phase; a failure is recorded and reported, and the other phases still run. */
async function phase<T>(name: string, errors: string[], run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    const message = `${name}: ${(error as Error).message}`;
    errors.push(message);
    log(`FAILED ${message}`);
    return undefined;
  }
}

function emptyResults(profile: Profile, entries: Entries): Results {
  const none = { GET: null, PATCH: null };
  return {
    throughput: [],
    cpuPerRequestMs: none,
    ...startupFigures([], entries),
    packageZipBytes: null,
    peakRssMiB: null,
    writeGoodputShare: null,
    machine: machine(),
    profile,
    proxyCpuPerRequestMs: none,
    directCpuPerRequestMs: none,
    bundled: entries.bundled,
    packageFiles: null,
    packageBytes: null,
    packageZippedWith: null,
    rss: null,
    goodput: null,
    failedWrites: null,
    durationSeconds: 0,
    errors: [],
  };
}

async function measure(profile: Profile, entries: Entries, processes: Processes, results: Results): Promise<void> {
  const { errors } = results;
  log('Starting the Graph emulator, the proxy host and the facade host...');
  const emulator = await startBenchEmulator(processes);
  const targets = await startTargets(emulator, processes);
  await preflight(targets, emulator);
  await warmUpAll(targets, emulator, profile);

  // Rep 1 of every configuration, then rep 2 of every configuration, ...: a slow spell on the
  // machine lands on all of them alike. A family that fails is not tried again in later reps.
  const samples: Sample[] = [];
  const startup: StartupSample[] = [];
  let throughputOk = true;
  let startupOk = true;
  for (let rep = 1; rep <= profile.reps; rep++) {
    log(`Repetition ${rep} of ${profile.reps}`);
    throughputOk &&= Boolean(
      await phase('throughput', errors, async () => {
        for (const configuration of CONFIGURATIONS) {
          const sample = await measureOnce(configuration, targets, emulator, profile);
          samples.push(sample);
          log(`  ${describeSample(sample)}`);
        }
        return true;
      }),
    );
    startupOk &&= Boolean(
      await phase('start-up', errors, async () => {
        const sample = await measureStartupOnce(entries, emulator.environment, processes);
        startup.push(sample);
        log(`  ${describeStartup(sample)}`);
        return true;
      }),
    );
  }
  results.throughput = throughputRows(samples);
  results.cpuPerRequestMs = cpuPerRequest(samples, 'facade');
  results.proxyCpuPerRequestMs = cpuPerRequest(samples, 'proxy');
  results.directCpuPerRequestMs = cpuPerRequest(samples, 'direct');
  Object.assign(results, startupFigures(startup, entries));
  // The throughput hosts are done: stopped, so that they hold no memory or CPU in later phases.
  await targets.proxyHost.stop();
  await targets.facadeHost.stop();

  log(`Peak RSS: a fresh facade host at 32 connections for ${profile.rssSeconds} s...`);
  const rss = await phase('peak RSS', errors, () => measurePeakRss(emulator, processes, profile.rssSeconds));
  if (rss) {
    results.rss = {
      ...rss,
      peakMiB: rounded(rss.peakMiB, 1) ?? 0,
      sampledMaxMiB: rounded(rss.sampledMaxMiB, 1) ?? 0,
      idleMiB: rounded(rss.idleMiB, 1) ?? 0,
    };
    results.peakRssMiB = rounded(rss.peakMiB, 1);
  }

  log('Deployment package: scripts/package-deploy.mjs into a temporary folder, then zip...');
  const pkg = await phase('deployment package', errors, () => measurePackage(processes));
  if (pkg) {
    results.packageZipBytes = pkg.zipBytes;
    results.packageFiles = pkg.files;
    results.packageBytes = pkg.bytes;
    results.packageZippedWith = pkg.zippedWith;
  }

  log(`Write goodput: 20 callers writing for ${profile.goodputSeconds} s under Intune throttling...`);
  const goodput = await phase('write goodput', errors, () =>
    measureWriteGoodput(emulator, processes, profile.goodputSeconds, profile.goodputDrainSeconds),
  );
  if (goodput) {
    results.goodput = {
      ...goodput,
      share: rounded(goodput.share, 3) ?? 0,
      windowSeconds: rounded(goodput.windowSeconds, 1) ?? 0,
    };
    results.writeGoodputShare = rounded(goodput.share, 3);
    results.failedWrites = goodput.failed;
  }
}

async function main(): Promise<number> {
  const profile = profileFrom(process.argv.slice(2));
  const processes = new Processes();
  // Interrupted: stop everything started, then leave.
  const interrupted = () => void processes.stopAll().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const entries = findEntries();
  const results = emptyResults(profile, entries);
  log(
    `Benchmark, ${profile.name} profile, on ${results.machine.cpuModel} (${results.machine.cores} cores), Node.js ${process.version}`,
  );
  try {
    await measure(profile, entries, processes, results);
  } catch (error) {
    results.errors.push(`set-up: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await processes.stopAll();
  }
  results.durationSeconds = rounded((performance.now() - started) / 1000, 1) ?? 0;
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatReport(results)}\n`);
  console.log(`Written ${RESULTS_FILE}`);
  const total = results.durationSeconds;
  console.log(`Total duration: ${Math.floor(total / 60)} min ${Math.round(total % 60)} s`);
  return results.errors.length > 0 ? 1 : 0;
}

// Exits explicitly: callers cut off at the end of the goodput run may still hold retry timers.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
