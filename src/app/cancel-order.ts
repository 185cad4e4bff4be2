import { refundForCancellation } from '../domain/money.js';
import { pickReleases, splitCancellation, type LineAllocation } from '../domain/release.js';
import type { CaptureMode } from '../domain/types.js';
import { addBackordered, lockSkus } from '../store/rows.js';
import type { Work } from '../store/store.js';
import { noteQueueReordered } from './promises.js';
import { LINE_COLUMNS, refreshOrders, saveLineCounts, type LineRow } from './allocate.js';
import { invalidState, notFound } from './errors.js';
import { kitLineStatus, perKitOf } from '../domain/kits.js';
import { releaseAllocation, serveFreeStock } from './stock.js';
import { insertRefund } from './refunds.js';

export interface CancellationInput {
  /** Without lines, everything not yet shipped is cancelled. */
  lines?: { lineId: string; quantity: number }[];
  reason: string;
}

export interface CancellationResult {
  refund: { amount: number; currency: string };
}

/**
 * Cancels units of an order: backordered units first, then allocated ones,
 * whose stock goes to the queue before it becomes available. Units paid up
 * front are refunded, each exactly once. Shipped units cannot be cancelled.
 * Kits cancel whole: cancelling kits of a kit line cancels the units of its
 * component lines that go into them, and naming a component line is
 * `invalid_state`.
 */
export async function cancelOrder(work: Work, orderId: string, input: CancellationInput): Promise<CancellationResult> {
  const order = await work.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
  if (!order) throw notFound(`Order ${orderId} was not found.`);

  const lineSkus = await work.db.selectFrom('order_lines').select('sku').where('order_id', '=', orderId).execute();
  await lockSkus(work, lineSkus.map((l) => l.sku));
  const lines = await work.db
    .selectFrom('order_lines')
    .select([...LINE_COLUMNS, 'unit_price', 'refunded_units', 'kit_line_id'])
    .where('order_id', '=', orderId)
    .orderBy('position')
    .execute();

  const requests = cancellationRequests(orderId, lines, input);
  let refund = 0;
  const touchedSkus = new Set<string>();

  for (const { line, quantity } of requests) {
    const components = lines.filter((component) => component.kit_line_id === line.id);
    if (components.length > 0) {
      refund += await cancelKits(work, order.capture as CaptureMode, line, components, quantity, input.reason);
      for (const component of components) touchedSkus.add(component.sku);
      continue;
    }
    refund += await cancelLineUnits(work, order.capture as CaptureMode, line, quantity, input.reason);
    touchedSkus.add(line.sku);
  }
  await requestRefund(work, order, refund, input.reason);

  await refreshOrders(work, [orderId]);
  for (const sku of [...touchedSkus].sort()) await serveFreeStock(work, sku, 'cancellation');
  return { refund: { amount: refund, currency: order.currency } };
}

/** An order line with the columns cancellation reads. */
export type CancellableLine = LineRow & { unit_price: number; refunded_units: number };

/**
 * Cancels `quantity` unshipped units of one line: backordered units first,
 * then allocated ones, released at the locations they were allocated from.
 * Writes the line's counts and `line.cancelled`, and counts units paid up
 * front as refunded on the line at its unit price. Returns that amount. The
 * caller passes it to `requestRefund`, refreshes the order status, and
 * serves the freed stock to the queue with `serveFreeStock`.
 */
export async function cancelLineUnits(
  work: Work,
  capture: CaptureMode,
  line: CancellableLine,
  quantity: number,
  reason: string,
): Promise<number> {
  const split = splitCancellation(line, quantity);
  if (!split) {
    throw invalidState(
      `Line ${line.id} has ${line.backordered + line.allocated} unshipped units to cancel, fewer than ${quantity}.`,
    );
  }

  if (split.fromBackordered > 0) {
    line.backordered -= split.fromBackordered;
    await addBackordered(work, line.sku, -split.fromBackordered);
    noteQueueReordered(work, line.sku);
  }
  if (split.fromAllocated > 0) await releaseLineAllocations(work, line, split.fromAllocated);

  const amount = refundForCancellation(capture, quantity, line.unit_price);
  line.cancelled += quantity;
  await saveLineCounts(work, line);
  // Every unit paid up front counts as refunded, free units (price 0) included.
  if (capture === 'upfront') {
    await work.db
      .updateTable('order_lines')
      .set((eb) => ({ refunded_units: eb('refunded_units', '+', quantity), refunded: eb('refunded', '+', amount) }))
      .where('id', '=', line.id)
      .execute();
    line.refunded_units += quantity;
  }

  work.emit({
    type: 'line.cancelled',
    orderId: line.order_id,
    lineId: line.id,
    sku: line.sku,
    data: { quantity, from_backordered: split.fromBackordered, from_allocated: split.fromAllocated, reason },
  });
  return amount;
}

