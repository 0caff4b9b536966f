import type { AttemptEnding } from '../graph/attempt';
import type { Attempt, GraphExchange } from '../graph/gateway';

/** The write methods; a GET changes nothing and is never in doubt. */
export type WriteMethod = 'POST' | 'PATCH' | 'DELETE';

/**
 * What an ending proves about a write:
 * - `final`: Graph's answer is the outcome (applied, or refused for a reason a retry meets again);
 * - `freed`: refused before anything was done (throttled, no permission, no token); a retry is sent afresh;
 * - `in-doubt`: it may have been applied, and Graph is done with it: it can be looked for now;
 * - `in-doubt-under-way`: it may have been applied and may still be running in Graph (no answer,
 *   or a gateway gave up on it): it is looked for only once the in-doubt window has passed.
 */
export type WriteFate = 'final' | 'freed' | 'in-doubt' | 'in-doubt-under-way';

/** An earlier attempt under the same Idempotency-Key left this write in doubt; it may be looked for from `lookFromMs`. */
export interface EarlierInDoubt {
  readonly lookFromMs: number;
}

/**
 * What the key's record becomes: the final answer, freed for a fresh attempt, or in doubt until
 * looked for. A freed write with `delayedUntilMs` was only put off, until then: no turn or time
 * for it (`wasOnlyDelayed`), or an earlier attempt with its key still holding it. The app can
 * finish it later, as it finishes one in doubt.
 */
export type Settlement =
  | { readonly kind: 'final' }
  | { readonly kind: 'freed'; readonly delayedUntilMs?: number }
  | { readonly kind: 'in-doubt'; readonly lookFromMs: number };

/** Before looking for a write Graph answered in doubt, give Graph a moment to finish storing it. */
export const SETTLE_MS = 500;

/**
 * The rule, as a table: the fate of a write after each kind of ending. The same for POST, PATCH
 * and DELETE; what differs is what the next attempt does with a write in doubt (`lookFromOf` below, and the create, update and delete steps).
 * 401, 403 and 429 are refusals Graph makes before it does anything. 408, 500, 501 and 503 are
 * answers from Graph that come after it may have started: in doubt. 502 and 504 come from a
 * gateway that stopped waiting for the service, which may still be working on the request.
 */
export function fateOf(ending: AttemptEnding): WriteFate {
  switch (ending.kind) {
    case 'token':
      return 'freed';
    case 'network':
    case 'timeout':
      return 'in-doubt-under-way';
    case 'answer': {
      const { status } = ending;
      if (status < 400) return 'final';
      if (status === 401 || status === 403 || status === 429) return 'freed';
      if (status === 502 || status === 504) return 'in-doubt-under-way';
      if (status === 408 || status >= 500) return 'in-doubt';
      return 'final';
    }
  }
}

/**
 * Whether Graph may still apply this attempt later, after a repeat of it: it was still working
 * when the facade stopped waiting, at the end of the time budget (Graph has been seen applying a
 * write after answering 504 at about 30 s, the default budget). A repeat sent before the
 * in-doubt window ends could then be undone by the late landing. A quick 5xx or a broken
 * connection is repeated at once: holding every such update back for the window would leave
 * callers' retries spent before it ends.
 */
export function mayLandLate(ending: AttemptEnding): boolean {
  return ending.kind === 'timeout';
}

/**
 * Whether a write may be sent again, unlooked, after this ending within the same call: a create
 * only when it certainly was not applied; a PATCH or DELETE unless the attempt may land late
 * (repeating one that Graph is done with, or that never reached it, changes nothing).
 */
export function mayRepeat(method: WriteMethod | 'GET', ending: AttemptEnding): boolean {
  if (method === 'GET') return true;
  return method === 'POST' ? fateOf(ending) === 'freed' : !mayLandLate(ending);
}

/** True for the fates in which the write may have been applied. */
export const isInDoubt = (fate: WriteFate): boolean => fate === 'in-doubt' || fate === 'in-doubt-under-way';

/** The fate of a write over all the attempts of one exchange. */
export function exchangeFate(attempts: readonly Attempt[]): WriteFate {
  const fates = attempts.map((attempt) => fateOf(attempt.ending));
  const last = fates.at(-1) ?? 'freed';
  if (last === 'final') return 'final';
  if (fates.includes('in-doubt-under-way')) return 'in-doubt-under-way';
  return fates.includes('in-doubt') ? 'in-doubt' : 'freed';
}

/**
 * When a write left in doubt by these attempts may be looked for (a create) or sent again (a
 * PATCH or DELETE): at once (after SETTLE_MS), or once the window after its sending has passed.
 * A create waits after every ending that may leave it still running; an update or delete only
 * after one that may land late, since repeating it is harmless otherwise.
 */
export function lookFromOf(method: WriteMethod | 'GET', attempts: readonly Attempt[], windowMs: number, nowMs: number): number {
  return attempts.reduce((latest, attempt) => {
    const fate = fateOf(attempt.ending);
    const underWay = method === 'POST' ? fate === 'in-doubt-under-way' : mayLandLate(attempt.ending);
    if (underWay) return Math.max(latest, attempt.sentAtMs + windowMs);
    return isInDoubt(fate) ? Math.max(latest, nowMs + SETTLE_MS) : latest;
  }, nowMs);
}

/**
 * Whether a write that was not applied was only delayed: Graph throttled it to the end of the
 * call, or the app's budget had no turn or no time left for it. The same write later will go
 * through. A refusal of the app's permission or token would meet the same refusal, and a full
 * waiting room bounds what one instance may hold: neither is a delay. Nor is a caller held to
 * its share of the budget (fair-share.ts): its write is refused, not taken over by the app, so
 * that a flood is pushed back to its sender rather than filling the queue every caller's
 * asynchronous writes share.
 */
export function wasOnlyDelayed(exchange: GraphExchange): boolean {
  if (exchange.heldBack === 'no-time-left' || exchange.heldBack === 'no-turn-in-time') return true;
  const ending = exchange.attempts.at(-1)?.ending;
  return exchange.heldBack === undefined && ending?.kind === 'answer' && ending.status === 429;
}

/** A write not applied by this exchange: freed, and when it was only delayed, until when (Graph's or the budget's Retry-After). */
export const freedBy = (exchange: GraphExchange, nowMs: number): Settlement =>
  wasOnlyDelayed(exchange) ? { kind: 'freed', delayedUntilMs: nowMs + (exchange.retryAfterMs ?? 0) } : { kind: 'freed' };

/** The settlement of an exchange's attempts, keeping an earlier doubt that they did not resolve. */
export function settlementOf(
  method: WriteMethod | 'GET',
  exchange: GraphExchange,
  earlier: EarlierInDoubt | undefined,
  windowMs: number,
  nowMs: number,
): Settlement {
  const { attempts } = exchange;
  const fate = exchangeFate(attempts);
  if (fate === 'final') return { kind: 'final' };
  if (isInDoubt(fate)) {
    return { kind: 'in-doubt', lookFromMs: Math.max(earlier?.lookFromMs ?? 0, lookFromOf(method, attempts, windowMs, nowMs)) };
  }
  return earlier ? { kind: 'in-doubt', lookFromMs: earlier.lookFromMs } : freedBy(exchange, nowMs);
}
