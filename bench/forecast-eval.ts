/**
 * Forecast evaluation on the UCI Online Retail data set (Chen, Sain and Guo
 * 2012): trains each SKU's forecast on the first nine months of daily demand
 * and scores it on the next three, by MASE against the seasonal-naive weekly
 * forecast. Run with `npm run bench:forecast -- --help`. Not a test: it
 * prints figures.
 */
import { existsSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { crostonRate, demandProfile, forecastDemand, sbaRate, sesRate, type DemandPattern } from '../src/domain/forecast.js';
import { naiveScale, scaledErrors, seasonalNaiveForecast, type ScaledErrors } from './metrics.js';
import { formatNumber, formatTable, median } from './support.js';


const USAGE = `Usage: npm run bench:forecast -- FILE [--alpha A] [--min-history DAYS]

  FILE               the UCI Online Retail order lines as CSV, gzipped when the name ends in .gz
  --alpha A          smoothing constant of SES, Croston and SBA (default 0.1, the product's)
  --min-history DAYS days from a SKU's first sale to the end of training that a SKU needs
                     to be scored (default 28, at least 8)

Daily demand per SKU is the sum of positive quantities on invoices that are
not cancellations (invoice numbers starting with C), for product codes only
(five digits and an optional letter suffix). Training runs from 2010-12-01
to 2011-08-31; the test window is 2011-09-01 to 2011-11-30 (91 days, 13 weeks).`;

const TRAIN_START = '2010-12-01';
const TEST_START = '2011-09-01';
const TEST_END = '2011-11-30';
const SEASON = 7;
const PRODUCT_CODE = /^\d{5}[A-Za-z]*$/;
const DAY_MS = 86_400_000;

const TRAIN_DAYS = daysBetween(TRAIN_START, TEST_START);
const TEST_DAYS = daysBetween(TEST_START, TEST_END) + 1;

type MethodName = 'Restock (SBA or SES by pattern)' | 'SES' | 'Croston (no correction)' | 'SBA on every SKU' | 'Seasonal naive (lag 7)' | 'Zero forecast';

interface SkuScore {
  sku: string;
  pattern: DemandPattern;
  errors: Map<MethodName, ScaledErrors>;
  /** Units forecast over the test window, per method. */
  forecastUnits: Map<MethodName, number>;
  /** Units sold in the test window. */
  actualUnits: number;
}

interface Exclusions {
  /** First sold in the test window or in December 2011: nothing to train on. */
  noTrainingSales: number;
  /** First sold fewer than `minHistory` days before the end of training. */
  shortHistory: number;
  /** The seasonal-naive in-sample error is 0, so the scaled errors are undefined. */
  zeroScale: number;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      alpha: { type: 'string', default: '0.1' },
      'min-history': { type: 'string', default: '28' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }

  const alpha = Number(values.alpha);
  const minHistory = Number(values['min-history']);
  if (!(alpha > 0 && alpha <= 1)) throw new UsageError(`--alpha must be above 0 and at most 1; got ${values.alpha}.`);
  if (!(Number.isInteger(minHistory) && minHistory > SEASON)) {
    throw new UsageError(`--min-history must be a whole number of days above ${SEASON}; got ${values['min-history']}.`);
  }

  const file = positionals[0];
  if (file === undefined) {
    console.error(`Give the path of the Online Retail CSV file.\n\n${USAGE}`);
    process.exit(2);
  }
  if (!existsSync(file)) {
    console.log(`Skipped: ${file} does not exist. Pass the path to the UCI Online Retail CSV (online_retail.csv.gz) as the first argument.`);
    return;
  }

  const started = Date.now();
  const { demand, lines } = await readDailyDemand(file);
  const { scores, exclusions } = scoreSkus(demand, alpha, minHistory);
  const seconds = (Date.now() - started) / 1000;

  printReport({ file, lines, skus: demand.size, scores, exclusions, alpha, minHistory, seconds });
}

/**
 * Reads the order lines into units per SKU per calendar day from the start
 * of training to the end of the test window, counting positive quantities
 * of invoices that are not cancellations, for product codes only.
 */
async function readDailyDemand(file: string): Promise<{ demand: Map<string, number[]>; lines: number }> {
  let source: NodeJS.ReadableStream = createReadStream(file);
  if (file.endsWith('.gz')) source = source.pipe(createGunzip());
  const parser = source.pipe(parse({ bom: true, relax_column_count: true }));

  const demand = new Map<string, number[]>();
  let columns: Record<string, number> | undefined;
  let lines = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (!columns) {
      columns = Object.fromEntries(record.map((name, index) => [name, index]));
      for (const name of ['InvoiceNo', 'StockCode', 'Quantity', 'InvoiceDate']) {
        if (columns[name] === undefined) throw new UsageError(`${file} has no ${name} column; is it the UCI Online Retail data set?`);
      }
      continue;
    }
    lines += 1;

    const invoice = record[columns.InvoiceNo!] ?? '';
    const sku = record[columns.StockCode!] ?? '';
    const quantity = Number(record[columns.Quantity!]);
    if (invoice.startsWith('C') || !PRODUCT_CODE.test(sku) || !(quantity > 0)) continue;

    const day = daysBetween(TRAIN_START, (record[columns.InvoiceDate!] ?? '').slice(0, 10));
    if (!(day >= 0 && day < TRAIN_DAYS + TEST_DAYS)) continue;

    let daily = demand.get(sku);
    if (!daily) {
      daily = new Array<number>(TRAIN_DAYS + TEST_DAYS).fill(0);
      demand.set(sku, daily);
    }
    daily[day]! += quantity;
  }
  return { demand, lines };
}

