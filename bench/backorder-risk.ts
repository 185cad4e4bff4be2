/**
 * Backorder-risk evaluation on a part of the Kaggle "Can You Predict
 * Product Backorders?" data, the leading rows of Kaggle_Test_Dataset_v2.csv.
 * It ranks parts by a transparent risk score built from their inventory
 * figures, and by a small logistic regression under stratified k-fold
 * cross-validation. It reports ROC AUC and average precision with seeded
 * bootstrap intervals, beside the results that de Santis, de Aguiar and
 * Goliatt (2017) published for the whole data set. Run with
 * `npm run bench:risk -- --help`. Not a test: it prints figures.
 */
import { createReadStream, existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import { crossValidatedScores } from './logistic-regression.js';
import { averagePrecision, bootstrapRanking, rocAuc } from './metrics.js';
import { formatNumber, formatTable, median } from './support.js';

// The data sets' location on the machines this project is developed on.

const USAGE = `Usage: npm run bench:risk -- FILE [--published CSV] [--resamples N] [--folds K] [--seed S]

  FILE             parts of the Kaggle product-backorders data, as CSV with its 23 columns
  --published CSV  the published results to print beside ours: estimator, auroc_mean, auroc_std,
                   auprc_mean, auprc_std (skipped when not given)
  --resamples N    bootstrap resamples for the 95 % intervals (default 2000)
  --folds K        cross-validation folds for the logistic regression (default 5)
  --seed S         seed of the bootstrap and of the first of 10 fold assignments (default 1)`;

/** One part's row, with the data set's sentinels turned into nulls. */
interface Part {
  nationalInv: number;
  /** Null when the data set leaves it empty. The unit is not stated; the values (2 to 52) read as weeks. */
  leadTime: number | null;
  inTransit: number;
  forecast3: number;
  forecast6: number;
  forecast9: number;
  sales1: number;
  sales3: number;
  sales6: number;
  sales9: number;
  minBank: number;
  potentialIssue: boolean;
  piecesPastDue: number;
  /** Share of the supplier's deliveries on time over 6 months; null for the data set's −99 (unknown). */
  perf6: number | null;
  perf12: number | null;
  localBoQty: number;
  flags: boolean[];
  wentOnBackorder: boolean;
}

const FLAG_COLUMNS = ['deck_risk', 'oe_constraint', 'ppap_risk', 'stop_auto_buy', 'rev_stop'];
const WEEKS_PER_MONTH = 52 / 12;

/**
 * Returns the share of the lead-time demand that stock on hand and in transit
 * does not cover, from 0 (covered, or no demand) to 1 (nothing to cover it with).
 * Monthly demand is the larger of the 3-month forecast and the last 3
 * months' sales, a third of either: a forecast below recent sales is not
 * trusted. A part without a lead time gets `fallbackLeadTime`.
 */
function uncoveredShare(part: Part, fallbackLeadTime: number): number {
  const monthlyDemand = Math.max(part.forecast3, part.sales3) / 3;
  const leadTimeDemand = monthlyDemand * ((part.leadTime ?? fallbackLeadTime) / WEEKS_PER_MONTH);
  if (leadTimeDemand <= 0) return 0;
  const supply = Math.max(0, part.nationalInv + part.inTransit);
  return leadTimeDemand / (leadTimeDemand + supply);
}

/** The signals added to the uncovered share, each from 0 to 1. Their weight (0.1 each) was set before any evaluation and not tuned. */
const RISK_SIGNALS: Record<string, (part: Part) => number> = {
  'rising sales': (part) => {
    const monthly = part.sales3 / 3;
    return Math.min(1, Math.max(0, (part.sales1 - monthly) / Math.max(1, monthly)));
  },
  'pieces past due': (part) => (part.piecesPastDue > 0 ? 1 : 0),
  'supplier late share': (part) => (part.perf6 === null ? 0 : Math.min(1, Math.max(0, 1 - part.perf6))),
  'overdue stock orders': (part) => (part.localBoQty > 0 ? 1 : 0),
  'source issue flagged': (part) => (part.potentialIssue ? 1 : 0),
};

const SIGNAL_WEIGHT = 0.1;

/** Returns the transparent risk score: the uncovered share plus 0.1 times each signal. Higher means more likely to go on backorder. */
function riskScore(part: Part, fallbackLeadTime: number, signals = Object.keys(RISK_SIGNALS)): number {
  let score = uncoveredShare(part, fallbackLeadTime);
  for (const name of signals) score += SIGNAL_WEIGHT * RISK_SIGNALS[name]!(part);
  return score;
}

/** Returns the logistic regression's features: signed log quantities, lead time and supplier performance with missing flags, and the risk flags. */
function features(part: Part, fallbackLeadTime: number, perfFallback: { perf6: number; perf12: number }): number[] {
  const quantities = [
    part.nationalInv, part.inTransit, part.forecast3, part.forecast6, part.forecast9,
    part.sales1, part.sales3, part.sales6, part.sales9, part.minBank, part.piecesPastDue, part.localBoQty,
  ];
  return [
    ...quantities.map((value) => Math.sign(value) * Math.log1p(Math.abs(value))),
    part.leadTime ?? fallbackLeadTime,
    part.leadTime === null ? 1 : 0,
    part.perf6 ?? perfFallback.perf6,
    part.perf12 ?? perfFallback.perf12,
    part.perf6 === null ? 1 : 0,
    part.potentialIssue ? 1 : 0,
    ...part.flags.map((flag) => (flag ? 1 : 0)),
  ];
}

interface Options {
  file: string;
  published: string | undefined;
  resamples: number;
  folds: number;
  seed: number;
}

async function main(): Promise<void> {
  const options = readOptions();
  if (!options) return;
  if (!existsSync(options.file)) {
    console.log(`Skipped: ${options.file} does not exist. Pass the path to the Kaggle product-backorders CSV as the first argument.`);
    return;
  }

  const parts = await readParts(options.file);
  const labels = parts.map((part) => part.wentOnBackorder);
  const positives = labels.filter(Boolean).length;
  const leadTimes = parts.flatMap((part) => (part.leadTime === null ? [] : [part.leadTime]));
  const fallbackLeadTime = median(leadTimes);

  console.log(
    `Backorder risk on ${options.file}: ${formatNumber(parts.length)} parts, ${positives} went on backorder ` +
      `(${((100 * positives) / parts.length).toFixed(2)} %, the average precision of a random ranking).`,
  );
  console.log(
    `Lead time missing for ${formatNumber(parts.length - leadTimes.length)} parts (given the median, ${fallbackLeadTime}); ` +
      `supplier performance unknown for ${formatNumber(parts.filter((part) => part.perf6 === null).length)}.`,
  );
  console.log(`Intervals: 95 % percentile bootstrap over ${formatNumber(options.resamples)} resamples of the parts, seed ${options.seed}.`);
  console.log('');

  const rows: string[][] = [];
  const addRow = (name: string, scores: number[]) => rows.push([name, ...describe(scores, labels, options)]);

  addRow('Uncovered share of lead-time demand', parts.map((part) => uncoveredShare(part, fallbackLeadTime)));
  for (const signal of Object.keys(RISK_SIGNALS)) {
    addRow(`  + ${signal} only`, parts.map((part) => riskScore(part, fallbackLeadTime, [signal])));
  }
  addRow('Risk score (uncovered share + all signals)', parts.map((part) => riskScore(part, fallbackLeadTime)));

  const perfFallback = {
    perf6: median(parts.flatMap((part) => (part.perf6 === null ? [] : [part.perf6]))),
    perf12: median(parts.flatMap((part) => (part.perf12 === null ? [] : [part.perf12]))),
  };
  const raw = parts.map((part) => features(part, fallbackLeadTime, perfFallback));
  const withShare = raw.map((row, index) => [...row, uncoveredShare(parts[index]!, fallbackLeadTime)]);
  const plain = repeatedCrossValidation(raw, labels, options);
  const extended = repeatedCrossValidation(withShare, labels, options);
  const cv = `${options.folds}-fold CV ×${REPEATS}`;
  addRow(`Logistic regression, ${cv}`, plain.scores);
  addRow(`Logistic regression + uncovered share, ${cv}`, extended.scores);

  console.log(formatTable(['score', 'ROC AUC', '95 % interval', 'avg precision', '95 % interval'], rows));
  console.log('');
  console.log(
    `Logistic regression: each part's score is the mean of its ${REPEATS} out-of-fold probabilities, from ${REPEATS} ` +
      `assignments of parts to folds (seeds ${options.seed} to ${options.seed + REPEATS - 1}). ROC AUC of each assignment ` +
      `on its own: ${plain.aucRange}; with the uncovered share, ${extended.aucRange}.`,
  );
  console.log('');
  await printPublished(options.published);
}

const REPEATS = 10;
const L2_PENALTY = 1;

/**
 * Runs k-fold cross-validation of the logistic regression with `REPEATS`
 * fold assignments and returns each part's mean out-of-fold probability,
 * with the mean and range of the AUCs of the single assignments. No part's
 * own label is used to score it.
 */
function repeatedCrossValidation(rows: number[][], labels: boolean[], options: Options): { scores: number[]; aucRange: string } {
  const sums = new Array<number>(rows.length).fill(0);
  const aucs: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat += 1) {
    const scores = crossValidatedScores(rows, labels, { l2: L2_PENALTY, folds: options.folds, seed: options.seed + repeat });
    scores.forEach((score, index) => (sums[index]! += score));
    aucs.push(rocAuc(scores, labels));
  }
  return {
    scores: sums.map((sum) => sum / REPEATS),
    aucRange: `mean ${(aucs.reduce((sum, auc) => sum + auc, 0) / aucs.length).toFixed(3)}, ${Math.min(...aucs).toFixed(3)} to ${Math.max(...aucs).toFixed(3)}`,
  };
}

