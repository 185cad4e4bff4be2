/**
 * Demand forecasting for stockout prevention. Rates are units per day. A
 * demand series has one entry per calendar day, oldest first, zeros
 * included, and starts on the first day the SKU could be ordered: days
 * before a SKU was on sale are not days without demand.
 *
 * The method follows the demand pattern. A SKU whose days with demand are on
 * average 1.32 days or more apart (intermittent or lumpy demand, in the terms
 * of Syntetos, Boylan and Croston 2005) uses Croston's method with the
 * Syntetos–Boylan bias correction (SBA). A SKU that sells more often (smooth
 * or erratic demand) uses simple exponential smoothing (SES).
 */

export type DemandMethod = 'sba' | 'ses' | 'none';

/** Demand pattern by the two cut-offs of Syntetos, Boylan and Croston (2005): ADI 1.32 and CV² 0.49. */
export type DemandPattern = 'smooth' | 'erratic' | 'intermittent' | 'lumpy';

export interface DemandForecast {
  /** Expected units per day. */
  rate: number;
  /**
   * Root mean square of the method's one-step-ahead errors over the history,
   * in units per day: the daily forecast error that safety stock covers.
   */
  dailyDeviation: number;
  method: DemandMethod;
  /** Mean interval between days with demand (ADI): days of history per day with demand. Null without demand. */
  meanInterval: number | null;
  /** Null without demand. */
  pattern: DemandPattern | null;
}

/** The ADI cut-off of Syntetos, Boylan and Croston (2005) between frequent and intermittent demand. */
export const INTERMITTENT_INTERVAL = 1.32;

/** The CV² cut-off of Syntetos, Boylan and Croston (2005) between steady and erratic demand sizes. */
export const ERRATIC_SIZE_CV2 = 0.49;

export interface DemandProfile {
  /** Days of history per day with demand. */
  meanInterval: number;
  /** Squared coefficient of variation of the non-zero daily demands (population variance over mean squared). */
  sizeCv2: number;
  pattern: DemandPattern;
}

/**
 * Classifies a daily demand series; null when no day has demand. The mean
 * interval is n / k for n days and k days with demand, which counts the quiet
 * days after the last sale as well as those before the first.
 */
export function demandProfile(daily: readonly number[]): DemandProfile | null {
  checkSeries(daily);
  const sizes = daily.filter((units) => units > 0);
  if (sizes.length === 0) return null;

  const meanInterval = daily.length / sizes.length;
  const meanSize = mean(sizes);
  const variance = mean(sizes.map((units) => (units - meanSize) ** 2));
  const sizeCv2 = variance / meanSize ** 2;

  const steady = sizeCv2 < ERRATIC_SIZE_CV2;
  let pattern: DemandPattern;
  if (meanInterval < INTERMITTENT_INTERVAL) pattern = steady ? 'smooth' : 'erratic';
  else pattern = steady ? 'intermittent' : 'lumpy';
  return { meanInterval, sizeCv2, pattern };
}

/**
 * Forecasts the daily demand rate of a series (see the file header for its
 * shape). `alpha` is the smoothing constant of both methods.
 */
export function forecastDemand(daily: readonly number[], alpha = 0.1): DemandForecast {
  const profile = demandProfile(daily);
  if (profile === null) return { rate: 0, dailyDeviation: 0, method: 'none', meanInterval: null, pattern: null };

  const intermittent = profile.pattern === 'intermittent' || profile.pattern === 'lumpy';
  const fit = intermittent ? fitCroston(daily, alpha, 1 - alpha / 2) : fitSes(daily, alpha);
  return {
    rate: fit.rate,
    dailyDeviation: fit.deviation,
    method: intermittent ? 'sba' : 'ses',
    meanInterval: profile.meanInterval,
    pattern: profile.pattern,
  };
}

/** Returns the level of simple exponential smoothing over the series, started at the series mean; 0 for an empty series. */
export function sesRate(daily: readonly number[], alpha: number): number {
  return fitSes(daily, alpha).rate;
}

/**
 * Returns Croston's forecast without bias correction: the smoothed size of
 * non-zero demands over the smoothed interval between them. Syntetos and
 * Boylan (2001) showed that it overestimates the mean demand.
 */
export function crostonRate(daily: readonly number[], alpha: number): number {
  return fitCroston(daily, alpha, 1).rate;
}

/** Returns Croston's forecast with the Syntetos–Boylan correction: (1 − α/2) · size / interval. */
export function sbaRate(daily: readonly number[], alpha: number): number {
  return fitCroston(daily, alpha, 1 - alpha / 2).rate;
}

interface Fit {
  rate: number;
  /** Root mean square of the one-step-ahead errors. */
  deviation: number;
}

function fitSes(daily: readonly number[], alpha: number): Fit {
  checkSeries(daily);
  checkAlpha(alpha);
  if (daily.length === 0) return { rate: 0, deviation: 0 };

  let level = mean(daily);
  let squares = 0;
  for (const units of daily) {
    const error = units - level;
    squares += error ** 2;
    level += alpha * error;
  }
  return { rate: level, deviation: Math.sqrt(squares / daily.length) };
}

/**
 * Fits Croston's method, its forecast scaled by `factor`. The size and the interval start at
 * their means over the whole history (mean non-zero demand, and n / k), so
 * the first forecast is the mean daily demand. Starting them at the first
 * sale's size and position instead lets one early sale weigh on the forecast
 * for many sales: with α = 0.1 its weight after k sales is still 0.9^(k−1).
 * The first interval runs from the start of the series to the first sale.
 */
