/** What one run of the reliability suite measured. */
export interface Figures {
  readonly profile: string;
  readonly operations: number;
  readonly requestsSent: number;
  readonly graphRequests: number;
  readonly writesApplied: number;
  readonly writesLost: number;
  readonly duplicateCreates: number;
  /** Operations whose last answer was not the write's success (201 with the status, 200 with the entity). */
  readonly wrongFinalAnswers: number;
  /** Updates answered 204: applied, but the entity could not be read back within the budget. */
  readonly updatesWithoutEntity: number;
  /** Answers the callers retried (408, 429, 5xx, no answer) before their final one. */
  readonly interimAnswers: number;
  readonly interimWithoutRetryAfter: number;
  readonly interim5xx: number;
  readonly interim409: number;
  readonly graphThrottled: number;
  readonly faultsInjected: number;
  readonly idempotentReplays: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly operationP99Ms: number;
  readonly seconds: number;
}

/** The p-th percentile of the values (nearest rank); 0 for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** The figures as the docs show them, one per line. */
export function formatFigures(figures: Figures): string {
  const rows: [string, string | number][] = [
    ['profile', figures.profile],
    ['caller operations (writes meant)', figures.operations],
    ['requests sent by callers (retries included)', figures.requestsSent],
    ['requests Graph received', figures.graphRequests],
    ['writes Graph applied', figures.writesApplied],
    ['writes lost (must be 0)', figures.writesLost],
    ['duplicate creates (must be 0)', figures.duplicateCreates],
    ['operations not ending in their right answer (must be 0)', figures.wrongFinalAnswers],
    ['  updates answered 204, applied but not read back', figures.updatesWithoutEntity],
    ['interim answers callers retried (408, 429, 5xx)', figures.interimAnswers],
    ['  of them 5xx / 409', `${figures.interim5xx} / ${figures.interim409}`],
    ['  of them without Retry-After (must be 0)', figures.interimWithoutRetryAfter],
    ['429s Graph sent (absorbed or passed on)', figures.graphThrottled],
    ['faults Graph injected', figures.faultsInjected],
    ['answers replayed from Idempotency-Key', figures.idempotentReplays],
    ['latency per request p50 / p99 (ms)', `${figures.latencyP50Ms} / ${figures.latencyP99Ms}`],
    ['latency per operation p99, caller retries included (ms)', figures.operationP99Ms],
    ['run time (s)', figures.seconds],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
