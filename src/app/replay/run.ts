import { padInList } from '../../store/bulk.js';
import { sql } from 'kysely';
import { addBusinessDays, addCalendarDays, isBusinessDay, type BusinessCalendar } from '../../domain/calendar.js';
import type { ManualClock } from '../../domain/clock.js';
import { openingStock } from '../../domain/supplier.js';
import type { StockPolicy } from '../../domain/types.js';
import { upsertSku } from '../catalog.js';
import { checkInvariants } from '../check.js';
import { shipOrders } from '../ship-order.js';
import { adjustStock } from '../stock.js';
import { dayOf, type History, type HistoryEvent, type HistoryOrder } from './history.js';
import { LineBook, type OpenLine } from './line-book.js';
import { RunMetrics, type RunFigures } from './metrics.js';
import { OrderDesk } from './orders.js';
import { SupplierDesk } from './supplier-desk.js';
import type { Work } from '../../store/store.js';
import type { Transactor } from './transactor.js';

export interface ReplaySettings {
  /** One policy for every SKU, or a policy per SKU. */
  policy: StockPolicy | ((sku: string) => StockPolicy);
  /** Opening stock: the same units of every SKU, or days of cover of each SKU's first 30 days of demand. */
  openingStock: { units: number } | { coverDays: number };
  leadTimeDays: number;
  /** Business days from allocation to shipment; also each SKU's `handling_days`. */
  handlingDays: number;
  serviceLevel: number;
  /** Days between reviews that a purchase order must also cover. */
  reviewDays: number;
  lateRate: number;
  shortRate: number;
  seed: number;
  /** Orders per transaction at most. */
  batch: number;
  /** Days to keep receiving and shipping after the last event while lines are open. */
  drainDays: number;
  currency: string;
  lowStockThreshold: number;
}

export const DEFAULT_REPLAY_SETTINGS: ReplaySettings = {
  policy: 'backorder',
  openingStock: { coverDays: 30 },
  leadTimeDays: 14,
  handlingDays: 1,
  serviceLevel: 0.95,
  reviewDays: 7,
  lateRate: 0,
  shortRate: 0,
  seed: 1,
  batch: 200,
  drainDays: 60,
  currency: 'GBP',
  lowStockThreshold: 0,
};

export interface ReplayProgress {
  day: string;
  /** History events replayed so far, of `totalEvents`. */
  events: number;
  totalEvents: number;
}

/** Instants of the simulated day: deliveries arrive at its start and parcels leave at its close. */
const DAY_START = 'T00:00:00.000Z';
const DAY_CLOSE = 'T23:59:00.000Z';
const SETUP_CHUNK = 500;
const READ_CHUNK = 500;
const HISTORY_DAYS = 365;

/**
 * Replays an order history through the engine on an empty database. It
 * creates the SKUs with their opening stock, then goes day by day. Purchase
 * orders due arrive at the start of a day. Orders and cancellations run in
 * time order, up to `batch` orders per transaction. At the day's close,
 * allocated units whose handling days have passed ship (on business days of
 * the location `main`), and the supplier reviews the SKUs that sold.
 * `clock` must be the clock of the transactor's transactions.
 */
export async function replayHistory(
  transactor: Transactor,
  clock: ManualClock,
  history: History,
  settings: ReplaySettings,
  onProgress?: (progress: ReplayProgress) => void,
): Promise<RunFigures> {
  const started = performance.now();
  const session = new ReplaySession(transactor, clock, history, settings);
  await session.setUp();
  await session.run(onProgress);
  return session.finish((performance.now() - started) / 1000);
}

class ReplaySession {
  private readonly book = new LineBook();
  private readonly metrics: RunMetrics;
  private readonly supplier: SupplierDesk;
  private readonly orders: OrderDesk;
  private readonly closedByCancellation: OpenLine[] = [];
  private readonly policyOf: (sku: string) => StockPolicy;
  private calendar: BusinessCalendar = { timeZone: 'UTC', workingDays: [1, 2, 3, 4, 5], holidays: [] };

