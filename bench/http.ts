/**
 * HTTP benchmark: requests per second and p99 latency over loopback for
 * (a) a plain Fastify route that returns constant JSON, (b) GET
 * /v1/availability/{sku} with the publishable key, served from the
 * availability cache as a product page's repeated requests are, (b0) the
 * same request on a second app with the cache off, and (c) POST /v1/orders
 * with the admin key on one hot SKU, each on the real app over SQLite. Run
 * with `npm run bench:http -- --help`.
 *
 * The servers run in a child process and autocannon in this one. Both share
 * the machine's cores with each other and with whatever else runs there, so
 * absolute figures move from run to run. The ratios of (b) and (c) to (a),
 * measured in the same run, are the figures to compare. It is a benchmark
 * and not a test: it prints figures, and it exits with status 1 when a
 * request fails or an invariant breaks.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { checkInvariants } from '../src/app/check.js';
import { buildApp } from '../src/http/app.js';
import { QueryCounter } from '../src/store/query-counter.js';
import { Store } from '../src/store/store.js';
import { formatNumber, formatTable, machineInfo, round, type MachineInfo } from './support.js';

const USAGE = `Usage: npm run bench:http -- [--duration S] [--warmup S] [--connections N] [--rounds N] [--profile DIR]

  --duration S     seconds each scenario is measured (default 10)
  --warmup S       seconds of load before each measurement, not counted (default 2)
  --connections N  concurrent keep-alive connections (default 32)
  --rounds N       paired rounds of (a), (b), (a) of 5 s each after the main
                   scenarios, whose median ratio is the availability figure
                   least moved by other work on the machine (default 5)
  --profile DIR    write a V8 CPU profile of the server process to DIR

The app runs on a fresh SQLite database in a temporary folder, with the
public rate limit raised so that it never returns 429. A second app on the
same database has the availability cache turned off, for scenario (b0).
Results are printed and written to bench/results/http-<time>.json.`;

const ADMIN_KEY = 'rsk_bench_admin';
const PUBLISHABLE_KEY = 'rpk_bench_publishable';
/** Units on hand of the hot SKU: far more than any run can order, so every order allocates from stock. */
const HOT_SKU_ON_HAND = 1_000_000;
/** Stock of the availability SKU. The request is for more units, so its ship date comes from the purchase order. */
const PAGE_SKU_ON_HAND = 25;
const PAGE_QUANTITY = 30;

interface Settings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  rounds: number;
  profileDir: string | undefined;
}

// ---------------------------------------------------------------------------
// Server process

/** Messages from the benchmark to the server process. */
type Command = { type: 'count' } | { type: 'check' } | { type: 'stop' };

/** Statements of one availability request: with the cache off, missing the cache (locations cached), and served from it. */
interface StatementCounts {
  cacheOff: number;
  cacheMiss: number;
  cacheHit: number;
}

/** Messages from the server process to the benchmark. */
type Report =
  | { type: 'ready'; appPort: number; uncachedPort: number; constantPort: number }
  | { type: 'count'; availability: StatementCounts; order: number }
  | { type: 'check'; violations: number; orders: number }
  | { type: 'stopped' };

/**
 * Serves the app on a fresh SQLite file and a constant route on a second
 * Fastify instance, both on 127.0.0.1 with ports chosen by the system, and
 * runs the benchmark's commands until it sends stop or disconnects.
 */
