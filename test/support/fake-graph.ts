import type { HttpMethod } from '../../src/catalog/operations';
import type { Clock } from '../../src/clock';
import type { AttemptEnding } from '../../src/graph/attempt';
import type { Attempt, GraphCall, GraphExchange, GraphGateway, SendOptions } from '../../src/graph/gateway';
import { MIN_ATTEMPT_MS } from '../../src/graph/retry-policy';
import type { TokenInspector } from '../../src/identity/token-claims';

/**
 * A clock whose time moves only when something waits on it or an attempt is in flight, so that
 * the rules that depend on time (the in-doubt window, the budget) are tested without real waits.
 */
export class FakeClock implements Clock {
  /** The total the code under test waited on this clock; time spent in flight is not counted. */
  waitedMs = 0;

  constructor(private nowMs: number) {}

  now(): number {
    return this.nowMs;
  }

  async sleep(ms: number): Promise<void> {
    const step = Math.max(0, ms);
    this.nowMs += step;
    this.waitedMs += step;
  }

  /** Time passing while Graph works on an attempt: not a wait of the code under test. */
  pass(ms: number): void {
    this.nowMs += Math.max(0, ms);
  }
}

/** One attempt as a test scripts it: how it ends, the body Graph answers with, how long it is in flight. */
export interface ScriptedAttempt {
  readonly ending: AttemptEnding;
  readonly body?: unknown;
  /** By default a timeout lasts until the deadline, as the real gateway bounds an attempt by it, and anything else ANSWER_MS. */
  readonly durationMs?: number;
}

/** One exchange as a test scripts it: its attempts in order and, when known, when the caller may try again. */
export interface ScriptedExchange {
  readonly attempts: readonly ScriptedAttempt[];
  readonly retryAfterMs?: number;
}

/** How long a scripted answer takes to come, unless the script says otherwise. */
const ANSWER_MS = 250;

export const answer = (status: number, body?: unknown, retryAfter?: string): ScriptedAttempt => ({
  ending: retryAfter === undefined ? { kind: 'answer', status } : { kind: 'answer', status, retryAfter },
  body,
});
export const brokenConnection: ScriptedAttempt = { ending: { kind: 'network' }, durationMs: 1000 };
export const noAnswer: ScriptedAttempt = { ending: { kind: 'timeout' } };
export const noToken: ScriptedAttempt = { ending: { kind: 'token' }, durationMs: 0 };

/** An exchange of these attempts; a single attempt is the common case. */
export const exchangeOf = (...attempts: ScriptedAttempt[]): ScriptedExchange => ({ attempts });

/** A page of a Graph list, with a nextLink when more pages follow. */
export const listPage = (items: readonly unknown[], nextLink?: string): ScriptedExchange =>
  exchangeOf(answer(200, nextLink === undefined ? { value: items } : { value: items, '@odata.nextLink': nextLink }));

/** What the fake saw of one call to `send`. */
export interface SentCall {
  readonly method: HttpMethod;
  readonly path: string;
  readonly skipToken: string | undefined;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  /** The deadline the call was sent with. */
  readonly deadlineMs: number;
  /** The ending of each attempt played, in order. */
  readonly endings: readonly AttemptEnding[];
  /** After each attempt played: whether the caller's write rules allowed sending it again. */
  readonly mayRepeat: readonly boolean[];
  /** Scripted attempts left unplayed because the write rules forbade a repeat. */
  readonly unplayed: number;
  /** Nothing was sent: a write without MIN_ATTEMPT_MS of budget left, as the real gateway holds it. */
  readonly held: boolean;
}

/**
 * A Graph gateway that plays scripted exchanges: one queue for writes, one for GETs (look-ups and
 * read-backs). Like the real gateway it plays the next scripted attempt only when `mayRepeat`
 * allows it, and never starts a write without MIN_ATTEMPT_MS of the budget left; it does not
 * retry by itself, so what is sent is exactly what the test scripted. An unscripted call fails
 * the test, so that a call the code should not make cannot pass unnoticed.
 */
export class FakeGraph implements GraphGateway {
  readonly calls: SentCall[] = [];
  private readonly writes: ScriptedExchange[] = [];
  private readonly reads: ScriptedExchange[] = [];

  constructor(private readonly clock: FakeClock) {}

  scriptWrites(...exchanges: ScriptedExchange[]): this {
    this.writes.push(...exchanges);
    return this;
  }

  scriptReads(...exchanges: ScriptedExchange[]): this {
    this.reads.push(...exchanges);
    return this;
  }

  async warmUp(): Promise<void> {}

  async send(call: GraphCall, options: SendOptions): Promise<GraphExchange> {
    const startedAtMs = this.clock.now();
    const { deadlineMs } = options;
    const record = { method: call.method, path: call.path, skipToken: call.skipToken, startedAtMs, deadlineMs };
    if (call.method !== 'GET' && deadlineMs - MIN_ATTEMPT_MS < startedAtMs) {
      this.calls.push({ ...record, endedAtMs: startedAtMs, endings: [], mayRepeat: [], unplayed: 0, held: true });
      return { attempts: [], heldBack: 'no-time-left', retryAfterMs: 1000 };
    }
    const script = (call.method === 'GET' ? this.reads : this.writes).shift();
    if (!script) throw new Error(`unscripted ${call.method} ${call.path} at ${startedAtMs}`);
    const attempts: Attempt[] = [];
    const mayRepeat: boolean[] = [];
    for (const scripted of script.attempts) {
      const sentAtMs = this.clock.now();
      const { ending } = scripted;
      this.clock.pass(scripted.durationMs ?? (ending.kind === 'timeout' ? deadlineMs - sentAtMs : ANSWER_MS));
      const graphAnswer =
        ending.kind === 'answer'
          ? {
              status: ending.status,
              requestId: `request-${this.calls.length}`,
              retryAfter: ending.retryAfter,
              body: scripted.body,
            }
          : undefined;
      attempts.push({ ending, answer: graphAnswer, sentAtMs });
      mayRepeat.push(options.mayRepeat(ending));
      if (!mayRepeat.at(-1)) break;
    }
    this.calls.push({
      ...record,
      endedAtMs: this.clock.now(),
      endings: attempts.map((attempt) => attempt.ending),
      mayRepeat,
      unplayed: script.attempts.length - attempts.length,
      held: false,
    });
    return { attempts, retryAfterMs: script.retryAfterMs };
  }

  /** The calls that wrote (POST, PATCH, DELETE) and were not held. */
  get writesSent(): SentCall[] {
    return this.calls.filter((call) => call.method !== 'GET' && !call.held);
  }

  /** The GETs: look-ups in a collection and read-backs of an item. */
  get readsSent(): SentCall[] {
    return this.calls.filter((call) => call.method === 'GET');
  }

  /** Scripted exchanges nobody asked for: a test expecting a call the code skipped sees it here. */
  get unused(): number {
    return this.writes.length + this.reads.length;
  }
}

/** The facade's own token: unread by default; with roles, as read when Graph answers 403. */
export function tokenHolding(roles?: readonly string[]): TokenInspector {
  return {
    async read() {
      return roles
        ? { ok: true, claims: { audience: 'https://graph.microsoft.com', tenantId: 'tenant', appId: 'app', roles } }
        : { ok: false, reason: 'not needed' };
    },
  };
}
