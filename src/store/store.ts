import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../domain/clock.js';
import { systemClock } from '../domain/clock.js';
import { connect, type ConnectOptions, type DatabaseKind } from './database.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import { newId } from './ids.js';
import { insertRows, updateByKey, type BulkUpdate } from './bulk.js';
// The one call from the store into the app layer: every transaction that moves stock must run the stock
// alerts, so they hang on the flush that every transaction passes through rather than on each use case.
import { reactToStockMovements } from '../app/stock-alerts.js';

export interface MovementInput {
  sku: string;
  location: string;
  kind: 'receipt' | 'adjustment' | 'allocation' | 'release' | 'shipment' | 'return';
  onHandDelta: number;
  allocatedDelta: number;
  orderId?: string | null;
  lineId?: string | null;
  purchaseOrderId?: string | null;
  receiptId?: string | null;
  shipmentId?: string | null;
  returnId?: string | null;
  reason?: string | null;
}

/** Adds on-hand and allocated deltas to stock levels of one location, keyed by SKU. */
const LEVEL_DELTAS: BulkUpdate = {
  table: 'stock_levels',
  key: 'sku',
  columns: [
    { name: 'on_hand', type: 'integer', mode: 'add' },
    { name: 'allocated', type: 'integer', mode: 'add' },
  ],
};

export interface EventInput {
  type: string;
  orderId?: string | null;
  lineId?: string | null;
  sku?: string | null;
  data: Record<string, unknown>;
}

/**
 * One database transaction with what every use case needs beside it: the
 * instant it runs at, id generation and an event buffer that is written in
 * the same transaction just before commit.
 */
export class Work {
  readonly nowIso: string;
  private readonly events: EventInput[] = [];
  private readonly movements: (MovementInput & { id: string })[] = [];
  private readonly hooks = new Map<string, () => Promise<void>>();

  constructor(
    readonly db: Transaction<Database>,
    readonly kind: DatabaseKind,
    readonly now: Date,
  ) {
    this.nowIso = now.toISOString();
  }

  get postgres(): boolean {
    return this.kind === 'postgres';
  }

  newId(prefix: string): string {
    return newId(prefix);
  }

  emit(event: EventInput): void {
    this.events.push(event);
  }

  /**
   * Records a stock movement and applies it to the stock level at once. The
   * ledger row is written with the events before commit; the level's CHECK
   * constraint rejects a change that would make allocated exceed on hand.
   */
  async moveStock(movement: MovementInput): Promise<string> {
    await this.db
      .updateTable('stock_levels')
      .set((eb) => ({
        on_hand: eb('on_hand', '+', movement.onHandDelta),
        allocated: eb('allocated', '+', movement.allocatedDelta),
        updated_at: this.nowIso,
      }))
      .where('sku', '=', movement.sku)
      .where('location', '=', movement.location)
      .execute();
    const id = newId('mov');
    this.movements.push({ ...movement, id });
    return id;
  }

  /**
   * Records several movements, applying their summed deltas to each stock
   * level, with one UPDATE per location for up to 500 levels. The CHECK
   * constraint tests only the summed result, so the caller must pass
   * movements whose intermediate levels would pass it too, such as
   * allocations only or shipments only.
   */
  async moveStocks(movements: readonly MovementInput[]): Promise<void> {
    const byLocation = new Map<string, Map<string, [number, number]>>();
    for (const movement of movements) {
      let totals = byLocation.get(movement.location);
      if (!totals) byLocation.set(movement.location, (totals = new Map()));
      const total = totals.get(movement.sku) ?? [0, 0];
      total[0] += movement.onHandDelta;
      total[1] += movement.allocatedDelta;
      totals.set(movement.sku, total);
    }

    for (const [location, totals] of byLocation) {
      await updateByKey(this, { ...LEVEL_DELTAS, constants: { updated_at: this.nowIso }, filters: { location } }, totals);
    }
    for (const movement of movements) this.movements.push({ ...movement, id: newId('mov') });
  }

  /**
   * Registers work to run once just before commit, such as recomputing
   * promise dates after every change of the transaction. A second
   * registration under the same key is ignored.
   */
  beforeCommit(key: string, hook: () => Promise<void>): void {
    if (!this.hooks.has(key)) this.hooks.set(key, hook);
  }

