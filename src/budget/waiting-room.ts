import type { Clock } from '../clock';
import type { GraphBudget, RequestKind, Reservation } from './budget';

/**
 * The calls of one instance waiting for their turn in the Graph budget, bounded: each one holds a
 * caller's connection, and on Flex Consumption every request held adds to the load that makes
 * the platform start instances. When the room is full, a call is refused at once (the caller is
 * told when the last one waiting is due) rather than taking a turn it would wait long for.
 *
 * Callers the app tells apart (budget accounts) share the room. With k of them in it, a caller
 * already seated may hold at most seats / (k + 1), and never the last such part: a caller not yet
 * seated always finds a seat while the room is not full, so one caller's flood cannot fill the
 * room for everyone else (fair-share.ts shares the turns). A call counts against its caller's
 * part from the moment it asks the budget for a turn, so that calls arriving together cannot all
 * pass the check before any of them sits.
 */
export class WaitingRoom {
  private readonly seated = new Map<symbol, { readonly dueMs: number; readonly account: string | undefined }>();
  /** Per caller, its calls asking the budget for a turn now (they sit once it is granted). */
  private readonly asking = new Map<string, number>();

  constructor(private readonly seats: number) {}

  /** Whether a call for `account` would find no seat it may take. */
  isFullFor(account: string | undefined): boolean {
    if (this.seated.size >= this.seats) return true;
    if (account === undefined) return false;
    const held = this.heldBy(account);
    if (held === 0) return false;
    const callers = new Set([...this.asking.keys(), ...[...this.seated.values()].flatMap((seat) => seat.account ?? [])]);
    const part = Math.max(1, Math.floor(this.seats / (callers.size + 1)));
    const occupied = this.seated.size + [...this.asking.values()].reduce((sum, count) => sum + count, 0);
    return held >= part || occupied >= this.seats - part;
  }

  /** Counts a call of `account` against its part while it asks for its turn; the function returned ends that. */
  asks(account: string | undefined): () => void {
    if (account === undefined) return () => undefined;
    this.asking.set(account, (this.asking.get(account) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.asking.get(account) ?? 1) - 1;
      if (left > 0) this.asking.set(account, left);
      else this.asking.delete(account);
    };
  }

  /** When the last call now waiting is due (epoch ms), if any waits. */
  lastDueMs(): number | undefined {
    return this.seated.size === 0 ? undefined : Math.max(...[...this.seated.values()].map((seat) => seat.dueMs));
  }

  /** Waits until `dueMs` in a seat, given back however the wait ends. */
  async waitUntil(dueMs: number, clock: Clock, account?: string): Promise<void> {
    const seat = Symbol('seat');
    this.seated.set(seat, { dueMs, account });
    try {
      await clock.sleep(dueMs - clock.now());
    } finally {
      this.seated.delete(seat);
    }
  }

  /** The calls of `account` seated or asking for a turn now. */
  heldBy(account: string): number {
    const seatedFor = [...this.seated.values()].filter((seat) => seat.account === account).length;
    return seatedFor + (this.asking.get(account) ?? 0);
  }
}

/** What taking a turn uses: the budget, the instance's waiting room of the call's kind, the clock. */
export interface TurnTaking {
  readonly budget: GraphBudget;
  readonly room: WaitingRoom;
  readonly clock: Clock;
}

/**
 * Asks the budget for a turn for a call, counted against its caller's part of the room while it
 * asks. A caller with this one call at a time, ahead of its share, is paced rather than refused:
 * it waits in a seat until its share has room, while that fits before `latestStartMs`, then asks
 * again (booking no turn meanwhile, so no other caller's turn is pushed back). A caller with
 * several calls at once is refused, as fair-share.ts says. `pacedMs`: how long it waited so.
 */
export async function reserveTurn(
  { budget, room, clock }: TurnTaking,
  kind: RequestKind,
  latestStartMs: number,
  account: string | undefined,
): Promise<{ readonly turn: Reservation; readonly pacedMs: number }> {
  let pacedMs = 0;
  for (;;) {
    const stopAsking = room.asks(account);
    let turn: Reservation;
    try {
      turn = await budget.reserve(kind, latestStartMs, account);
    } finally {
      // The seat, if the turn is ahead, is taken by the caller without a pause between.
      stopAsking();
    }
    if (
      turn.granted ||
      turn.heldBy !== 'caller-share' ||
      account === undefined ||
      room.heldBy(account) > 0 ||
      clock.now() + turn.retryAfterMs > latestStartMs
    )
      return { turn, pacedMs };
    const fromMs = clock.now();
    await room.waitUntil(fromMs + turn.retryAfterMs, clock, account);
    pacedMs += clock.now() - fromMs;
  }
}
