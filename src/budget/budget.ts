import type { Turn } from './gcra';

/** Intune counts writes and all requests separately; each kind has a budget of its own. */
export type RequestKind = 'read' | 'write';

/** A refused turn, or the wait before a granted one. */
export type Reservation = { readonly granted: true; readonly waitMs: number } | Extract<Turn, { granted: false }>;

/**
 * The app's Graph request budget. `reserve` takes a turn and says how long to wait for it,
 * or refuses when the turn is further away than `maxWaitMs` (nothing taken); `pause` makes
 * every turn wait until Graph's Retry-After has passed.
 */
export interface GraphBudget {
  reserve(kind: RequestKind, maxWaitMs: number): Promise<Reservation>;
  pause(kind: RequestKind, untilMs: number): Promise<void>;
  /** For the health route and the logs: where the budget is kept. */
  readonly description: string;
}
