import type { History, SkipReason } from './history.js';
import type { RunFigures } from './metrics.js';
import type { ReplaySettings } from './run.js';

/** Everything a replay report shows: the input, the settings and one run per policy. */
export interface ReplayReport {
  source: {
    file: string;
    rows: number;
    orderLines: number;
    cancellationRows: number;
    orders: number;
    skipped: Record<SkipReason, number>;
    skus: number;
    /** First and last day of the replayed events, `YYYY-MM-DD`. */
    firstDay: string | null;
    lastDay: string | null;
    readSeconds: number;
  };
  settings: {
    openingStock: ReplaySettings['openingStock'];
    leadTimeDays: number;
    handlingDays: number;
    serviceLevel: number;
    reviewDays: number;
    lateRate: number;
    shortRate: number;
    seed: number;
    batch: number;
    drainDays: number;
    currency: string;
    database: string;
  };
  runs: RunFigures[];
  /** With both policies: what selling only from stock cost against taking backorders. */
  comparison: {
    lostUnits: number;
    /** Minor units. */
    lostAmount: number;
    /** Share of the backorder run's sales, in units and in money. */
    lostUnitShare: number | null;
    lostAmountShare: number | null;
    ordersLost: number;
    ordersCut: number;
  } | null;
}

export function buildReport(
  file: string,
  history: History,
  readSeconds: number,
  settings: ReplaySettings,
  database: string,
  runs: RunFigures[],
): ReplayReport {
  const events = history.events;
  const day = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString().slice(0, 10));
  return {
    source: {
      file,
      ...history.counts,
      skus: history.skus.size,
      firstDay: day(events[0]?.at),
      lastDay: day(events[events.length - 1]?.at),
      readSeconds,
    },
    settings: {
      openingStock: settings.openingStock,
      leadTimeDays: settings.leadTimeDays,
      handlingDays: settings.handlingDays,
      serviceLevel: settings.serviceLevel,
      reviewDays: settings.reviewDays,
      lateRate: settings.lateRate,
      shortRate: settings.shortRate,
      seed: settings.seed,
      batch: settings.batch,
      drainDays: settings.drainDays,
      currency: settings.currency,
      database,
    },
    runs,
    comparison: compare(runs),
  };
}

function compare(runs: RunFigures[]): ReplayReport['comparison'] {
  const backorder = runs.find((run) => run.policy === 'backorder');
  const stockOnly = runs.find((run) => run.policy === 'stock_only');
  if (!backorder || !stockOnly) return null;

  return {
    lostUnits: stockOnly.units.lost,
    lostAmount: stockOnly.amounts.lost,
    lostUnitShare: backorder.units.placed === 0 ? null : stockOnly.units.lost / backorder.units.placed,
    lostAmountShare: backorder.amounts.placed === 0 ? null : stockOnly.amounts.lost / backorder.amounts.placed,
    ordersLost: stockOnly.orders.lost,
    ordersCut: stockOnly.orders.trimmed,
  };
}

/** Formats minor units of a currency, such as 123456 GBP as £1,234.56. */
export function formatMoney(minorUnits: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(minorUnits / 10 ** digits);
  } catch {
    return `${(minorUnits / 100).toFixed(2)} ${currency}`;
  }
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-GB');
}

/** Formats a share as a percentage with one decimal, or a dash when there is nothing to divide. */
export function formatShare(value: number | null): string {
  return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
}

export function formatDays(value: number | null, digits = 1): string {
  return value === null ? '–' : `${value.toFixed(digits)} days`;
}

export const SKIP_LABELS: Record<SkipReason, string> = {
  non_product_code: 'not a product (postage, fees, adjustments)',
  invalid_sku_code: 'stock code not valid as a SKU',
  non_positive_quantity: 'quantity 0 or less outside a cancellation',
  non_positive_price: 'unit price 0 or less',
  quantity_too_large: 'quantity over 1,000,000',
  outside_dates: 'outside --from/--to',
};
