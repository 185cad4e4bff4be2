import type { Kysely } from 'kysely';
import { forecastDemand, reorderAdvice, type DemandForecast, type ReorderAdvice } from '../domain/forecast.js';
import type { Database } from '../store/schema.js';
import { readSku } from './read-models.js';

/** Lead time assumed for a SKU that has none, so that it still gets a reorder point. */
export const ASSUMED_LEAD_TIME_DAYS = 14;

export interface ForecastOptions {
  /** Days of order history to learn from, ending yesterday; fewer when the SKU is younger. Default 365. */
  historyDays?: number;
  /** Probability of not running out during a lead time. Default 0.95. */
  serviceLevel?: number;
}

export interface SkuForecast {
  sku: string;
  as_of: string;
  /** Days of order history the forecast learned from: the requested window, or fewer when the SKU was created since. */
  history_days: number;
  method: DemandForecast['method'];
  daily_rate: number;
  daily_deviation: number;
  mean_interval_days: number | null;
  lead_time_days: number;
  lead_time_assumed: boolean;
  service_level: number;
  available: number;
  inbound: number;
  backordered: number;
  days_of_cover: number | null;
  projected_stockout_date: string | null;
  reorder_point: number;
  safety_stock: number;
  suggested_order_quantity: number;
}

/**
 * Forecasts a SKU's demand from the units ordered per day (every order
 * placed, whether it was served from stock or backordered, since both are
 * demand) and advises when and how much to reorder.
 */
export async function readForecast(db: Kysely<Database>, sku: string, now: Date, options: ForecastOptions = {}): Promise<SkuForecast> {
  const view = await readSku(db, sku);
  const historyDays = options.historyDays ?? 365;
  const daily = (await dailyDemand(db, now, historyDays, [sku])).get(sku) ?? new Array<number>(historyDays).fill(0);
  const created = await creationTimes(db, [sku]);
  return buildForecast(view, sinceCreation(daily, now, created.get(sku)), now, options.serviceLevel ?? 0.95);
}

/** Forecasts every SKU that sells and returns those whose stock position is at or below the reorder point, soonest stockout first. */
export async function readReorderSuggestions(db: Kysely<Database>, now: Date, options: ForecastOptions = {}): Promise<SkuForecast[]> {
  const historyDays = options.historyDays ?? 365;
  const demand = await dailyDemand(db, now, historyDays);
  const created = await creationTimes(db);
  const suggestions: SkuForecast[] = [];
  for (const [sku, daily] of demand) {
    const view = await readSku(db, sku);
    if (view.policy === 'discontinued') continue;
    const forecast = buildForecast(view, sinceCreation(daily, now, created.get(sku)), now, options.serviceLevel ?? 0.95);
    if (forecast.suggested_order_quantity > 0) suggestions.push(forecast);
  }
  return suggestions.sort(
    (a, b) => (a.projected_stockout_date ?? '9999').localeCompare(b.projected_stockout_date ?? '9999') || a.sku.localeCompare(b.sku),
  );
}

function buildForecast(
  view: Awaited<ReturnType<typeof readSku>>,
  daily: number[],
  now: Date,
  serviceLevel: number,
): SkuForecast {
  const forecast = forecastDemand(daily);
  const leadTime = view.lead_time_days ?? ASSUMED_LEAD_TIME_DAYS;
  const today = now.toISOString().slice(0, 10);
  const advice: ReorderAdvice = reorderAdvice({
    forecast,
    available: view.available,
    inbound: view.inbound,
    backordered: view.backordered,
    leadTimeDays: leadTime,
    serviceLevel,
    today,
  });
  return {
    sku: view.code,
    as_of: today,
    history_days: daily.length,
    method: forecast.method,
    daily_rate: round(forecast.rate),
    daily_deviation: round(forecast.dailyDeviation),
    mean_interval_days: forecast.meanInterval === null ? null : round(forecast.meanInterval),
    lead_time_days: leadTime,
    lead_time_assumed: view.lead_time_days === null,
    service_level: serviceLevel,
    available: view.available,
    inbound: view.inbound,
    backordered: view.backordered,
    days_of_cover: advice.daysOfCover === null ? null : round(advice.daysOfCover),
    projected_stockout_date: advice.projectedStockoutDate,
    reorder_point: advice.reorderPoint,
    safety_stock: advice.safetyStock,
    suggested_order_quantity: advice.suggestedQuantity,
  };
}

/** Returns the creation instant, as ISO text, of the given SKUs or of every SKU. */
async function creationTimes(db: Kysely<Database>, skus?: string[]): Promise<Map<string, string>> {
  let query = db.selectFrom('skus').select(['code', 'created_at']);
  if (skus) query = query.where('code', 'in', skus);
  const rows = await query.execute();
  return new Map(rows.map((row) => [row.code, row.created_at]));
}

/**
 * Drops the days of a series ending yesterday that came before the UTC day
 * the SKU was created. No order could be placed on them, so they are not
 * days without demand.
 */
function sinceCreation(daily: number[], now: Date, createdAt: string | undefined): number[] {
  if (createdAt === undefined) return daily;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const created = new Date(createdAt);
  const createdDay = Date.UTC(created.getUTCFullYear(), created.getUTCMonth(), created.getUTCDate());
  const daysOnSale = Math.max(0, Math.round((today - createdDay) / 86_400_000));
  return daysOnSale >= daily.length ? daily : daily.slice(daily.length - daysOnSale);
}

/**
 * Returns units ordered per UTC day over the `days` days before today, per
 * SKU, oldest first, zeros included.
 */
export async function dailyDemand(db: Kysely<Database>, now: Date, days: number, skus?: string[]): Promise<Map<string, number[]>> {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = new Date(today - days * 86_400_000).toISOString();
  const until = new Date(today).toISOString();

  let query = db
    .selectFrom('order_lines')
    .select(['sku', 'placed_at', 'quantity'])
    .where('placed_at', '>=', from)
    .where('placed_at', '<', until);
  if (skus) query = query.where('sku', 'in', skus);

  const series = new Map<string, number[]>();
  for (const row of await query.execute()) {
    const day = Math.floor((Date.parse(row.placed_at) - Date.parse(from)) / 86_400_000);
    let daily = series.get(row.sku);
    if (!daily) {
      daily = new Array<number>(days).fill(0);
      series.set(row.sku, daily);
    }
    daily[day] = (daily[day] ?? 0) + row.quantity;
  }
  return series;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