  /**
   * Runs the before-commit hooks now, so that reads later in the same
   * transaction see their writes (such as a new order's promise dates).
   * Hooks registered afterwards still run at commit.
   */
  async settle(): Promise<void> {
    while (this.hooks.size > 0) {
      const [key, hook] = this.hooks.entries().next().value as [string, () => Promise<void>];
      this.hooks.delete(key);
      await hook();
    }
  }

  /** Runs the before-commit hooks, then writes the buffered movements and events. */
  async flush(): Promise<void> {
    await this.settle();
    // Stock alerts and back-in-stock waves compare each SKU's available units
    // before and after this transaction's movements, so they run before the
    // movements are written and cleared.
    if (this.movements.length > 0) await reactToStockMovements(this, this.movements);
    await this.flushMovements();
    await this.flushEvents();
  }

  private async flushMovements(): Promise<void> {
    if (this.movements.length === 0) return;

    const rows = this.movements.map((m) => ({
      id: m.id,
      sku: m.sku,
      location: m.location,
      kind: m.kind,
      on_hand_delta: m.onHandDelta,
      allocated_delta: m.allocatedDelta,
      order_id: m.orderId ?? null,
      line_id: m.lineId ?? null,
      purchase_order_id: m.purchaseOrderId ?? null,
      receipt_id: m.receiptId ?? null,
      shipment_id: m.shipmentId ?? null,
      return_id: m.returnId ?? null,
      reason: m.reason ?? null,
      created_at: this.nowIso,
    }));
    this.movements.length = 0;

    await insertRows(this, 'stock_movements', rows);
  }

  private async flushEvents(): Promise<void> {
    if (this.events.length === 0) return;

    const rows = this.events.map((event) => ({
      id: newId('evt'),
      type: event.type,
      order_id: event.orderId ?? null,
      line_id: event.lineId ?? null,
      sku: event.sku ?? null,
      data: JSON.stringify(event.data),
      created_at: this.nowIso,
    }));
    this.events.length = 0;

    await insertRows(this, 'events', rows);
  }
}

export interface StoreOptions extends ConnectOptions {
  clock?: Clock;
  /** Apply pending migrations on open; default true. */
  migrate?: boolean;
}

const MAX_ATTEMPTS = 10;

/** The database handle of a running Restock, with transactions that retry on conflicts. */
export class Store {
  private transactionsEnded = 0;

  private constructor(
    readonly db: Kysely<Database>,
    readonly kind: DatabaseKind,
    readonly description: string,
    readonly clock: Clock,
  ) {}

  static async open(options: StoreOptions): Promise<Store> {
    const connection = await connect(options);
    if (options.migrate !== false) await migrateToLatest(connection.db);
    return new Store(connection.db, connection.kind, connection.description, options.clock ?? systemClock);
  }

  /**
   * Runs `body` in one transaction and commits it with its events. A
   * serialization failure, deadlock or busy database rolls back and runs
   * `body` again (up to 10 attempts), so `body` must not have effects outside
   * the transaction.
   */
  async transaction<T>(body: (work: Work) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.db.transaction().execute(async (tx) => {
          const work = new Work(tx, this.kind, this.clock());
          const result = await body(work);
          await work.flush();
          return result;
        });
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
        await sleep(backoffMillis(attempt));
      } finally {
        this.noteTransactionEnd();
      }
    }
  }

  /**
   * Counts the transactions of this process that have ended, committed or
   * not. It grows only after a commit has finished, so a read that starts
   * after it grew reads the committed rows, and a cached read tagged with an
   * older value may predate a write. Writes by other processes do not count.
   */
  get commitGeneration(): number {
    return this.transactionsEnded;
  }

  /** Records a transaction run outside `transaction`, so that read caches drop what it may have changed. */
  noteTransactionEnd(): void {
    this.transactionsEnded += 1;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** Serialization failure, deadlock, or a unique violation raced by a parallel insert. */
function isRetryable(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  if (code === '23505') return constraint === 'idempotency_keys_pk';
  return code === '40001' || code === '40P01' || code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT';
}

function backoffMillis(attempt: number): number {
  const ceiling = Math.min(200, 5 * 2 ** attempt);
  return Math.random() * ceiling;
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
