/**
 * The pace at which one instance lets a caller's accepted writes come up in the queue the app
 * finishes writes from. The queue is first in, first out: without a pace, a caller that hands
 * the app thousands of writes puts all of them ahead of the next caller's one, and the budget's
 * fair share (fair-share.ts) never sees that one until the whole flood has been dequeued. Each
 * caller's messages are made visible no faster than the app's write rate, on this instance, and
 * never more than an hour ahead (a flood beyond that comes up at once, well within the records'
 * retention); writes without a budget account (function keys alone) are not paced, as before.
 */
export class CallerPacing {
  private readonly nextSlotMs = new Map<string, number>();

  constructor(private readonly spacingMs: number) {}

  /**
   * When the caller's next write may come up (epoch ms), taking that slot: now for a caller with
   * none pending on this instance, one spacing after its last otherwise.
   */
  takeSlot(account: string | undefined, nowMs: number): number {
    if (account === undefined) return nowMs;
    const slotMs = Math.min(Math.max(nowMs, this.nextSlotMs.get(account) ?? 0), nowMs + MAX_AHEAD_MS);
    this.nextSlotMs.set(account, slotMs + this.spacingMs);
    if (this.nextSlotMs.size > MAX_CALLERS) this.forgetPast(nowMs);
    return slotMs;
  }

  /** Callers whose slots are all past hold nothing: forgotten, so that the map stays small. */
  private forgetPast(nowMs: number): void {
    for (const [account, slotMs] of this.nextSlotMs) if (slotMs <= nowMs) this.nextSlotMs.delete(account);
  }
}

const MAX_CALLERS = 1000;
const MAX_AHEAD_MS = 60 * 60_000;
