import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { readHistoryFile, ONLINE_RETAIL_COLUMNS, type ColumnMapping } from '../app/replay/history-file.js';
import { DEFAULT_SKIP_CODES, type History } from '../app/replay/history.js';
import type { RunFigures } from '../app/replay/metrics.js';
import { buildReport } from '../app/replay/report.js';
import { renderHtml } from '../app/replay/report-html.js';
import { renderText } from '../app/replay/report-text.js';
import { DEFAULT_REPLAY_SETTINGS, replayHistory, type ReplayProgress, type ReplaySettings } from '../app/replay/run.js';
import { isCalendarDate } from '../domain/calendar.js';
import { ManualClock } from '../domain/clock.js';
import { isPostgresUrl } from '../store/database.js';
import { Store } from '../store/store.js';

const D = DEFAULT_REPLAY_SETTINGS;

export const REPLAY_HELP = `Usage: restock replay <orders.csv[.gz]> [options]

Replays an order history through the engine, as if the shop had used
Restock: orders and cancellations in time order, a simulated supplier that
reorders at each SKU's reorder point, and shipments when units are due.
Prints a report; the defaults read the UCI Online Retail data set.

Database:
  --db URL                  an empty SQLite file or postgres:// database to keep
                            (default: a temporary SQLite database in memory)
  --batch N                 orders per transaction at most (default ${D.batch})
Policy and supply:
  --policy NAME             backorder or stock_only for every SKU (default backorder)
  --compare-policies        replay under backorder and under stock_only on two
                            temporary databases and report the sales stock_only lost
  --initial-stock N         opening stock of every SKU, in units
  --initial-stock-days D    opening stock of each SKU: D days of cover of its first
                            30 days of demand (default ${(D.openingStock as { coverDays: number }).coverDays})
  --lead-time DAYS          supplier lead time in calendar days (default ${D.leadTimeDays})
  --handling-days DAYS      business days from allocation to shipment (default ${D.handlingDays})
  --service-level P         chance of not running out within a lead time (default ${D.serviceLevel})
  --late-rate P             share of purchase orders that arrive late, 0 to 1 (default 0)
  --short-rate P            share of purchase orders that arrive short, 0 to 1 (default 0)
  --seed N                  seed of the late and short draws (default ${D.seed})
  --drain-days N            days to keep receiving and shipping after the last order
                            while lines are open (default ${D.drainDays})
Input:
  --from DATE, --to DATE    replay only rows dated from/to these days (YYYY-MM-DD)
  --limit N                 read only the first N data rows
  --currency CODE           currency of the unit prices (default ${D.currency})
  --cancellation-prefix P   invoice prefix of cancellation rows (default C)
  --skip-codes LIST         comma-separated stock codes that are not products
                            (default ${DEFAULT_SKIP_CODES.join(',')})
  --invoice-column NAME     (default ${ONLINE_RETAIL_COLUMNS.invoice}); likewise --sku-column, --quantity-column,
                            --date-column, --price-column, --customer-column, --name-column
Output:
  --report FILE             write the report as an HTML page with charts
  --json FILE               write the figures as JSON

Exits 0 when the invariant check passes on every replayed database, 1 when it
fails, 2 for invalid options, a missing history file or a missing output folder.
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  db: { type: 'string' },
  batch: { type: 'string' },
  policy: { type: 'string' },
  'compare-policies': { type: 'boolean' },
  'initial-stock': { type: 'string' },
  'initial-stock-days': { type: 'string' },
  'lead-time': { type: 'string' },
  'handling-days': { type: 'string' },
  'service-level': { type: 'string' },
  'late-rate': { type: 'string' },
  'short-rate': { type: 'string' },
  seed: { type: 'string' },
  'drain-days': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  currency: { type: 'string' },
  'cancellation-prefix': { type: 'string' },
  'skip-codes': { type: 'string' },
  'invoice-column': { type: 'string' },
  'sku-column': { type: 'string' },
  'quantity-column': { type: 'string' },
  'date-column': { type: 'string' },
  'price-column': { type: 'string' },
  'customer-column': { type: 'string' },
  'name-column': { type: 'string' },
  report: { type: 'string' },
  json: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** An invalid option value; the message names the option and the fix. */
class UsageError extends Error {}

/** Runs `restock replay`; resolves with the process exit code. */
export async function runReplay(argv: string[]): Promise<number> {
  let values: Values;
  let file: string;
  let settings: ReplaySettings;
  let limit: number | undefined;
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    values = parsed.values;
    if (values.help) {
      process.stdout.write(REPLAY_HELP);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UsageError('Name one order history file, such as online_retail.csv.gz.');
    file = parsed.positionals[0]!;
    settings = readSettings(values);
    limit = values.limit === undefined ? undefined : readCount(values.limit, '--limit');
    if (values['compare-policies'] && values.db !== undefined) {
      throw new UsageError('--compare-policies replays on two temporary databases; leave out --db.');
    }
    assertReadable(file);
    for (const option of ['report', 'json'] as const) {
      const target = values[option];
      if (target !== undefined) assertWritableFolder(target, `--${option}`);
    }
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    process.stderr.write(`restock replay: ${error.message}\n\nRun restock replay --help for the options.\n`);
    return 2;
  }

  const progress = new Progress();
  const readStarted = performance.now();
  progress.start('reading', 100, 'percent');
  const history = await readHistoryFile(file, {
    columns: columnMapping(values),
    cancellationPrefix: values['cancellation-prefix'],
    skipCodes: values['skip-codes']?.split(',').map((code) => code.trim()),
    from: values.from,
    to: values.to,
    limit,
    onProgress: (share) => progress.update(Math.round(share * 100)),
  }).finally(() => progress.stop());
  const readSeconds = (performance.now() - readStarted) / 1000;
  if (history.events.length === 0) {
    process.stderr.write(`restock replay: ${basename(file)} has no orders to replay between the dates given.\n`);
    return 2;
  }

  const policies = values['compare-policies'] ? (['backorder', 'stock_only'] as const) : [settings.policy as 'backorder' | 'stock_only'];
  const runs: RunFigures[] = [];
  for (const policy of policies) {
    runs.push(await replayOnce(history, { ...settings, policy }, values.db, progress));
  }

  const database = values.db === undefined ? 'temporary SQLite database in memory' : isPostgresUrl(values.db) ? 'PostgreSQL' : values.db;
  const report = buildReport(basename(file), history, readSeconds, settings, database, runs);
  process.stdout.write(renderText(report));
  if (values.report) writeFileSync(values.report, renderHtml(report));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);

  const broken = runs.reduce((sum, run) => sum + run.invariants.violations, 0);
  const seconds = runs.reduce((sum, run) => sum + run.timing.seconds, 0);
  const lines = history.counts.orderLines * runs.length;
  process.stdout.write(
    `\nReplayed ${lines.toLocaleString('en-GB')} order lines in ${seconds.toFixed(1)} s ` +
      `(${Math.round(lines / seconds).toLocaleString('en-GB')} lines/s, reading ${readSeconds.toFixed(1)} s); ` +
      `${broken === 0 ? 'every invariant holds' : `${broken} invariant violations, see restock check`}` +
      `${values.report ? `; report in ${values.report}` : ''}` +
      `${values.db === undefined ? '' : `; database kept at ${isPostgresUrl(values.db) ? 'the PostgreSQL URL given' : values.db}`}.\n`,
  );
  return broken === 0 ? 0 : 1;
}

/**
 * Replays once on its own database: the one given, or a temporary SQLite
 * database in memory. A simulation that is thrown away afterwards needs
 * neither a file nor a sync at commit. The whole file's replay needs about
 * 1 GB for it, on top of the process's own memory.
 */
async function replayOnce(history: History, settings: ReplaySettings, url: string | undefined, progress: Progress): Promise<RunFigures> {
  const clock = new ManualClock(new Date(0));
  const store = await Store.open({ url: url ?? ':memory:', clock: clock.now, scratch: url === undefined });
  try {
    progress.start(`replay ${settings.policy as string}`, history.events.length, 'events');
    return await replayHistory(store, clock, history, settings, (step: ReplayProgress) => progress.update(step.events, step.day));
  } finally {
    progress.stop();
    await store.close();
  }
}

/** Rejects a history file that is missing or is not a file, before any work starts. */
function assertReadable(file: string): void {
  if (!existsSync(file)) throw new UsageError(`History file not found: ${file}. Name an order history CSV file, gzipped or not.`);
  if (!statSync(file).isFile()) throw new UsageError(`History file ${file} is not a file. Name an order history CSV file, gzipped or not.`);
}

/** Rejects an output path whose folder is missing, so a long replay does not end in a failed write. */
function assertWritableFolder(path: string, option: string): void {
  const folder = dirname(resolve(path));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UsageError(`${option}: folder ${folder} not found. Create it or write the file elsewhere.`);
  }
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new UsageError(`${option}: folder ${folder} is not writable. Write the file elsewhere.`);
  }
}

function readSettings(values: Values): ReplaySettings {
  const policy = values.policy ?? 'backorder';
  if (policy !== 'backorder' && policy !== 'stock_only') throw new UsageError(`--policy must be backorder or stock_only, not "${policy}".`);
  if (values.policy !== undefined && values['compare-policies']) {
    throw new UsageError('--compare-policies replays under both policies; leave out --policy.');
  }
  if (values['initial-stock'] !== undefined && values['initial-stock-days'] !== undefined) {
    throw new UsageError('Give --initial-stock or --initial-stock-days, not both.');
  }
  for (const name of ['from', 'to'] as const) {
    const value = values[name];
    if (value !== undefined && !isCalendarDate(value)) throw new UsageError(`--${name} must be a date such as 2011-06-01, not "${value}".`);
  }

  const openingStock =
    values['initial-stock'] !== undefined
      ? { units: readCount(values['initial-stock'], '--initial-stock') }
      : { coverDays: values['initial-stock-days'] === undefined ? 30 : readCount(values['initial-stock-days'], '--initial-stock-days') };
  const serviceLevel = readShare(values['service-level'], '--service-level', D.serviceLevel);
  if (serviceLevel <= 0 || serviceLevel >= 1) throw new UsageError(`--service-level must be between 0 and 1, exclusive, not ${serviceLevel}.`);

  return {
    ...D,
    policy,
    openingStock,
    leadTimeDays: values['lead-time'] === undefined ? D.leadTimeDays : readCount(values['lead-time'], '--lead-time'),
    handlingDays: values['handling-days'] === undefined ? D.handlingDays : readCount(values['handling-days'], '--handling-days'),
    serviceLevel,
    lateRate: readShare(values['late-rate'], '--late-rate', 0),
    shortRate: readShare(values['short-rate'], '--short-rate', 0),
    seed: values.seed === undefined ? D.seed : readCount(values.seed, '--seed'),
    batch: values.batch === undefined ? D.batch : Math.max(1, readCount(values.batch, '--batch')),
    drainDays: values['drain-days'] === undefined ? D.drainDays : readCount(values['drain-days'], '--drain-days'),
    currency: values.currency ?? D.currency,
  };
}

function columnMapping(values: Values): Partial<ColumnMapping> {
  const mapping: Partial<ColumnMapping> = {};
  const names: [keyof ColumnMapping, string | undefined][] = [
    ['invoice', values['invoice-column']],
    ['sku', values['sku-column']],
    ['quantity', values['quantity-column']],
    ['date', values['date-column']],
    ['unitPrice', values['price-column']],
    ['customer', values['customer-column']],
    ['name', values['name-column']],
  ];
  for (const [key, name] of names) if (name !== undefined) mapping[key] = name;
  return mapping;
}

function readCount(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${option} must be a whole number of 0 or more, not "${text}".`);
  return Number(text);
}

function readShare(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`${option} must be a number from 0 to 1, not "${text}".`);
  }
  return value;
}

/** A progress bar on standard error, drawn only when it is a terminal. */
class Progress {
  private bar: cliProgress.SingleBar | null = null;

  start(phase: string, total: number, unit: string): void {
    if (!process.stderr.isTTY) return;
    this.stop();
    this.bar = new cliProgress.SingleBar(
      {
        format: `${phase.padEnd(18)} [{bar}] {percentage}% | {value}/{total} ${unit} {day} | {duration_formatted}`,
        stream: process.stderr,
        clearOnComplete: true,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { day: '' });
  }

  update(value: number, day = ''): void {
    this.bar?.update(value, { day });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
