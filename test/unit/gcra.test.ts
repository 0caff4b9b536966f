import { EMPTY_BUDGET, localShare, pausedUntil, type RateShape, takeTurn, type Turn } from '../../src/budget/gcra';

const plenty = 60_000;

/** Takes `count` turns at `nowMs`, threading the state; the waits. */
function turns(shape: RateShape, count: number, nowMs: number, state = EMPTY_BUDGET, maxWaitMs = plenty) {
  const waits: number[] = [];
  let current = state;
  for (let i = 0; i < count; i++) {
    const turn: Turn = takeTurn(current, shape, nowMs, maxWaitMs);
    if (!turn.granted) throw new Error(`turn ${i} refused`);
    waits.push(turn.waitMs);
    current = turn.state;
  }
  return { waits, state: current };
}

describe('the budget arithmetic (GCRA)', () => {
  test('after a quiet spell the burst goes at once, then turns are spaced at the rate', () => {
    // 100 per 20 s is one per 200 ms.
    const { waits } = turns({ requestsPer20Seconds: 100, burst: 3 }, 6, 1_000_000);
    expect(waits).toEqual([0, 0, 0, 200, 400, 600]);
  });

  test('in any 20 s, at most the rate plus the burst are granted, however the turns are asked for', () => {
    const shape = { requestsPer20Seconds: 95, burst: 4 };
    let state = EMPTY_BUDGET;
    const sendTimes: number[] = [];
    // Callers arrive in uneven bursts over 2 minutes; each sends at its turn.
    for (let nowMs = 0; nowMs < 120_000; nowMs += 37 + ((nowMs * 7) % 311)) {
      const turn = takeTurn(state, shape, nowMs, plenty);
      if (!turn.granted) continue;
      state = turn.state;
      sendTimes.push(nowMs + turn.waitMs);
    }
    sendTimes.sort((a, b) => a - b);
    const mostInAWindow = Math.max(...sendTimes.map((start) => sendTimes.filter((t) => t >= start && t < start + 20_000).length));
    expect(mostInAWindow).toBeLessThanOrEqual(95 + 4);
    expect(mostInAWindow).toBeGreaterThanOrEqual(95);
  });

  test('a turn further away than the caller can wait is refused, takes nothing, and says honestly when to come back', () => {
    const shape = { requestsPer20Seconds: 20, burst: 1 };
    const { state } = turns(shape, 1, 0);
    const refused = takeTurn(state, shape, 0, 500);
    expect(refused).toEqual({ granted: false, retryAfterMs: 1000 });
    // Nothing was taken: the same turn is still the next one, exactly when it said.
    const granted = takeTurn(state, shape, 1000, 0);
    expect(granted.granted && granted.waitMs).toBe(0);
  });

  test("a pause (Graph's Retry-After) holds every turn until it ends, and is never shortened", () => {
    const shape = { requestsPer20Seconds: 100, burst: 2 };
    const paused = pausedUntil(pausedUntil(EMPTY_BUDGET, 5000), 3000);
    expect(paused.pausedUntilMs).toBe(5000);
    expect(turns(shape, 3, 0, paused).waits).toEqual([5000, 5000, 5200]);
    expect(takeTurn(paused, shape, 0, 4999)).toEqual({ granted: false, retryAfterMs: 5000 });
  });

  test('when every instance falls back to its local share at once, together they stay within the shared worst 20 s', () => {
    const shape = { requestsPer20Seconds: 95, burst: 4 };
    const instanceCap = 40;
    const share = localShare(shape, instanceCap);
    expect(share.burst).toBe(1);
    // One instance asking all the time for 2 minutes: its busiest 20 s, times the instance cap.
    let state = EMPTY_BUDGET;
    const sends: number[] = [];
    for (let nowMs = 0; nowMs < 120_000; nowMs += 50) {
      const turn = takeTurn(state, share, nowMs, 0);
      if (!turn.granted) continue;
      state = turn.state;
      sends.push(nowMs + turn.waitMs);
    }
    const busiest = Math.max(...sends.map((start) => sends.filter((at) => at >= start && at < start + 20_000).length));
    expect(busiest * instanceCap).toBeLessThanOrEqual(shape.requestsPer20Seconds + shape.burst);
    expect(busiest).toBeGreaterThanOrEqual(1);
  });
});
