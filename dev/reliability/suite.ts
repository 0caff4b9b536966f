import { startPrivateAzurite } from '../azurite';
import type { ChaosRequest, ThrottlingRequest } from '../graph-emulator/server';
import { startGraphEmulator } from '../graph-emulator/server';
import { asked, CALLER_KINDS, type CallerKind, callWithRetries, scaled, type Seen } from './callers';
import { type Figures, figuresOf, formatFigures } from './figures';
import { type FrontEnd, startFrontEnd } from './front-end';
import { type Intent, intentsOf, type Outcome } from './intents';

/** How hard to push: the short profile runs inside `npm test`, the full one at Intune's real windows. */
export interface ReliabilityProfile {
  readonly name: string;
  readonly callers: number;
  readonly operationsPerCaller: number;
  /** Caller i is of kind `callerKinds[i % length]`: its retry schedule and how it asks for its writes. */
  readonly callerKinds: readonly CallerKind[];
  /** The emulator's throttling: Intune's limits, or the same rates over a shorter window. */
  readonly throttling: ThrottlingRequest;
  readonly chaos: ChaosRequest;
  /** Facade settings: time budget, in-doubt window and write limiter. */
  readonly facade: Record<string, string>;
  /** The callers' retry schedules, times scaled by this factor. */
  readonly callerTimeScale: number;
  /** Facade hosts behind the front end (1 unless given). */
  readonly hosts?: number;
  /** Kills host 0 with SIGKILL this long into the run, and starts its replacement after `downSeconds`. */
  readonly kill?: { readonly afterSeconds: number; readonly downSeconds: number };
}

/** The callers the suite has always driven: they wait for their writes, half on Logic Apps' schedule. */
const WAITING_CALLERS: readonly CallerKind[] = [CALLER_KINDS.logicAppsDefault, CALLER_KINDS.honoursRetryAfter];

/** The callers writes that outlast them are for: a webhook that never retries, Power Automate's low profile, Logic Apps asking for 202. */
export const OUTLASTING_CALLERS: readonly CallerKind[] = [
  CALLER_KINDS.webhookNoRetry,
  CALLER_KINDS.powerAutomateLow,
  CALLER_KINDS.logicAppsAsync,
];

/** Faults of every kind the write rules sort: refused, applied then failed, and slower than the time budget. */
function faults(budgetSeconds: number): ChaosRequest['outcomes'] {
  return [
    { weight: 3, status: 503, retryAfter: '1' },
    { weight: 2, status: 503 },
    { weight: 2, status: 504 },
    { weight: 1, status: 500 },
    { weight: 1, status: 429, retryAfter: '1' },
    { weight: 2, reset: true },
    { weight: 2, applyThenReset: true },
    { weight: 1, applyThenStatus: 500 },
    { weight: 1, applyThenStatus: 502 },
    { weight: 1, applyThenStatus: 504 },
    { weight: 1, applyThenStatus: 408 },
    { weight: 2, delayMs: 300 },
    // Graph applying a create after the facade stopped waiting for it.
    { weight: 2, method: 'POST', delayMs: (budgetSeconds + 1) * 1000 },
  ];
}

/** Intune's rates (100 writes and 1000 requests per 20 s per app) over a 2 s window, and every time shortened to match. */
const SHORT_SCALE = {
  throttling: {
    enabled: true,
    windowSeconds: 2,
    writesPerApp: 10,
    requestsPerApp: 100,
    writesPerTenant: 20,
    requestsPerTenant: 200,
  },
  chaos: { probability: 0.25, seed: 20261125, outcomes: faults(4) },
  facade: {
    GRAPH_TIME_BUDGET_SECONDS: '4',
    GRAPH_IN_DOUBT_WINDOW_SECONDS: '7',
    GRAPH_WRITES_PER_20S: '90',
    GRAPH_WRITE_BURST: '5',
    // A killed host's message comes back after 3 s instead of the Functions host's 10 minutes.
    LOCAL_HOST_MESSAGE_HOLD_SECONDS: '3',
  },
  callerTimeScale: 0.2,
} as const satisfies Partial<ReliabilityProfile>;

export const SHORT_PROFILE: ReliabilityProfile = {
  name: 'short',
  callers: 8,
  operationsPerCaller: 6,
  callerKinds: WAITING_CALLERS,
  ...SHORT_SCALE,
};

/** The callers writes that outlast them are for, at the short scale. */
export const SHORT_OUTLASTING_PROFILE: ReliabilityProfile = {
  name: 'short, outlasting callers',
  callers: 9,
  operationsPerCaller: 6,
  callerKinds: OUTLASTING_CALLERS,
  ...SHORT_SCALE,
};

/**
 * A host killed with SIGKILL in the middle of the run, with writes under way in its requests and
 * its queue worker, and replaced two seconds later; callers that retry, waiting or asking for 202.
 */
export const SHORT_KILL_PROFILE: ReliabilityProfile = {
  name: 'short, kill -9',
  callers: 8,
  operationsPerCaller: 6,
  callerKinds: [CALLER_KINDS.logicAppsAsync, CALLER_KINDS.logicAppsDefault, CALLER_KINDS.powerAutomateLow],
  hosts: 2,
  kill: { afterSeconds: 2, downSeconds: 2 },
  ...SHORT_SCALE,
};

