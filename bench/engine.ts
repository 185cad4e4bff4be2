/**
 * Engine benchmark: orders per second through placeOrders, and receipt time
 * into a long backorder queue, on SQLite and PostgreSQL. Each database's
 * figures stand beside its raw rate for one small write transaction,
 * measured in the same run. Run with `npm run bench -- --help`. It is not a
 * test: it prints figures and checks only that the work was done.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { checkInvariants } from '../src/app/check.js';
import { placeOrders, type PlaceOrderInput } from '../src/app/place-order.js';
import { receive } from '../src/app/purchase-orders.js';
import { dropSchema } from '../src/store/database.js';
import { QueryCounter } from '../src/store/query-counter.js';
import { Store } from '../src/store/store.js';
import { fillStorePool, measureRawPostgres, measureRawSqlite } from './raw.js';
import {
  printDatabase, writeResults, type DatabaseFigures, type DatabaseResult, type OrderFigure, type RawFigure, type ReceiptFigure,
} from './report.js';
import { seedQueue, seedStockedSkus } from './seed.js';
import { describeUrl, formatNumber, machineInfo, median, rate, round, runPhase, type Timing } from './support.js';

const USAGE = `Usage: npm run bench -- [--orders N] [--quick] [--only sqlite|postgres]

  --orders N   orders placed per scenario (default 5000; 300 with --quick)
  --quick      small counts for a smoke run: a 2,000-line queue, receipts of 1, 100 and 1,000 units
  --only DB    run one database: sqlite or postgres

PostgreSQL comes from RESTOCK_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test);
the run uses a fresh schema in it and drops the schema at the end.
Results are printed and written to bench/results/engine-<time>.json.`;

const PG_CALLERS = 32;
const SPREAD_SKUS = 10_000;
const BATCH = 100;
const ON_HAND = 1_000_000_000;

interface Settings {
  orders: number;
  quick: boolean;
  only: 'sqlite' | 'postgres' | undefined;
  pgUrl: string;
  /** Minimum number of lines waiting in the queue at every timed receipt. */
  queueLines: number;
  receipts: { units: number; runs: number }[];
  rawMinMillis: number;
}