/**
 * Forecasts the test window of every SKU with each method and scores it.
 * A SKU's training history starts on its first sale, because the data has
 * no listing dates and days before a product was on sale are not days
 * without demand.
 */
function scoreSkus(demand: Map<string, number[]>, alpha: number, minHistory: number): { scores: SkuScore[]; exclusions: Exclusions } {
  const scores: SkuScore[] = [];
  const exclusions: Exclusions = { noTrainingSales: 0, shortHistory: 0, zeroScale: 0 };

  for (const [sku, daily] of demand) {
    const firstSale = daily.findIndex((units) => units > 0);
    if (firstSale < 0 || firstSale >= TRAIN_DAYS) {
      exclusions.noTrainingSales += 1;
      continue;
    }
    const train = daily.slice(firstSale, TRAIN_DAYS);
    if (train.length < minHistory) {
      exclusions.shortHistory += 1;
      continue;
    }
    const scale = naiveScale(train, SEASON);
    if (scale.meanAbsolute === 0) {
      exclusions.zeroScale += 1;
      continue;
    }

    const test = daily.slice(TRAIN_DAYS);
    const flat = (rate: number) => new Array<number>(TEST_DAYS).fill(rate);
    const forecasts: [MethodName, number[]][] = [
      ['Restock (SBA or SES by pattern)', flat(forecastDemand(train, alpha).rate)],
      ['SES', flat(sesRate(train, alpha))],
      ['Croston (no correction)', flat(crostonRate(train, alpha))],
      ['SBA on every SKU', flat(sbaRate(train, alpha))],
      ['Seasonal naive (lag 7)', seasonalNaiveForecast(train, SEASON, TEST_DAYS)],
      ['Zero forecast', flat(0)],
    ];
    const errors = new Map(forecasts.map(([name, forecast]) => [name, scaledErrors(test, forecast, scale)] as const));
    const forecastUnits = new Map(forecasts.map(([name, forecast]) => [name, sum(forecast)] as const));
    scores.push({ sku, pattern: demandProfile(train)!.pattern, errors, forecastUnits, actualUnits: sum(test) });
  }
  return { scores, exclusions };
}

interface Report {
  file: string;
  lines: number;
  skus: number;
  scores: SkuScore[];
  exclusions: Exclusions;
  alpha: number;
  minHistory: number;
  seconds: number;
}

function printReport(report: Report): void {
  const { scores, exclusions } = report;
  const methods = [...scores[0]!.errors.keys()];
  const naive: MethodName = 'Seasonal naive (lag 7)';
  const withoutTestDemand = scores.filter((score) => score.errors.get('Zero forecast')!.mase === 0).length;

  console.log(`Forecast evaluation on ${report.file}: ${formatNumber(report.lines)} order lines, ${formatNumber(report.skus)} product codes sold.`);
  console.log(`Training ${TRAIN_START} to 2011-08-31 (${TRAIN_DAYS} days); test ${TEST_START} to ${TEST_END} (${TEST_DAYS} days). α = ${report.alpha}.`);
  console.log(
    `Scored ${formatNumber(scores.length)} SKUs (${formatNumber(withoutTestDemand)} of them sold nothing in the test window). Excluded: ` +
      `${exclusions.noTrainingSales} first sold after training, ${exclusions.shortHistory} first sold under ${report.minHistory} days before ` +
      `the end of training, ${exclusions.zeroScale} with a zero seasonal-naive in-sample error.`,
  );
  console.log('');

  const actualUnits = sum(scores.map((score) => score.actualUnits));
  const rows = methods.map((method) => {
    const mase = scores.map((score) => score.errors.get(method)!.mase);
    const rmsse = scores.map((score) => score.errors.get(method)!.rmsse);
    const beatsNaive = scores.filter((score) => score.errors.get(method)!.mase < score.errors.get(naive)!.mase).length;
    const forecastUnits = sum(scores.map((score) => score.forecastUnits.get(method)!));
    return [
      method,
      mean(mase).toFixed(3),
      median(mase).toFixed(3),
      mean(rmsse).toFixed(3),
      median(rmsse).toFixed(3),
      method === naive ? '' : `${((100 * beatsNaive) / scores.length).toFixed(1)} %`,
      (forecastUnits / actualUnits).toFixed(3),
    ];
  });
  console.log(formatTable(['method', 'MASE mean', 'MASE median', 'RMSSE mean', 'RMSSE median', 'MASE below naive', 'units / actual'], rows));
  console.log(
    `MASE below naive: share of SKUs whose MASE is below the seasonal naive's. Units / actual: units forecast over the test window, ` +
      `summed over the SKUs, divided by the ${formatNumber(actualUnits)} units sold.`,
  );
  console.log('');

  const patterns: DemandPattern[] = ['smooth', 'erratic', 'intermittent', 'lumpy'];
  const patternRows = patterns.map((pattern) => {
    const group = scores.filter((score) => score.pattern === pattern);
    const medianOf = (method: MethodName) => (group.length === 0 ? '' : median(group.map((score) => score.errors.get(method)!.mase)).toFixed(3));
    return [pattern, formatNumber(group.length), ...methods.map(medianOf)];
  });
  console.log('Median MASE by demand pattern of the training history:');
  console.log(formatTable(['pattern', 'SKUs', ...methods], patternRows));
  console.log('');
  console.log(`Took ${report.seconds.toFixed(1)} s.`);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function mean(values: readonly number[]): number {
  return sum(values) / values.length;
}

/** Days from one `YYYY-MM-DD` date to another; NaN when either is not a date. */
function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
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
