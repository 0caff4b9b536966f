import type { RecordedRequest } from '../graph-emulator/server';
import type { GraphState } from '../graph-emulator/state';
import { isWriteMethod } from '../graph-emulator/throttling';
import { percentile } from '../reliability/figures';
import type { LoadResult, Outcome } from './load';

/**
 * What one scale run measured, from Graph's side (the emulator's request list and state) and
 * the callers' side (how each write ended). The row is what scale-results.json holds.
 */

export type BudgetMode = 'shared' | 'per-instance';

/** Intune's write limit per app: 100 writes per 20 s, the ceiling goodputShare is a fraction of. */
export const INTUNE_WRITES_PER_20S = 100;

export interface ScaleRow {
  readonly instances: number;
  readonly budget: BudgetMode;
  /** Write requests Graph received within the load window, refused ones included. */
  readonly writesSent: number;
  /** Of them, those Graph refused with 429. */
  readonly graph429: number;
  /** Writes Graph applied per 20 s within the load window, as a share of Intune's 100. */
  readonly goodputShare: number;
  /** Writes a caller was told succeeded whose effect is not in Graph. */
  readonly lost: number;
  /** User statuses in Graph beyond the first for one userPrincipalName (each create has its own). */
  readonly duplicates: number;
  /** Callers' latency per write, first send to final answer, their retries included. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** What is printed beside the row, to read it by: how the writes ended for the callers. */
export interface RunDetails {
  readonly finished: number;
  readonly succeeded: number;
  /** Final answers other than 2xx, by status (0: no answer). */
  readonly failedByStatus: Readonly<Record<string, number>>;
  readonly unfinished: number;
  readonly appliedInRun: number;
  readonly windowSeconds: number;
}

/** Graph's counters when the load window closed (the callers' deadline). */
export interface GraphWindow {
  /** How many requests the emulator had recorded: the window's requests are the first ones. */
  readonly requests: number;
  /** Writes applied so far. */
  readonly applied: number;
  /** From the callers' first send to the window's close. */
  readonly seconds: number;
}

export interface RunInput {
  readonly instances: number;
  readonly budget: BudgetMode;
  readonly window: GraphWindow;
  readonly requests: readonly RecordedRequest[];
  readonly state: GraphState;
  readonly configurationId: string;
  readonly load: LoadResult;
}

const succeeded = (outcome: Outcome): boolean => outcome.final.status >= 200 && outcome.final.status < 300;

/**
 * Successful writes Graph does not hold. A create is lost when the status it was answered with
 * (its id, and its unique userPrincipalName) is not in the collection; an update when Graph never
 * applied a PATCH carrying its unique value on its path (later updates overwrite the value, so
 * the final state cannot tell; the applied requests can).
 */
function lostWrites(input: RunInput): number {
  const statuses = [...(input.state.mobileAppConfigurations.get(input.configurationId)?.userStatuses.values() ?? [])];
  const statusIds = new Set(statuses.map((status) => status.id));
  const principals = new Set(statuses.map((status) => status.userPrincipalName));
  const appliedValues = new Set<string>();
  for (const request of input.requests) {
    if (request.method !== 'PATCH' || !request.applied || typeof request.body !== 'object' || request.body === null) continue;
    for (const [field, value] of Object.entries(request.body)) appliedValues.add(`${request.path}|${field}|${String(value)}`);
  }
  let lost = 0;
  for (const outcome of input.load.outcomes.filter(succeeded)) {
    const { write } = outcome;
    if (write.method === 'POST') {
      let id: unknown;
      try {
        id = (JSON.parse(outcome.final.text) as { id?: unknown }).id;
      } catch {
        id = undefined;
      }
      if (!statusIds.has(id) || !principals.has(write.value)) lost += 1;
    } else if (!appliedValues.has(`${write.graphPath}|${write.field}|${String(write.value)}`)) lost += 1;
  }
  return lost;
}

/** User statuses beyond the first per userPrincipalName: every create the callers made has its own. */
function duplicateCreates(input: RunInput): number {
  const counts = new Map<unknown, number>();
  for (const status of input.state.mobileAppConfigurations.get(input.configurationId)?.userStatuses.values() ?? [])
    counts.set(status.userPrincipalName, (counts.get(status.userPrincipalName) ?? 0) + 1);
  return [...counts.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
}

/** The run's row and the details printed beside it. */
export function figuresOf(input: RunInput): { row: ScaleRow; details: RunDetails } {
  // Writes and 429s over the same window as the goodput, so that runs of equal length compare.
  const windowWrites = input.requests.slice(0, input.window.requests).filter((request) => isWriteMethod(request.method));
  const latencies = input.load.outcomes.map((outcome) => outcome.ms);
  const failedByStatus: Record<string, number> = {};
  for (const outcome of input.load.outcomes.filter((outcome) => !succeeded(outcome)))
    failedByStatus[outcome.final.status] = (failedByStatus[outcome.final.status] ?? 0) + 1;
  const windows = input.window.seconds / 20;
  return {
    row: {
      instances: input.instances,
      budget: input.budget,
      writesSent: windowWrites.length,
      graph429: windowWrites.filter((request) => request.outcome === 'throttled').length,
      goodputShare: windows > 0 ? Math.round((input.window.applied / windows / INTUNE_WRITES_PER_20S) * 1000) / 1000 : 0,
      lost: lostWrites(input),
      duplicates: duplicateCreates(input),
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
    },
    details: {
      finished: input.load.outcomes.length,
      succeeded: input.load.outcomes.filter(succeeded).length,
      failedByStatus,
      unfinished: input.load.unfinished,
      appliedInRun: input.requests.filter((request) => request.applied).length,
      windowSeconds: Math.round(input.window.seconds * 10) / 10,
    },
  };
}

/** One line per run, as printed after it. */
export function formatDetails(row: ScaleRow, details: RunDetails): string {
  const failed = Object.entries(details.failedByStatus)
    .map(([status, count]) => `${count}x${status}`)
    .join(', ');
  return (
    `${row.instances} instance(s), ${row.budget}: ${details.finished} writes ended (${details.succeeded} succeeded` +
    `${failed ? `, failed: ${failed}` : ''}), ${details.unfinished} cut off; Graph applied ${details.appliedInRun} ` +
    `writes in the run; load window ${details.windowSeconds} s`
  );
}

/** The runs as one table. */
export function formatTable(rows: readonly ScaleRow[]): string {
  const header = [
    'instances',
    'budget',
    'writesSent',
    'graph429',
    '429 share',
    'goodputShare',
    'lost',
    'duplicates',
    'p50 ms',
    'p99 ms',
  ];
  const cells = rows.map((row) => [
    String(row.instances),
    row.budget,
    String(row.writesSent),
    String(row.graph429),
    row.writesSent > 0 ? `${((row.graph429 / row.writesSent) * 100).toFixed(1)}%` : '-',
    row.goodputShare.toFixed(3),
    String(row.lost),
    String(row.duplicates),
    String(row.p50Ms),
    String(row.p99Ms),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => (line[column] as string).length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, column) => (column === 1 ? value.padEnd(widths[column] as number) : value.padStart(widths[column] as number)))
      .join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}
