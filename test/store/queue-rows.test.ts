import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledQuery, sql } from 'kysely';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants, givenSku } from '../support/builders.js';
import { placeOrders } from '../../src/app/place-order.js';
import { createPurchaseOrder, receive, type ReceiptResult } from '../../src/app/purchase-orders.js';
import { QueryCounter } from '../../src/store/query-counter.js';
import type { Store, Work } from '../../src/store/store.js';

const SMALL_QUEUE = 1_000;
const LARGE_QUEUE = 100_000;
const RECEIVED = 10;
// Rows a receipt of k units may touch. Each served line costs its order
// line, order, allocation, ledger row and events, and on PostgreSQL the
// foreign-key checks that each repeated update of a row runs. The purchase
// order, receipt, stock level and SKU add a fixed overhead.
const ROW_BUDGET = 30 * RECEIVED + 50;
// Tables with a row per order or line: a scan of any of them grows with the queue.
const QUEUE_TABLES = ['orders', 'order_lines', 'line_allocations'];

// 1,000 rows per INSERT keep under SQLite's 32,766 bound parameters (19 per
// order line) and PostgreSQL's 65,535.
const SEED_CHUNK = 1_000;
// One order in 100 has priority 1, so the queue starts with lines 0, 100, 200, …
const PRIORITY_EVERY = 100;
const SEED_START_MS = Date.parse('2026-01-01T00:00:00.000Z');

/** What one receive transaction touched, by the database's own counters. */
interface Touched {
  /** SQLite: statements run, begin and commit included. PostgreSQL: sequential and index scans started. */
  operations: number;
  /** Rows returned (SQLite) or heap rows read by sequential and index scans (PostgreSQL). */
  rowsRead: number;
  /** Rows inserted, updated or deleted. */
  rowsWritten: number;
  /** Statements (SQLite plans) or tables (PostgreSQL) that scanned a table of QUEUE_TABLES. */
  queueTableScans: string[];
  /** Per-statement (SQLite) or per-table (PostgreSQL) figures, printed to explain a failure. */
  detail: unknown;
}

describe(`receipt cost against queue length (${testDatabase})`, () => {
  it('receipt cost does not grow with queue', async () => {
    const small = await measureReceipt(SMALL_QUEUE);
    const large = await measureReceipt(LARGE_QUEUE);

    console.log(`receive ${RECEIVED} units, queue ${SMALL_QUEUE}: ${JSON.stringify(figures(small.touched))}`);
    console.log(`receive ${RECEIVED} units, queue ${LARGE_QUEUE}: ${JSON.stringify(figures(large.touched))}`);
    console.log(`per statement or table, queue ${LARGE_QUEUE}: ${JSON.stringify(large.touched.detail)}`);

    const expectedLines = Array.from({ length: RECEIVED }, (_, i) => lineId(i * PRIORITY_EVERY));
    assert.deepEqual(small.servedLines, expectedLines);
    assert.deepEqual(large.servedLines, expectedLines);

    assert.deepEqual(small.touched.queueTableScans, []);
    assert.deepEqual(large.touched.queueTableScans, []);

    const smallRows = small.touched.rowsRead + small.touched.rowsWritten;
    const largeRows = large.touched.rowsRead + large.touched.rowsWritten;
    assert.ok(smallRows <= ROW_BUDGET, `${smallRows} rows touched with ${SMALL_QUEUE} queued; budget ${ROW_BUDGET}`);
    assert.ok(largeRows <= ROW_BUDGET, `${largeRows} rows touched with ${LARGE_QUEUE} queued; budget ${ROW_BUDGET}`);

    // Equal up to a small constant, so a plan that differs on one row passes
    // but anything that reads or writes per queued line fails.
    assert.ok(Math.abs(large.touched.rowsRead - small.touched.rowsRead) <= 2, 'rows read differ by queue length');
    assert.ok(Math.abs(large.touched.rowsWritten - small.touched.rowsWritten) <= 2, 'rows written differ by queue length');
    // PostgreSQL may look up the rows of a keyed multi-row UPDATE with one
    // bitmap scan on a small table and one index probe per row on a large
    // one. The count of scans may then differ by the rows each update names.
    const planSlack = testDatabase === 'postgres' ? RECEIVED : 0;
    assert.ok(
      Math.abs(large.touched.operations - small.touched.operations) <= 2 + planSlack,
      `operations differ by queue length: ${small.touched.operations} and ${large.touched.operations}`,
    );
  });
});

interface Measurement {
  touched: Touched;
  servedLines: string[];
}