async function serve(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'restock-bench-http-'));
  const counter = new QueryCounter();
  const store = await Store.open({ url: join(folder, 'restock.db'), counter });
  const keys = { admin: ADMIN_KEY, publishable: PUBLISHABLE_KEY };
  const app = await buildApp({ store, keys, logger: false, publicRateLimit: 1_000_000_000 });
  const uncached = await buildApp({ store, keys, logger: false, publicRateLimit: 1_000_000_000, availabilityCacheMillis: 0 });
  const constant = Fastify({ logger: false });
  constant.get('/constant', async () => ({ status: 'ok', service: 'restock' }));

  await app.listen({ host: '127.0.0.1', port: 0 });
  await uncached.listen({ host: '127.0.0.1', port: 0 });
  await constant.listen({ host: '127.0.0.1', port: 0 });
  const portOf = (server: { server: { address(): unknown } }) => (server.server.address() as { port: number }).port;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await constant.close();
    await uncached.close();
    await app.close();
    await store.close();
    rmSync(folder, { recursive: true, force: true });
    send({ type: 'stopped' });
    process.disconnect?.();
  };
  process.on('disconnect', () => void stop());

  process.on('message', async (command: Command) => {
    if (command.type === 'stop') return stop();
    if (command.type === 'check') {
      const violations = await checkInvariants(store.db);
      const { orders } = await store.db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('orders')).executeTakeFirstOrThrow();
      return send({ type: 'check', violations: violations.length, orders: Number(orders) });
    }

    // Counts the statements of one request of each measured kind, sent in process; none of the timed requests is counted.
    const statementsOf = async (
      target: typeof app,
      request: { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string },
    ) => {
      counter.reset();
      counter.enabled = true;
      const response = await target.inject({ method: request.method, url: request.url, headers: request.headers, payload: request.body });
      counter.enabled = false;
      if (response.statusCode >= 300) throw new Error(`counted request failed with ${response.statusCode}: ${response.body}`);
      return counter.statements;
    };
    const cacheOff = await statementsOf(uncached, availabilityRequest());
    // The first request fills the caches, unless an earlier one already did. A quantity not asked for yet then
    // misses the response cache but finds the locations, and the first request again is served from the cache.
    await statementsOf(app, availabilityRequest());
    const cacheMiss = await statementsOf(app, availabilityRequest(PAGE_QUANTITY + 1));
    const cacheHit = await statementsOf(app, availabilityRequest());
    return send({ type: 'count', availability: { cacheOff, cacheMiss, cacheHit }, order: await statementsOf(app, orderRequest()) });
  });

  send({ type: 'ready', appPort: portOf(app), uncachedPort: portOf(uncached), constantPort: portOf(constant) });
}

function send(report: Report): void {
  process.send?.(report);
}

function availabilityRequest(quantity = PAGE_QUANTITY) {
  return {
    method: 'GET' as const,
    url: `/v1/availability/TOTE-NAVY?quantity=${quantity}`,
    headers: { authorization: `Bearer ${PUBLISHABLE_KEY}` },
  };
}

function orderRequest() {
  return {
    method: 'POST' as const,
    url: '/v1/orders',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ currency: 'USD', customer: { email: 'buyer@example.com' }, lines: [{ sku: 'HOT-1', quantity: 1, unit_price: 1999 }] }),
  };
}

// ---------------------------------------------------------------------------
// Benchmark process

function readSettings(): Settings {
  const options = {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    profile: { type: 'string' },
    rounds: { type: 'string' },
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

  const durationSeconds = wholeNumber('--duration', values.duration, 10, 1, 600);
  const warmupSeconds = wholeNumber('--warmup', values.warmup, 2, 0, 60);
  const connections = wholeNumber('--connections', values.connections, 32, 1, 1024);
  const rounds = wholeNumber('--rounds', values.rounds, 5, 0, 50);
  return { durationSeconds, warmupSeconds, connections, rounds, profileDir: values.profile };
}

function wholeNumber(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) exitWithUsage(`Invalid ${flag} "${text}": give a whole number from ${min} to ${max}.`);
  return value;
}