function readSettings(): Settings {
  const options = {
    orders: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  let values: ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];
  try {
    values = parseArgs({ options }).values;
  } catch (error) {
    exitWithUsage((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }

  const quick = values.quick === true;
  let orders = quick ? 300 : 5000;
  if (values.orders !== undefined) orders = Number(values.orders);
  if (!Number.isInteger(orders) || orders < BATCH) {
    exitWithUsage(`Invalid --orders "${values.orders}": give a whole number of at least ${BATCH}.`);
  }
  if (values.only !== undefined && values.only !== 'sqlite' && values.only !== 'postgres') {
    exitWithUsage(`Invalid --only "${values.only}": use sqlite or postgres.`);
  }

  return {
    orders,
    quick,
    only: values.only,
    pgUrl: process.env.RESTOCK_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    queueLines: quick ? 2_000 : 100_000,
    receipts: quick
      ? [{ units: 1, runs: 1 }, { units: 100, runs: 1 }, { units: 1_000, runs: 1 }]
      : [{ units: 1, runs: 5 }, { units: 100, runs: 5 }, { units: 10_000, runs: 3 }],
    rawMinMillis: quick ? 500 : 3000,
  };
}

function exitWithUsage(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function rawFigure(timing: Timing, callers: number): RawFigure {
  return { callers, transactions: timing.items, seconds: round(timing.seconds, 3), transactionsPerSecond: round(rate(timing), 1) };
}

/** Sizes a warm-up: about 5% of the measured transactions, between 2 and 250. */
function warmupOf(transactions: number): number {
  return Math.min(250, Math.max(2, Math.ceil(transactions / 20)));
}

type DatabaseRun = Omit<DatabaseFigures, 'load'> | Extract<DatabaseResult, { skipped: string }>;

async function benchSqlite(settings: Settings): Promise<DatabaseRun> {
  const folder = mkdtempSync(join(tmpdir(), 'restock-bench-'));
  try {
    console.log('sqlite: raw transaction rate…');
    const rawTiming = measureRawSqlite(join(folder, 'raw.db'), {
      warmup: warmupOf(settings.orders),
      items: settings.orders,
      minMillis: settings.rawMinMillis,
    });
    const raw = rawFigure(rawTiming, 1);

    const counter = new QueryCounter();
    const store = await Store.open({ url: join(folder, 'engine.db'), counter });
    try {
      const version = await queryVersion(store, 'select sqlite_version() as version');
      return await benchEngine(store, 'sqlite', version, raw, 1, counter, settings);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function benchPostgres(settings: Settings): Promise<DatabaseRun> {
  const where = describeUrl(settings.pgUrl);
  const schema = `restock_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await createSchema(settings.pgUrl, schema);
  } catch (error) {
    const reason =
      `Could not create a schema on PostgreSQL at ${where} (${(error as Error).message}), so the PostgreSQL figures are skipped. ` +
      'Set RESTOCK_BENCH_PG_URL to a reachable server.';
    console.log(reason);
    return { database: 'postgres', skipped: reason };
  }

  // An interrupted run cannot drop the schema while its own transactions
  // hold locks in it, so it names the schema instead.
  const onInterrupt = () => {
    console.error(`\nInterrupted; schema ${schema} was left in place. Drop it with: drop schema ${schema} cascade;`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);

  try {
    console.log(`postgres: raw transaction rate with ${PG_CALLERS} clients (schema ${schema})…`);
    const rawTiming = await measureRawPostgres(settings.pgUrl, schema, {
      warmup: warmupOf(settings.orders),
      items: settings.orders,
      minMillis: settings.rawMinMillis,
      workers: PG_CALLERS,
    });
    const raw = rawFigure(rawTiming, PG_CALLERS);

    const store = await Store.open({ url: settings.pgUrl, schema, maxConnections: PG_CALLERS });
    try {
      await fillStorePool(store.db, PG_CALLERS);
      const version = await queryVersion(store, "select current_setting('server_version') as version");
      return await benchEngine(store, 'postgres', version, raw, PG_CALLERS, undefined, settings);
    } finally {
      await store.close();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    await dropSchema(settings.pgUrl, schema);
  }
}

async function createSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
}

async function queryVersion(store: Store, text: string): Promise<string> {
  const { rows } = await sql<{ version: string }>`${sql.raw(text)}`.execute(store.db);
  return rows[0]!.version;
}

async function benchEngine(
  store: Store,
  database: 'sqlite' | 'postgres',
  version: string,
  raw: RawFigure,
  callers: number,
  counter: QueryCounter | undefined,
  settings: Settings,
): Promise<Omit<DatabaseFigures, 'load'>> {
  console.log(`${database}: raw ${formatNumber(raw.transactionsPerSecond)} txn/s; seeding ${formatNumber(2 * SPREAD_SKUS + 2)} SKUs…`);
  const spread = (set: string) => Array.from({ length: SPREAD_SKUS }, (_, i) => `SPREAD-${set}-${String(i).padStart(5, '0')}`);
  const scenarios = [
    { scenario: 'one hot SKU', skus: ['HOT-A'], perTransaction: 1 },
    { scenario: 'one hot SKU', skus: ['HOT-B'], perTransaction: BATCH },
    { scenario: `${formatNumber(SPREAD_SKUS)} SKUs, uniform`, skus: spread('A'), perTransaction: 1 },
    { scenario: `${formatNumber(SPREAD_SKUS)} SKUs, uniform`, skus: spread('B'), perTransaction: BATCH },
  ];
  await seedStockedSkus(store.db, scenarios.flatMap((s) => s.skus), ON_HAND);

  const orders: OrderFigure[] = [];
  for (const scenario of scenarios) {
    const figure = await measureOrders(store, scenario, callers, raw, counter, settings.orders);
    console.log(
      `${database}: ${scenario.scenario}, ${scenario.perTransaction}/txn: ${formatNumber(figure.ordersPerSecond)} orders/s (${figure.ratioToRaw.toFixed(2)} of raw)`,
    );
    orders.push(figure);
  }

  console.log(`${database}: seeding the backorder queue…`);
  const { seedSeconds, figures: receipts } = await measureReceipts(store, counter, settings);
  for (const figure of receipts) {
    console.log(`${database}: receipt of ${formatNumber(figure.units)}: median ${figure.medianMs.toFixed(1)} ms`);
  }

  console.log(`${database}: checking invariants (untimed)…`);
  const violations = await checkInvariants(store.db);
  if (violations.length > 0) {
    console.error(`${database}: ${violations.length} broken invariants after the run; the first is ${JSON.stringify(violations[0])}`);
    process.exitCode = 1;
  }

  return {
    database,
    version,
    raw,
    orders,
    receipts,
    queueSeedSeconds: round(seedSeconds, 2),
    invariantViolations: violations.length,
  };
}

function orderFor(sku: string, index: number): PlaceOrderInput {
  return {
    currency: 'USD',
    customer: { email: `buyer${index}@example.com` },
    lines: [{ sku, quantity: 1, unitPrice: 1000 }],
  };
}

/**
 * Places `orders` one-unit orders in transactions of `perTransaction`, with
 * `callers` transactions in flight, after a short warm-up on the same SKUs.
 */
async function measureOrders(
  store: Store,
  scenario: { scenario: string; skus: string[]; perTransaction: number },
  callers: number,
  raw: RawFigure,
  counter: QueryCounter | undefined,
  orders: number,
): Promise<OrderFigure> {
  const { skus, perTransaction } = scenario;
  let placed = 0;
  let rejected = 0;
  const pickSku = () => skus[Math.floor(Math.random() * skus.length)]!;
  const placeBatch = async () => {
    const inputs = Array.from({ length: perTransaction }, () => orderFor(pickSku(), (placed += 1)));
    const outcomes = await store.transaction((work) => placeOrders(work, inputs));
    rejected += outcomes.filter((outcome) => !outcome.accepted).length;
  };

  const transactions = Math.ceil(orders / perTransaction);
  const warmup = warmupOf(transactions);
  await runPhase({ items: warmup, workers: Math.min(callers, warmup) }, placeBatch);
  rejected = 0;
  const timing = await runPhase({ items: transactions, workers: Math.min(callers, transactions) }, placeBatch);

  let statementsPerTransaction: number | null = null;
  if (counter) {
    counter.reset();
    counter.enabled = true;
    await placeBatch();
    counter.enabled = false;
    statementsPerTransaction = counter.statements;
  }

  if (rejected > 0) {
    console.error(`${scenario.scenario}, ${perTransaction}/txn: ${rejected} orders were rejected; every order should allocate from stock.`);
    process.exitCode = 1;
  }

  const ordersPerSecond = (timing.items * perTransaction) / timing.seconds;
  return {
    scenario: scenario.scenario,
    skus: skus.length,
    ordersPerTransaction: perTransaction,
    callers: Math.min(callers, transactions),
    orders: timing.items * perTransaction,
    seconds: round(timing.seconds, 3),
    ordersPerSecond: round(ordersPerSecond, 1),
    transactionsPerSecond: round(rate(timing), 1),
    ratioToRaw: round(ordersPerSecond / raw.transactionsPerSecond, 3),
    rejected,
    statementsPerTransaction,
  };
}

/**
 * Times receipts of each size into a queue of one-unit lines on one SKU.
 * The queue is seeded with enough extra lines that every timed receipt
 * finds at least `settings.queueLines` waiting, and each run serves lines no
 * earlier run touched. One untimed receipt of 100 units warms up first. On
 * SQLite each size also gets one untimed receipt whose statements and rows
 * are counted; the timed runs are never counted.
 */
async function measureReceipts(
  store: Store,
  counter: QueryCounter | undefined,
  settings: Settings,
): Promise<{ seedSeconds: number; figures: ReceiptFigure[] }> {
  const sku = 'QUEUE';
  const warmupUnits = 100;
  const countedUnits = counter ? settings.receipts.reduce((sum, plan) => sum + plan.units, 0) : 0;
  const consumed = warmupUnits + countedUnits + settings.receipts.reduce((sum, plan) => sum + plan.runs * plan.units, 0);

  const seedStarted = performance.now();
  const purchaseOrder = await seedQueue(store, sku, settings.queueLines + consumed, { quantity: consumed, expectedDate: daysFromNow(30) });
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const receiveUnits = async (units: number) => {
    const result = await store.transaction((work) => receive(work, purchaseOrder, [{ sku, quantity: units }]));
    if (result.allocations.length !== units) {
      throw new Error(`A receipt of ${units} units served ${result.allocations.length} one-unit lines; expected ${units}.`);
    }
  };
  await receiveUnits(warmupUnits);

  const figures: ReceiptFigure[] = [];
  for (const { units, runs } of settings.receipts) {
    if (counter) {
      counter.reset();
      counter.enabled = true;
      await receiveUnits(units);
      counter.enabled = false;
    }

    const queueLines = await waitingUnits(store, sku);
    const millis: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const started = performance.now();
      await receiveUnits(units);
      millis.push(performance.now() - started);
    }

    figures.push({
      units,
      queueLines,
      runs,
      medianMs: round(median(millis), 2),
      minMs: round(Math.min(...millis), 2),
      maxMs: round(Math.max(...millis), 2),
      statements: counter ? counter.statements : null,
      rowsRead: counter ? counter.rowsReturned : null,
      rowsWritten: counter ? counter.rowsChanged : null,
    });
  }
  return { seedSeconds, figures };
}

/** Formats the date `days` after today as `YYYY-MM-DD`, in UTC. */
function daysFromNow(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

async function waitingUnits(store: Store, sku: string): Promise<number> {
  const row = await store.db.selectFrom('skus').select('backordered').where('code', '=', sku).executeTakeFirstOrThrow();
  return row.backordered;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const startedAt = new Date().toISOString();
  const before = machineInfo();
  console.log(
    `${before.cpus} × ${before.cpuModel}, ${before.memoryGiB} GiB, Node ${before.node}, ` +
      `load ${before.load.join(' ')}; ${formatNumber(settings.orders)} orders per scenario${settings.quick ? ' (quick)' : ''}`,
  );

  const results: DatabaseResult[] = [];
  const runWithLoad = async (bench: (settings: Settings) => Promise<DatabaseRun>) => {
    const start = round(loadavg()[0]!, 2);
    const result = await bench(settings);
    results.push('skipped' in result ? result : { ...result, load: { start, end: round(loadavg()[0]!, 2) } });
  };
  if (settings.only !== 'postgres') await runWithLoad(benchSqlite);
  if (settings.only !== 'sqlite') await runWithLoad(benchPostgres);

  const after = machineInfo();
  for (const result of results) printDatabase(result);
  console.log(`\nload average (1, 5, 15 min): ${before.load.join(' ')} before, ${after.load.join(' ')} after`);

  const path = writeResults({
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: { ...settings, pgUrl: describeUrl(settings.pgUrl) },
    machine: before,
    loadAfter: after.load,
    results,
  });
  console.log(`results written to ${path}`);
}

await main();
