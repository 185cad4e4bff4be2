import { Work } from '../../store/store.js';
import { upsertSku } from '../catalog.js';
import { placeOrders } from '../place-order.js';
import { noteQueueReordered } from '../promises.js';
import { createPurchaseOrder } from '../purchase-orders.js';
import { adjustStock } from '../stock.js';
import { ImportRejected, quote, type ImportIssue } from './issues.js';
import type { BackorderItem, ImportStep } from './plan.js';

export interface ImportCounts {
  skus: number;
  stockLevels: number;
  purchaseOrders: number;
  purchaseOrderLines: number;
  orders: number;
  orderLines: number;
}

/**
 * Writes a planned import through the use cases, in the work's transaction
 * and in the order of its steps. `onRows` is called with the number of file
 * rows written after each item. When the engine rejects an order, every
 * order is still tried so that all rejections are reported, and then
 * ImportRejected is thrown so the caller's transaction rolls back.
 */
export async function applyImport(work: Work, steps: readonly ImportStep[], onRows: (rows: number) => void = () => {}): Promise<ImportCounts> {
  const counts: ImportCounts = { skus: 0, stockLevels: 0, purchaseOrders: 0, purchaseOrderLines: 0, orders: 0, orderLines: 0 };

  for (const step of steps) {
    switch (step.kind) {
      case 'skus':
        for (const item of step.items) {
          await upsertSku(work, item.code, item.input);
          counts.skus += 1;
          onRows(1);
        }
        break;
      case 'stock':
        for (const item of step.items) {
          await adjustStock(work, item.input);
          counts.stockLevels += 1;
          onRows(1);
        }
        break;
      case 'purchase-orders':
        for (const item of step.items) {
          await createPurchaseOrder(work, item.input);
          counts.purchaseOrders += 1;
          counts.purchaseOrderLines += item.input.lines.length;
          onRows(item.rows.length);
        }
        break;
      case 'backorders':
        await placeBackorders(work, step.file, step.items, counts, onRows);
        break;
    }
  }
  return counts;
}

/**
 * Places orders sorted by placement time, each batch of one instant in a
 * Work of its own that shares the transaction but runs at that instant, so
 * that placed_at, queue order and first promises are those of the original
 * order. Afterwards every affected queue is swept again at the present time,
 * so the current estimates are today's.
 */
async function placeBackorders(
  work: Work,
  file: string,
  items: readonly BackorderItem[],
  counts: ImportCounts,
  onRows: (rows: number) => void,
): Promise<void> {
  // Promise dates must see what the earlier steps wrote before orders are placed.
  await work.flush();

  const issues: ImportIssue[] = [];
  for (const batch of batchesByInstant(items)) {
    const placement = new Work(work.db, work.kind, batch[0]!.placedAt);
    const outcomes = await placeOrders(placement, batch.map((item) => item.input));
    await placement.flush();

    for (const [index, outcome] of outcomes.entries()) {
      const item = batch[index]!;
      if (outcome.accepted) {
        counts.orders += 1;
        counts.orderLines += item.input.lines.length;
      } else {
        issues.push(...rejectionIssues(file, item, outcome.rejections));
      }
      onRows(item.rows.length);
    }
  }
  if (issues.length > 0) throw new ImportRejected(issues);

  const skus = new Set(items.flatMap((item) => item.input.lines.map((line) => line.sku)));
  for (const sku of [...skus].sort()) noteQueueReordered(work, sku);
}

function batchesByInstant(items: readonly BackorderItem[]): BackorderItem[][] {
  const batches: BackorderItem[][] = [];
  for (const item of items) {
    const last = batches.at(-1);
    if (last && last[0]!.placedAt.getTime() === item.placedAt.getTime()) last.push(item);
    else batches.push([item]);
  }
  return batches;
}

const REJECTION_FIXES: Record<string, string> = {
  insufficient_stock: 'its policy sells only from stock; give the SKU the backorder policy, or count in stock first',
  backorder_limit_reached: "raise the SKU's backorder_limit, or leave it empty for no limit",
  discontinued: 'the SKU is discontinued; remove the row, or change its policy',
  unknown_sku: 'create the SKU first',
};

function rejectionIssues(
  file: string,
  item: BackorderItem,
  rejections: readonly { sku: string; reason: string; maxOrderable: number | null }[],
): ImportIssue[] {
  return rejections.map((rejection) => {
    const index = item.input.lines.findIndex((line) => line.sku === rejection.sku);
    const limit = rejection.maxOrderable === null ? '' : ` (at most ${rejection.maxOrderable} units could be ordered)`;
    const fix = REJECTION_FIXES[rejection.reason] ?? 'check the SKU';
    return {
      file,
      row: item.rows[Math.max(index, 0)]!,
      column: 'sku',
      message: `${quote(rejection.sku)} could not be ordered: ${rejection.reason}${limit}; ${fix}.`,
    };
  });
}
