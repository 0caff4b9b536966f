import type { GraphBudget, RequestKind, Reservation } from './budget';
import { takeFairTurn } from './fair-share';
import { type BudgetState, EMPTY_BUDGET, pausedUntil, type RateShape } from './gcra';

/** A budget kept in this instance's memory: the whole budget on one instance, or one instance's share. */
export class LocalBudget implements GraphBudget {
  private readonly states = new Map<RequestKind, BudgetState>();

  constructor(
    private readonly shapes: Readonly<Record<RequestKind, RateShape>>,
    readonly description: string,
    private readonly now: () => number = Date.now,
  ) {}

  reserve(kind: RequestKind, latestAtMs: number, account?: string): Promise<Reservation> {
    const nowMs = this.now();
    const turn = takeFairTurn(this.states.get(kind) ?? EMPTY_BUDGET, this.shapes[kind], nowMs, latestAtMs - nowMs, account);
    if (!turn.granted) return Promise.resolve(turn);
    this.states.set(kind, turn.state);
    return Promise.resolve({ granted: true, atMs: nowMs + turn.waitMs });
  }

  pause(kind: RequestKind, untilMs: number): Promise<void> {
    this.states.set(kind, pausedUntil(this.states.get(kind) ?? EMPTY_BUDGET, untilMs));
    return Promise.resolve();
  }
}

/** No budget at all: every turn is now. For raw measurements only (GRAPH_BUDGET=off). */
export const UNLIMITED_BUDGET: GraphBudget = {
  reserve: () => Promise.resolve({ granted: true, atMs: 0 }),
  pause: () => Promise.resolve(),
  description: 'off',
};
