/**
 * A fair share of the app's Graph budget among its callers. Without it the budget is first come,
 * first served: a caller that floods is promised every turn within the time budget, and a quiet
 * caller finds none in reach. The rule, per request kind:
 *
 * - Each caller (its budget account: the object id App Service Authentication vouched for) is
 *   spaced on a clock of its own, beside the app's, at the app's rate divided among the callers
 *   holding turns not yet due, itself included: two callers at work get half the rate each.
 * - No caller may be promised turns further than `CALLER_LEAD_MS` ahead on its own clock. So,
 *   whatever one caller sends, the app's promised turns reach only about that far ahead: a
 *   caller arriving while another floods gets a turn within it, and an even share from then on.
 * - Alone, a caller may use the whole rate: nothing is kept idle for callers who are not there.
 *
 * Why not weighted fair queuing proper: a turn is promised when it is asked for (the call then
 * waits for it, holding its instance), by instances that share nothing but one table row. A
 * promised turn cannot be given to a later caller, so the rule bounds how far ahead any one
 * caller's promises reach instead. Pure functions of the state and the clock, as gcra.ts.
 */
import { type AccountDues, type BudgetState, intervalMsOf, type RateShape, takeTurn, type Turn } from './gcra';

/**
 * How far ahead one caller may be promised turns. It bounds how long a newcomer waits behind a
 * flood (well within the 30 s time budget), and lets a caller alone keep about 24 writes or 200
 * reads waiting at the default rates, so that its own burst is spaced rather than refused.
 */
export const CALLER_LEAD_MS = 5_000;

/** The most callers the state keeps: a bound on the row's size; those due soonest are dropped first. */
const MAX_ACCOUNTS = 500;

/**
 * Takes the next turn for a caller's account, within its share; without an account (callers the
 * app cannot tell apart: function keys) the turn is the app's alone, as gcra.ts `takeTurn`.
 */
export function takeFairTurn(
  state: BudgetState,
  shape: RateShape,
  nowMs: number,
  maxWaitMs: number,
  account: string | undefined,
): Turn {
  if (account === undefined) return takeTurn(state, shape, nowMs, maxWaitMs);
  const holding = accountsHoldingTurns(state.accounts, nowMs);
  const ownDueMs = Math.max(holding.get(account) ?? 0, nowMs);
  const leadMs = ownDueMs - nowMs;
  if (leadMs > CALLER_LEAD_MS) {
    return { granted: false, retryAfterMs: Math.ceil(leadMs - CALLER_LEAD_MS), heldBy: 'caller-share' };
  }
  const turn = takeTurn(state, shape, nowMs, maxWaitMs);
  if (!turn.granted) return turn;
  const sharers = holding.size + (holding.has(account) ? 0 : 1);
  holding.set(account, ownDueMs + sharers * intervalMsOf(shape));
  return {
    ...turn,
    state: { ...turn.state, accounts: Object.fromEntries(accountsHoldingTurns(Object.fromEntries(holding), nowMs)) },
  };
}

/** The accounts whose own next turn is still ahead: the callers at work now, at most MAX_ACCOUNTS of them. */
export function accountsHoldingTurns(accounts: AccountDues | undefined, nowMs: number): Map<string, number> {
  const ahead = Object.entries(accounts ?? {})
    .filter(([, dueMs]) => typeof dueMs === 'number' && dueMs > nowMs)
    .sort(([, a], [, b]) => b - a)
    .slice(0, MAX_ACCOUNTS);
  return new Map(ahead);
}
