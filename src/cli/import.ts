import { parseArgs } from 'node:util';
import { CsvError } from 'csv-parse';
import { applyImport, type ImportCounts } from '../app/import/apply.js';
import { loadImportContext } from '../app/import/context.js';
import { formatIssues, ImportRejected, type ImportIssue } from '../app/import/issues.js';
import { IMPORT_KINDS, planImport, type ImportKind, type ImportStep, type ValidatedFile } from '../app/import/plan.js';
import { validateTable } from '../app/import/table.js';
import { RestockError } from '../app/errors.js';
import { Store } from '../store/store.js';
import { readSettings } from './config.js';
import { readCsv } from './csv/reader.js';
import { IMPORT_SPECS } from './csv/schemas.js';
import { startProgress } from './progress.js';

export const IMPORT_HELP = `Usage: restock import <kind> <file.csv> [<kind> <file.csv> ...] [--db URL] [--dry-run]

Imports CSV files in one transaction: every row is checked first, and when
any row is invalid the problems are listed (file, row, column, value and
fix) and nothing is written. Files are applied in the order given, so a SKU
defined by a skus file may be used by the files after it.

Kinds and their columns (a header row is required; * marks required columns):
  skus             sku*, name, policy*, backorder_limit, low_stock_threshold,
                   lead_time_days, handling_days, restock_date, release_date
                   Creates or updates each SKU; an empty cell means no limit,
                   no date or the default.
  stock            sku*, location, on_hand*
                   Sets on hand to the counted value by an adjustment with
                   reason "import". Units counted in serve the backorder
                   queue first. An empty location means main.
  purchase-orders  reference*, location, expected_date*, sku*, quantity*
                   One row per line; rows with the same reference form one
                   open purchase order.
  backorders       external_id*, customer_email, sku*, quantity*, unit_price*,
                   currency*, placed_at*, priority
                   One row per order line; rows with the same external_id
                   form one order. Orders are placed in placed_at order at
                   that time, so the queue order is rebuilt; lines take any
                   stock that is available, as a new order would.

Columns that an export adds for information (stock: allocated, available;
backorders: queue_position, promised_ship_date, estimated_ship_date) are
accepted and ignored. Files are UTF-8; a name ending in .gz is read gzipped.

Options:
  --db URL     SQLite file path or postgres:// URL (default RESTOCK_DB or ./data/restock.db)
  --dry-run    check every row and run the whole import, then roll it back
  -h, --help   show this help

Exits 0 when imported, 1 when a row is invalid (nothing written), 2 on a usage error.
Example:
  restock import skus skus.csv stock stock.csv purchase-orders purchase-orders.csv
`;

/** Rolls back a dry run after the whole import ran in its transaction. */
class DryRunRollback extends Error {
  constructor(readonly counts: ImportCounts) {
    super('dry run');
  }
}

