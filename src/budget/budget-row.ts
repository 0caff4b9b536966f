/** The budget's table row: how a request kind's GCRA state and its callers' shares are kept. */
import type { RequestKind } from './budget';
import type { AccountClocks, BudgetState } from './gcra';

/** The partition of the budget's rows: one row per request kind. */
export const PARTITION = 'graph-budget';

/** One budget row: the GCRA state of one request kind, shared by every instance. */
export interface BudgetEntity {
  readonly partitionKey: string;
  readonly rowKey: RequestKind;
  readonly dueAtMs: number;
  readonly pausedUntilMs: number;
  /** The callers at work lately (`AccountClocks`), as JSON: one row keeps the app's turns and the callers' shares together. */
  readonly accounts?: string;
}

export const entityOf = (kind: RequestKind, state: BudgetState): BudgetEntity => ({
  partitionKey: PARTITION,
  rowKey: kind,
  dueAtMs: state.dueAtMs,
  pausedUntilMs: state.pausedUntilMs,
  accounts: JSON.stringify(state.accounts ?? {}),
});

export function stateOf(entity: BudgetEntity): BudgetState {
  return { dueAtMs: entity.dueAtMs, pausedUntilMs: entity.pausedUntilMs, accounts: accountsOf(entity.accounts) };
}

/** The accounts a row holds; a row written before callers were told apart, or unreadable, holds none. */
function accountsOf(json: string | undefined): AccountClocks {
  try {
    const parsed: unknown = JSON.parse(json ?? '{}');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as AccountClocks) : {};
  } catch {
    return {};
  }
}
