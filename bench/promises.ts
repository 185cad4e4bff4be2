/**
 * Promise-date benchmark: the pure sweep over a long queue, and the full
 * re-promise that re-dating a purchase order runs through the engine on
 * SQLite. Run with `npm run bench:promises -- --help`. It is not a test: it
 * prints figures and checks only that the work was done.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cancelOrder } from '../src/app/cancel-order.js';
import { createPurchaseOrder, redatePurchaseOrder } from '../src/app/purchase-orders.js';
import { sweepPromises, type PromiseLocation, type SweepInput } from '../src/domain/promise.js';
import { addCalendarDays } from '../src/domain/calendar.js';
import { QueryCounter } from '../src/store/query-counter.js';
import { Store } from '../src/store/store.js';
import { seedQueue } from './seed.js';
import { formatNumber, formatTable, machineInfo, median, round } from './support.js';

const USAGE = `Usage: npm run bench:promises -- [--lines N] [--purchase-orders N] [--runs N]

  --lines N            queue lines, in the pure sweep and in the engine's queue (default 100000)
  --purchase-orders N  open purchase-order lines in the pure sweep (default 100)
  --runs N             timed runs of the pure sweep (default 15); the engine re-dates run 5 and 3 times`;

interface Settings {
  lines: number;
  purchaseOrders: number;
  runs: number;
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '100000' },
      'purchase-orders': { type: 'string', default: '100' },
      runs: { type: 'string', default: '15' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }

  const settings = { lines: Number(values.lines), purchaseOrders: Number(values['purchase-orders']), runs: Number(values.runs) };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isInteger(value) || value < 1) {
      console.error(`Invalid --${name} "${value}": give a whole number of at least 1.\n\n${USAGE}`);
      process.exit(2);
    }
  }
  return settings;
}

interface Figure {
  what: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  detail: string;
}

function figureOf(what: string, millis: number[], detail: string): Figure {
  return { what, runs: millis.length, medianMs: median(millis), minMs: Math.min(...millis), maxMs: Math.max(...millis), detail };
}

const MON_FRI = [1, 2, 3, 4, 5];

function benchLocation(code: string, shipsTo: string[] | null, priority: number): PromiseLocation {
  return { code, priority, shipsTo, calendar: { timeZone: 'Europe/Berlin', workingDays: MON_FRI, holidays: ['2026-04-03', '2026-04-06'] }, receivingDays: 1 };
}

/**
 * Builds the sweep input of a SKU with `lines` queue lines of 1 to 3 units and `purchaseOrders`
 * purchase-order lines a day apart that cover about 80% of the queue, so
 * the last lines fall back to the lead time. With `limited`, every other
 * purchase order is at a location that ships only to the US and every
 * third queue line ships to Great Britain.
 */
function sweepInput(settings: Settings, limited: boolean): SweepInput {
  const locations = new Map<string, PromiseLocation>([
    ['main', benchLocation('main', null, 100)],
    ['us', benchLocation('us', limited ? ['US'] : null, 50)],
  ]);
  const queue = Array.from({ length: settings.lines }, (_, index) => ({
    id: `line_${index}`,
    backordered: 1 + (index % 3),
    shippingCountry: limited && index % 3 === 0 ? 'GB' : 'US',
  }));
  const queued = queue.reduce((sum, line) => sum + line.backordered, 0);
  const perOrder = Math.floor((queued * 0.8) / settings.purchaseOrders);
  const supply = Array.from({ length: settings.purchaseOrders }, (_, index) => ({
    id: `pol_${index}`,
    location: index % 2 === 0 ? 'main' : 'us',
    expectedDate: addCalendarDays('2026-03-09', index),
    quantity: perOrder,
  }));
  return {
    now: new Date('2026-03-02T12:00:00Z'),
    sku: { handlingDays: 1, leadTimeDays: 45, restockDate: null, releaseDate: null },
    locations,
    stock: [{ location: 'main', available: 0 }],
    queue,
    supply,
  };
}

/** Times `sweepPromises` after three untimed warm-up runs. */
function measureSweep(settings: Settings, limited: boolean): Figure {
  const input = sweepInput(settings, limited);
  for (let run = 0; run < 3; run += 1) sweepPromises(input);

  const millis: number[] = [];
  let dated = 0;
  for (let run = 0; run < settings.runs; run += 1) {
    const started = performance.now();
    const { lines } = sweepPromises(input);
    millis.push(performance.now() - started);
    dated = lines.length;
  }
  if (dated !== settings.lines) throw new Error(`The sweep dated ${dated} lines; expected ${settings.lines}.`);

  const what = limited ? 'sweepPromises, half the supply US-only' : 'sweepPromises';
  return figureOf(what, millis, `${formatNumber(settings.lines)} lines, ${settings.purchaseOrders} PO lines`);
}

