import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readHistoryFile, type HistoryFileOptions } from '../../src/app/replay/history-file.js';
import type { History } from '../../src/app/replay/history.js';
import type { RunFigures } from '../../src/app/replay/metrics.js';
import { DEFAULT_REPLAY_SETTINGS, replayHistory, type ReplaySettings } from '../../src/app/replay/run.js';
import type { TestStore } from '../support/database.js';

/** The header of the UCI Online Retail file, which the replay reads by default. */
export const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';

/** Writes CSV text (gzipped for a `.gz` name) to a temporary file, reads it as a history and deletes it. */
export async function historyFrom(
  csv: string,
  options: HistoryFileOptions = {},
  name = 'history.csv',
): Promise<History> {
  const folder = mkdtempSync(join(tmpdir(), 'restock-history-'));
  const path = join(folder, name);
  try {
    writeFileSync(path, name.endsWith('.gz') ? gzipSync(csv) : csv);
    return await readHistoryFile(path, options);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Replay settings for small hand-written histories: no randomness, ships on the day of allocation. */
export function testSettings(overrides: Partial<ReplaySettings> = {}): ReplaySettings {
  return { ...DEFAULT_REPLAY_SETTINGS, handlingDays: 0, drainDays: 30, ...overrides };
}

/** Replays CSV rows (after the header) on a test store with its manual clock. */
export async function replayCsv(t: TestStore, rows: string[], overrides: Partial<ReplaySettings> = {}): Promise<RunFigures> {
  const history = await historyFrom(`${HEADER}\n${rows.join('\n')}\n`);
  return replayHistory(t.store, t.clock, history, testSettings(overrides));
}

/** Reads each order's lines by invoice number: `[sku, quantity, shipped, cancelled]`. */
export async function linesByInvoice(t: TestStore): Promise<Map<string, [string, number, number, number][]>> {
  const rows = await t.store.db
    .selectFrom('order_lines')
    .innerJoin('orders', 'orders.id', 'order_lines.order_id')
    .select(['orders.external_id', 'order_lines.sku', 'order_lines.quantity', 'order_lines.shipped', 'order_lines.cancelled', 'order_lines.position'])
    .orderBy('orders.external_id')
    .orderBy('order_lines.position')
    .execute();
  const byInvoice = new Map<string, [string, number, number, number][]>();
  for (const row of rows) {
    const list = byInvoice.get(row.external_id!) ?? [];
    list.push([row.sku, row.quantity, row.shipped, row.cancelled]);
    byInvoice.set(row.external_id!, list);
  }
  return byInvoice;
}
