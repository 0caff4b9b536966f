/**
 * The arithmetic of a request budget: the generic cell rate algorithm (GCRA), the algorithm of
 * well-kept rate limiters such as redis-cell and throttled. Its whole state is one instant, the
 * time the next request would be due at the steady rate, so it can live in one table row and
 * be updated with one conditional write. Pure functions of the state and the clock.
 */

/** How many requests per 20 s (Intune's window), and how many may go at once after a quiet spell. */
export interface RateShape {
  readonly requestsPer20Seconds: number;
  readonly burst: number;
}

export interface BudgetState {
  /** When the next request is due at the steady rate ("theoretical arrival time"), epoch ms. */
  readonly dueAtMs: number;
  /** No request goes before this instant: Graph said so with a 429's Retry-After. */
  readonly pausedUntilMs: number;
  /** The callers at work lately, each with its own clock (fair-share.ts). */
  readonly accounts?: AccountClocks;
}

/**
 * Per budget account (a caller's object id): when its own next turn is due at its share of the
 * rate, and when it was last granted one; epoch ms.
 */
export type AccountClocks = Readonly<Record<string, readonly [dueMs: number, seenMs: number]>>;

export const EMPTY_BUDGET: BudgetState = { dueAtMs: 0, pausedUntilMs: 0 };

/** A turn taken (send after `waitMs`), or refused because it is further away than the caller can wait. */
export type Turn =
  | { readonly granted: true; readonly waitMs: number; readonly state: BudgetState }
  | {
      readonly granted: false;
      readonly retryAfterMs: number;
      /** Set when the budget had a turn, but the caller already holds its share of them (fair-share.ts). */
      readonly heldBy?: 'caller-share';
    };

const WINDOW_MS = 20_000;

export const intervalMsOf = (shape: RateShape): number => WINDOW_MS / shape.requestsPer20Seconds;

/**
 * Takes the next turn. Turns are spaced by the interval; up to `burst` may be due at once after
 * a quiet spell, never before a pause ends. In any 20 s, at most requestsPer20Seconds + burst
 * turns are granted. A turn further away than `maxWaitMs` is refused and nothing is taken.
 */
export function takeTurn(state: BudgetState, shape: RateShape, nowMs: number, maxWaitMs: number): Turn {
  const intervalMs = intervalMsOf(shape);
  const toleranceMs = (shape.burst - 1) * intervalMs;
  const dueAtMs = Math.max(state.dueAtMs, nowMs, state.pausedUntilMs);
  const turnAtMs = Math.max(nowMs, dueAtMs - toleranceMs, state.pausedUntilMs);
  const waitMs = Math.ceil(turnAtMs - nowMs);
  if (waitMs > maxWaitMs) return { granted: false, retryAfterMs: Math.max(waitMs, 1) };
  return { granted: true, waitMs, state: { ...state, dueAtMs: dueAtMs + intervalMs } };
}

/** The state after Graph asked for a pause until `untilMs`; a pause is only ever lengthened. */
export function pausedUntil(state: BudgetState, untilMs: number): BudgetState {
  return { ...state, pausedUntilMs: Math.max(state.pausedUntilMs, untilMs) };
}

/**
 * One instance's share when the shared budget cannot be reached, one request at a time. An
 * instance can send its rate plus one in any 20 s, so the rate is what keeps the shares of every
 * instance together within the shared budget's worst 20 s (its rate plus its burst). Past about
 * 50 instances no such rate exists with even one request per instance; the share is then halved
 * again, which slows the instances without bounding them together.
 */
export function localShare(shape: RateShape, instanceCap: number): RateShape {
  const worstPerInstance = (shape.requestsPer20Seconds + shape.burst) / instanceCap;
  const fitting = worstPerInstance - 1;
  return { requestsPer20Seconds: fitting > 0 ? fitting : worstPerInstance / 2, burst: 1 };
}
