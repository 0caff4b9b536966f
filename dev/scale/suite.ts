import { randomBytes } from 'node:crypto';

import type { RunningAzurite } from '../azurite';
import { startGraphEmulator } from '../graph-emulator/server';
import { SEEDED_IDS } from '../graph-emulator/state';
import { type HostProcess, startHostProcess } from '../host-process';
import { HONOURS_EVERY_RETRY_AFTER } from '../reliability/callers';
import { type BudgetMode, figuresOf, type GraphWindow, type RunDetails, type ScaleRow } from './figures';
import { driveLoad } from './load';

/**
 * One scale run: N facade host processes over one Graph emulator throttling at Intune's real
 * limits (no chaos: the run measures the write budget, not fault handling), all hosts sharing
 * one Azurite and, per run, fresh tables; callers write for a fixed time; then the figures.
 */

export interface ScaleRun {
  readonly instances: number;
  readonly budget: BudgetMode;
  readonly callers: number;
  readonly seconds: number;
}

/** The facade's time budget: long enough for a write to wait its turn in the host rather than bounce. */
const TIME_BUDGET_SECONDS = 25;

/**
 * The write budget every host gets. 95 per 20 s leaves Intune's 100 a margin; in shared mode the
 * hosts split it through the budget table, per instance each host spends it all (the old way).
 */
const BUDGET_SETTINGS = { GRAPH_WRITES_PER_20S: '95', GRAPH_WRITE_BURST: '4', GRAPH_MAX_INSTANCES: '40' };

/** A caller waits this long for one answer: the host's time budget and a margin for the host's own work. */
const REQUEST_TIMEOUT_MS = (TIME_BUDGET_SECONDS + 15) * 1000;

/** How long writes under way at the deadline may take to end: a full budget, a Retry-After window and a retry. */
const DRAIN_SECONDS = 45;

/** Starts the hosts one after another, so that a host that fails to start leaves the started ones to be stopped. */
async function startHosts(count: number, environment: Record<string, string>, hosts: HostProcess[]): Promise<void> {
  for (let index = 0; index < count; index++) hosts.push(await startHostProcess(environment));
}

/** A host that died under load would make the figures meaningless: that is the harness failing, not a target missed. */
function assertAlive(hosts: readonly HostProcess[]): void {
  for (const host of hosts) {
    if (host.child.exitCode !== null || host.child.signalCode !== null)
      throw new Error(`facade host ${host.baseUrl} exited during the run:\n${host.output().slice(-4000)}`);
  }
}

/** Runs one configuration; every process it started is stopped before it returns or throws. */
export async function runScale(
  run: ScaleRun,
  azurite: RunningAzurite,
  log: (line: string) => void,
): Promise<{ row: ScaleRow; details: RunDetails }> {
  const tag = randomBytes(4).toString('hex');
  const emulator = await startGraphEmulator();
  const hosts: HostProcess[] = [];
  try {
    // Intune's real throttling (100 writes per 20 s per app, sliding); chaos is off on a new emulator.
    emulator.configureThrottling({ enabled: true });
    await startHosts(
      run.instances,
      {
        ...emulator.facadeEnvironment(),
        IdempotencyStorage: azurite.connectionString,
        // Fresh tables per run: no key or budget record of an earlier run is seen.
        IDEMPOTENCY_TABLE_NAME: `scalekeys${tag}`,
        GRAPH_BUDGET_TABLE_NAME: `scalebudget${tag}`,
        GRAPH_BUDGET: run.budget,
        ...BUDGET_SETTINGS,
        GRAPH_TIME_BUDGET_SECONDS: String(TIME_BUDGET_SECONDS),
      },
      hosts,
    );
    log(`  ${run.instances} host(s) up (${run.budget}); ${run.callers} callers writing for ${run.seconds} s...`);

    let graphWindow = undefined as GraphWindow | undefined;
    const started = performance.now();
    const load = await driveLoad({
      baseUrls: hosts.map((host) => host.baseUrl),
      callers: run.callers,
      seconds: run.seconds,
      drainSeconds: DRAIN_SECONDS,
      // Logic Apps' schedule, honouring every Retry-After the facade gives, at real times.
      policy: HONOURS_EVERY_RETRY_AFTER,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      runTag: tag,
      atDeadline: () => {
        const stats = emulator.stats();
        graphWindow = {
          requests: emulator.requests.length,
          applied: stats.applied.POST + stats.applied.PATCH + stats.applied.DELETE,
          seconds: (performance.now() - started) / 1000,
        };
      },
    });
    assertAlive(hosts);
    if (!graphWindow) throw new Error('the load window never closed');
    return figuresOf({
      instances: run.instances,
      budget: run.budget,
      window: graphWindow,
      requests: emulator.requests,
      state: emulator.state,
      configurationId: SEEDED_IDS.mobileAppConfiguration,
      load,
    });
  } finally {
    await Promise.all(hosts.map((host) => host.stop()));
    await emulator.close();
  }
}
