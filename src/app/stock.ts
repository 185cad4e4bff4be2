import { availableAt } from '../domain/allocation.js';
import { pickTakeBacks, type LineAllocation } from '../domain/release.js';
import { addBackordered, ensureLevel, loadLocations, locationRules, lockLevels, lockSkus } from '../store/rows.js';
import type { Work } from '../store/store.js';
import { noteChanged, noteQueueReordered } from './promises.js';
import { LINE_COLUMNS, refreshOrders, saveLineCounts, serveQueueAt } from './allocate.js';
import { invalidState, notFound } from './errors.js';
import { assertHoldsStock } from './kits.js';

export interface AdjustmentInput {
  sku: string;
  location?: string;
  /** Exactly one of `quantityDelta` and `onHand`. */
  quantityDelta?: number;
  onHand?: number;
  reason: string;
}

export interface AdjustmentResult {
  movementId: string | null;
  delta: number;
  level: { sku: string; location: string; onHand: number; allocated: number; available: number };
}

/**
 * Changes on hand at a location by a delta or to a counted value. Units
 * added serve the backorder queue before they become available. Going below
 * allocated takes the allocation back from the most recently placed lines,
 * which return to the queue.
 */
export async function adjustStock(work: Work, input: AdjustmentInput): Promise<AdjustmentResult> {
  const locationCode = input.location ?? 'main';
  const skus = await lockSkus(work, [input.sku]);
  if (!skus.has(input.sku)) throw notFound(`SKU ${input.sku} was not found; create it with PUT /v1/skus/${input.sku}.`);
  assertHoldsStock(skus.get(input.sku)!, 'stock adjustments');
  const locations = await loadLocations(work);
  const locationRow = locations.get(locationCode);
  if (!locationRow) throw notFound(`Location ${locationCode} was not found; create it with PUT /v1/locations/${locationCode}.`);

  await ensureLevel(work, input.sku, locationCode);
  const level = (await lockLevels(work, [input.sku])).find((l) => l.location === locationCode)!;

  const delta = input.onHand !== undefined ? input.onHand - level.onHand : (input.quantityDelta ?? 0);
  const onHand = level.onHand + delta;
  if (onHand < 0) {
    throw invalidState(
      `Adjusting ${input.sku} at ${locationCode} by ${delta} would leave ${onHand} on hand; ${level.onHand} are on hand.`,
    );
  }

  if (onHand < level.allocated) {
    await takeBackAllocations(work, input.sku, locationCode, level.allocated - onHand);
  }

  let movementId: string | null = null;
  if (delta !== 0) {
    movementId = await work.moveStock({
      sku: input.sku,
      location: locationCode,
      kind: 'adjustment',
      onHandDelta: delta,
      allocatedDelta: 0,
      reason: input.reason,
    });
  }

  work.emit({
    type: 'stock.adjusted',
    sku: input.sku,
    data: { location: locationCode, delta, on_hand: onHand, reason: input.reason },
  });

  noteChanged(work, input.sku);
  await serveFreeStock(work, input.sku, 'stock_adjusted');

  const after = (await lockLevels(work, [input.sku])).find((l) => l.location === locationCode)!;
  return {
    movementId,
    delta,
    level: { ...after, available: availableAt(after) },
  };
}

/**
 * Takes `excess` allocated units back at a location, from the most recently
 * placed lines first; those units return to the queue.
 */
async function takeBackAllocations(work: Work, sku: string, location: string, excess: number): Promise<void> {
  const rows = await work.db
    .selectFrom('line_allocations')
    .select(['line_id', 'location', 'quantity', 'placed_at', 'allocated_at'])
    .where('sku', '=', sku)
    .where('location', '=', location)
    .where('quantity', '>', 0)
    .orderBy('placed_at', 'desc')
    .orderBy('line_id', 'desc')
    .limit(excess)
    .execute();
  const allocations: LineAllocation[] = rows.map((row) => ({
    lineId: row.line_id,
    location: row.location,
    quantity: row.quantity,
    placedAt: row.placed_at,
    allocatedAt: row.allocated_at,
  }));

  const takeBacks = pickTakeBacks(allocations, excess);
  const lines = await work.db
    .selectFrom('order_lines')
    .select(LINE_COLUMNS)
    .where('id', 'in', takeBacks.map((t) => t.lineId))
    .execute();

  for (const { lineId, quantity } of takeBacks) {
    const line = lines.find((l) => l.id === lineId)!;
    await releaseAllocation(work, line, location, quantity, 'stock_adjusted');
    line.backordered += quantity;
    await saveLineCounts(work, line);
    work.emit({
      type: 'line.backordered',
      orderId: line.order_id,
      lineId,
      sku,
      data: { quantity, cause: 'stock_adjusted', location },
    });
  }

  const total = takeBacks.reduce((sum, t) => sum + t.quantity, 0);
  await addBackordered(work, sku, total);
  noteQueueReordered(work, sku);
  await refreshOrders(work, lines.map((l) => l.order_id));
}

/**
 * Gives back `quantity` units of a line's allocation at a location: the
 * allocation row and the ledger. The caller moves the units on the line.
 */
export async function releaseAllocation(
  work: Work,
  line: { id: string; order_id: string; sku: string; allocated: number },
  location: string,
  quantity: number,
  reason: string,
): Promise<void> {
  await work.db
    .updateTable('line_allocations')
    .set((eb) => ({ quantity: eb('quantity', '-', quantity) }))
    .where('line_id', '=', line.id)
    .where('location', '=', location)
    .execute();
  await work.moveStock({
    sku: line.sku,
    location,
    kind: 'release',
    onHandDelta: 0,
    allocatedDelta: -quantity,
    orderId: line.order_id,
    lineId: line.id,
    reason,
  });
  line.allocated -= quantity;
}

/**
 * Serves the SKU's queue from every location that has units available,
 * in location priority order, so that no queued line waits while stock that
 * may ship to it sits free. Call it after any change that frees stock or
 * queues units outside of placing an order.
 */
export async function serveFreeStock(work: Work, sku: string, cause: string): Promise<void> {
  const row = await work.db.selectFrom('skus').select('backordered').where('code', '=', sku).executeTakeFirstOrThrow();
  if (row.backordered === 0) return;

  const levels = (await lockLevels(work, [sku])).filter((level) => availableAt(level) > 0);
  if (levels.length === 0) return;

  const locations = await loadLocations(work);
  const ordered = levels
    .map((level) => ({ level, location: locationRules(locations.get(level.location)!) }))
    .sort((a, b) => a.location.priority - b.location.priority || (a.location.code < b.location.code ? -1 : 1));

  for (const { level, location } of ordered) {
    await serveQueueAt(work, sku, location, availableAt(level), cause);
  }
}