/** Returns the AUC and average precision of a ranking with their bootstrap intervals, as table cells. */
function describe(scores: number[], labels: boolean[], options: Options): string[] {
  const intervals = bootstrapRanking(scores, labels, { resamples: options.resamples, level: 0.95, seed: options.seed });
  return [
    rocAuc(scores, labels).toFixed(3),
    `${intervals.auc.lower.toFixed(3)} to ${intervals.auc.upper.toFixed(3)}`,
    averagePrecision(scores, labels).toFixed(3),
    `${intervals.averagePrecision.lower.toFixed(3)} to ${intervals.averagePrecision.upper.toFixed(3)}`,
  ];
}

async function printPublished(file: string | undefined): Promise<void> {
  if (file === undefined) {
    console.log('Published results skipped: pass --published with their CSV file to print them beside ours.');
    return;
  }
  if (!existsSync(file)) {
    console.log(`Published results skipped: ${file} does not exist.`);
    return;
  }
  const records = await readRecords(file);
  console.log('Published (de Santis, de Aguiar and Goliatt 2017; mean and standard deviation over 30 stratified 85/15');
  console.log('hold-out splits of the whole data set, about 1.9 million parts, with models tuned by 5-fold CV):');
  console.log(
    formatTable(
      ['model', 'ROC AUC', 'sd', 'AUPRC', 'sd'],
      records.map((record) => [record.estimator ?? '', record.auroc_mean ?? '', record.auroc_std ?? '', record.auprc_mean ?? '', record.auprc_std ?? '']),
    ),
  );
}

