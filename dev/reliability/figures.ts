import type { GraphEmulator } from '../graph-emulator/server';
import { SEEDED_IDS } from '../graph-emulator/state';
import { isRetried } from './callers';
import type { Outcome } from './intents';

/** What one kind of caller's writes came to. */
export interface CallerFigures {
  readonly profile: string;
  readonly writes: number;
  /** Writes whose value is not in Graph's final state. */
  readonly lost: number;
  /** Creates made more than once (each extra copy counts). */
  readonly duplicates: number;
  /** Writes whose final answer (the caller's, or its Location's for a caller that took the 202 as delivered) was not their success. */
  readonly wrongFinal: number;
}

/** What one run of the reliability suite measured. */
export interface Figures {
  readonly profile: string;
  readonly operations: number;
  readonly requestsSent: number;
  readonly graphRequests: number;
  readonly writesApplied: number;
  readonly writesLost: number;
  readonly duplicateCreates: number;
  /** Operations whose final answer was not the write's success (201 with the status, 200 with the entity). */
  readonly wrongFinalAnswers: number;
  /** Updates answered 204: applied, but the entity could not be read back within the budget. */
  readonly updatesWithoutEntity: number;
  /** Answers the callers retried (408, 429, 5xx, no answer) before their final one. */
  readonly interimAnswers: number;
  readonly interim5xx: number;
  readonly interim409: number;
  /** Writes answered 202 (asked for, or handed over in doubt). */
  readonly accepted: number;
  /** Answers that ask the caller to come back (202, a pending poll, 408, 429, 5xx) without saying when: must be 0. */
  readonly comeBackWithoutRetryAfter: number;
  readonly graphThrottled: number;
  readonly faultsInjected: number;
  readonly idempotentReplays: number;
  readonly hostsKilled: number;
  /** Requests that got no answer: cut off by a killed host, or past the caller's timeout. */
  readonly unanswered: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly operationP99Ms: number;
  readonly seconds: number;
  readonly byCaller: readonly CallerFigures[];
  /** One line per wrong final answer, for the log. */
  readonly wrongAnswers: readonly string[];
}

/** A run's figures break the suite's promise: a write lost, created twice or wrongly answered, or a come-back without Retry-After. */
export const brokePromise = (figures: Figures): boolean =>
  figures.writesLost + figures.duplicateCreates + figures.wrongFinalAnswers + figures.comeBackWithoutRetryAfter > 0;

/** What the suite measured apart from the outcomes. */
export interface RunMeasures {
  readonly latencies: readonly number[];
  readonly operationLatencies: readonly number[];
  readonly hostsKilled: number;
  readonly seconds: number;
}

/** How one write is judged against Graph's final state. */
interface Verdict {
  readonly lost: boolean;
  readonly wrong: boolean;
  readonly withoutEntity: boolean;
}

