import type { Turn } from './gcra';

/** Intune counts writes and all requests separately; each kind has a budget of its own. */
export type RequestKind = 'read' | 'write';

/**
 * A granted turn and the instant it is due (epoch ms: a wait measured from when the turn was
 * computed would drift by the time the store took to record it), or a refusal.
 */
export type Reservation = { readonly granted: true; readonly atMs: number } | Extract<Turn, { granted: false }>;

/**
 * The app's Graph request budget. `reserve` takes a turn and says when it is due, or refuses
 * when it would come after `latestAtMs` (epoch ms; nothing taken): the instant is absolute, so
 * that the time the budget takes to decide (a store round trip) cannot push a turn past it.
 * `account` names the caller the turn is for, so that no one caller takes more than its share
 * (fair-share.ts); without one, the turn is the app's alone. `pause` makes every turn wait until
 * Graph's Retry-After has passed.
 */
export interface GraphBudget {
  reserve(kind: RequestKind, latestAtMs: number, account?: string): Promise<Reservation>;
  pause(kind: RequestKind, untilMs: number): Promise<void>;
  /** For the health route and the logs: where the budget is kept. */
  readonly description: string;
}
