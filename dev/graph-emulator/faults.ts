import * as v from 'valibot';

/**
 * What a fault does to one Graph request. The kinds are the failures a client of Graph must
 * survive, in particular the two that look alike to it but differ in Graph: a request refused
 * before any work (`status`, `reset`) and one applied whose answer went wrong
 * (`applyThenStatus`, `applyThenReset`), the reason a POST may not simply be sent again.
 */
export type FaultAction =
  /** Nothing but the delay: the request is then served normally. */
  | { readonly kind: 'none' }
  /** Not applied; answered with this error status and Graph's error body. */
  | { readonly kind: 'status'; readonly status: number }
  /** Not applied; the connection is destroyed without any answer. */
  | { readonly kind: 'reset' }
  /** Applied fully, then the connection is destroyed: the answer was lost. */
  | { readonly kind: 'applyThenReset' }
  /** Applied fully, then answered with this error status instead of the real answer. */
  | { readonly kind: 'applyThenStatus'; readonly status: number };

/** A fault resolved for serving: the action, a delay before it, and how an error answer reads. */
export interface FaultEffect {
  readonly action: FaultAction;
  /** Milliseconds to wait before acting, so that a client's timeouts can be exercised. */
  readonly delayMs: number;
  readonly code: string | undefined;
  readonly message: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

/** The names under which faults are counted in `GET /_emulator/stats`. */
export type FaultKind = 'delay' | 'status' | 'reset' | 'applyThenReset' | 'applyThenStatus';

/** The kinds one effect counts as: its action, and `delay` when it also waited. */
export function faultKindsOf(effect: FaultEffect): FaultKind[] {
  const kinds: FaultKind[] = effect.delayMs > 0 ? ['delay'] : [];
  if (effect.action.kind !== 'none') kinds.push(effect.action.kind);
  return kinds;
}

/** Graph's error code for an injected status when the fault names none. */
export function defaultErrorCode(status: number): string {
  switch (status) {
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalServerError';
    case 504:
      return 'GatewayTimeout';
    default:
      return status >= 500 ? 'ServiceUnavailable' : 'BadRequest';
  }
}

const errorStatus = v.pipe(v.number(), v.integer(), v.minValue(400), v.maxValue(599));
const retryAfter = v.union([v.string(), v.pipe(v.number(), v.transform(String))]);

/** The fields that say what a fault does; shared by queued faults and chaos outcomes. */
const effectFields = {
  status: v.optional(errorStatus),
  delayMs: v.optional(v.pipe(v.number(), v.minValue(0))),
  reset: v.optional(v.boolean()),
  applyThenReset: v.optional(v.boolean()),
  applyThenStatus: v.optional(errorStatus),
  /** Shorthand for a `Retry-After` header on an error answer. */
  retryAfter: v.optional(retryAfter),
};

interface EffectFields {
  readonly status?: number | undefined;
  readonly delayMs?: number | undefined;
  readonly reset?: boolean | undefined;
  readonly applyThenReset?: boolean | undefined;
  readonly applyThenStatus?: number | undefined;
  readonly retryAfter?: string | undefined;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  readonly headers?: Record<string, string> | undefined;
}

/**
 * The one action the fields ask for. Two at once (a status and a reset, say) are refused
 * rather than resolved by a precedence rule a test author would have to know.
 */
function actionOf(fields: EffectFields, where: string): FaultAction {
  const actions: FaultAction[] = [];
  if (fields.status !== undefined) actions.push({ kind: 'status', status: fields.status });
  if (fields.reset === true) actions.push({ kind: 'reset' });
  if (fields.applyThenReset === true) actions.push({ kind: 'applyThenReset' });
  if (fields.applyThenStatus !== undefined) actions.push({ kind: 'applyThenStatus', status: fields.applyThenStatus });
  if (actions.length > 1) throw new RangeError(`${where}: give one of status, reset, applyThenReset, applyThenStatus`);
  const action = actions[0] ?? { kind: 'none' };
  if (action.kind === 'none' && !(fields.delayMs && fields.delayMs > 0)) {
    throw new RangeError(`${where}: give status, reset, applyThenReset, applyThenStatus or delayMs`);
  }
  return action;
}

function effectOf(fields: EffectFields, where: string): FaultEffect {
  return {
    action: actionOf(fields, where),
    delayMs: fields.delayMs ?? 0,
    code: fields.code,
    message: fields.message,
    headers: { ...fields.headers, ...(fields.retryAfter === undefined ? {} : { 'retry-after': fields.retryAfter }) },
  };
}

/** The body of `POST /_emulator/faults`: which requests, what happens to them, how many times. */
const FaultRequestSchema = v.strictObject({
  method: v.optional(v.string()),
  pathIncludes: v.optional(v.string()),
  code: v.optional(v.string()),
  message: v.optional(v.string()),
  headers: v.optional(v.record(v.string(), v.string())),
  times: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  ...effectFields,
});

export type FaultRequest = v.InferInput<typeof FaultRequestSchema>;

/** A queued fault: served to the first `remaining` matching Graph requests. */
export interface QueuedFault {
  readonly method: string | undefined;
  readonly pathIncludes: string | undefined;
  readonly effect: FaultEffect;
  remaining: number;
}

/** A queued fault from a control request; throws a RangeError naming what is wrong. */
export function queuedFaultFrom(input: unknown): QueuedFault {
  const parsed = v.safeParse(FaultRequestSchema, input);
  if (!parsed.success) throw new RangeError(`fault: ${v.summarize(parsed.issues)}`);
  const fault = parsed.output;
  return {
    method: fault.method?.toUpperCase(),
    pathIncludes: fault.pathIncludes,
    effect: effectOf(fault, 'fault'),
    remaining: fault.times ?? 1,
  };
}

/** Takes the first queued fault matching the request, used up after its `times`. */
export function takeFault(queue: QueuedFault[], method: string, path: string): FaultEffect | undefined {
  const index = queue.findIndex(
    (fault) =>
      (!fault.method || fault.method === method.toUpperCase()) && (!fault.pathIncludes || path.includes(fault.pathIncludes)),
  );
  const fault = queue[index];
  if (!fault) return undefined;
  fault.remaining -= 1;
  if (fault.remaining <= 0) queue.splice(index, 1);
  return fault.effect;
}

const ChaosOutcomeSchema = v.strictObject({
  weight: v.pipe(v.number(), v.gtValue(0)),
  /** Only requests with this method draw this outcome (all methods when absent). */
  method: v.optional(v.string()),
  ...effectFields,
});

/** The body of `PUT /_emulator/chaos`; `{ "probability": 0 }` alone turns chaos off. */
const ChaosRequestSchema = v.strictObject({
  probability: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
  seed: v.optional(v.pipe(v.number(), v.integer())),
  outcomes: v.optional(v.array(ChaosOutcomeSchema), []),
});

export type ChaosOutcome = v.InferOutput<typeof ChaosOutcomeSchema>;
export type ChaosRequest = v.InferInput<typeof ChaosRequestSchema>;

/** Chaos as configured: the request it came from (with the seed filled in) and its effects. */
export interface ChaosSettings {
  readonly probability: number;
  readonly seed: number;
  readonly outcomes: readonly ChaosOutcome[];
}

export const CHAOS_OFF: ChaosSettings = { probability: 0, seed: 0, outcomes: [] };

/**
 * Chaos settings from a control request. Without a seed one is chosen and returned, so that a
 * run that found a bug can be replayed.
 */
export function chaosSettingsFrom(input: unknown): ChaosSettings {
  const parsed = v.safeParse(ChaosRequestSchema, input);
  if (!parsed.success) throw new RangeError(`chaos: ${v.summarize(parsed.issues)}`);
  const { probability, seed, outcomes } = parsed.output;
  if (probability > 0 && outcomes.length === 0) throw new RangeError('chaos: a probability above 0 needs at least one outcome');
  outcomes.forEach((outcome, index) => effectOf(outcome, `chaos: outcomes[${index}]`));
  return { probability, seed: seed ?? Math.floor(Math.random() * 2 ** 31), outcomes };
}

/** mulberry32: tiny, fast and good enough to spread faults; the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** The outcome a roll in [0, 1) lands on, each outcome taking a share of the range by weight. */
export function pickWeighted<T extends { readonly weight: number }>(outcomes: readonly T[], roll: number): T | undefined {
  if (outcomes.length === 0) return undefined;
  const total = outcomes.reduce((sum, outcome) => sum + outcome.weight, 0);
  let threshold = roll * total;
  for (const outcome of outcomes) {
    threshold -= outcome.weight;
    if (threshold < 0) return outcome;
  }
  return outcomes.at(-1);
}

/**
 * Random faults for reliability runs. Each Graph request that reaches chaos draws once for
 * whether it is hit and, if so, once for which outcome, so that the same seed and the same
 * sequence of requests give the same faults.
 */
export class Chaos {
  private settings: ChaosSettings = CHAOS_OFF;
  private random: () => number = seededRandom(0);

  get current(): ChaosSettings {
    return this.settings;
  }

  /** Restarts the random sequence from the settings' seed. */
  configure(settings: ChaosSettings): void {
    this.settings = settings;
    this.random = seededRandom(settings.seed);
  }

  /** The fault for the next request with this method, if chaos hits it. */
  draw(method: string): FaultEffect | undefined {
    if (this.settings.probability <= 0) return undefined;
    if (this.random() >= this.settings.probability) return undefined;
    const eligible = this.settings.outcomes.filter(
      (outcome) => !outcome.method || outcome.method.toUpperCase() === method.toUpperCase(),
    );
    const outcome = pickWeighted(eligible, this.random());
    return outcome && effectOf(outcome, 'chaos');
  }
}