/** Compares Graph's final state with what the callers meant to write, and each final answer with the write's success. */
export function figuresOf(
  profileName: string,
  outcomes: readonly Outcome[],
  emulator: GraphEmulator,
  measures: RunMeasures,
): Figures {
  const statuses = [
    ...(emulator.state.mobileAppConfigurations.get(SEEDED_IDS.mobileAppConfiguration)?.userStatuses.values() ?? []),
  ];
  const countByUpn = new Map<string, number>();
  for (const status of statuses) {
    const upn = String(status.userPrincipalName);
    countByUpn.set(upn, (countByUpn.get(upn) ?? 0) + 1);
  }
  const finalValue = (resource: string): unknown => {
    const [kind, caller] = resource.split(':') as [string, string];
    if (kind === 'summary')
      return emulator.state.mobileAppConfigurations.get(`configuration-${caller}`)?.userStatusSummary.pendingCount;
    return emulator.state.deviceCompliancePolicies.get(`policy-${caller}`)?.userStatusOverview.successCount;
  };
  // Only the last update of a resource must stand; an earlier one landing after it would show as the last one lost.
  const lastUpdate = new Map<string, Outcome>();
  for (const outcome of outcomes) if (outcome.intent.method === 'PATCH') lastUpdate.set(outcome.intent.resource, outcome);

  const wrongAnswers: string[] = [];
  const verdictOf = (outcome: Outcome): Verdict => {
    const { intent, final } = outcome;
    const [name, value] = Object.entries(intent.body)[0] as [string, unknown];
    const answered = final.status >= 200 && final.status < 300 ? parsed(final.text) : undefined;
    let lost: boolean;
    let wrong: boolean;
    let withoutEntity = false;
    if (intent.method === 'POST') {
      lost = !countByUpn.has(String(intent.body.userPrincipalName));
      wrong = final.status !== 201 || answered?.userPrincipalName !== intent.body.userPrincipalName;
    } else {
      lost = lastUpdate.get(intent.resource) === outcome && finalValue(intent.resource) !== value;
      // 204: applied, but the entity could not be read back within the budget (counted apart).
      withoutEntity = final.status === 204;
      wrong = !withoutEntity && (final.status !== 200 || answered?.[name] !== value);
    }
    if (wrong)
      wrongAnswers.push(
        `wrong final answer (${outcome.kind.profile}) to ${intent.method} ${intent.path}: ${final.status} ${final.text.slice(0, 300)}`,
      );
    return { lost, wrong, withoutEntity };
  };
  const verdicts = outcomes.map((outcome) => ({ outcome, verdict: verdictOf(outcome) }));
  const duplicatesOf = (outcome: Outcome): number =>
    outcome.intent.method === 'POST' ? Math.max(0, (countByUpn.get(String(outcome.intent.body.userPrincipalName)) ?? 0) - 1) : 0;

  const profiles = [...new Set(outcomes.map((outcome) => outcome.kind.profile))];
  const byCaller = profiles.map((profile): CallerFigures => {
    const mine = verdicts.filter(({ outcome }) => outcome.kind.profile === profile);
    return {
      profile,
      writes: mine.length,
      lost: mine.filter(({ verdict }) => verdict.lost).length,
      duplicates: mine.reduce((sum, { outcome }) => sum + duplicatesOf(outcome), 0),
      wrongFinal: mine.filter(({ verdict }) => verdict.wrong).length,
    };
  });

  const seen = outcomes.flatMap((outcome) => outcome.seen);
  const interim = outcomes.flatMap((outcome) => outcome.seen.slice(0, -1).filter((answer) => answer.status !== 202));
  const stats = emulator.stats();
  return {
    profile: profileName,
    operations: outcomes.length,
    requestsSent: seen.length,
    graphRequests: stats.requests,
    writesApplied: stats.applied.POST + stats.applied.PATCH + stats.applied.DELETE,
    writesLost: sum(byCaller.map((figures) => figures.lost)),
    duplicateCreates: sum(byCaller.map((figures) => figures.duplicates)),
    wrongFinalAnswers: sum(byCaller.map((figures) => figures.wrongFinal)),
    updatesWithoutEntity: verdicts.filter(({ verdict }) => verdict.withoutEntity).length,
    interimAnswers: interim.length,
    interim5xx: interim.filter((answer) => answer.status >= 500).length,
    interim409: interim.filter((answer) => answer.status === 409).length,
    accepted: outcomes.filter((outcome) => outcome.seen.some((answer) => answer.status === 202)).length,
    comeBackWithoutRetryAfter: seen.filter(
      (answer) => (answer.status === 202 || (answer.status !== 0 && isRetried(answer.status))) && !answer.retryAfter,
    ).length,
    graphThrottled: stats.throttled,
    faultsInjected: Object.values(stats.faults).reduce((total, count) => total + count, 0),
    idempotentReplays: outcomes.filter((outcome) => outcome.final.replayed).length,
    hostsKilled: measures.hostsKilled,
    unanswered: seen.filter((answer) => answer.status === 0).length,
    latencyP50Ms: Math.round(percentile(measures.latencies, 50)),
    latencyP99Ms: Math.round(percentile(measures.latencies, 99)),
    operationP99Ms: Math.round(percentile(measures.operationLatencies, 99)),
    seconds: Math.round(measures.seconds * 10) / 10,
    byCaller,
    wrongAnswers,
  };
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

function parsed(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text || '{}') as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The p-th percentile of the values (nearest rank); 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** The figures as the docs show them, one per line, then one line per kind of caller. */
export function formatFigures(figures: Figures): string {
  const rows: [string, string | number][] = [
    ['profile', figures.profile],
    ['caller operations (writes meant)', figures.operations],
    ['requests sent by callers (retries and polls included)', figures.requestsSent],
    ['requests Graph received', figures.graphRequests],
    ['writes Graph applied', figures.writesApplied],
    ['writes lost (must be 0)', figures.writesLost],
    ['duplicate creates (must be 0)', figures.duplicateCreates],
    ['operations not ending in their right answer (must be 0)', figures.wrongFinalAnswers],
    ['  updates answered 204, applied but not read back', figures.updatesWithoutEntity],
    ['writes answered 202 (asked for, or handed over in doubt)', figures.accepted],
    ['interim answers callers retried (408, 429, 5xx, none)', figures.interimAnswers],
    ['  of them 5xx / 409', `${figures.interim5xx} / ${figures.interim409}`],
    ['answers asking to come back without Retry-After (must be 0)', figures.comeBackWithoutRetryAfter],
    ['429s Graph sent (absorbed or passed on)', figures.graphThrottled],
    ['faults Graph injected', figures.faultsInjected],
    ['answers replayed from Idempotency-Key', figures.idempotentReplays],
    ['hosts killed with SIGKILL and replaced', figures.hostsKilled],
    ['requests that got no answer (cut off by the kill)', figures.unanswered],
    ['latency per request p50 / p99 (ms)', `${figures.latencyP50Ms} / ${figures.latencyP99Ms}`],
    ['latency per operation p99, caller retries and polls included (ms)', figures.operationP99Ms],
    ['run time (s)', figures.seconds],
    ...figures.byCaller.map((caller): [string, string] => [
      `  ${caller.profile}: writes / lost / duplicates / wrong final`,
      `${caller.writes} / ${caller.lost} / ${caller.duplicates} / ${caller.wrongFinal}`,
    ]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
