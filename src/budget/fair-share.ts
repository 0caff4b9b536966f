/**
 * A fair share of the app's Graph budget among its callers. Without it the budget is first come,
 * first served: a caller that floods is promised every turn within the time budget, and a quiet
 * caller finds none in reach. The rule, per request kind:
 *
 * - Each caller (its budget account: the object id App Service Authentication vouched for) is
 *   spaced on a clock of its own, beside the app's, at the app's rate divided among the callers
 *   holding turns not yet due, itself included: two callers at work get half the rate each.
 * - A caller is promised turns at most a lead ahead on its own clock: 5 s while it is alone,
 *   1 s while another caller has had a turn in the last 20 s. So, whatever one caller sends, the
 *   app's promised turns reach only that far ahead: a caller arriving while another floods waits
 *   at most about 5 s for its first turn, and about 1 s for each one after it, plus one spacing
 *   per other caller at work (with many at once, each one's even share is that small).
 * - Alone, a caller may use the whole rate, and beside a quiet caller all the quiet one leaves:
 *   nothing is kept idle for callers who are not asking.
 *
 * Why not weighted fair queuing proper: a turn is promised when it is asked for (the call then
 * waits for it, holding its instance), by instances that share nothing but one table row. A
 * promised turn cannot be given to a later caller, so the rule bounds how far ahead any one
 * caller's promises reach instead. Pure functions of the state and the clock, as gcra.ts.
 */
import { type AccountClocks, type BudgetState, intervalMsOf, type RateShape, takeTurn, type Turn } from './gcra';

/**
 * How far ahead a caller alone may be promised turns: at the default rates about 24 writes or 200
 * reads, so that its own burst is spaced rather than refused; and how long a newcomer may wait
 * behind a flood for its first turn, well within the 30 s time budget.
 */
export const CALLER_LEAD_MS = 5_000;
/** How far ahead a caller may be promised turns while others are at work: how long each of their turns may wait behind it. */
export const SHARED_LEAD_MS = 1_000;
/** A caller granted a turn this recently is at work (Intune's window). */
const AT_WORK_MS = 20_000;
/** No caller's clock is this far ahead: a lead is seconds, and instances' clocks differ by less. */
const BELIEVABLE_AHEAD_MS = 10 * 60_000;
/** The most callers the state keeps: a bound on the row's size (a table property holds 64 KiB); those seen longest ago go first. */
const MAX_ACCOUNTS = 200;

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
  const atWork = accountsAtWork(state.accounts, nowMs);
  const [ownDueMs] = atWork.get(account) ?? [0, 0];
  const fromMs = Math.max(ownDueMs, nowMs);
  const othersAtWork = [...atWork.keys()].some((other) => other !== account);
  const leadLimitMs = othersAtWork ? SHARED_LEAD_MS : CALLER_LEAD_MS;
  if (fromMs - nowMs > leadLimitMs) {
    return { granted: false, retryAfterMs: Math.ceil(fromMs - nowMs - leadLimitMs), heldBy: 'caller-share' };
  }
  const turn = takeTurn(state, shape, nowMs, maxWaitMs);
  if (!turn.granted) return turn;
  const holding = [...atWork].filter(([other, [dueMs]]) => other !== account && dueMs > nowMs).length;
  // Whole milliseconds keep the row's JSON short.
  atWork.set(account, [Math.round(fromMs + (holding + 1) * intervalMsOf(shape)), nowMs]);
  return { ...turn, state: { ...turn.state, accounts: Object.fromEntries(keepLatest(atWork)) } };
}

/**
 * The callers granted a turn within the last 20 s, or still holding one, as a map of their clocks.
 * A clock no instance could have written (far ahead, or not numbers) is dropped, not believed.
 */
export function accountsAtWork(
  accounts: AccountClocks | undefined,
  nowMs: number,
): Map<string, readonly [dueMs: number, seenMs: number]> {
  const kept = Object.entries(accounts ?? {}).filter(
    ([, clock]) =>
      Array.isArray(clock) &&
      typeof clock[0] === 'number' &&
      typeof clock[1] === 'number' &&
      clock[0] < nowMs + BELIEVABLE_AHEAD_MS &&
      clock[1] < nowMs + BELIEVABLE_AHEAD_MS &&
      (clock[0] > nowMs || clock[1] > nowMs - AT_WORK_MS),
  );
  return keepLatest(new Map(kept));
}

/** At most MAX_ACCOUNTS callers, those seen most recently. */
function keepLatest<T extends readonly [number, number]>(accounts: Map<string, T>): Map<string, T> {
  if (accounts.size <= MAX_ACCOUNTS) return accounts;
  return new Map([...accounts].sort(([, a], [, b]) => b[1] - a[1]).slice(0, MAX_ACCOUNTS));
}
