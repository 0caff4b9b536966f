import { CallerPacing } from '../../src/budget/caller-pacing';
import { accountsAtWork, CALLER_LEAD_MS, SHARED_LEAD_MS, takeFairTurn } from '../../src/budget/fair-share';
import { type BudgetState, EMPTY_BUDGET, type RateShape, takeTurn } from '../../src/budget/gcra';
import { WaitingRoom } from '../../src/budget/waiting-room';

// The fair share arithmetic, on a simulated clock: callers ask for turns as they would through
// the gateway (each asks again once its last call is answered or refused), and the turns they
// are granted are counted. The budget is 95 writes per 20 s after a burst of 4, the defaults.

const SHAPE: RateShape = { requestsPer20Seconds: 95, burst: 4 };
const MAX_WAIT_MS = 28_000;

interface Asker {
  readonly account: string | undefined;
  /** When this caller next asks (ms). */
  nextAskMs: number;
  /** How long the caller waits between its calls when it is not refused (ms): 0 floods. */
  readonly everyMs: number;
  granted: number;
  refused: number;
  /** When each granted turn is due. */
  readonly sendTimes: number[];
  /** How long each granted turn was waited for (simulated ms). */
  readonly waits: number[];
}

const asker = (account: string | undefined, everyMs: number, startMs = 0): Asker => ({
  account,
  nextAskMs: startMs,
  everyMs,
  granted: 0,
  refused: 0,
  sendTimes: [],
  waits: [],
});

/** Runs the callers against one budget for `durationMs`, in steps of 10 ms; `concurrency` calls per flooder. */
function simulate(askers: Asker[], durationMs: number, take = takeFairTurn): BudgetState {
  let state = EMPTY_BUDGET;
  for (let nowMs = 0; nowMs < durationMs; nowMs += 10) {
    for (const caller of askers) {
      if (caller.nextAskMs > nowMs) continue;
      const turn = take(state, SHAPE, nowMs, MAX_WAIT_MS, caller.account);
      if (turn.granted) {
        state = turn.state;
        caller.granted++;
        caller.sendTimes.push(nowMs + turn.waitMs);
        caller.waits.push(turn.waitMs);
        // A flood asks again at once (its other connections); a quiet caller after its interval.
        caller.nextAskMs = caller.everyMs === 0 ? nowMs : nowMs + caller.everyMs;
      } else {
        caller.refused++;
        // A flooder comes back a quarter of a second later; a quiet caller keeps to its own pace.
        caller.nextAskMs = nowMs + (caller.everyMs === 0 ? 250 : caller.everyMs);
      }
    }
  }
  return state;
}

const busiestWindow = (times: number[]) =>
  Math.max(...times.map((start) => times.filter((at) => at >= start && at < start + 20_000).length));

