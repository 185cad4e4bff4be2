/**
 * Accuracy measures for the evaluation scripts: scaled forecast errors
 * (MASE, RMSSE) against a seasonal-naive benchmark, and ranking measures for
 * a binary classifier (ROC AUC, average precision) with a seeded bootstrap.
 */

/**
 * Forecasts `horizon` days by repeating the last `season` days of the
 * history (the seasonal-naive forecast). Throws when the history is shorter
 * than one season.
 */
export function seasonalNaiveForecast(history: readonly number[], season: number, horizon: number): number[] {
  if (history.length < season) throw new RangeError(`Seasonal naive needs at least ${season} days of history; got ${history.length}.`);
  const lastSeason = history.slice(history.length - season);
  return Array.from({ length: horizon }, (_, day) => lastSeason[day % season]!);
}

/** The in-sample errors of the seasonal-naive forecast one season ahead, which scale MASE and RMSSE. */
export interface NaiveScale {
  /** Mean of |y[t] − y[t − season]| over the history. */
  meanAbsolute: number;
  /** Mean of (y[t] − y[t − season])² over the history. */
  meanSquared: number;
}

/** Returns the in-sample seasonal-naive errors of a history longer than one season. */
export function naiveScale(history: readonly number[], season: number): NaiveScale {
  if (history.length <= season) throw new RangeError(`The scale needs more than ${season} days of history; got ${history.length}.`);
  let absolute = 0;
  let squared = 0;
  for (let t = season; t < history.length; t += 1) {
    const difference = history[t]! - history[t - season]!;
    absolute += Math.abs(difference);
    squared += difference ** 2;
  }
  const count = history.length - season;
  return { meanAbsolute: absolute / count, meanSquared: squared / count };
}

/** Scaled errors of one forecast over a test window. */
export interface ScaledErrors {
  /** Mean absolute scaled error (Hyndman and Koehler 2006): test MAE over the in-sample naive MAE. */
  mase: number;
  /**
   * Root mean squared scaled error: √(test MSE / in-sample naive MSE). The M5
   * competition scored with it, scaled by the one-day naive forecast instead.
   */
  rmsse: number;
}

/** Scores a forecast of the test window, day by day, against the actual values. */
export function scaledErrors(actual: readonly number[], forecast: readonly number[], scale: NaiveScale): ScaledErrors {
  if (actual.length !== forecast.length || actual.length === 0) {
    throw new RangeError(`Actual and forecast must be non-empty and of one length; got ${actual.length} and ${forecast.length}.`);
  }
  let absolute = 0;
  let squared = 0;
  for (let day = 0; day < actual.length; day += 1) {
    const error = actual[day]! - forecast[day]!;
    absolute += Math.abs(error);
    squared += error ** 2;
  }
  return {
    mase: absolute / actual.length / scale.meanAbsolute,
    rmsse: Math.sqrt(squared / actual.length / scale.meanSquared),
  };
}

/**
 * Items sorted by score, ascending, in groups of equal score. `order`
 * contains item indexes, and group g spans order[starts[g]] up to, not
 * including, order[starts[g + 1]].
 */
interface Ranking {
  order: number[];
  starts: number[];
}

function rank(scores: readonly number[], labels: readonly boolean[]): Ranking {
  if (scores.length !== labels.length) throw new RangeError(`Got ${scores.length} scores for ${labels.length} labels.`);
  if (scores.some((score) => Number.isNaN(score))) throw new RangeError('Scores must not be NaN.');

  const order = scores.map((_, index) => index).sort((a, b) => scores[a]! - scores[b]!);
  const starts: number[] = [];
  order.forEach((item, position) => {
    if (position === 0 || scores[item] !== scores[order[position - 1]!]) starts.push(position);
  });
  starts.push(order.length);
  return { order, starts };
}

/** Returns the positive and negative weight of each score group, lowest score first. `weights` counts each item, 1 each when absent. */
function groupTotals(ranking: Ranking, labels: readonly boolean[], weights?: Uint32Array): { positive: number[]; negative: number[] } {
  const positive: number[] = [];
  const negative: number[] = [];
  for (let group = 0; group + 1 < ranking.starts.length; group += 1) {
    let groupPositive = 0;
    let groupNegative = 0;
    for (let position = ranking.starts[group]!; position < ranking.starts[group + 1]!; position += 1) {
      const item = ranking.order[position]!;
      const weight = weights ? weights[item]! : 1;
      if (labels[item]) groupPositive += weight;
      else groupNegative += weight;
    }
    positive.push(groupPositive);
    negative.push(groupNegative);
  }
  return { positive, negative };
}

