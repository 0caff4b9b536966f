import type { Clock } from '../clock';

/**
 * The calls of one instance waiting for their turn in the Graph budget, bounded: each one holds a
 * caller's connection, and on Flex Consumption every request held adds to the load that makes
 * the platform start instances. When the room is full, a call is refused at once (the caller is
 * told when the last one waiting is due) rather than taking a turn it would wait long for.
 */
export class WaitingRoom {
  private readonly dueTimes = new Map<symbol, number>();

  constructor(private readonly seats: number) {}

  get isFull(): boolean {
    return this.dueTimes.size >= this.seats;
  }

  /** When the last call now waiting is due (epoch ms), if any waits. */
  lastDueMs(): number | undefined {
    return this.dueTimes.size === 0 ? undefined : Math.max(...this.dueTimes.values());
  }

  /** Waits until `dueMs` in a seat, given back however the wait ends. */
  async waitUntil(dueMs: number, clock: Clock): Promise<void> {
    const seat = Symbol('seat');
    this.dueTimes.set(seat, dueMs);
    try {
      await clock.sleep(dueMs - clock.now());
    } finally {
      this.dueTimes.delete(seat);
    }
  }
}
