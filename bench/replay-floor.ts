/**
 * The write floor of a replay: how long SQLite takes to store the rows that
 * a replay leaves, with no engine code running. The bench copies every row
 * of a replayed database into an empty in-memory database with the same
 * tables, indexes and foreign keys. Each row is one prepared single-row
 * INSERT, 2,000 rows per transaction, in the order the rows were made.
 * Then it updates every order line once, as shipping does. Any replay that
 * writes the same rows takes at least this long on the same machine. Run
 * with `npm run bench:replay-floor -- --help`.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { formatTable } from './support.js';

const USAGE = `Usage: npm run bench:replay-floor -- FILE

  FILE   a SQLite database left by \`restock replay HISTORY --db FILE\`

Prints, per table, the rows copied and the seconds and microseconds per row
that storing them took, and the total.`;

/** Tables in the order a replay fills them, parents before children. */
const TABLES = [
  'locations', 'skus', 'stock_levels', 'orders', 'order_lines', 'purchase_orders', 'purchase_order_lines',
  'receipts', 'receipt_lines', 'line_allocations', 'shipments', 'shipment_lines', 'stock_movements', 'events',
] as const;

/** Rows are copied in the order they were made: by sequence number or by time-ordered id where a table has one. */
const ORDER_BY: Partial<Record<(typeof TABLES)[number], string>> = { events: 'seq', stock_movements: 'id' };

const ROWS_PER_TRANSACTION = 2_000;

interface Timing {
  name: string;
  rows: number;
  seconds: number;
}

function main(): void {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean' } } });
  if (values.help) return void console.log(USAGE);
  const file = positionals[0];
  if (!file || !existsSync(file)) {
    console.error(`${file ? `No database file at ${file}; pass the file that restock replay --db wrote.` : 'Missing database file.'}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }

  const source = new Database(file, { readonly: true });
  if (!isSqliteDatabase(source)) {
    console.error(`${file} is not a SQLite database; pass the file that restock replay --db wrote.`);
    process.exitCode = 2;
    return;
  }
  const target = emptyCopy(source);
  const timings = TABLES.map((table) => copyTable(source, target, table));
  timings.push(updateEachLine(target));

  const total = timings.reduce((sum, timing) => sum + timing.seconds, 0);
  console.log(
    formatTable(
      ['Step', 'Rows', 'Seconds', 'µs per row'],
      [
        ...timings.map((t) => [t.name, t.rows.toLocaleString('en-US'), t.seconds.toFixed(2), t.rows === 0 ? '' : ((t.seconds * 1e6) / t.rows).toFixed(2)]),
        ['Total', '', total.toFixed(1), ''],
      ],
    ),
  );
}

function isSqliteDatabase(db: Database.Database): boolean {
  try {
    db.prepare('select count(*) from sqlite_master').get();
    return true;
  } catch {
    return false;
  }
}

/** Opens an in-memory database with the tables and indexes of `source` and the replay's settings. */
function emptyCopy(source: Database.Database): Database.Database {
  const target = new Database(':memory:');
  target.pragma('journal_mode = MEMORY');
  target.pragma('synchronous = OFF');
  target.pragma('foreign_keys = ON');

  const objects = source
    .prepare("select type, sql from sqlite_master where sql is not null and name not like 'sqlite_%'")
    .all() as { type: string; sql: string }[];
  for (const object of objects.filter((o) => o.type === 'table')) target.exec(object.sql);
  for (const object of objects.filter((o) => o.type === 'index')) target.exec(object.sql);
  return target;
}

function copyTable(source: Database.Database, target: Database.Database, table: (typeof TABLES)[number]): Timing {
  const order = ORDER_BY[table];
  const read = source.prepare(`select * from "${table}"${order ? ` order by "${order}"` : ''}`);
  const columns = read.columns().map((column) => `"${column.name}"`);
  const rows = read.raw(true).all() as unknown[][];
  const insert = target.prepare(`insert into "${table}" (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`);

  const started = performance.now();
  inTransactions(target, rows, (row) => insert.run(row));
  return { name: `insert ${table}`, rows: rows.length, seconds: (performance.now() - started) / 1000 };
}

function updateEachLine(target: Database.Database): Timing {
  const ids = target.prepare('select id from order_lines').pluck().all() as string[];
  const update = target.prepare('update order_lines set shipped = shipped, status = status where id = ?');

  const started = performance.now();
  inTransactions(target, ids, (id) => update.run(id));
  return { name: 'update each order line once', rows: ids.length, seconds: (performance.now() - started) / 1000 };
}

function inTransactions<T>(db: Database.Database, items: readonly T[], write: (item: T) => void): void {
  for (let start = 0; start < items.length; start += ROWS_PER_TRANSACTION) {
    db.transaction(() => {
      for (const item of items.slice(start, start + ROWS_PER_TRANSACTION)) write(item);
    })();
  }
}

main();
