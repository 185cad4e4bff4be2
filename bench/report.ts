/** The figures a bench run produces, printed as tables and written as JSON. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, formatTable, type MachineInfo } from './support.js';

export interface RawFigure {
  callers: number;
  transactions: number;
  seconds: number;
  transactionsPerSecond: number;
}

export interface OrderFigure {
  scenario: string;
  skus: number;
  ordersPerTransaction: number;
  callers: number;
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  transactionsPerSecond: number;
  /** Orders per second divided by the raw transactions per second. */
  ratioToRaw: number;
  rejected: number;
  /** Statements in one such transaction, BEGIN and COMMIT included. Counted on SQLite only. */
  statementsPerTransaction: number | null;
}

export interface ReceiptFigure {
  units: number;
  /** Lines waiting in the queue before the first timed receipt of this size. */
  queueLines: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Counted on SQLite only, from one untimed receipt of the same size before the timed runs. */
  statements: number | null;
  rowsRead: number | null;
  rowsWritten: number | null;
}

export interface DatabaseFigures {
  database: 'sqlite' | 'postgres';
  version: string;
  raw: RawFigure;
  orders: OrderFigure[];
  receipts: ReceiptFigure[];
  queueSeedSeconds: number;
  invariantViolations: number;
  /** 1-minute load average when this database's figures started and ended. */
  load: { start: number; end: number };
}

export type DatabaseResult = DatabaseFigures | { database: 'sqlite' | 'postgres'; skipped: string };

export function printDatabase(result: DatabaseResult): void {
  if ('skipped' in result) {
    console.log(`\n${result.database}: ${result.skipped}`);
    return;
  }

  const title = result.database === 'sqlite'
    ? `SQLite ${result.version} (better-sqlite3, WAL, synchronous=NORMAL, one process, one caller)`
    : `PostgreSQL ${result.version} (pg pool, ${result.raw.callers} connections, ${result.raw.callers} callers)`;
  const rawShape = result.database === 'sqlite'
    ? 'BEGIN IMMEDIATE; SELECT; UPDATE; INSERT; COMMIT'
    : 'BEGIN; SELECT … FOR UPDATE; UPDATE; INSERT; COMMIT on one row';
  console.log(`\n${title}`);
  console.log(
    `raw rate (${rawShape}): ${formatNumber(result.raw.transactionsPerSecond)} txn/s ` +
      `(${formatNumber(result.raw.transactions)} in ${result.raw.seconds.toFixed(1)} s, ${result.raw.callers} in flight)\n`,
  );

  console.log(
    formatTable(
      ['placeOrders', 'orders/txn', 'orders', 'seconds', 'orders/s', 'txn/s', 'ratio to raw', 'statements/txn'],
      result.orders.map((figure) => [
        figure.scenario,
        String(figure.ordersPerTransaction),
        formatNumber(figure.orders),
        figure.seconds.toFixed(2),
        formatNumber(figure.ordersPerSecond),
        formatNumber(figure.transactionsPerSecond),
        figure.ratioToRaw.toFixed(2),
        figure.statementsPerTransaction === null ? '-' : formatNumber(figure.statementsPerTransaction),
      ]),
    ),
  );

  const rejected = result.orders.reduce((sum, figure) => sum + figure.rejected, 0);
  if (rejected > 0) console.log(`\n${formatNumber(rejected)} orders were rejected; their figures measure rejections, not placements.`);

  console.log(`\nreceipts into a queue of one-unit lines on one SKU (queue seeded in ${result.queueSeedSeconds.toFixed(1)} s)\n`);
  console.log(
    formatTable(
      ['units', 'queue lines', 'runs', 'median ms', 'min ms', 'max ms', 'statements', 'rows read', 'rows written'],
      result.receipts.map((figure) => [
        formatNumber(figure.units),
        formatNumber(figure.queueLines),
        String(figure.runs),
        figure.medianMs.toFixed(1),
        figure.minMs.toFixed(1),
        figure.maxMs.toFixed(1),
        figure.statements === null ? '-' : formatNumber(figure.statements),
        figure.rowsRead === null ? '-' : formatNumber(figure.rowsRead),
        figure.rowsWritten === null ? '-' : formatNumber(figure.rowsWritten),
      ]),
    ),
  );
  console.log(`\ninvariant violations after the run: ${result.invariantViolations}`);
  console.log(`1-minute load average: ${result.load.start} at the start, ${result.load.end} at the end`);
}

export function writeResults(report: { machine: MachineInfo } & Record<string, unknown>): string {
  const folder = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(folder, { recursive: true });
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  const path = join(folder, `engine-${stamp}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

