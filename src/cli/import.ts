import { parseArgs } from 'node:util';
import { CsvError } from 'csv-parse';
import { applyImport, type ImportCounts } from '../app/import/apply.js';
import { loadImportContext } from '../app/import/context.js';
import { formatIssues, ImportRejected, type ImportIssue } from '../app/import/issues.js';
import { IMPORT_KINDS, planImport, type ImportKind, type ImportStep, type ValidatedFile } from '../app/import/plan.js';
import { validateTable } from '../app/import/table.js';
import { RestockError } from '../app/errors.js';
import { MAX_LINES } from '../http/schemas.js';
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

export interface ImportRequest {
  kind: ImportKind;
  path: string;
}

export type ImportOutcome =
  | { status: 'imported' | 'checked'; files: string[]; counts: ImportCounts }
  | { status: 'invalid'; issues: ImportIssue[] }
  /** A file that cannot be read or parsed, or a use case that failed; nothing was written. */
  | { status: 'failed'; message: string; exitCode: number };

/**
 * Reads and checks the files, then writes them in one transaction of the
 * store. With `dryRun` the whole import runs and is rolled back. Nothing is
 * written unless the outcome is `imported`.
 */
export async function importCsvFiles(
  store: Store,
  requests: readonly ImportRequest[],
  options: { dryRun?: boolean } = {},
): Promise<ImportOutcome> {
  const checked = await checkFiles(requests);
  if ('status' in checked) return checked;

  const context = await loadImportContext(store.db, checked.files, { now: store.clock(), maxLines: MAX_LINES });
  const { steps, issues } = planImport(checked.files, context);
  const allIssues = [...checked.issues, ...issues];
  if (allIssues.length > 0) return { status: 'invalid', issues: allIssues };

  const dryRun = options.dryRun ?? false;
  const written = await write(store, steps, dryRun);
  if ('status' in written) return written;
  return { status: dryRun ? 'checked' : 'imported', files: checked.files.map((file) => file.file), counts: written };
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
  const settings = readSettings({ ...process.env, ...(values.db ? { RESTOCK_DB: values.db } : {}) });
  const store = await Store.open({ url: settings.databaseUrl });
  try {
    const outcome = await importCsvFiles(store, requests, { dryRun: values['dry-run'] ?? false });
    switch (outcome.status) {
      case 'invalid':
        process.stderr.write(describeIssues(outcome.issues));
        return 1;
      case 'failed':
        process.stderr.write(`${outcome.message}\n`);
        return outcome.exitCode;
      case 'checked':
      case 'imported': {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const summary = describeCounts(outcome.counts);
        const files = outcome.files.join(', ');
        process.stdout.write(
          outcome.status === 'checked'
            ? `Checked ${files}: ${summary} would be imported into ${store.description}; nothing was written (--dry-run), ${seconds} s.\n`
            : `Imported ${summary} from ${files} into ${store.description} in ${seconds} s.\n`,
        );
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}

function readRequests(positionals: string[]): ImportRequest[] | string {
  if (positionals.length === 0) return 'Name a kind and a file, such as: restock import skus skus.csv';
  if (positionals.length % 2 !== 0) return `Every kind needs a file after it; "${positionals.at(-1)}" has none.`;

  const requests: ImportRequest[] = [];
  for (let index = 0; index < positionals.length; index += 2) {
    const kind = positionals[index]!;
    if (!(IMPORT_KINDS as readonly string[]).includes(kind)) {
      return `"${kind}" is not an import kind; use one of ${IMPORT_KINDS.join(', ')}.`;
    }
    requests.push({ kind: kind as ImportKind, path: positionals[index + 1]! });
  }
  return requests;
}

/** Reads and checks every file, reporting every bad row of all of them. */
async function checkFiles(
  requests: readonly ImportRequest[],
): Promise<{ files: ValidatedFile[]; issues: ImportIssue[] } | Extract<ImportOutcome, { status: 'failed' }>> {
  const files: ValidatedFile[] = [];
  const issues: ImportIssue[] = [];
  for (const { kind, path } of requests) {
    let table;
    try {
      table = await readCsv(path);
    } catch (error) {
      if (error instanceof CsvError) {
        return { status: 'failed', message: `${path} is not valid CSV: ${error.message}. Nothing was written.`, exitCode: 1 };
      }
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
        return { status: 'failed', message: `Cannot read ${path} (${code}); check the path. Nothing was written.`, exitCode: 2 };
      }
      throw error;
    }

    if (table.header.length === 0) {
      issues.push({ file: table.file, row: 1, message: 'the file is empty; the first row must be a header naming the columns.' });
      continue;
    }
    const result = validateTable(table, IMPORT_SPECS[kind]);
    files.push({ kind, file: table.file, rows: result.rows, invalidRows: result.invalidRows });
    issues.push(...result.issues);
  }
  return { files, issues };
}

/** Formats the problems, at most 50, and a last line stating that nothing was written. */
export function describeIssues(issues: readonly ImportIssue[]): string {
  return `${formatIssues(issues).join('\n')}\n${issues.length} problems found; nothing was written. Fix them and run the import again.\n`;
}

/** Writes the plan in one transaction, or runs it and rolls it back for a dry run. */
async function write(store: Store, steps: ImportStep[], dryRun: boolean): Promise<ImportCounts | Exclude<ImportOutcome, { status: 'imported' | 'checked' }>> {
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
    if (error instanceof ImportRejected) return { status: 'invalid', issues: error.issues };
    if (error instanceof RestockError) return { status: 'failed', message: `${error.message} Nothing was written.`, exitCode: 1 };
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
