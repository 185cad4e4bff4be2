/**
 * A child process for the multi-process SQLite tests. It opens an existing
 * database file, prints `ready`, waits for `go` on stdin so that every worker
 * starts at once, then places `count` single-unit orders, one transaction
 * each, and prints one JSON line with the outcomes.
 *
 *   node --import tsx test/concurrency/sqlite-order-worker.ts <dbfile> <count> [sku,sku…]
 *
 * Each order has one line per SKU in the list, in the order given (default
 * `HOT`). The PostgreSQL variant of the tests imports the helpers below and
 * runs them in one process over a connection pool.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { placeOrders, type PlaceOrderInput } from '../../src/app/place-order.js';
import { Store, type Work } from '../../src/store/store.js';

export interface WorkerSummary {
  /** Orders accepted. */
  placed: number;
  /** Units bound to stock when the order was placed. */
  allocated: number;
  /** Units queued when the order was placed. */
  backordered: number;
  /** Rejected orders, counted by the reason of their first rejection. */
  rejected: Record<string, number>;
  /** Messages of transactions that failed even after the store's retries. */
  errors: string[];
  /** Transaction bodies run, retries included. */
  attempts: number;
  /** Epoch milliseconds when the first order started and the last one ended. */
  startedAt: number;
  endedAt: number;
}

async function main(): Promise<void> {
  const [file, countText, skuList = 'HOT'] = process.argv.slice(2);
  const count = Number(countText);
  if (!file || !Number.isInteger(count) || count < 1) {
    throw new Error('Usage: sqlite-order-worker.ts <dbfile> <count> [sku,sku…]; count must be a positive integer.');
  }
  const skus = skuList.split(',');

  const store = await Store.open({ url: file, migrate: false });
  try {
    await waitForGo();
    const summary = await placeAll(store, count, skus);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await store.close();
  }
}

function waitForGo(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  return new Promise((resolve, reject) => {
    let started = false;
    lines.on('line', (line) => {
      if (line.trim() !== 'go') return;
      started = true;
      lines.close();
      resolve();
    });
    lines.on('close', () => {
      if (!started) reject(new Error('stdin closed before "go" arrived'));
    });
  });
}

async function placeAll(store: Store, count: number, skus: string[]): Promise<WorkerSummary> {
  const summary = emptySummary();
  for (let i = 0; i < count; i += 1) await placeSingleUnitOrder(store, skus, summary);
  summary.endedAt = Date.now();
  return summary;
}

export function emptySummary(): WorkerSummary {
  return { placed: 0, allocated: 0, backordered: 0, rejected: {}, errors: [], attempts: 0, startedAt: Date.now(), endedAt: 0 };
}

/**
 * Places one order with one unit of each SKU, in one transaction, and adds
 * its outcome to `summary`. `inTransaction` runs first inside the same
 * transaction, on every attempt.
 */
export async function placeSingleUnitOrder(
  store: Store,
  skus: readonly string[],
  summary: WorkerSummary,
  inTransaction?: (work: Work) => Promise<void>,
): Promise<void> {
  const input: PlaceOrderInput = {
    currency: 'USD',
    lines: skus.map((sku) => ({ sku, quantity: 1, unitPrice: 1000 })),
  };

  try {
    const result = await store.transaction(async (work) => {
      summary.attempts += 1;
      await inTransaction?.(work);
      const [outcome] = await placeOrders(work, [input]);
      if (!outcome!.accepted) return { rejection: outcome!.rejections[0]!.reason, allocated: 0, backordered: 0 };

      const lines = await work.db
        .selectFrom('order_lines')
        .select(['allocated', 'backordered'])
        .where('order_id', '=', outcome!.orderId)
        .execute();
      const allocated = lines.reduce((sum, line) => sum + line.allocated, 0);
      const backordered = lines.reduce((sum, line) => sum + line.backordered, 0);
      return { rejection: null, allocated, backordered };
    });

    if (result.rejection === null) {
      summary.placed += 1;
      summary.allocated += result.allocated;
      summary.backordered += result.backordered;
    } else {
      summary.rejected[result.rejection] = (summary.rejected[result.rejection] ?? 0) + 1;
    }
  } catch (error) {
    summary.errors.push(String((error as Error).message ?? error));
  }
}

/** Adds up the summaries of several workers. */
export function sumSummaries(summaries: readonly WorkerSummary[]): WorkerSummary {
  const total = emptySummary();
  total.startedAt = Math.min(...summaries.map((s) => s.startedAt));
  total.endedAt = Math.max(...summaries.map((s) => s.endedAt));
  for (const summary of summaries) {
    total.placed += summary.placed;
    total.allocated += summary.allocated;
    total.backordered += summary.backordered;
    total.attempts += summary.attempts;
    total.errors.push(...summary.errors);
    for (const [reason, count] of Object.entries(summary.rejected)) {
      total.rejected[reason] = (total.rejected[reason] ?? 0) + count;
    }
  }
  return total;
}

// Runs only when started as a script, because the tests import the helpers above.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
    process.exitCode = 1;
  });
}
