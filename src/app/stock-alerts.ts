import { padInList } from '../store/bulk.js';
import type { MovementInput, Work } from '../store/store.js';
import { availableAt } from '../domain/allocation.js';
import { sendBackInStockWaves, type StockChange } from './back-in-stock.js';

/** A SKU's change in one transaction, with the threshold its alerts compare against. */
export interface MeasuredChange extends StockChange {
  threshold: number;
}

/**
 * Reacts to a transaction's stock movements just before they are written:
 * merchant alerts for SKUs that crossed their low-stock threshold or ran
 * out, then back-in-stock waves for SKUs that rose. A transaction that moved
 * no stock costs nothing, and one whose movements cancel out per SKU (a
 * shipment takes units off hand and off allocated alike) costs nothing more.
 */
export async function reactToStockMovements(work: Work, movements: readonly MovementInput[]): Promise<void> {
  const changes = await measureChanges(work, movements);
  if (changes.length === 0) return;

  for (const change of changes) emitStockAlert(work, change);
  await sendBackInStockWaves(work, changes);
}

/**
 * Computes each SKU's available units before and after the transaction.
 * After is read from the stock levels, which the movements already changed;
 * before is after minus the movements' net change of on hand − allocated.
 * SKUs whose net change is zero are left out. One query reads the levels
 * and thresholds of every SKU that changed.
 */
export async function measureChanges(work: Work, movements: readonly MovementInput[]): Promise<MeasuredChange[]> {
  const net = new Map<string, number>();
  for (const movement of movements) {
    net.set(movement.sku, (net.get(movement.sku) ?? 0) + movement.onHandDelta - movement.allocatedDelta);
  }
  const changed = [...net.keys()].filter((sku) => net.get(sku) !== 0).sort();
  if (changed.length === 0) return [];

  const levels = await work.db
    .selectFrom('stock_levels')
    .innerJoin('skus', 'skus.code', 'stock_levels.sku')
    .select(['stock_levels.sku', 'stock_levels.on_hand', 'stock_levels.allocated', 'skus.low_stock_threshold'])
    .where('stock_levels.sku', 'in', padInList(changed))
    .execute();

  const changes = new Map<string, MeasuredChange>();
  for (const level of levels) {
    const change = changes.get(level.sku) ?? { sku: level.sku, before: 0, after: 0, threshold: level.low_stock_threshold };
    change.after += availableAt({ onHand: level.on_hand, allocated: level.allocated });
    changes.set(level.sku, change);
  }
  for (const change of changes.values()) change.before = change.after - net.get(change.sku)!;
  return [...changes.values()].sort((a, b) => (a.sku < b.sku ? -1 : 1));
}

/**
 * Emits `sku.out_of_stock` when available falls from above 0 to 0, and
 * `sku.low_stock` when it falls from above the threshold to at or below it
 * while some units are left. A change that stays on one side emits nothing.
 */
export function emitStockAlert(work: Work, change: MeasuredChange): void {
  const { sku, before, after, threshold } = change;
  if (before > 0 && after === 0) {
    work.emit({ type: 'sku.out_of_stock', sku, data: { available: 0 } });
    return;
  }
  if (before > threshold && after <= threshold && after > 0) {
    work.emit({ type: 'sku.low_stock', sku, data: { available: after, threshold } });
  }
}