export const FULL_PROFILE: ReliabilityProfile = {
  name: 'full',
  callers: 30,
  operationsPerCaller: 12,
  callerKinds: [...WAITING_CALLERS, ...OUTLASTING_CALLERS],
  throttling: { enabled: true },
  chaos: { probability: 0.25, seed: 20261125, outcomes: faults(30) },
  facade: {
    GRAPH_TIME_BUDGET_SECONDS: '30',
    GRAPH_IN_DOUBT_WINDOW_SECONDS: '100',
    GRAPH_WRITES_PER_20S: '90',
    GRAPH_WRITE_BURST: '10',
    LOCAL_HOST_MESSAGE_HOLD_SECONDS: '30',
  },
  callerTimeScale: 1,
  hosts: 2,
  kill: { afterSeconds: 30, downSeconds: 10 },
};

/** How long, after the callers are done, the suite waits for the writes the app is still finishing. */
const SETTLE_TIMEOUT_MS = 240_000;

/**
 * Concurrent callers against the built facade hosts, with the emulator throttling at Intune's
 * rates and injecting faults. Each caller is of one kind: it waits for its write on Logic Apps'
 * schedule, or honours every Retry-After, or is Power Automate on its low profile, or asks for
 * 202 (Logic Apps polling, or a webhook that never retries nor polls). Optionally a host is
 * killed mid-run and replaced. Then Graph's final state is compared with what the callers meant
 * to write, and every write's final answer with its success.
 */
export async function runReliabilitySuite(
  profile: ReliabilityProfile,
  log: (line: string) => void = () => undefined,
): Promise<Figures> {
  const started = Date.now();
  const azurite = await startPrivateAzurite();
  const emulator = await startGraphEmulator();
  let frontEnd: FrontEnd | undefined;
  try {
    frontEnd = await startFrontEnd(profile.hosts ?? 1, {
      ...emulator.facadeEnvironment(),
      IdempotencyStorage: azurite.connectionString,
      ...profile.facade,
    });
    const front = frontEnd;
    const callerIds = Array.from({ length: profile.callers }, (_, index) => index);
    emulator.state.seed({
      mobileAppConfigurations: callerIds.map((caller) => ({ id: `configuration-${caller}` })),
      mobileApps: callerIds.map((caller) => ({ id: `app-${caller}` })),
      deviceCompliancePolicies: callerIds.map((caller) => ({ id: `policy-${caller}` })),
    });
    emulator.configureThrottling(profile.throttling);
    emulator.configureChaos(profile.chaos);

    const latencies: number[] = [];
    const operationLatencies: number[] = [];
    const outcomes: Outcome[] = [];

    /** One caller action: the request and its retries (and polls), on the caller's schedule, with the same key. */
    const perform = async (intent: Intent, kind: CallerKind): Promise<Outcome> => {
      const operationStarted = performance.now();
      const request = asked(kind, front.url(intent.path), {
        'content-type': 'application/json',
        'idempotency-key': intent.key,
      });
      const seen = await callWithRetries(
        scaled(kind.policy, profile.callerTimeScale),
        () => front.fetch(request.url, { method: intent.method, headers: request.headers, body: JSON.stringify(intent.body) }),
        { poll: (url) => front.fetch(url) },
      );
      operationLatencies.push(performance.now() - operationStarted);
      for (const answer of seen) latencies.push(answer.ms);
      return { intent, kind, seen, final: seen.at(-1) as Seen };
    };

    const killing = profile.kill
      ? new Promise((resolve) => setTimeout(resolve, (profile.kill?.afterSeconds ?? 0) * 1000)).then(() =>
          front.killAndReplace(0, (profile.kill?.downSeconds ?? 0) * 1000),
        )
      : Promise.resolve();
    await Promise.all([
      killing,
      ...callerIds.map(async (caller) => {
        const kind = profile.callerKinds[caller % profile.callerKinds.length] as CallerKind;
        for (const intent of intentsOf(caller, profile.operationsPerCaller)) outcomes.push(await perform(intent, kind));
      }),
    ]);

    // A caller that took a 202 as delivered never learns the write's end: the app's final answer is read from its Location.
    const settled = await Promise.all(outcomes.map((outcome) => settle(outcome, front)));
    const figures = figuresOf(profile.name, settled, emulator, {
      latencies,
      operationLatencies,
      hostsKilled: front.killed,
      seconds: (Date.now() - started) / 1000,
    });
    for (const line of figures.wrongAnswers) log(line);
    log(formatFigures(figures));
    return figures;
  } finally {
    await frontEnd?.stop();
    await emulator.close();
    await azurite.stop();
  }
}

/** The outcome with its final answer: for a write handed to the app and never followed, what its Location ends with. */
async function settle(outcome: Outcome, front: FrontEnd): Promise<Outcome> {
  let final = outcome.final;
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (final.status === 202 && final.location && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const location = final.location;
    const [polled] = await callWithRetries(CALLER_KINDS.webhookNoRetry.policy, () => front.fetch(location));
    if (!polled || polled.status === 0) continue;
    final = { ...polled, location: polled.status === 202 ? (polled.location ?? location) : null };
  }
  return { ...outcome, final };
}