/**
 * Seeds one SKU with a queue of one-unit lines covered by one purchase
 * order, adds a second purchase order beyond the queue, and times three
 * transactions. Cancelling the last line in the queue sweeps the whole
 * queue and moves no line. Re-dating the second purchase order moves no
 * line either, and the supply curves agree over the queue, so no sweep runs.
 * Re-dating the first sweeps the whole queue and moves every line, which
 * writes each line's estimate and one `promise.changed` event per line.
 * Statements and rows come from one extra untimed run of each.
 */
async function measureEngine(settings: Settings): Promise<{ seedSeconds: number; figures: Figure[] }> {
  const folder = mkdtempSync(join(tmpdir(), 'restock-bench-promises-'));
  const counter = new QueryCounter();
  const store = await Store.open({ url: join(folder, 'restock.db'), counter });
  try {
    const sku = 'REDATE';
    const covering = addCalendarDays(todayUtc(), 30);
    const beyond = addCalendarDays(todayUtc(), 60);

    const seedStarted = performance.now();
    const coveringOrder = await seedQueue(store, sku, settings.lines, { quantity: settings.lines, expectedDate: covering });
    const beyondOrder = await store.transaction((work) =>
      createPurchaseOrder(work, { reference: 'BENCH-BEYOND', expectedDate: beyond, lines: [{ sku, quantity: 10 }] }),
    );
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const timeRuns = async (runs: number, expectedMoves: number, action: (run: number) => Promise<unknown>) => {
      const once = async (run: number) => {
        const events = await promiseEventCount(store);
        const started = performance.now();
        await action(run);
        const millis = performance.now() - started;
        const moved = (await promiseEventCount(store)) - events;
        if (moved !== expectedMoves) throw new Error(`A timed transaction moved ${moved} lines; expected ${expectedMoves}.`);
        return millis;
      };

      counter.reset();
      counter.enabled = true;
      await once(0);
      counter.enabled = false;
      const counts = `${formatNumber(counter.statements)} statements, ${formatNumber(counter.rowsReturned)} rows read, ${formatNumber(counter.rowsChanged)} written`;

      const millis: number[] = [];
      for (let run = 1; run <= runs; run += 1) millis.push(await once(run));
      return { millis, counts };
    };

    // The seeded orders are ord_seed_00000000 onwards, in queue order.
    let cancelled = 0;
    const cancelLast = () => {
      const orderId = `ord_seed_${String(settings.lines - 1 - cancelled).padStart(8, '0')}`;
      cancelled += 1;
      return store.transaction((work) => cancelOrder(work, orderId, { reason: 'bench' }));
    };
    const cancel = await timeRuns(5, 0, cancelLast);
    // Each re-date moves the date to the other of two, so every run changes the supply.
    const quiet = await timeRuns(5, 0, (run) =>
      store.transaction((work) => redatePurchaseOrder(work, beyondOrder, run % 2 === 0 ? addCalendarDays(beyond, 1) : beyond)),
    );
    const moving = await timeRuns(3, settings.lines - cancelled, (run) =>
      store.transaction((work) => redatePurchaseOrder(work, coveringOrder, run % 2 === 0 ? addCalendarDays(covering, 7) : covering)),
    );
    return {
      seedSeconds,
      figures: [
        figureOf('cancel the last line: full sweep, no line moves', cancel.millis, cancel.counts),
        figureOf('re-date a PO beyond the queue: no sweep', quiet.millis, quiet.counts),
        figureOf('re-date the covering PO: full sweep, every line moves', moving.millis, moving.counts),
      ],
    };
  } finally {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

async function promiseEventCount(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('type', '=', 'promise.changed')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

function formatMillis(millis: number): string {
  return millis >= 1000 ? `${formatNumber(millis / 1000, 2)} s` : `${formatNumber(millis, 1)} ms`;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const machine = machineInfo();
  console.log(`Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.load.join(' ')}`);

  const figures = [measureSweep(settings, false), measureSweep(settings, true)];
  console.log(`SQLite: seeding a ${formatNumber(settings.lines)}-line queue…`);
  const engine = await measureEngine(settings);
  figures.push(...engine.figures);

  console.log(`Seeding took ${formatNumber(engine.seedSeconds, 1)} s.\n`);
  console.log(
    formatTable(
      ['measure', 'runs', 'median', 'min', 'max', 'work'],
      figures.map((f) => [f.what, String(f.runs), formatMillis(f.medianMs), formatMillis(f.minMs), formatMillis(f.maxMs), f.detail]),
    ),
  );
  console.log(`\nLoad average at the end: ${machineInfo().load.join(' ')}`);
  console.log(`Aim: sweep under 100 ms: ${figures[0]!.medianMs < 100 ? 'met' : 'missed'} (median ${round(figures[0]!.medianMs, 1)} ms).`);
}

await main();