export async function runImport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' }, db: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(IMPORT_HELP);
    return 0;
  }

  const requests = readRequests(positionals);
  if (typeof requests === 'string') {
    process.stderr.write(`${requests}\n\n${IMPORT_HELP}`);
    return 2;
  }

  const started = Date.now();
  const checked = await checkFiles(requests);
  if (typeof checked === 'number') return checked;

  const settings = readSettings({ ...process.env, ...(values.db ? { RESTOCK_DB: values.db } : {}) });
  const store = await Store.open({ url: settings.databaseUrl });
  try {
    const context = await loadImportContext(store.db, checked.files, store.clock());
    const { steps, issues } = planImport(checked.files, context);
    if (reportIssues([...checked.issues, ...issues])) return 1;

    const counts = await write(store, steps, values['dry-run'] ?? false);
    if (typeof counts === 'number') return counts;

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const summary = describeCounts(counts);
    process.stdout.write(
      values['dry-run']
        ? `Checked ${checked.files.map((f) => f.file).join(', ')}: ${summary} would be imported into ${store.description}; nothing was written (--dry-run), ${seconds} s.\n`
        : `Imported ${summary} from ${checked.files.map((f) => f.file).join(', ')} into ${store.description} in ${seconds} s.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

function readRequests(positionals: string[]): { kind: ImportKind; path: string }[] | string {
  if (positionals.length === 0) return 'Name a kind and a file, such as: restock import skus skus.csv';
  if (positionals.length % 2 !== 0) return `Every kind needs a file after it; "${positionals.at(-1)}" has none.`;

  const requests: { kind: ImportKind; path: string }[] = [];
  for (let index = 0; index < positionals.length; index += 2) {
    const kind = positionals[index]!;
    if (!(IMPORT_KINDS as readonly string[]).includes(kind)) {
      return `"${kind}" is not an import kind; use one of ${IMPORT_KINDS.join(', ')}.`;
    }
    requests.push({ kind: kind as ImportKind, path: positionals[index + 1]! });
  }
  return requests;
}

/** Reads and checks every file; returns an exit code when a file cannot be read. */
async function checkFiles(requests: { kind: ImportKind; path: string }[]): Promise<{ files: ValidatedFile[]; issues: ImportIssue[] } | number> {
  const files: ValidatedFile[] = [];
  const issues: ImportIssue[] = [];
  for (const { kind, path } of requests) {
    let table;
    try {
      table = await readCsv(path);
    } catch (error) {
      if (error instanceof CsvError) {
        process.stderr.write(`${path} is not valid CSV: ${error.message}. Nothing was written.\n`);
        return 1;
      }
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
        process.stderr.write(`Cannot read ${path} (${code}); check the path. Nothing was written.\n`);
        return 2;
      }
      throw error;
    }

    if (table.header.length === 0) {
      issues.push({ file: table.file, row: 1, message: 'the file is empty; the first row must be a header naming the columns.' });
      continue;
    }
    const result = validateTable(table, IMPORT_SPECS[kind]);
    files.push({ kind, file: table.file, rows: result.rows });
    issues.push(...result.issues);
  }
  return { files, issues };
}

/** Prints the problems, if any, and returns whether there were any. */
function reportIssues(issues: readonly ImportIssue[]): boolean {
  if (issues.length === 0) return false;
  const lines = formatIssues(issues);
  process.stderr.write(`${lines.join('\n')}\n${issues.length} problems found; nothing was written. Fix them and run the import again.\n`);
  return true;
}

/** Writes the plan in one transaction; returns an exit code when it was rolled back. */
async function write(store: Store, steps: ImportStep[], dryRun: boolean): Promise<ImportCounts | number> {
  const total = steps.reduce((sum, step) => sum + step.items.reduce((rows, item) => rows + ('rows' in item ? item.rows.length : 1), 0), 0);
  const progress = startProgress(dryRun ? 'Checking' : 'Importing', total);
  try {
    return await store.transaction(async (work) => {
      progress.reset();
      const counts = await applyImport(work, steps, (rows) => progress.advance(rows));
      if (dryRun) throw new DryRunRollback(counts);
      return counts;
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.counts;
    if (error instanceof ImportRejected) {
      progress.stop();
      reportIssues(error.issues);
      return 1;
    }
    if (error instanceof RestockError) {
      progress.stop();
      process.stderr.write(`${error.message} Nothing was written.\n`);
      return 1;
    }
    throw error;
  } finally {
    progress.stop();
  }
}

function describeCounts(counts: ImportCounts): string {
  const parts = [
    counts.skus > 0 ? plural(counts.skus, 'SKU') : null,
    counts.stockLevels > 0 ? plural(counts.stockLevels, 'stock level') : null,
    counts.purchaseOrders > 0 ? `${plural(counts.purchaseOrders, 'purchase order')} (${plural(counts.purchaseOrderLines, 'line')})` : null,
    counts.orders > 0 ? `${plural(counts.orders, 'order')} (${plural(counts.orderLines, 'line')})` : null,
  ].filter((part) => part !== null);
  return parts.length === 0 ? 'no rows' : parts.join(', ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