/**
 * Returns the Mann–Whitney U statistic over P · N: for each positive, the
 * negatives scored below it plus half of those tied with it.
 */
function aucOfGroups(positive: readonly number[], negative: readonly number[]): number {
  let negativesBelow = 0;
  let wins = 0;
  let positives = 0;
  for (let group = 0; group < positive.length; group += 1) {
    wins += positive[group]! * (negativesBelow + negative[group]! / 2);
    negativesBelow += negative[group]!;
    positives += positive[group]!;
  }
  if (positives === 0 || negativesBelow === 0) return Number.NaN;
  return wins / (positives * negativesBelow);
}

/** Returns the sum over score groups, highest first, of the recall a group adds times the precision at its threshold. */
function averagePrecisionOfGroups(positive: readonly number[], negative: readonly number[]): number {
  const positives = positive.reduce((sum, count) => sum + count, 0);
  if (positives === 0) return Number.NaN;
  let truePositives = 0;
  let seen = 0;
  let sum = 0;
  for (let group = positive.length - 1; group >= 0; group -= 1) {
    truePositives += positive[group]!;
    seen += positive[group]! + negative[group]!;
    if (positive[group]! > 0) sum += (positive[group]! / positives) * (truePositives / seen);
  }
  return sum;
}

/**
 * Returns the area under the ROC curve: the probability that a random
 * positive scores above a random negative, ties counting one half. Computed
 * exactly as the Mann–Whitney U statistic over P · N, which equals the
 * rank-sum formula with tied scores given their mean rank. NaN without
 * positives or without negatives; throws a RangeError for NaN scores.
 */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  const totals = groupTotals(rank(scores, labels), labels);
  return aucOfGroups(totals.positive, totals.negative);
}

/**
 * Returns the average precision: the sum over score thresholds, highest
 * first, of the precision at that threshold times the recall it adds. All
 * items with one score enter at one threshold, as in scikit-learn's
 * `average_precision_score`. NaN without positives.
 */
export function averagePrecision(scores: readonly number[], labels: readonly boolean[]): number {
  const totals = groupTotals(rank(scores, labels), labels);
  return averagePrecisionOfGroups(totals.positive, totals.negative);
}

/** Returns a generator of uniform numbers in [0, 1) from a 32-bit seed (mulberry32), so that a seed reproduces a run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface BootstrapInterval {
  lower: number;
  upper: number;
  /** Resamples that gave a finite value (those without a positive or a negative are left out). */
  resamples: number;
}

/**
 * Returns percentile bootstrap intervals at `level` (such as 0.95) of the
 * ROC AUC and the average precision: `resamples` times, draws n items with
 * replacement and computes both on the same draw. Items are sorted once, so
 * each resample costs O(n).
 */
export function bootstrapRanking(
  scores: readonly number[],
  labels: readonly boolean[],
  options: { resamples: number; level: number; seed: number },
): { auc: BootstrapInterval; averagePrecision: BootstrapInterval } {
  const ranking = rank(scores, labels);
  const random = seededRandom(options.seed);
  const counts = new Uint32Array(scores.length);
  const aucs: number[] = [];
  const precisions: number[] = [];

  for (let resample = 0; resample < options.resamples; resample += 1) {
    counts.fill(0);
    for (let draw = 0; draw < scores.length; draw += 1) counts[Math.floor(random() * scores.length)]! += 1;
    const totals = groupTotals(ranking, labels, counts);
    const auc = aucOfGroups(totals.positive, totals.negative);
    const precision = averagePrecisionOfGroups(totals.positive, totals.negative);
    if (Number.isFinite(auc)) aucs.push(auc);
    if (Number.isFinite(precision)) precisions.push(precision);
  }
  return { auc: percentileInterval(aucs, options.level), averagePrecision: percentileInterval(precisions, options.level) };
}

function percentileInterval(values: number[], level: number): BootstrapInterval {
  values.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { lower: quantile(values, tail), upper: quantile(values, 1 - tail), resamples: values.length };
}

/** Returns the p-quantile of sorted values by linear interpolation between order statistics. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}
