import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../domain/clock.js';
import type { StockPolicy } from '../../domain/types.js';
import type { Store } from '../../store/store.js';
import { readHistoryFile } from './history-file.js';
import { dayOf, shiftHistory } from './history.js';
import { DEFAULT_REPLAY_SETTINGS, replayHistory, type ReplaySettings } from './run.js';
import { clockedTransactor } from './transactor.js';

/** The demo data: three weeks of 100 SKUs of the UCI Online Retail data set (see data-demo/SOURCE.md). */
export const DEMO_FILE = fileURLToPath(new URL('../../../data-demo/online-retail-slice.csv', import.meta.url));

export interface DemoSummary {
  loaded: boolean;
  /** The reason nothing was loaded, when `loaded` is false. */
  reason: string | null;
  skus: number;
  orders: number;
  lines: number;
  /** Lines still waiting for stock at the end. */
  backorderedLines: number;
  openPurchaseOrders: number;
  /** First and last day of the demo's orders after moving them to the recent past, `YYYY-MM-DD`. */
  firstDay: string | null;
  lastDay: string | null;
}

const WEEK_MS = 7 * 86_400_000;
const DAY_MS = 86_400_000;

/**
 * The demo's settings. Every fifth SKU (in code order) sells only from
 * stock and the rest take backorders. A week of opening cover and a ten-day
 * lead time leave some lines waiting and some purchase orders on the way.
 */
export const DEMO_SETTINGS: Omit<ReplaySettings, 'policy'> = {
  ...DEFAULT_REPLAY_SETTINGS,
  openingStock: { coverDays: 7 },
  leadTimeDays: 10,
  handlingDays: 1,
  drainDays: 0,
  lowStockThreshold: 5,
  seed: 20111107,
  lateRate: 0.2,
  shortRate: 0.1,
};

/**
 * Loads the demo into an empty database: its SKUs with their policies and
 * opening stock, then its orders and cancellations, replayed through the
 * engine with the simulated supplier. The history moves by whole weeks, so
 * that it ends before today and keeps its weekdays. Loads nothing, and
 * returns the reason, when the database already has SKUs or orders.
 */
export async function loadDemo(store: Store, now: Date = new Date()): Promise<DemoSummary> {
  const empty: DemoSummary = {
    loaded: false,
    reason: null,
    skus: 0,
    orders: 0,
    lines: 0,
    backorderedLines: 0,
    openPurchaseOrders: 0,
    firstDay: null,
    lastDay: null,
  };
  const sku = await store.db.selectFrom('skus').select('code').limit(1).executeTakeFirst();
  const order = await store.db.selectFrom('orders').select('id').limit(1).executeTakeFirst();
  if (sku || order) return { ...empty, reason: 'The database already has SKUs or orders; the demo loads only into an empty database.' };

  const original = await readHistoryFile(DEMO_FILE);
  const history = shiftHistory(original, shiftBefore(now, original.events[original.events.length - 1]!.at));
  const codes = [...history.skus.keys()];
  const stockOnly = new Set(codes.filter((_, index) => index % 5 === 4));
  const policy = (code: string): StockPolicy => (stockOnly.has(code) ? 'stock_only' : 'backorder');

  const clock = new ManualClock(now);
  const figures = await replayHistory(clockedTransactor(store, clock.now), clock, history, { ...DEMO_SETTINGS, policy });

  const waiting = await store.db.selectFrom('order_lines').select((eb) => eb.fn.countAll<number>().as('count')).where('backordered', '>', 0).executeTakeFirstOrThrow();
  const open = await store.db
    .selectFrom('purchase_orders')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('status', 'in', ['open', 'partially_received'])
    .executeTakeFirstOrThrow();
  return {
    loaded: true,
    reason: null,
    skus: history.skus.size,
    orders: figures.orders.placed,
    lines: figures.lines.placed,
    backorderedLines: Number(waiting.count),
    openPurchaseOrders: Number(open.count),
    firstDay: dayOf(history.events[0]!.at),
    lastDay: dayOf(history.events[history.events.length - 1]!.at),
  };
}

/** Whole weeks that move `lastAt` to the latest day that ends before the day of `now` (UTC). */
function shiftBefore(now: Date, lastAt: number): number {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const lastDayEnd = Math.floor(lastAt / DAY_MS) * DAY_MS + DAY_MS;
  return Math.floor((today - lastDayEnd) / WEEK_MS) * WEEK_MS;
}