/**
 * Adds `amount` to the order's refunded money, records a refund due within 7
 * working days, and writes `refund.requested` for the payment system to pay
 * it back. Does nothing for zero. The caller
 * has already added the amount to the refunded money of the lines.
 */
export async function requestRefund(
  work: Work,
  order: { id: string; currency: string },
  amount: number,
  reason: string,
): Promise<void> {
  if (amount <= 0) return;

  await work.db
    .updateTable('orders')
    .set((eb) => ({ refunded: eb('refunded', '+', amount), updated_at: work.nowIso }))
    .where('id', '=', order.id)
    .execute();
  const refund = await insertRefund(work, order, amount, reason);
  work.emit({
    type: 'refund.requested',
    orderId: order.id,
    data: { refund_id: refund.id, amount, currency: order.currency, reason, due_by: refund.dueBy },
  });
}

/**
 * Cancels `quantity` kits of a kit line: the units of each component line
 * that go into them (backordered first, then allocated, as for any line),
 * then the kits themselves, refunded at the kit price when paid up front.
 * Returns the amount refunded.
 */
async function cancelKits(
  work: Work,
  capture: CaptureMode,
  kit: CancellableLine,
  components: CancellableLine[],
  quantity: number,
  reason: string,
): Promise<number> {
  const open = kit.quantity - kit.shipped - kit.cancelled;
  if (quantity > open) throw invalidState(`Kit line ${kit.id} has ${open} kits not yet shipped or cancelled, fewer than ${quantity}.`);

  for (const component of components) {
    await cancelLineUnits(work, capture, component, quantity * perKitOf(kit, component), reason);
  }

  const amount = refundForCancellation(capture, quantity, kit.unit_price);
  const paid = capture === 'upfront' ? quantity : 0;
  kit.allocated -= quantity;
  kit.cancelled += quantity;
  kit.status = kitLineStatus(kit, components);
  await work.db
    .updateTable('order_lines')
    .set((eb) => ({
      allocated: kit.allocated,
      cancelled: kit.cancelled,
      status: kit.status,
      refunded_units: eb('refunded_units', '+', paid),
      refunded: eb('refunded', '+', amount),
    }))
    .where('id', '=', kit.id)
    .execute();
  kit.refunded_units += paid;

  work.emit({ type: 'line.cancelled', orderId: kit.order_id, lineId: kit.id, sku: kit.sku, data: { quantity, kit: true, reason } });
  return amount;
}

function cancellationRequests(
  orderId: string,
  lines: (CancellableLine & { kit_line_id: string | null })[],
  input: CancellationInput,
): { line: CancellableLine; quantity: number }[] {
  if (!input.lines) {
    // Component lines are cancelled with their kit line.
    const open = lines.filter((line) => line.backordered + line.allocated > 0 && line.kit_line_id === null);
    if (open.length === 0) throw invalidState(`Order ${orderId} has no unshipped units left to cancel.`);
    return open.map((line) => ({ line, quantity: line.backordered + line.allocated }));
  }

  return input.lines.map((request) => {
    const line = lines.find((l) => l.id === request.lineId);
    if (!line) throw notFound(`Line ${request.lineId} is not on order ${orderId}.`);
    if (line.kit_line_id !== null) {
      throw invalidState(`Line ${line.id} is a component of kit line ${line.kit_line_id}; ship or cancel the kit line, in whole kits.`);
    }
    return { line, quantity: request.quantity };
  });
}

async function releaseLineAllocations(work: Work, line: CancellableLine, quantity: number): Promise<void> {
  const rows = await work.db
    .selectFrom('line_allocations')
    .select(['line_id', 'location', 'quantity', 'placed_at', 'allocated_at'])
    .where('line_id', '=', line.id)
    .where('quantity', '>', 0)
    .execute();
  const allocations: LineAllocation[] = rows.map((row) => ({
    lineId: row.line_id,
    location: row.location,
    quantity: row.quantity,
    placedAt: row.placed_at,
    allocatedAt: row.allocated_at,
  }));

  for (const release of pickReleases(allocations, quantity)) {
    await releaseAllocation(work, line, release.location, release.quantity, 'cancellation');
  }
}
