import type { TableClient } from '@azure/data-tables';

import { boundedBy, storageStatusOf, tableCreator } from '../storage/store-calls';
import type { record } from '../telemetry/records';
import type { GraphBudget, RequestKind, Reservation } from './budget';
import { type BudgetEntity, entityOf, PARTITION, stateOf } from './budget-row';
import { takeFairTurn } from './fair-share';
import { type BudgetState, EMPTY_BUDGET, localShare, pausedUntil, type RateShape } from './gcra';
import { LocalBudget } from './local-budget';

/** How the budget reports a change an operator should know of: as a telemetry record. */
export type BudgetLog = typeof record;

/** A store slower than this is treated as unreachable: a request must not wait on its budget's bookkeeping. */
const STORE_TIMEOUT_MS = 1000;
/** How long an instance stays on its local share before it tries the shared store again. */
const FALLBACK_MS = 10_000;
/** Lost ETag races in a row before the store is treated as unusable; each loss means another instance took a turn. */
const MAX_CONFLICTS = 16;

const bounded = () => boundedBy(STORE_TIMEOUT_MS);

/** A change of the row's state; no state means nothing to write (a refused turn takes nothing). */
type Change<T> = (state: BudgetState) => { state?: BudgetState; done: T };

interface Queued {
  readonly change: Change<unknown>;
  readonly resolve: (done: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface TableBudgetOptions {
  readonly table: TableClient;
  readonly description: string;
  readonly shapes: Readonly<Record<RequestKind, RateShape>>;
  /** The most instances the app may run: one instance's share of the budget when the store cannot be reached. */
  readonly instanceCap: number;
  /** Where the budget says it fell back to its local share, and recovered: the app's telemetry records. */
  readonly log: BudgetLog;
  readonly now?: () => number;
}

/**
 * The app's budget in Table Storage, shared by every instance. Each turn is one conditional
 * write of the row's new state (If-Match its ETag): two instances racing for a turn cannot both
 * take the same one; the loser reads the row again and takes the next. The last state this
 * instance wrote is kept, so that when no other instance wrote since, a turn costs one write.
 * When the store is slow or unreachable, the instance falls back to a conservative local share
 * of the budget (sized by the instance cap, gcra.ts `localShare`), says so in its log, and tries the
 * store again later: it never sends more than its share.
 */
export class TableBudget implements GraphBudget {
  readonly description: string;
  private readonly known = new Map<RequestKind, { state: BudgetState; etag: string }>();
  private readonly fallback: LocalBudget;
  private fallbackUntilMs = 0;
  private readonly ensureTable: () => Promise<void>;
  /** Changes waiting for the write in flight, per kind; a kind being written is in `pumping`. */
  private readonly pending = new Map<RequestKind, Queued[]>();
  private readonly pumping = new Set<RequestKind>();
  private readonly now: () => number;

  constructor(private readonly options: TableBudgetOptions) {
    this.now = options.now ?? Date.now;
    this.ensureTable = tableCreator(options.table, STORE_TIMEOUT_MS);
    this.description = `shared in ${options.description}`;
    this.fallback = new LocalBudget(
      {
        read: localShare(options.shapes.read, options.instanceCap),
        write: localShare(options.shapes.write, options.instanceCap),
      },
      'local share',
      this.now,
    );
  }

  async reserve(kind: RequestKind, latestAtMs: number, account?: string): Promise<Reservation> {
    // The local share is one instance's sliver of the budget, a request at a time: it is not shared out again by caller.
    if (this.now() < this.fallbackUntilMs) return this.fallback.reserve(kind, latestAtMs);
    try {
      const reservation = await this.reserveShared(kind, latestAtMs, account);
      this.recovered();
      return reservation;
    } catch (error) {
      this.fallBack(error);
      return this.fallback.reserve(kind, latestAtMs);
    }
  }

  async pause(kind: RequestKind, untilMs: number): Promise<void> {
    await this.fallback.pause(kind, untilMs);
    if (this.now() < this.fallbackUntilMs) return;
    try {
      await this.update(kind, (state) => ({ state: pausedUntil(state, untilMs), done: undefined }));
    } catch (error) {
      this.fallBack(error);
    }
  }

  private reserveShared(kind: RequestKind, latestAtMs: number, account: string | undefined): Promise<Reservation> {
    return this.update<Reservation>(kind, (state) => {
      // The clock is read when the turn is computed, after any wait for the store.
      const nowMs = this.now();
      const turn = takeFairTurn(state, this.options.shapes[kind], nowMs, latestAtMs - nowMs, account);
      return turn.granted ? { state: turn.state, done: { granted: true, atMs: nowMs + turn.waitMs } } : { done: turn };
    });
  }

  /**
   * Applies `change` to the row with a conditional write. Changes asked for while a write is in
   * flight wait and go together in the next one: an instance under load spends one write on many
   * turns, and the instance that just won a race has nothing queued to win the next with, so
   * instances cannot starve each other.
   */
  private update<T>(kind: RequestKind, change: Change<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queue = this.pending.get(kind) ?? [];
      queue.push({ change, resolve: resolve as (done: unknown) => void, reject });
      this.pending.set(kind, queue);
      if (!this.pumping.has(kind)) void this.pump(kind);
    });
  }