function exitWithUsage(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

/** A server process and a way to wait for its next report of a kind. */
class Server {
  private readonly waiting = new Map<Report['type'], (report: Report) => void>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (report: Report) => {
      const resolve = this.waiting.get(report.type);
      this.waiting.delete(report.type);
      resolve?.(report);
    });
  }

  static start(settings: Settings): Server {
    const execArgv = ['--import', 'tsx'];
    if (settings.profileDir) {
      mkdirSync(settings.profileDir, { recursive: true });
      execArgv.push('--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`);
    }
    return new Server(fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  next<T extends Report['type']>(type: T, timeoutMillis = 60_000): Promise<Extract<Report, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server process sent no ${type} report within ${timeoutMillis / 1000} s`)), timeoutMillis);
      const onExit = (code: number | null) => reject(new Error(`the server process exited with code ${code} before its ${type} report`));
      this.child.once('exit', onExit);
      this.waiting.set(type, (report) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve(report as Extract<Report, { type: T }>);
      });
    });
  }

  async ask<T extends 'count' | 'check'>(type: T, timeoutMillis?: number): Promise<Extract<Report, { type: T }>> {
    const reply = this.next(type, timeoutMillis);
    this.child.send({ type } satisfies Command);
    return reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' } satisfies Command);
    const timeout = setTimeout(() => this.child.kill('SIGTERM'), 30_000);
    await exited;
    clearTimeout(timeout);
  }
}

/** Calls the app once and throws with the response unless the status is the expected one. */
async function call(base: string, request: { method: string; url: string; headers: Record<string, string>; body?: string }, status: number): Promise<any> {
  const response = await fetch(`${base}${request.url}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== status) throw new Error(`${request.method} ${request.url} returned ${response.status}, expected ${status}: ${text}`);
  return JSON.parse(text);
}

function admin(method: string, url: string, body: unknown) {
  return { method, url, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function dateInDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Creates the two SKUs over HTTP: TOTE-NAVY (backorder, some stock, an
 * open purchase order) for the product page and HOT-1 (backorder without
 * a limit, restocked far beyond what the run orders) for the orders.
 */
async function seed(base: string): Promise<void> {
  await call(base, admin('PUT', '/v1/skus/TOTE-NAVY', { name: 'Canvas tote, navy', policy: 'backorder', handling_days: 1, lead_time_days: 21 }), 201);
  await call(base, admin('POST', '/v1/stock/adjustments', { sku: 'TOTE-NAVY', quantity_delta: PAGE_SKU_ON_HAND, reason: 'initial count' }), 201);
  await call(base, admin('POST', '/v1/purchase-orders', { reference: 'PO-BENCH', expected_date: dateInDays(14), lines: [{ sku: 'TOTE-NAVY', quantity: 200 }] }), 201);

  await call(base, admin('PUT', '/v1/skus/HOT-1', { name: 'Hot item', policy: 'backorder' }), 201);
  await call(base, admin('POST', '/v1/stock/adjustments', { sku: 'HOT-1', quantity_delta: HOT_SKU_ON_HAND, reason: 'initial count' }), 201);
}

interface Figure {
  scenario: string;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests per second divided by the constant route's, measured in the same run. */
  ratioToConstant: number | null;
  non2xx: number;
  errors: number;
}

async function measure(
  scenario: string,
  request: { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  settings: Settings & { log?: boolean },
): Promise<Omit<Figure, 'ratioToConstant'>> {
  const options = { ...request, connections: settings.connections };
  if (settings.warmupSeconds > 0) await autocannon({ ...options, duration: settings.warmupSeconds });
  const result = await autocannon({ ...options, duration: settings.durationSeconds });

  const figure = {
    scenario,
    requests: result.requests.total,
    seconds: round(result.duration, 2),
    requestsPerSecond: round(result.requests.total / result.duration, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  if (settings.log !== false) console.log(`${scenario}: ${formatNumber(figure.requestsPerSecond)} req/s, p99 ${figure.p99Ms} ms`);
  return figure;
}

const ROUND_SECONDS = 5;

/**
 * Measures the constant route, cached availability and the constant route
 * again, `settings.rounds` times, and returns each round's availability
 * rate over the mean of its two constant rates. Other work on the machine
 * moves single runs by a third or more as it comes and goes. A ratio taken
 * within 15 s, and the median of several, moves far less.
 */
async function measurePairedRounds(settings: Settings, constantUrl: string, availability: { url: string; headers?: Record<string, string> }): Promise<number[]> {
  const ratios: number[] = [];
  const roundSettings = { ...settings, durationSeconds: ROUND_SECONDS, warmupSeconds: 0 };
  for (let round = 1; round <= settings.rounds; round += 1) {
    const quiet = { ...roundSettings, log: false };
    const before = await measure(`round ${round} (a)`, { url: constantUrl }, quiet);
    const page = await measure(`round ${round} (b)`, availability, quiet);
    const after = await measure(`round ${round} (a) again`, { url: constantUrl }, quiet);
    const ratio = page.requestsPerSecond / ((before.requestsPerSecond + after.requestsPerSecond) / 2);
    ratios.push(round3(ratio));
    console.log(`round ${round}: availability ${formatNumber(page.requestsPerSecond)} req/s, constant ${formatNumber(before.requestsPerSecond)} and ${formatNumber(after.requestsPerSecond)}: ${(ratio * 100).toFixed(0)} %`);
  }
  return ratios;
}

function round3(value: number): number {
  return round(value, 3);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const before = machineInfo();
  console.log(`HTTP benchmark: ${settings.connections} connections, ${settings.warmupSeconds} s warm-up and ${settings.durationSeconds} s per scenario`);
  console.log(`${before.cpus} × ${before.cpuModel}, Node ${before.node}, load average ${before.load.join(' ')}`);

  const server = Server.start(settings);
  try {
    const ready = await server.next('ready');
    const appBase = `http://127.0.0.1:${ready.appPort}`;
    const uncachedBase = `http://127.0.0.1:${ready.uncachedPort}`;
    const constantBase = `http://127.0.0.1:${ready.constantPort}`;
    await seed(appBase);

    // Each scenario is checked once before it is loaded, so a wrong setup fails here and not as a count of non-2xx.
    const page = await call(appBase, availabilityRequest(), 200);
    const placed = await call(appBase, orderRequest(), 201);
    if (page.status !== 'backorder' || placed.status !== 'allocated') {
      throw new Error(`unexpected setup: availability status ${page.status}, order status ${placed.status}`);
    }
    const counted = await server.ask('count');

    const constantFirst = await measure('(a) constant JSON route', { url: `${constantBase}/constant` }, settings);
    const availability = await measure(`(b) GET /v1/availability/{sku}?quantity=${PAGE_QUANTITY}`, { ...availabilityRequest(), url: `${appBase}${availabilityRequest().url}` }, settings);
    const uncachedAvailability = await measure('(b0) the same, availability cache off', { ...availabilityRequest(), url: `${uncachedBase}${availabilityRequest().url}` }, settings);
    const orders = await measure('(c) POST /v1/orders, one hot SKU', { ...orderRequest(), url: `${appBase}/v1/orders` }, settings);
    const constantLast = await measure('(a) constant JSON route, again', { url: `${constantBase}/constant` }, settings);

    const pairedRatios = await measurePairedRounds(settings, `${constantBase}/constant`, { ...availabilityRequest(), url: `${appBase}${availabilityRequest().url}` });

    const check = await server.ask('check', 300_000);
    const after = machineInfo();
    const baseline = (constantFirst.requestsPerSecond + constantLast.requestsPerSecond) / 2;
    const figures: Figure[] = [constantFirst, availability, uncachedAvailability, orders, constantLast].map((figure) => ({
      ...figure,
      ratioToConstant: figure === constantFirst || figure === constantLast ? null : round(figure.requestsPerSecond / baseline, 3),
    }));

    printFigures(figures, baseline, counted, check, before, after);
    const pairedMedian = median(pairedRatios);
    if (pairedMedian !== null) {
      console.log(`Cached availability over the constant route in ${pairedRatios.length} paired rounds: median ${(pairedMedian * 100).toFixed(0)} % (${pairedRatios.map((r) => `${(r * 100).toFixed(0)} %`).join(', ')}).`);
    }
    const path = writeResults({
      machine: before,
      loadAfter: after.load,
      settings: { connections: settings.connections, warmupSeconds: settings.warmupSeconds, durationSeconds: settings.durationSeconds },
      database: 'sqlite',
      constantBaseline: round(baseline, 1),
      figures,
      statementsPerRequest: { availability: counted.availability, order: counted.order },
      pairedRounds: { ratios: pairedRatios, median: median(pairedRatios) },
      ordersStored: check.orders,
      invariantViolations: check.violations,
    });
    console.log(`\nResults written to ${path}`);

    const failed = figures.some((figure) => figure.non2xx > 0 || figure.errors > 0) || check.violations > 0;
    if (failed) {
      console.error('Some requests failed or the invariants broke; the figures above are not valid.');
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
  }
}

function printFigures(
  figures: Figure[],
  baseline: number,
  counted: { availability: StatementCounts; order: number },
  check: { violations: number; orders: number },
  before: MachineInfo,
  after: MachineInfo,
): void {
  console.log('');
  console.log(
    formatTable(
      ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'of (a)', 'non-2xx', 'errors'],
      figures.map((figure) => [
        figure.scenario,
        formatNumber(figure.requestsPerSecond),
        String(figure.p50Ms),
        String(figure.p99Ms),
        figure.ratioToConstant === null ? '' : `${(figure.ratioToConstant * 100).toFixed(0)} %`,
        String(figure.non2xx),
        String(figure.errors),
      ]),
    ),
  );
  console.log(`\nRatios are to the mean of the two constant runs, ${formatNumber(baseline)} req/s.`);
  const { cacheOff, cacheMiss, cacheHit } = counted.availability;
  console.log(
    `Statements per request (SQLite, counted in process): availability ${cacheOff} with the cache off, ` +
      `${cacheMiss} on a cache miss, ${cacheHit} from the cache; order ${counted.order}.`,
  );
  console.log(`Orders stored: ${formatNumber(check.orders)}; broken invariants afterwards: ${check.violations}.`);
  console.log(`Load average before ${before.load.join(' ')}, after ${after.load.join(' ')}.`);
  console.log('autocannon and the servers share the same cores, so compare the ratios, not the absolute figures.');
}

function writeResults(report: Record<string, unknown>): string {
  const folder = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(folder, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const path = join(folder, `http-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

if (process.argv.includes('--serve')) {
  await serve();
} else {
  await main();
}
