import type { FaultKind } from './faults';

/** How the emulator answered one Graph request. */
export type RequestOutcome =
  /** Still being served (a delay fault is waiting). */
  | 'pending'
  /** 401: no valid token. Not counted in the throttling windows. */
  | 'unauthorized'
  /** 429 from the throttling windows; not applied. */
  | 'throttled'
  /** A write Graph applied and answered normally. */
  | 'applied'
  /** A read answered normally. */
  | 'answered'
  /** Graph's own refusal from routing: 400, 403, 404, 405 (or a 500 from an emulator bug). */
  | 'refused'
  | 'fault:status'
  | 'fault:reset'
  | 'fault:applyThenReset'
  | 'fault:applyThenStatus';

/** Counters since start or the last reset, so that a reliability run can say what Graph applied. */
export interface EmulatorStats {
  /** Graph requests received, however they were answered. */
  requests: number;
  /** Writes Graph applied, by method, including those whose answer a fault then lost or replaced. */
  applied: { POST: number; PATCH: number; DELETE: number };
  unauthorized: number;
  throttled: number;
  /** Faults served, queued or chaos; a delay with another fault counts under both. */
  faults: Record<FaultKind, number>;
}

export function emptyStats(): EmulatorStats {
  return {
    requests: 0,
    applied: { POST: 0, PATCH: 0, DELETE: 0 },
    unauthorized: 0,
    throttled: 0,
    faults: { delay: 0, status: 0, reset: 0, applyThenReset: 0, applyThenStatus: 0 },
  };
}

/** Counts a write Graph applied. */
export function countApplied(stats: EmulatorStats, method: string): void {
  if (method === 'POST' || method === 'PATCH' || method === 'DELETE') stats.applied[method] += 1;
}

/** Counts the refusals that happen before any fault: no token, or throttled. */
export function countRefusal(stats: EmulatorStats, outcome: 'unauthorized' | 'throttled'): void {
  stats[outcome] += 1;
}

/** Counts each kind of a served fault. */
export function countFault(stats: EmulatorStats, kinds: readonly FaultKind[]): void {
  for (const kind of kinds) stats.faults[kind] += 1;
}

/** A deep copy, so that a caller holding it does not see later requests. */
export const snapshotOf = (stats: EmulatorStats): EmulatorStats => structuredClone(stats);