  private async pump(kind: RequestKind): Promise<void> {
    this.pumping.add(kind);
    try {
      for (let batch = this.take(kind); batch.length > 0; batch = this.take(kind)) {
        try {
          const results = await this.applyTogether(
            kind,
            batch.map((queued) => queued.change),
          );
          batch.forEach((queued, index) => queued.resolve(results[index]));
        } catch (error) {
          for (const queued of batch) queued.reject(error);
        }
      }
    } finally {
      this.pumping.delete(kind);
    }
  }

  private take(kind: RequestKind): Queued[] {
    const batch = this.pending.get(kind) ?? [];
    this.pending.set(kind, []);
    return batch;
  }

  /** The changes applied in order to the row's state, written once; again on a fresh read after each lost race. */
  private async applyTogether(kind: RequestKind, changes: readonly Change<unknown>[]): Promise<unknown[]> {
    for (let conflicts = 0; conflicts < MAX_CONFLICTS; conflicts++) {
      const current = this.known.get(kind) ?? (await this.read(kind));
      let state = current.state;
      let changed = false;
      const results = changes.map((change) => {
        const outcome = change(state);
        if (outcome.state) [state, changed] = [outcome.state, true];
        return outcome.done;
      });
      if (!changed) return results;
      const etag = await this.replace(kind, state, current.etag);
      if (etag !== undefined) {
        this.known.set(kind, { state, etag });
        return results;
      }
      this.known.delete(kind);
    }
    throw new Error(`the ${kind} budget row changed under this instance ${MAX_CONFLICTS} times in a row`);
  }

  private async read(kind: RequestKind): Promise<{ state: BudgetState; etag: string }> {
    await this.ensureTable();
    try {
      const entity = await this.options.table.getEntity<BudgetEntity>(PARTITION, kind, bounded());
      return { state: stateOf(entity), etag: entity.etag };
    } catch (error) {
      if (storageStatusOf(error) !== 404) throw error;
    }
    try {
      const created = await this.options.table.createEntity<BudgetEntity>(entityOf(kind, EMPTY_BUDGET), bounded());
      return { state: EMPTY_BUDGET, etag: created.etag ?? '' };
    } catch (error) {
      // Another instance created it first: read what it wrote.
      if (storageStatusOf(error) !== 409) throw error;
      const entity = await this.options.table.getEntity<BudgetEntity>(PARTITION, kind, bounded());
      return { state: stateOf(entity), etag: entity.etag };
    }
  }

  /** The new ETag, or undefined when another instance wrote the row since `etag`. */
  private async replace(kind: RequestKind, state: BudgetState, etag: string): Promise<string | undefined> {
    try {
      const written = await this.options.table.updateEntity<BudgetEntity>(entityOf(kind, state), 'Replace', {
        etag,
        ...bounded(),
      });
      return written.etag ?? '';
    } catch (error) {
      if (storageStatusOf(error) === 412) return undefined;
      throw error;
    }
  }

  private fallBack(error: unknown): void {
    const wasShared = this.fallbackUntilMs === 0;
    this.fallbackUntilMs = this.now() + FALLBACK_MS;
    this.known.clear();
    if (!wasShared) return;
    const share = (kind: RequestKind) => localShare(this.options.shapes[kind], this.options.instanceCap).requestsPer20Seconds;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.options.log('warn', 'facade.budget.fallback', {
      detail: `The shared Graph budget (${this.options.description}) cannot be reached (${reason}); this instance sends at most its local share, ${share('write').toFixed(2)} writes and ${share('read').toFixed(2)} reads per 20 s, until it can.`,
    });
  }

  private recovered(): void {
    if (this.fallbackUntilMs === 0) return;
    this.fallbackUntilMs = 0;
    this.options.log('info', 'facade.budget.recovered', {
      detail: `Back on the shared Graph budget (${this.options.description}).`,
    });
  }
}