describe('a fair share of the budget per caller', () => {
  test('without callers told apart, the budget is first come, first served: a quiet caller waits behind the whole flood, or is refused', () => {
    // The behaviour the fair share exists to end (and the budget keeps for function keys alone).
    const flood = asker(undefined, 0);
    const quietCaller = asker(undefined, 2000, 5000);
    const unaccounted = (state: BudgetState, shape: RateShape, nowMs: number, maxWaitMs: number) =>
      takeTurn(state, shape, nowMs, maxWaitMs);
    simulate([flood, quietCaller], 60_000, unaccounted);
    // Its turns come only at the far end of the flood's promises, if at all.
    expect(quietCaller.refused).toBeGreaterThan(0);
    expect(Math.min(...quietCaller.waits)).toBeGreaterThan(MAX_WAIT_MS - 1000);
  });

  test('a flood from one caller leaves a quiet caller every turn it asks for, and takes the rest', () => {
    const flood = asker('flood', 0);
    const quietCaller = asker('quiet', 2000, 5000);
    simulate([flood, quietCaller], 60_000);
    // One call every 2 s from 5 s on: 28 asks, far below half the rate; every one granted.
    expect(quietCaller.refused).toBe(0);
    expect(quietCaller.granted).toBe(28);
    // No turn waits longer than the lead of the flood's promises when the quiet caller came; once
    // those have passed, each waits at most the shorter lead of callers at work together.
    expect(Math.max(...quietCaller.waits)).toBeLessThanOrEqual(CALLER_LEAD_MS);
    const askedAt = quietCaller.sendTimes.map((sendMs, index) => sendMs - (quietCaller.waits[index] ?? 0));
    const settled = quietCaller.waits.filter((_, index) => (askedAt[index] ?? 0) >= 5000 + CALLER_LEAD_MS);
    expect(settled.length).toBeGreaterThan(20);
    expect(Math.max(...settled)).toBeLessThanOrEqual(SHARED_LEAD_MS + 20_000 / 95);
    const all = [...flood.sendTimes, ...quietCaller.sendTimes].sort((a, b) => a - b);
    expect(busiestWindow(all)).toBeLessThanOrEqual(SHAPE.requestsPer20Seconds + SHAPE.burst);
    // Nothing is kept idle: the flood had what the quiet caller left, about 95 per 20 s in all.
    expect(flood.granted + quietCaller.granted).toBeGreaterThanOrEqual(Math.floor((95 * 60) / 20) - 2);
  });

  test('callers that all flood share the rate evenly', () => {
    const floods = ['a', 'b', 'c'].map((account) => asker(account, 0));
    simulate(floods, 60_000);
    const granted = floods.map((caller) => caller.granted);
    const total = granted.reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThanOrEqual(280);
    for (const count of granted) expect(Math.abs(count - total / 3)).toBeLessThanOrEqual(total * 0.1);
  });

  test('two floods and a quiet caller: the quiet caller still gets every turn, the floods half the rest each', () => {
    const [first, second] = [asker('a', 0), asker('b', 0, 3000)];
    const quietCaller = asker('quiet', 3000, 8000);
    simulate([first, second, quietCaller], 60_000);
    expect(quietCaller.refused).toBe(0);
    expect(quietCaller.granted).toBe(18);
    expect(Math.abs(first.granted - second.granted)).toBeLessThanOrEqual(0.15 * (first.granted + second.granted));
  });

  test('a caller alone may use the whole rate, promised at most the lead ahead', () => {
    const alone = asker('alone', 0);
    simulate([alone], 60_000);
    expect(alone.granted).toBeGreaterThanOrEqual(Math.floor((95 * 60) / 20) - 2);
    const lastAskedMs = 60_000 - 10;
    expect(Math.max(...alone.sendTimes) - lastAskedMs).toBeLessThanOrEqual(CALLER_LEAD_MS + 20_000 / 95);
  });

  test('a refusal for the share takes nothing and says when the caller may come back', () => {
    let state = EMPTY_BUDGET;
    let refusal: ReturnType<typeof takeFairTurn> | undefined;
    for (let index = 0; index < 100 && !refusal; index++) {
      const turn = takeFairTurn(state, SHAPE, 0, MAX_WAIT_MS, 'alone');
      if (turn.granted) state = turn.state;
      else refusal = turn;
    }
    expect(refusal).toMatchObject({ granted: false, heldBy: 'caller-share' });
    const retryAfterMs = refusal && !refusal.granted ? refusal.retryAfterMs : 0;
    expect(retryAfterMs).toBeGreaterThan(0);
    // Just before then still refused; at that instant granted.
    expect(takeFairTurn(state, SHAPE, retryAfterMs - 1, MAX_WAIT_MS, 'alone').granted).toBe(false);
    expect(takeFairTurn(state, SHAPE, retryAfterMs, MAX_WAIT_MS, 'alone').granted).toBe(true);
  });

  test('the state keeps only callers at work lately, and at most 200 of them', () => {
    let state = EMPTY_BUDGET;
    for (let index = 0; index < 700; index++) {
      const turn = takeFairTurn(state, { requestsPer20Seconds: 1000, burst: 1000 }, 0, MAX_WAIT_MS, `caller-${index}`);
      if (turn.granted) state = turn.state;
    }
    expect(Object.keys(state.accounts ?? {}).length).toBe(200);
    expect(accountsAtWork(state.accounts, 10 * 60_000).size).toBe(0);
    // A row's state from before callers were told apart, or damaged, holds nobody; nor a clock no instance could have written.
    expect(accountsAtWork({ odd: 'x' as unknown as [number, number], short: [1] as unknown as [number, number] }, 0).size).toBe(
      0,
    );
    expect(accountsAtWork({ far: [1e308, 0], seenAhead: [5, 1e15], fine: [500, 0] }, 0)).toEqual(new Map([['fine', [500, 0]]]));
  });
});

describe("an instance's waiting room, shared by callers", () => {
  const clock = { now: () => 0, sleep: () => new Promise<void>(() => undefined) };

  test('one caller may hold at most half the seats, so a seat is left for another', () => {
    const room = new WaitingRoom(8);
    for (let seat = 0; seat < 4; seat++) void room.waitUntil(1000, clock, 'flood');
    expect(room.isFullFor('flood')).toBe(true);
    expect(room.isFullFor('quiet')).toBe(false);
  });

  test('callers seated one after another still leave a seat for a newcomer', () => {
    const room = new WaitingRoom(32);
    for (const account of ['a', 'b', 'c']) {
      for (let seat = 0; seat < 32 && !room.isFullFor(account); seat++) void room.waitUntil(1000, clock, account);
    }
    expect(room.isFullFor('newcomer')).toBe(false);
  });

  test("a caller's calls count against its part while they ask for their turn, before they sit", () => {
    const room = new WaitingRoom(8);
    const admitted = Array.from({ length: 20 }, () => (room.isFullFor('flood') ? undefined : room.asks('flood'))).filter(
      (ending) => ending !== undefined,
    );
    expect(admitted).toHaveLength(4);
    expect(room.isFullFor('quiet')).toBe(false);
    for (const stopAsking of admitted) stopAsking();
    expect(room.isFullFor('flood')).toBe(false);
  });

  test('callers not told apart (function keys alone) may take every seat, as before', () => {
    const room = new WaitingRoom(8);
    for (let seat = 0; seat < 7; seat++) void room.waitUntil(1000, clock);
    expect(room.isFullFor(undefined)).toBe(false);
    void room.waitUntil(1000, clock);
    expect(room.isFullFor(undefined)).toBe(true);
    expect(room.isFullFor('quiet')).toBe(true);
  });
});

describe("a caller's pace in the queue of writes the app finishes", () => {
  test("one caller's writes come up one spacing apart; another caller's first comes up at once", () => {
    const pacing = new CallerPacing(200);
    expect([0, 1, 2].map(() => pacing.takeSlot('flood', 1000))).toEqual([1000, 1200, 1400]);
    expect(pacing.takeSlot('quiet', 1000)).toBe(1000);
    // Once its slots have passed, a caller is at once again.
    expect(pacing.takeSlot('flood', 5000)).toBe(5000);
  });

  test('callers not told apart (function keys) are not paced', () => {
    const pacing = new CallerPacing(200);
    expect([0, 1, 2].map(() => pacing.takeSlot(undefined, 1000))).toEqual([1000, 1000, 1000]);
  });
});
