import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  backorderRecords, ledgerRecords, purchaseOrderRecords, skuRecords, stockRecords, type ExportRecord,
} from '../app/import/export-rows.js';
import { isPostgresUrl } from '../store/database.js';
import { Store } from '../store/store.js';
import { readSettings } from './config.js';
import { EXPORT_COLUMNS, EXPORT_KINDS, type ExportKind } from './csv/schemas.js';
import { writeCsv } from './csv/writer.js';

export const EXPORT_HELP = `Usage: restock export <kind> [--out file.csv] [--sku CODE] [--db URL]

Writes CSV with a header row to standard output, or to --out. The exports
of skus, stock, purchase-orders and backorders have the columns of the
import of the same kind, so a file exported from one database imports
into another as it is.

Kinds:
  skus             every SKU with its rules, by code
  stock            every stock level: sku, location, on_hand (and, for
                   information, allocated and available)
  purchase-orders  one row per open purchase-order line, with the quantity
                   still to come
  backorders       the open backorder queue of every SKU in queue order, one
                   row per waiting line, with the units still waiting,
                   queue_position, promised_ship_date and estimated_ship_date
  ledger           the stock movements in the order they were recorded

Options:
  --out FILE   write to FILE instead of standard output
  --sku CODE   ledger only: the movements of one SKU
  --db URL     SQLite file path or postgres:// URL (default RESTOCK_DB or ./data/restock.db)
  -h, --help   show this help

Example:
  restock export backorders --out backorders.csv
`;

export async function runExport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' }, db: { type: 'string' }, out: { type: 'string' }, sku: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return 0;
  }

  const usage = checkUsage(positionals, values.sku);
  if (usage !== null) {
    process.stderr.write(`${usage}\n\n${EXPORT_HELP}`);
    return 2;
  }
  const kind = positionals[0] as ExportKind;

  const settings = readSettings({ ...process.env, ...(values.db ? { RESTOCK_DB: values.db } : {}) });
  if (!isPostgresUrl(settings.databaseUrl) && !existsSync(settings.databaseUrl)) {
    process.stderr.write(`No database file at ${settings.databaseUrl}; pass --db or set RESTOCK_DB to an existing database.\n`);
    return 2;
  }

  const store = await Store.open({ url: settings.databaseUrl, migrate: false });
  try {
    if (values.sku !== undefined) {
      const known = await store.db.selectFrom('skus').select('code').where('code', '=', values.sku).executeTakeFirst();
      if (!known) {
        process.stderr.write(`SKU ${values.sku} was not found in ${store.description}; check the code.\n`);
        return 1;
      }
    }
    const written = await exportCsv(store, kind, { sku: values.sku, out: values.out });
    if (values.out !== undefined) process.stderr.write(`Exported ${written} ${kind} rows from ${store.description} to ${values.out}.\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * Writes one kind as CSV to the file `out`, or to standard output, and
 * resolves with the number of records written. `sku` limits the ledger to one SKU.
 */
export function exportCsv(store: Store, kind: ExportKind, options: { sku?: string; out?: string } = {}): Promise<number> {
  return writeCsv(recordsOf(store, kind, options.sku), EXPORT_COLUMNS[kind], options.out);
}

function checkUsage(positionals: string[], sku: string | undefined): string | null {
  const [kind, ...extra] = positionals;
  if (kind === undefined) return 'Name what to export, such as: restock export skus';
  if (!(EXPORT_KINDS as readonly string[]).includes(kind)) return `"${kind}" is not an export kind; use one of ${EXPORT_KINDS.join(', ')}.`;
  if (extra.length > 0) return `Unexpected argument "${extra[0]}"; write to a file with --out FILE.`;
  if (sku !== undefined && kind !== 'ledger') return '--sku applies only to the ledger export.';
  return null;
}

function recordsOf(store: Store, kind: ExportKind, sku: string | undefined): AsyncIterable<ExportRecord> {
  switch (kind) {
    case 'skus':
      return skuRecords(store.db);
    case 'stock':
      return stockRecords(store.db);
    case 'purchase-orders':
      return purchaseOrderRecords(store.db);
    case 'backorders':
      return backorderRecords(store.db);
    case 'ledger':
      return ledgerRecords(store.db, sku);
  }
}
