/**
 * Demand forecasting for stockout prevention. Rates are units per day. The
 * method follows the demand pattern (Syntetos–Boylan classification):
 * intermittent or lumpy demand (mean interval between sales of 1.32 days or
 * more) uses Croston's method with the Syntetos–Boylan bias correction (SBA);
 * smooth or erratic demand uses simple exponential smoothing.
 */

export type DemandMethod = 'sba' | 'ses' | 'none';

export interface DemandForecast {
  /** Expected units per day. */
  rate: number;
  /** Standard deviation of daily demand around the rate. */
  dailyDeviation: number;
  method: DemandMethod;
  /** Mean number of days between days with demand. */
  meanInterval: number | null;
}

/** The ADI cut-off of Syntetos, Boylan and Croston (2005) between smooth and intermittent demand. */
export const INTERMITTENT_INTERVAL = 1.32;

/**
 * Forecasts the daily demand rate from a series of daily demand (one entry
 * per day, oldest first, zeros included). `alpha` is the smoothing constant.
 */
export function forecastDemand(daily: readonly number[], alpha = 0.1): DemandForecast {
  const demandDays = daily.filter((units) => units > 0).length;
  if (demandDays === 0) return { rate: 0, dailyDeviation: 0, method: 'none', meanInterval: null };

  const meanInterval = daily.length / demandDays;
  const rate = meanInterval >= INTERMITTENT_INTERVAL ? sbaRate(daily, alpha) : sesRate(daily, alpha);
  return {
    rate,
    dailyDeviation: deviationAround(daily, rate),
    method: meanInterval >= INTERMITTENT_INTERVAL ? 'sba' : 'ses',
    meanInterval,
  };
}

/** Simple exponential smoothing of the daily series, started at the mean of its first week. */
export function sesRate(daily: readonly number[], alpha: number): number {
  const start = daily.slice(0, 7);
  let level = start.reduce((sum, units) => sum + units, 0) / Math.max(1, start.length);
  for (const units of daily) level += alpha * (units - level);
  return level;
}

/**
 * Croston's method with the Syntetos–Boylan correction: smooths the size of
 * non-zero demands and the interval between them separately, and forecasts
 * (1 − α/2) · size / interval.
 */
export function sbaRate(daily: readonly number[], alpha: number): number {
  let size: number | null = null;
  let interval = 1;
  let sinceLast = 0;

  for (const units of daily) {
    sinceLast += 1;
    if (units <= 0) continue;
    if (size === null) {
      size = units;
      interval = sinceLast;
    } else {
      size += alpha * (units - size);
      interval += alpha * (sinceLast - interval);
    }
    sinceLast = 0;
  }
  if (size === null) return 0;
  return (1 - alpha / 2) * (size / interval);
}

function deviationAround(daily: readonly number[], rate: number): number {
  if (daily.length < 2) return 0;
  const squares = daily.reduce((sum, units) => sum + (units - rate) ** 2, 0);
  return Math.sqrt(squares / (daily.length - 1));
}

export interface ReorderInput {
  forecast: DemandForecast;
  /** Units free now (on hand − allocated), summed over locations. */
  available: number;
  /** Units on open purchase orders. */
  inbound: number;
  /** Units waiting in the backorder queue. */
  backordered: number;
  /** Supplier lead time in calendar days. */
  leadTimeDays: number;
  /** Probability of not running out during a lead time, such as 0.95. */
  serviceLevel: number;
  /** Days between reviews: the order must cover them too. Default 7. */
  reviewDays?: number;
  /** The date the figures are for, `YYYY-MM-DD`. */
  today: string;
}

export interface ReorderAdvice {
  /** Days the available stock lasts at the forecast rate; null when nothing sells. */
  daysOfCover: number | null;
  /** The day available stock runs out at the forecast rate; null when it does not. */
  projectedStockoutDate: string | null;
  /** Stock position at which to order: lead-time demand plus safety stock. */
  reorderPoint: number;
  safetyStock: number;
  /** Units to order now to reach the order-up-to level; 0 when the position is above the reorder point. */
  suggestedQuantity: number;
  /** available + inbound − backordered. */
  stockPosition: number;
}

/**
 * Advises when and how much to reorder. Safety stock is z · σ · √L for the
 * service level's normal quantile z; an order brings the stock position up
 * to the demand over lead time plus one review period, plus safety stock.
 */
export function reorderAdvice(input: ReorderInput): ReorderAdvice {
  const { forecast, leadTimeDays } = input;
  const reviewDays = input.reviewDays ?? 7;
  const z = normalQuantile(input.serviceLevel);

  const safetyStock = Math.ceil(z * forecast.dailyDeviation * Math.sqrt(leadTimeDays));
  const reorderPoint = Math.ceil(forecast.rate * leadTimeDays) + safetyStock;
  const stockPosition = input.available + input.inbound - input.backordered;
  const orderUpTo = Math.ceil(forecast.rate * (leadTimeDays + reviewDays)) + safetyStock;
  const suggestedQuantity = stockPosition <= reorderPoint ? Math.max(0, orderUpTo - stockPosition) : 0;

  const daysOfCover = forecast.rate > 0 ? Math.max(0, input.available) / forecast.rate : null;
  const projectedStockoutDate = daysOfCover === null ? null : addDays(input.today, Math.floor(daysOfCover));
  return { daysOfCover, projectedStockoutDate, reorderPoint, safetyStock, suggestedQuantity, stockPosition };
}

/**
 * Returns the standard normal quantile for a probability in (0, 1), by
 * Acklam's rational approximation (relative error under 1.2e-9).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Service level must be between 0 and 1, exclusive; got ${p}.`);

  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;

  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);

  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

function addDays(date: string, days: number): string {
  const instant = new Date(`${date}T00:00:00Z`);
  instant.setUTCDate(instant.getUTCDate() + days);
  return instant.toISOString().slice(0, 10);
}
