import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import pg from 'pg';
import { openTestStore, pgUrl, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants, givenSku, skuView } from '../support/builders.js';
import type { Store, Work } from '../../src/store/store.js';
import { emptySummary, placeSingleUnitOrder, sumSummaries, type WorkerSummary } from './sqlite-order-worker.js';

// On PostgreSQL: one process, a pool of 16 connections and 16 order loops.
// On SQLite: 4 processes writing to one database file.
const PG_CONNECTIONS = 16;
const SQLITE_PROCESSES = 4;
const WORKER_TIMEOUT_MS = 60_000;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_SCRIPT = fileURLToPath(new URL('./sqlite-order-worker.ts', import.meta.url));

describe(`hot SKU under concurrent orders (${testDatabase})`, () => {
  it('2,000 orders on one SKU never oversell', async () => {
    const t = await openTestStore({ maxConnections: PG_CONNECTIONS });
    try {
      await givenSku(t.store, 'HOT', { policy: 'backorder', backorderLimit: 300, onHand: 500 });

      const total = await placeConcurrently(t, 2000, () => ['HOT']);

      assert.equal(total.placed, 800);
      assert.equal(total.allocated, 500);
      assert.equal(total.backordered, 300);
      assert.deepEqual(total.rejected, { backorder_limit_reached: 1200 });
      assert.deepEqual(total.errors, []);

      const sku = await skuView(t.store, 'HOT');
      assert.equal(sku.on_hand, 500);
      assert.equal(sku.allocated, 500);
      assert.equal(sku.available, 0);
      assert.equal(sku.backordered, 300);
      assert.deepEqual(await lineStatusCounts(t.store), { allocated: 500, backordered: 300 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('opposite line order on two SKUs never deadlocks', async () => {
    const t = await openTestStore({ maxConnections: PG_CONNECTIONS });
    try {
      await givenSku(t.store, 'PAIR-A', { policy: 'backorder', onHand: 150 });
      await givenSku(t.store, 'PAIR-B', { policy: 'backorder', onHand: 250 });

      // Half of the workers list the SKUs A then B, the other half B then A.
      const skusFor = (worker: number) => (worker % 2 === 0 ? ['PAIR-A', 'PAIR-B'] : ['PAIR-B', 'PAIR-A']);
      const total = await placeConcurrently(t, 400, skusFor);

      assert.equal(total.placed, 400);
      assert.deepEqual(total.rejected, {});
      assert.deepEqual(total.errors, []);
      // A deadlock or serialization failure would show as a retried body.
      assert.equal(total.attempts, 400);
      assert.equal(total.allocated, 150 + 250);
      assert.equal(total.backordered, 250 + 150);

      const a = await skuView(t.store, 'PAIR-A');
      const b = await skuView(t.store, 'PAIR-B');
      assert.deepEqual([a.on_hand, a.allocated, a.backordered], [150, 150, 250]);
      assert.deepEqual([b.on_hand, b.allocated, b.backordered], [250, 250, 150]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

/**
 * Places `orders` single-unit orders with one transaction each: from 16
 * loops over a pool of 16 connections on PostgreSQL, from 4 processes on
 * SQLite. `skusFor` gives each loop or process the SKUs of its orders.
 */
function placeConcurrently(t: TestStore, orders: number, skusFor: (worker: number) => string[]): Promise<WorkerSummary> {
  if (testDatabase === 'postgres') return placeOnPostgres(t, splitOrders(orders, PG_CONNECTIONS, skusFor));
  return placeOnSqlite(t, splitOrders(orders, SQLITE_PROCESSES, skusFor));
}

interface Job {
  count: number;
  skus: string[];
}

function splitOrders(orders: number, workers: number, skusFor: (worker: number) => string[]): Job[] {
  return Array.from({ length: workers }, (_, worker) => ({
    count: Math.floor(orders / workers) + (worker < orders % workers ? 1 : 0),
    skus: skusFor(worker),
  }));
}

async function lineStatusCounts(store: Store): Promise<Record<string, number>> {
  const rows = await store.db
    .selectFrom('order_lines')
    .select(['status', (eb) => eb.fn.countAll<number>().as('lines')])
    .groupBy('status')
    .orderBy('status')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.lines)]));
}

/**
 * Runs one loop per job, all at once over the store's pool. Checks that as
 * many distinct server backends as loops ran the transactions, which proves
 * they overlapped because the pool opens a connection only when every open
 * one is busy. Also checks that pg_stat_activity caught several backends
 * inside a transaction at the same moment.
 */
async function placeOnPostgres(t: TestStore, jobs: Job[]): Promise<WorkerSummary> {
  const summary = emptySummary();
  const backends = new Set<number>();
  const beforeOrder = async (work: Work) => {
    // Without this, each commit waits for its WAL flush while it holds the
    // SKU's row lock, and the 2,000 orders took about twice as long on a
    // loaded 2-core machine. Locking and visibility are unchanged, and
    // durability is not under test here.
    await sql`set local synchronous_commit = off`.execute(work.db);
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(work.db);
    backends.add(rows[0]!.pid);
  };

  const sampler = sampleBackends(backends);
  try {
    await Promise.all(
      jobs.map(async (job) => {
        for (let i = 0; i < job.count; i += 1) await placeSingleUnitOrder(t.store, job.skus, summary, beforeOrder);
      }),
    );
  } finally {
    sampler.stop();
  }
  summary.endedAt = Date.now();
  const activity = await sampler.result;

  console.log(
    `postgres: ${summary.attempts} transactions in ${summary.endedAt - summary.startedAt} ms on ${backends.size} backends; ` +
      `at most ${activity.maxInTransaction} in a transaction and ${activity.maxWaitingOnLock} waiting on a lock at once ` +
      `(${activity.samples} samples of pg_stat_activity)`,
  );
  assert.equal(backends.size, jobs.length, 'distinct backends that ran orders');
  assert.ok(activity.maxInTransaction >= 2, `at most ${activity.maxInTransaction} backend was in a transaction at once`);
  return summary;
}

interface ActivitySample {
  samples: number;
  maxInTransaction: number;
  maxWaitingOnLock: number;
}

/**
 * Polls pg_stat_activity on its own connection every 50 ms, counting the
 * test's backends that are inside a transaction and those waiting on a lock.
 */
function sampleBackends(backends: ReadonlySet<number>): { stop(): void; result: Promise<ActivitySample> } {
  let stopped = false;
  const result = (async () => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    const sample: ActivitySample = { samples: 0, maxInTransaction: 0, maxWaitingOnLock: 0 };
    try {
      while (!stopped) {
        const { rows } = await client.query<{ busy: string; waiting: string }>(
          `select count(*) filter (where state in ('active', 'idle in transaction')) as busy,
                  count(*) filter (where wait_event_type = 'Lock') as waiting
             from pg_stat_activity
            where pid = any($1::int[])`,
          [[...backends]],
        );
        sample.samples += 1;
        sample.maxInTransaction = Math.max(sample.maxInTransaction, Number(rows[0]!.busy));
        sample.maxWaitingOnLock = Math.max(sample.maxWaitingOnLock, Number(rows[0]!.waiting));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await client.end();
    }
    return sample;
  })();
  return {
    stop() {
      stopped = true;
    },
    result,
  };
}

/**
 * Runs one worker process per job on the store's SQLite file, starts them
 * together once all have opened the database, and sums their summaries.
 * Checks that the processes' busy periods overlapped.
 */
async function placeOnSqlite(t: TestStore, jobs: Job[]): Promise<WorkerSummary> {
  const workers = jobs.map((job) => startWorker(t.url, job));
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) worker.go();
    const summaries = await Promise.all(workers.map((worker) => worker.summary));

    const total = sumSummaries(summaries);
    const lastStart = Math.max(...summaries.map((s) => s.startedAt));
    const firstEnd = Math.min(...summaries.map((s) => s.endedAt));
    console.log(
      `sqlite: ${jobs.length} processes, ${total.attempts} transactions in ${total.endedAt - total.startedAt} ms; ` +
        `all ${jobs.length} were placing orders together for ${Math.max(0, firstEnd - lastStart)} ms`,
    );
    assert.ok(lastStart < firstEnd, 'every worker process started before the first one finished');
    return total;
  } finally {
    for (const worker of workers) worker.kill();
  }
}

interface WorkerProcess {
  ready: Promise<void>;
  summary: Promise<WorkerSummary>;
  go(): void;
  kill(): void;
}

function startWorker(file: string, job: Job): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, file, String(job.count), job.skus.join(',')], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let lastLine = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') markReady();
    else lastLine = line;
  });

  const summary = new Promise<WorkerSummary>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`worker ${child.pid} timed out after ${WORKER_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, WORKER_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`worker ${child.pid} exited with code ${code}; stderr: ${stderr}`));
      else resolve(JSON.parse(lastLine) as WorkerSummary);
    });
  });
  // A worker that dies before `ready` must fail the test, not hang it.
  const readyOrExit = Promise.race([ready, summary.then(() => undefined)]);

  return {
    ready: readyOrExit,
    summary,
    go() {
      child.stdin.end('go\n');
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
