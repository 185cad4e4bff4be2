import { ensureLevel, loadLocations, locationRules, lockSkus } from '../store/rows.js';
import type { Work } from '../store/store.js';
import { noteChanged } from './promises.js';
import { serveQueueAt, type AllocationResult } from './allocate.js';
import { invalidState, notFound } from './errors.js';
import { assertHoldsStock } from './kits.js';

export interface PurchaseOrderInput {
  reference: string;
  location?: string;
  expectedDate: string;
  lines: { sku: string; quantity: number }[];
}

/** Creates an open purchase order: inbound supply with an expected date. */
export async function createPurchaseOrder(work: Work, input: PurchaseOrderInput): Promise<string> {
  const location = input.location ?? 'main';
  if (!(await loadLocations(work)).has(location)) throw notFound(`Location ${location} was not found.`);

  const skus = await lockSkus(work, input.lines.map((line) => line.sku));
  const missing = input.lines.find((line) => !skus.has(line.sku));
  if (missing) throw notFound(`SKU ${missing.sku} was not found; create it before ordering it from a supplier.`);
  for (const row of skus.values()) assertHoldsStock(row, 'purchase orders');

  for (const sku of skus.keys()) noteChanged(work, sku);
  const id = work.newId('po');
  await work.db
    .insertInto('purchase_orders')
    .values({
      id,
      reference: input.reference,
      location,
      expected_date: input.expectedDate,
      status: 'open',
      created_at: work.nowIso,
      updated_at: work.nowIso,
    })
    .execute();
  await work.db
    .insertInto('purchase_order_lines')
    .values(
      input.lines.map((line, position) => ({
        id: work.newId('pol'),
        purchase_order_id: id,
        position,
        sku: line.sku,
        quantity: line.quantity,
        received: 0,
        open: 1,
      })),
    )
    .execute();

  work.emit({
    type: 'purchase_order.created',
    data: { id, reference: input.reference, location, expected_date: input.expectedDate, lines: input.lines },
  });
  return id;
}

async function lockPurchaseOrder(work: Work, id: string) {
  let query = work.db.selectFrom('purchase_orders').selectAll().where('id', '=', id);
  if (work.postgres) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(`Purchase order ${id} was not found.`);
  return row;
}

/** Moves a purchase order's expected date. Closed and fully received orders keep theirs. */
export async function redatePurchaseOrder(work: Work, id: string, expectedDate: string): Promise<void> {
  const po = await lockPurchaseOrder(work, id);
  if (po.status === 'closed' || po.status === 'received') {
    throw invalidState(`Purchase order ${id} is ${po.status}; only open orders can be re-dated.`);
  }
  if (po.expected_date === expectedDate) return;
  await lockPurchaseOrderSkus(work, id);

  await work.db
    .updateTable('purchase_orders')
    .set({ expected_date: expectedDate, updated_at: work.nowIso })
    .where('id', '=', id)
    .execute();
  work.emit({ type: 'purchase_order.updated', data: { id, expected_date: expectedDate, previous_expected_date: po.expected_date } });
}

/** Closes a purchase order: no more units will come, so it no longer counts as inbound. */
export async function closePurchaseOrder(work: Work, id: string): Promise<void> {
  const po = await lockPurchaseOrder(work, id);
  if (po.status === 'closed') throw invalidState(`Purchase order ${id} is already closed.`);
  await lockPurchaseOrderSkus(work, id);

  await work.db.updateTable('purchase_orders').set({ status: 'closed', updated_at: work.nowIso }).where('id', '=', id).execute();
  await work.db.updateTable('purchase_order_lines').set({ open: 0 }).where('purchase_order_id', '=', id).execute();
  work.emit({ type: 'purchase_order.closed', data: { id, previous_status: po.status } });
}

/** Locks the SKUs on a purchase order and marks them for re-promising, since their supply changes. */
async function lockPurchaseOrderSkus(work: Work, id: string): Promise<void> {
  const lines = await work.db.selectFrom('purchase_order_lines').select('sku').where('purchase_order_id', '=', id).execute();
  const skus = await lockSkus(work, lines.map((line) => line.sku));
  for (const sku of skus.keys()) noteChanged(work, sku);
}

export interface ReceiptResult {
  receiptId: string;
  allocations: AllocationResult[];
}

/**
 * Receives units against a purchase order: on hand rises at its location,
 * then each SKU's queue is served oldest first, and only the rest becomes
 * available. Receiving more than ordered is allowed and recorded; a SKU that
 * is not on the purchase order is rejected.
 */
export async function receive(
  work: Work,
  purchaseOrderId: string,
  lines: { sku: string; quantity: number }[],
): Promise<ReceiptResult> {
  const po = await lockPurchaseOrder(work, purchaseOrderId);
  if (po.status === 'closed') throw invalidState(`Purchase order ${purchaseOrderId} is closed; reopen is not possible, create a new one.`);

  const poLines = await work.db
    .selectFrom('purchase_order_lines')
    .selectAll()
    .where('purchase_order_id', '=', purchaseOrderId)
    .orderBy('position')
    .execute();
  const unknown = lines.find((line) => !poLines.some((p) => p.sku === line.sku));
  if (unknown) throw invalidState(`SKU ${unknown.sku} is not on purchase order ${purchaseOrderId}.`);

  const skus = await lockSkus(work, lines.map((line) => line.sku));
  for (const row of skus.values()) assertHoldsStock(row, 'receipts');
  const location = locationRules((await loadLocations(work)).get(po.location)!);
  const receiptId = work.newId('rcpt');
  await work.db
    .insertInto('receipts')
    .values({ id: receiptId, purchase_order_id: purchaseOrderId, location: po.location, created_at: work.nowIso })
    .execute();

  const allocations: AllocationResult[] = [];
  for (const [position, line] of lines.entries()) {
    const poLine = matchPurchaseOrderLine(poLines, line.sku);
    poLine.received += line.quantity;
    await work.db.updateTable('purchase_order_lines').set({ received: poLine.received }).where('id', '=', poLine.id).execute();
    await work.db
      .insertInto('receipt_lines')
      .values({ receipt_id: receiptId, position, purchase_order_line_id: poLine.id, sku: line.sku, quantity: line.quantity })
      .execute();

    await ensureLevel(work, line.sku, po.location);
    await work.moveStock({
      sku: line.sku,
      location: po.location,
      kind: 'receipt',
      onHandDelta: line.quantity,
      allocatedDelta: 0,
      purchaseOrderId,
      receiptId,
    });
    allocations.push(...(await serveQueueAt(work, line.sku, location, line.quantity, 'receipt')));
  }

  const fullyReceived = poLines.every((p) => p.received >= p.quantity);
  const status = fullyReceived ? 'received' : 'partially_received';
  await work.db.updateTable('purchase_orders').set({ status, updated_at: work.nowIso }).where('id', '=', purchaseOrderId).execute();
  if (fullyReceived) await work.db.updateTable('purchase_order_lines').set({ open: 0 }).where('purchase_order_id', '=', purchaseOrderId).execute();

  work.emit({
    type: 'purchase_order.received',
    data: { id: purchaseOrderId, receipt_id: receiptId, location: po.location, status, lines, allocated: allocations },
  });
  return { receiptId, allocations };
}

/** The first line of the SKU still short of its quantity, else the SKU's last line (an over-receipt). */
function matchPurchaseOrderLine<T extends { sku: string; quantity: number; received: number }>(lines: T[], sku: string): T {
  const ofSku = lines.filter((line) => line.sku === sku);
  return ofSku.find((line) => line.received < line.quantity) ?? ofSku[ofSku.length - 1]!;
}