  constructor(
    private readonly transactor: Transactor,
    private readonly clock: ManualClock,
    private readonly history: History,
    private readonly settings: ReplaySettings,
  ) {
    const policy = settings.policy;
    this.policyOf = typeof policy === 'function' ? policy : () => policy;
    const label = typeof policy === 'function' ? 'mixed' : policy;
    this.metrics = new RunMetrics(label, settings.currency, history.skus);
    this.supplier = new SupplierDesk(
      {
        leadTimeDays: settings.leadTimeDays,
        serviceLevel: settings.serviceLevel,
        reviewDays: settings.reviewDays,
        rates: { late: settings.lateRate, short: settings.shortRate },
        seed: settings.seed,
        historyDays: HISTORY_DAYS,
      },
      this.metrics,
    );
    this.orders = new OrderDesk(this.book, this.metrics, this.supplier, this.policyOf, settings.currency, this.closedByCancellation);
  }

  /** Creates every SKU of the history with its rules and opening stock, at the start of the first day. */
  async setUp(): Promise<void> {
    const first = this.history.events[0];
    if (!first) throw new Error('The history has no orders or cancellations to replay.');
    this.clock.set(`${dayOf(first.at)}${DAY_START}`);

    const existing = await this.transactor.db.selectFrom('skus').select('code').limit(1).execute();
    if (existing.length > 0) throw new Error('The database already has SKUs. A replay needs an empty database, such as a new SQLite file.');
    this.calendar = await readMainCalendar(this.transactor);

    const skus = [...this.history.skus];
    for (let start = 0; start < skus.length; start += SETUP_CHUNK) {
      await this.transact(async (work) => {
        for (const [code, facts] of skus.slice(start, start + SETUP_CHUNK)) {
          await upsertSku(work, code, {
            name: facts.name,
            policy: this.policyOf(code),
            leadTimeDays: this.settings.leadTimeDays,
            handlingDays: this.settings.handlingDays,
            lowStockThreshold: this.settings.lowStockThreshold,
          });
          const units = this.openingUnits(facts.firstMonthUnits);
          if (units > 0) await adjustStock(work, { sku: code, quantityDelta: units, reason: 'opening stock' });
        }
      });
    }
  }

  async run(onProgress?: (progress: ReplayProgress) => void): Promise<void> {
    const events = this.history.events;
    const lastDay = dayOf(events[events.length - 1]!.at);
    let next = 0;

    for (let day = dayOf(events[0]!.at), drained = 0; ; day = addCalendarDays(day, 1)) {
      if (day > lastDay) {
        if (this.book.size === 0 || drained >= this.settings.drainDays) break;
        drained += 1;
      }

      await this.startDay(day);
      const dayEnd = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
      const todays: HistoryEvent[] = [];
      while (next < events.length && events[next]!.at < dayEnd) todays.push(events[next++]!);
      await this.runEvents(todays);
      await this.closeDay(day);

      onProgress?.({ day, events: next, totalEvents: events.length });
    }
  }