/** Seeds a queue of `queued` lines in a fresh store, receives 10 units and measures that transaction. */
async function measureReceipt(queued: number): Promise<Measurement> {
  const counter = new QueryCounter();
  const t = await openTestStore({ counter });
  try {
    await givenSku(t.store, 'QUEUED', { policy: 'backorder' });
    const seedStarted = Date.now();
    await seedQueue(t.store, 'QUEUED', queued);
    console.log(`seeded ${queued} backordered lines in ${Date.now() - seedStarted} ms`);

    const purchaseOrder = await t.store.transaction((work) =>
      createPurchaseOrder(work, { reference: 'PO-QUEUE', expectedDate: '2026-03-20', lines: [{ sku: 'QUEUED', quantity: RECEIVED }] }),
    );
    const receiveUnits = (work: Work) => receive(work, purchaseOrder, [{ sku: 'QUEUED', quantity: RECEIVED }]);

    const { result, touched } =
      testDatabase === 'postgres' ? await receiveOnPostgres(t, receiveUnits) : await receiveOnSqlite(t, counter, receiveUnits);

    await assertInvariants(t.store);
    return { touched, servedLines: result.allocations.map((allocation) => allocation.lineId) };
  } finally {
    await t.close();
  }
}

function lineId(index: number): string {
  return `line_${String(index).padStart(7, '0')}`;
}

/**
 * Builds a queue of `length` single-unit backordered lines of the SKU. The
 * first and last lines are placed through the engine. The rest copy the
 * first one's order and line rows with their own ids, placing times and
 * priorities, and are written with multi-row INSERTs in one transaction.
 * Copying the engine's rows keeps every column consistent with what placing
 * stores.
 */
async function seedQueue(store: Store, sku: string, length: number): Promise<void> {
  const first = await placeBackorder(store, sku);
  const order = await store.db.selectFrom('orders').selectAll().where('id', '=', first).executeTakeFirstOrThrow();
  const line = await store.db.selectFrom('order_lines').selectAll().where('order_id', '=', first).executeTakeFirstOrThrow();
  assert.equal(line.backordered, 1, 'the template line is wholly backordered');

  const copies = length - 2;
  await store.transaction(async (work) => {
    for (let start = 0; start < copies; start += SEED_CHUNK) {
      const orders = [];
      const lines = [];
      for (let i = start; i < Math.min(copies, start + SEED_CHUNK); i += 1) {
        const orderId = `ord_${String(i).padStart(7, '0')}`;
        const placedAt = new Date(SEED_START_MS + i * 1000).toISOString();
        const priority = i % PRIORITY_EVERY === 0 ? 1 : 0;
        orders.push({ ...order, id: orderId, priority, placed_at: placedAt, updated_at: placedAt });
        lines.push({ ...line, id: lineId(i), order_id: orderId, priority, placed_at: placedAt });
      }
      await insertRows(work, 'orders', orders);
      await insertRows(work, 'order_lines', lines);
    }
    await work.db
      .updateTable('skus')
      .set((eb) => ({ backordered: eb('backordered', '+', copies) }))
      .where('code', '=', sku)
      .execute();
  });

  // The engine places the last order behind the whole queue, which brings
  // any state it keeps per SKU up to date before the measurement.
  await placeBackorder(store, sku);
}

async function placeBackorder(store: Store, sku: string): Promise<string> {
  const [outcome] = await store.transaction((work) =>
    placeOrders(work, [{ currency: 'USD', lines: [{ sku, quantity: 1, unitPrice: 1000 }] }]),
  );
  assert.ok(outcome!.accepted, `order for ${sku} was rejected`);
  return outcome!.orderId;
}

/**
 * Inserts rows that all have the same columns with one statement. The SQL is
 * built here rather than by Kysely, because compiling 1,000-row inserts took
 * about as long as running them. PostgreSQL takes the rows as one JSON
 * parameter, which it parses faster than 19,000 bound values. On PostgreSQL
 * the rows must therefore carry every column of the table.
 */
async function insertRows(work: Work, table: 'orders' | 'order_lines', rows: Record<string, unknown>[]): Promise<void> {
  if (work.postgres) {
    const text = `insert into "${table}" select * from json_populate_recordset(null::"${table}", $1)`;
    await work.db.executeQuery(CompiledQuery.raw(text, [JSON.stringify(rows)]));
    return;
  }

  const columns = Object.keys(rows[0]!);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const text = `insert into "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) values ${rows.map(() => tuple).join(', ')}`;
  await work.db.executeQuery(CompiledQuery.raw(text, rows.flatMap((row) => columns.map((column) => row[column]))));
}

function figures(touched: Touched) {
  return { operations: touched.operations, rowsRead: touched.rowsRead, rowsWritten: touched.rowsWritten };
}