async function readParts(file: string): Promise<Part[]> {
  const records = await readRecords(file);
  return records.map((record, index) => toPart(record, index + 2));
}

async function readRecords(file: string): Promise<Record<string, string>[]> {
  const parser = createReadStream(file).pipe(parse({ bom: true, columns: true, skip_empty_lines: true }));
  const records: Record<string, string>[] = [];
  for await (const record of parser as AsyncIterable<Record<string, string>>) records.push(record);
  return records;
}

/** Reads one row; `row` is its line number, the header being line 1. */
function toPart(record: Record<string, string>, row: number): Part {
  const number = (column: string): number => {
    const value = Number(record[column]);
    if (record[column] === undefined || record[column] === '' || !Number.isFinite(value)) {
      throw new Error(`Row ${row}, column ${column}: expected a number, got "${record[column] ?? ''}".`);
    }
    return value;
  };
  const yes = (column: string): boolean => {
    if (record[column] !== 'Yes' && record[column] !== 'No') throw new Error(`Row ${row}, column ${column}: expected Yes or No, got "${record[column] ?? ''}".`);
    return record[column] === 'Yes';
  };
  const performance = (column: string): number | null => (number(column) === -99 ? null : number(column));

  return {
    nationalInv: number('national_inv'),
    leadTime: record.lead_time === '' ? null : number('lead_time'),
    inTransit: number('in_transit_qty'),
    forecast3: number('forecast_3_month'),
    forecast6: number('forecast_6_month'),
    forecast9: number('forecast_9_month'),
    sales1: number('sales_1_month'),
    sales3: number('sales_3_month'),
    sales6: number('sales_6_month'),
    sales9: number('sales_9_month'),
    minBank: number('min_bank'),
    potentialIssue: yes('potential_issue'),
    piecesPastDue: number('pieces_past_due'),
    perf6: performance('perf_6_month_avg'),
    perf12: performance('perf_12_month_avg'),
    localBoQty: number('local_bo_qty'),
    flags: FLAG_COLUMNS.map(yes),
    wentOnBackorder: yes('went_on_backorder'),
  };
}

function readOptions(): Options | null {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      published: { type: 'string' },
      resamples: { type: 'string', default: '2000' },
      folds: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return null;
  }

  const whole = (name: string, text: string, min: number): number => {
    const value = Number(text);
    if (!(Number.isInteger(value) && value >= min)) throw new UsageError(`--${name} must be a whole number of at least ${min}; got ${text}.`);
    return value;
  };
  return {
    file: requiredFile(positionals[0]),
    published: values.published,
    resamples: whole('resamples', values.resamples, 100),
    folds: whole('folds', values.folds, 2),
    seed: whole('seed', values.seed, 0),
  };
}

class UsageError extends Error {}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});

function requiredFile(file: string | undefined): string {
  if (file === undefined) throw new UsageError('Give the path of the product-backorders CSV file.');
  return file;
}