function fitCroston(daily: readonly number[], alpha: number, factor: number): Fit {
  checkSeries(daily);
  checkAlpha(alpha);
  const sizes = daily.filter((units) => units > 0);
  if (sizes.length === 0) return { rate: 0, deviation: 0 };

  let size = mean(sizes);
  let interval = daily.length / sizes.length;
  let sinceLast = 0;
  let squares = 0;

  for (const units of daily) {
    squares += (units - (factor * size) / interval) ** 2;
    sinceLast += 1;
    if (units <= 0) continue;
    size += alpha * (units - size);
    interval += alpha * (sinceLast - interval);
    sinceLast = 0;
  }
  // NOTE: Croston's estimates change only on days with demand, so a SKU that
  // stopped selling keeps its last rate however long it has been quiet.
  return { rate: (factor * size) / interval, deviation: Math.sqrt(squares / daily.length) };
}

export interface ReorderInput {
  forecast: DemandForecast;
  /** Units free now (on hand − allocated), summed over locations. */
  available: number;
  /** Units on open purchase orders. */
  inbound: number;
  /** Units waiting in the backorder queue. */
  backordered: number;
  /** Supplier lead time in calendar days, 0 or more. */
  leadTimeDays: number;
  /** Probability of not running out during a lead time, such as 0.95; between 0 and 1, exclusive. */
  serviceLevel: number;
  /** Days between reviews, 0 or more: the order must cover them too. Default 7. */
  reviewDays?: number;
  /** The date the figures are for, `YYYY-MM-DD`. */
  today: string;
}

export interface ReorderAdvice {
  /** Days the available stock lasts at the forecast rate; null when nothing sells. */
  daysOfCover: number | null;
  /** The day available stock runs out at the forecast rate; null when nothing sells. */
  projectedStockoutDate: string | null;
  /** Stock position at or below which to order: lead-time demand plus safety stock. */
  reorderPoint: number;
  safetyStock: number;
  /** Units to order now to reach the order-up-to level; 0 when the position is above the reorder point. */
  suggestedQuantity: number;
  /** available + inbound − backordered. */
  stockPosition: number;
}

/**
 * Advises when and how much to reorder. Safety stock is z · σ · √L for the
 * service level's normal quantile z (0 at or below a service level of 0.5),
 * the daily forecast error σ and the lead time L in days. The reorder point
 * is the demand over the lead time plus safety stock, and an order brings the
 * stock position up to the demand over the lead time and one review period,
 * plus safety stock. Each demand figure is rounded up to whole units.
 * Throws a RangeError for a service level outside (0, 1) or a negative or
 * non-finite lead time or review period.
 */
export function reorderAdvice(input: ReorderInput): ReorderAdvice {
  const { forecast, leadTimeDays, serviceLevel } = input;
  const reviewDays = input.reviewDays ?? 7;
  if (!(serviceLevel > 0 && serviceLevel < 1)) {
    throw new RangeError(`Service level must be between 0 and 1, exclusive; got ${serviceLevel}.`);
  }
  checkDays('Lead time', leadTimeDays);
  checkDays('Review period', reviewDays);

  const z = Math.max(0, normalQuantile(serviceLevel));
  const safetyStock = roundUp(z * forecast.dailyDeviation * Math.sqrt(leadTimeDays));
  const reorderPoint = roundUp(forecast.rate * leadTimeDays) + safetyStock;
  const orderUpTo = roundUp(forecast.rate * (leadTimeDays + reviewDays)) + safetyStock;
  const stockPosition = input.available + input.inbound - input.backordered;
  const suggestedQuantity = stockPosition <= reorderPoint ? Math.max(0, orderUpTo - stockPosition) : 0;

  const daysOfCover = forecast.rate > 0 ? Math.max(0, input.available) / forecast.rate : null;
  const projectedStockoutDate = daysOfCover === null ? null : addDays(input.today, Math.floor(daysOfCover));
  return { daysOfCover, projectedStockoutDate, reorderPoint, safetyStock, suggestedQuantity, stockPosition };
}

/**
 * Returns the standard normal quantile for a probability in (0, 1), by
 * Acklam's rational approximation (relative error under 1.2e-9). Throws a
 * RangeError outside (0, 1).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`Probability must be between 0 and 1, exclusive; got ${p}.`);

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

/**
 * Rounds a quantity of 0 or more up to whole units, ignoring floating-point
 * noise below 1e-9 units (so 10.000000000000002 is 10, and 0 stays +0).
 */
function roundUp(units: number): number {
  return Math.max(0, Math.ceil(units - 1e-9));
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function checkSeries(daily: readonly number[]): void {
  if (!daily.every((units) => Number.isFinite(units) && units >= 0)) {
    throw new RangeError('Daily demand must be finite and 0 or more on every day.');
  }
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`The smoothing constant must be above 0 and at most 1; got ${alpha}.`);
}

function checkDays(what: string, days: number): void {
  if (!(Number.isFinite(days) && days >= 0)) throw new RangeError(`${what} must be 0 or more days; got ${days}.`);
}

/** Adds days to a `YYYY-MM-DD` date, stopping at 9999-12-31 so that a very slow seller still gets a date of that shape. */
function addDays(date: string, days: number): string {
  const start = Date.parse(`${date}T00:00:00Z`);
  const end = Math.min(start + days * 86_400_000, Date.parse('9999-12-31T00:00:00Z'));
  return new Date(end).toISOString().slice(0, 10);
}
