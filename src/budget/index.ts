import type { TokenCredential } from '@azure/identity';

import { tableClientFor, type TableConnection } from '../storage/table-client';
import { record } from '../telemetry/records';
import type { GraphBudget } from './budget';
import type { RateShape } from './gcra';
import { LocalBudget, UNLIMITED_BUDGET } from './local-budget';
import { type BudgetLog, TableBudget } from './table-budget';

export type { GraphBudget, RequestKind, Reservation } from './budget';
export type { RateShape } from './gcra';

/** The app's Graph request budget: where it is kept, and its rates. */
export interface BudgetOptions {
  /** `shared` in Table Storage across instances; `per-instance` in memory; `off` for raw measurements only. */
  readonly mode: 'shared' | 'per-instance' | 'off';
  readonly writes: RateShape;
  readonly reads: RateShape;
  /** The most instances the app runs (the Bicep's maximumInstanceCount): an instance's share when the shared store is unreachable. */
  readonly instanceCap: number;
  readonly tableName: string;
}

/** A budget operation must be quick or not happen: no retries inside the client, the fallback takes over. */
const BUDGET_CLIENT_OPTIONS = { retryOptions: { maxRetries: 0 } };

/**
 * The budget the options ask for. Shared, it lives in the app's table service (its own storage
 * account, reached with its identity), beside the Idempotency-Key records.
 */
/**
 * The diagnostics route's own small share of Graph's read limit, per instance: one report's four
 * probes at once, then one read every 5 s. It lies outside the callers' budget (reads default to
 * 800 of Intune's 1000 per 20 s) and within the margin left: callers' reads never wait for a
 * diagnostics run, and a run never takes their turns.
 */
export const diagnosticsBudget = (): GraphBudget =>
  new LocalBudget(
    { read: { requestsPer20Seconds: 4, burst: 4 }, write: { requestsPer20Seconds: 1, burst: 1 } },
    'diagnostics share, per instance, in memory',
  );

export function createGraphBudget(
  options: BudgetOptions,
  tables: TableConnection | undefined,
  credential: TokenCredential,
  log: BudgetLog = record,
): GraphBudget {
  const shapes = { write: options.writes, read: options.reads };
  if (options.mode === 'off') return UNLIMITED_BUDGET;
  if (options.mode === 'per-instance' || !tables) return new LocalBudget(shapes, 'per instance, in memory');
  const { client, description } = tableClientFor(tables, options.tableName, credential, BUDGET_CLIENT_OPTIONS);
  return new TableBudget({ table: client, description, shapes, instanceCap: options.instanceCap, log });
}