  async finish(seconds: number): Promise<RunFigures> {
    await this.countDelayNotices();
    const db = this.transactor.db;
    const queued = await db.selectFrom('skus').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('backordered'), sql<number>`0`).as('units')).executeTakeFirstOrThrow();
    const held = await db.selectFrom('stock_levels').select((eb) => eb.fn.coalesce(eb.fn.sum<number>('allocated'), sql<number>`0`).as('units')).executeTakeFirstOrThrow();
    const checkStarted = performance.now();
    const violations = await checkInvariants(db);
    const checkSeconds = (performance.now() - checkStarted) / 1000;

    return this.metrics.figures({
      openAtEnd: { lines: this.book.size, backorderedUnits: Number(queued.units), allocatedUnits: Number(held.units) },
      invariants: { violations: violations.length, examples: violations.slice(0, 10) },
      timing: { seconds, linesPerSecond: this.history.counts.orderLines / seconds, checkSeconds },
    });
  }

  private openingUnits(firstMonthUnits: number): number {
    const opening = this.settings.openingStock;
    return 'units' in opening ? opening.units : openingStock(firstMonthUnits, opening.coverDays);
  }

  private async startDay(day: string): Promise<void> {
    if (!this.supplier.hasDeliveries(day)) return;
    this.clock.set(`${day}${DAY_START}`);
    await this.transact((work) => this.supplier.deliver(work, day));
  }

  /** Runs a day's events in time order, `batch` orders per transaction at most, each at its first event's time. */
  private async runEvents(events: HistoryEvent[]): Promise<void> {
    let chunk: HistoryEvent[] = [];
    let orders = 0;
    for (const event of events) {
      chunk.push(event);
      if (event.kind === 'order' && ++orders >= this.settings.batch) {
        await this.runChunk(chunk);
        chunk = [];
        orders = 0;
      }
    }
    if (chunk.length > 0) await this.runChunk(chunk);
  }

  private async runChunk(chunk: HistoryEvent[]): Promise<void> {
    this.clock.set(new Date(chunk[0]!.at));
    await this.transact(async (work) => {
      let pending: HistoryOrder[] = [];
      for (const event of chunk) {
        if (event.kind === 'order') {
          pending.push(event);
          continue;
        }
        await this.orders.place(work, pending);
        pending = [];
        await this.orders.cancel(work, event);
      }
      await this.orders.place(work, pending);
    });
  }

  /** Ships what is due (on business days) and lets the supplier review, at the day's close. */
  private async closeDay(day: string): Promise<void> {
    this.clock.set(`${day}${DAY_CLOSE}`);
    const closed = this.closedByCancellation.splice(0);

    await this.transact(async (work) => {
      if (isBusinessDay(this.calendar, day)) {
        const allocations = await work.db.selectFrom('line_allocations').select(['line_id', 'quantity']).where('quantity', '>', 0).execute();
        this.book.syncAllocations(allocations, addBusinessDays(this.calendar, day, this.settings.handlingDays));

        const due = this.book.dueShipments(day);
        await shipOrders(
          work,
          due.map((shipment) => ({ orderId: shipment.orderId, lines: shipment.lines.map(({ line, quantity }) => ({ lineId: line.id, quantity })) })),
        );
        for (const shipment of due) {
          for (const { line, quantity } of shipment.lines) {
            if (this.book.noteShipped(line, quantity, day)) closed.push(line);
          }
        }
      }
      await this.supplier.review(work, day);
    });

    await this.noteClosed(closed);
  }

  /** Counts closed lines in the metrics, with their promised ship dates as the database has them. */
  private async noteClosed(lines: OpenLine[]): Promise<void> {
    for (let start = 0; start < lines.length; start += READ_CHUNK) {
      const chunk = lines.slice(start, start + READ_CHUNK);
      const rows = await this.transactor.db
        .selectFrom('order_lines')
        .select(['id', 'promised_ship_date'])
        .where('id', 'in', padInList(chunk.map((line) => line.id)))
        .execute();
      const promised = new Map(rows.map((row) => [row.id, row.promised_ship_date]));
      for (const line of chunk) {
        this.metrics.noteClosed({ ...line, promisedShipDate: promised.get(line.id) ?? null });
      }
    }
  }

  private async countDelayNotices(): Promise<void> {
    const notices = await this.transactor.db
      .selectFrom('events')
      .select(['line_id', 'created_at'])
      .where('type', '=', 'promise.changed')
      .where('data', 'like', '%"delayed":true%')
      .execute();
    const lines = new Set<string>();
    for (const notice of notices) {
      this.metrics.noteDelayNotice(notice.created_at.slice(0, 10));
      if (notice.line_id !== null) lines.add(notice.line_id);
    }
    this.metrics.promises.delayNoticeLines = lines.size;
  }

  /**
   * Runs one transaction. The replay keeps state beside the database, so a
   * transaction that the store retries after a conflict would apply that
   * state twice. A retry is therefore an error. It can happen only when
   * something else writes to the database during the replay.
   */
  private async transact<T>(body: (work: Work) => Promise<T>): Promise<T> {
    let attempts = 0;
    return this.transactor.transaction(async (work) => {
      attempts += 1;
      if (attempts > 1) throw new Error('A replay transaction was retried after a conflict; the replay needs the database to itself.');
      return body(work);
    });
  }
}

async function readMainCalendar(transactor: Transactor): Promise<BusinessCalendar> {
  const row = await transactor.db.selectFrom('locations').selectAll().where('code', '=', 'main').executeTakeFirstOrThrow();
  return {
    timeZone: row.time_zone,
    workingDays: JSON.parse(row.working_days) as number[],
    holidays: JSON.parse(row.holidays) as string[],
  };
}
