import type { Clock } from '../clock';

/**
 * The calls of one instance waiting for their turn in the Graph budget, bounded: each one holds a
 * caller's connection, and on Flex Consumption every request held adds to the load that makes
 * the platform start instances. When the room is full, a call is refused at once (the caller is
 * told when the last one waiting is due) rather than taking a turn it would wait long for.
 *
 * Callers the app tells apart (budget accounts) share the room: with k of them seated, each may
 * hold at most seats / (k + 1), so a seat is always left for a caller not yet seated, and one
 * caller's flood cannot fill the room for everyone else (fair-share.ts shares the turns).
 */
export class WaitingRoom {
  private readonly seated = new Map<symbol, { readonly dueMs: number; readonly account: string | undefined }>();

  constructor(private readonly seats: number) {}

  /** Whether a call for `account` would find no seat it may take. */
  isFullFor(account: string | undefined): boolean {
    if (this.seated.size >= this.seats) return true;
    if (account === undefined) return false;
    const accounts = new Set([...this.seated.values()].map((seat) => seat.account).filter((name) => name !== undefined));
    accounts.add(account);
    const held = [...this.seated.values()].filter((seat) => seat.account === account).length;
    return held >= Math.max(1, Math.floor(this.seats / (accounts.size + 1)));
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
}