/** Counts the statements and rows of the receive transaction and checks their plans. */
async function receiveOnSqlite(
  t: TestStore,
  counter: QueryCounter,
  body: (work: Work) => Promise<ReceiptResult>,
): Promise<{ result: ReceiptResult; touched: Touched }> {
  counter.reset();
  counter.enabled = true;
  let result: ReceiptResult;
  try {
    result = await t.store.transaction(body);
  } finally {
    counter.enabled = false;
  }
  const log = [...counter.log];

  const perStatement = new Map<string, { runs: number; returned: number; changed: number }>();
  for (const entry of log) {
    const key = entry.sql.slice(0, 60);
    const statement = perStatement.get(key) ?? { runs: 0, returned: 0, changed: 0 };
    statement.runs += 1;
    statement.returned += entry.returned;
    statement.changed += entry.changed;
    perStatement.set(key, statement);
  }

  return {
    result,
    touched: {
      operations: counter.statements,
      rowsRead: counter.rowsReturned,
      rowsWritten: counter.rowsChanged,
      queueTableScans: await queueTableScans(t.store, new Set(log.map((entry) => entry.sql))),
      detail: Object.fromEntries(perStatement),
    },
  };
}

/**
 * Returns the plan steps that scan or sort a table of QUEUE_TABLES, with
 * their statement. The counter records the rows a statement returns, not
 * those it reads on the way, so the plans show what the counts cannot.
 */
async function queueTableScans(store: Store, statements: Iterable<string>): Promise<string[]> {
  const tables = QUEUE_TABLES.join('|');
  const scan = new RegExp(`\\bSCAN (${tables})\\b`);
  const mentionsQueueTable = new RegExp(`"(${tables})"`);

  const found: string[] = [];
  for (const text of statements) {
    if (/^(begin|commit|rollback)\b/i.test(text)) continue;
    // Zero satisfies the partial-index conditions (backordered > 0,
    // quantity > 0), which SQLite checks against the bound values.
    const parameters = Array.from(text.matchAll(/\?/g), () => 0);
    const plan = await store.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${text}`, parameters));
    for (const { detail } of plan.rows) {
      // A sort reads every matching row before a limit applies.
      const sorts = mentionsQueueTable.test(text) && /USE TEMP B-TREE/.test(detail);
      if (scan.test(detail) || sorts) found.push(`${detail} in: ${text}`);
    }
  }
  return found;
}

interface TableStats {
  relname: string;
  seq_scan: number;
  seq_tup_read: number;
  idx_scan: number;
  idx_tup_fetch: number;
  n_tup_ins: number;
  n_tup_upd: number;
  n_tup_del: number;
}

async function readTableStats(work: Work): Promise<Map<string, TableStats>> {
  const { rows } = await sql<TableStats>`
    select relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) as idx_scan, coalesce(idx_tup_fetch, 0) as idx_tup_fetch,
           n_tup_ins, n_tup_upd, n_tup_del
      from pg_stat_xact_user_tables
     where schemaname = current_schema()`.execute(work.db);
  return new Map(rows.map((row) => [row.relname, row]));
}

/**
 * Reads the transaction's own table statistics before and after the
 * receipt, inside the receive transaction, and returns the difference.
 */
async function receiveOnPostgres(
  t: TestStore,
  body: (work: Work) => Promise<ReceiptResult>,
): Promise<{ result: ReceiptResult; touched: Touched }> {
  return t.store.transaction(async (work) => {
    // The planner would rather scan a table of 1,000 rows than look up ten of
    // them. With sequential scans priced out it uses an index wherever one
    // fits, so only a statement that no index serves still scans.
    await sql`set local enable_seqscan = off`.execute(work.db);
    const before = await readTableStats(work);
    const result = await body(work);
    // The store writes the ledger rows and events just before commit. Writing
    // them here counts them, and the store's own flush then has nothing left.
    await work.flush();
    const after = await readTableStats(work);

    const detail: Record<string, Omit<TableStats, 'relname'>> = {};
    const touched: Touched = { operations: 0, rowsRead: 0, rowsWritten: 0, queueTableScans: [], detail };
    for (const [table, end] of after) {
      const start = before.get(table);
      const delta = {
        seq_scan: Number(end.seq_scan) - Number(start?.seq_scan ?? 0),
        seq_tup_read: Number(end.seq_tup_read) - Number(start?.seq_tup_read ?? 0),
        idx_scan: Number(end.idx_scan) - Number(start?.idx_scan ?? 0),
        idx_tup_fetch: Number(end.idx_tup_fetch) - Number(start?.idx_tup_fetch ?? 0),
        n_tup_ins: Number(end.n_tup_ins) - Number(start?.n_tup_ins ?? 0),
        n_tup_upd: Number(end.n_tup_upd) - Number(start?.n_tup_upd ?? 0),
        n_tup_del: Number(end.n_tup_del) - Number(start?.n_tup_del ?? 0),
      };
      if (Object.values(delta).every((value) => value === 0)) continue;

      detail[table] = delta;
      if (QUEUE_TABLES.includes(table) && delta.seq_scan > 0) touched.queueTableScans.push(`${delta.seq_scan} scans of ${table}`);
      touched.operations += delta.seq_scan + delta.idx_scan;
      touched.rowsRead += delta.seq_tup_read + delta.idx_tup_fetch;
      touched.rowsWritten += delta.n_tup_ins + delta.n_tup_upd + delta.n_tup_del;
    }
    return { result, touched };
  });
}
