import type { Insertable, Selectable } from 'kysely';
import { insertRows, padInList, updateByKey, type BulkUpdate } from '../store/bulk.js';
import { loadLocations, locationRules, lockSkus } from '../store/rows.js';
import type { PurchaseOrderLineTable, PurchaseOrderTable, ReceiptLineTable, StockLevelTable } from '../store/schema.js';
import type { MovementInput, Work } from '../store/store.js';
import { noteChanged } from './promises.js';
import { refreshOrders, serveQueueAt, type AllocationResult } from './allocate.js';
import { invalidState, notFound } from './errors.js';
import { assertHoldsStock } from './kits.js';

export interface PurchaseOrderInput {
  reference: string;
  location?: string;
  expectedDate: string;
  lines: { sku: string; quantity: number }[];
}

/** Creates an open purchase order, as `createPurchaseOrders` does for a list of one. Returns its id. */
export async function createPurchaseOrder(work: Work, input: PurchaseOrderInput): Promise<string> {
  const [id] = await createPurchaseOrders(work, [input]);
  return id!;
}

/**
 * Creates open purchase orders: inbound supply with an expected date. Every
 * input is checked before any is written, in the given order, and the first
 * that fails throws. The orders and their lines are written with one
 * multi-row INSERT each. Returns the ids in input order.
 */
export async function createPurchaseOrders(work: Work, inputs: readonly PurchaseOrderInput[]): Promise<string[]> {
  if (inputs.length === 0) return [];
  const locations = await loadLocations(work);
  const skus = await lockSkus(work, inputs.flatMap((input) => input.lines.map((line) => line.sku)));

  for (const input of inputs) {
    const location = input.location ?? 'main';
    if (!locations.has(location)) throw notFound(`Location ${location} was not found.`);
    const missing = input.lines.find((line) => !skus.has(line.sku));
    if (missing) throw notFound(`SKU ${missing.sku} was not found; create it before ordering it from a supplier.`);
    for (const line of input.lines) assertHoldsStock(skus.get(line.sku)!, 'purchase orders');
  }

  const ids: string[] = [];
  const orders: Insertable<PurchaseOrderTable>[] = [];
  const lines: Insertable<PurchaseOrderLineTable>[] = [];
  for (const input of inputs) {
    const id = work.newId('po');
    const location = input.location ?? 'main';
    ids.push(id);
    for (const line of input.lines) noteChanged(work, line.sku);
    orders.push({
      id,
      reference: input.reference,
      location,
      expected_date: input.expectedDate,
      status: 'open',
      created_at: work.nowIso,
      updated_at: work.nowIso,
    });
    input.lines.forEach((line, position) => {
      lines.push({ id: work.newId('pol'), purchase_order_id: id, position, sku: line.sku, quantity: line.quantity, received: 0, open: 1 });
    });
    work.emit({
      type: 'purchase_order.created',
      data: { id, reference: input.reference, location, expected_date: input.expectedDate, lines: input.lines },
    });
  }

  await insertRows(work, 'purchase_orders', orders);
  await insertRows(work, 'purchase_order_lines', lines);
  return ids;
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

/** A receipt against one purchase order, as `receiveAll` takes it. */
export interface ReceiptInput {
  purchaseOrderId: string;
  lines: { sku: string; quantity: number }[];
}

/** Receives units against one purchase order, as `receiveAll` does for a list of one. */
export async function receive(
  work: Work,
  purchaseOrderId: string,
  lines: { sku: string; quantity: number }[],
): Promise<ReceiptResult> {
  const [result] = await receiveAll(work, [{ purchaseOrderId, lines }]);
  return result!;
}

/**
 * Receives units against purchase orders: on hand rises at each order's
 * location, then each SKU's queue is served oldest first with the units of
 * each receipt line in turn, and only the rest becomes available. Receiving
 * more than ordered is allowed and recorded; a SKU that is not on the
 * purchase order is rejected. Every receipt is checked before any is
 * written, in the given order, and the first that fails throws.
 *
 * The effects equal receiving one by one: serving one SKU's queue depends
 * only on the units received of that SKU, so all receipts raise on hand
 * first and the queues are served after. The order statuses that the
 * served lines change are refreshed once for the whole list.
 */
export async function receiveAll(work: Work, receipts: readonly ReceiptInput[]): Promise<ReceiptResult[]> {
  if (receipts.length === 0) return [];
  const state = await loadReceivingState(work, receipts);
  const locations = await loadLocations(work);

  const plans = receipts.map((receipt) => planReceipt(work, receipt, state));
  await writeReceipts(work, plans, state);

  const touchedOrders = new Set<string>();
  const results: ReceiptResult[] = [];
  for (const plan of plans) {
    const location = locationRules(locations.get(plan.po.location)!);
    const allocations: AllocationResult[] = [];
    for (const line of plan.lines) {
      allocations.push(...(await serveQueueAt(work, line.sku, location, line.quantity, 'receipt', touchedOrders)));
    }
    results.push({ receiptId: plan.receiptId, allocations });
  }
  await refreshOrders(work, touchedOrders);

  plans.forEach((plan, index) => {
    work.emit({
      type: 'purchase_order.received',
      data: {
        id: plan.po.id,
        receipt_id: plan.receiptId,
        location: plan.po.location,
        status: plan.status,
        lines: plan.lines,
        // Event data is snake_case like every other payload and the receipt's HTTP response.
        allocated: results[index]!.allocations.map((a) => ({ order_id: a.orderId, line_id: a.lineId, quantity: a.quantity })),
      },
    });
  });
  return results;
}

/** The purchase orders of a `receiveAll` call and their lines, read once and changed in memory receipt by receipt. */
interface ReceivingState {
  orders: Map<string, Selectable<PurchaseOrderTable>>;
  lines: Map<string, Selectable<PurchaseOrderLineTable>[]>;
}

/** One receipt, checked and matched to its purchase order's lines. */
interface ReceiptPlan {
  receiptId: string;
  po: Selectable<PurchaseOrderTable>;
  lines: { sku: string; quantity: number }[];
  /** The purchase order's status after this receipt. */
  status: 'received' | 'partially_received';
  receiptLines: Insertable<ReceiptLineTable>[];
}

/**
 * Locks the purchase orders (in id order, then their SKUs in code order, as
 * every writer of a SKU does) and reads their lines, a few hundred orders
 * per statement.
 */
async function loadReceivingState(work: Work, receipts: readonly ReceiptInput[]): Promise<ReceivingState> {
  const ids = [...new Set(receipts.map((receipt) => receipt.purchaseOrderId))].sort();
  const state: ReceivingState = { orders: new Map(), lines: new Map() };

  for (let start = 0; start < ids.length; start += READ_CHUNK) {
    const chunk = padInList(ids.slice(start, start + READ_CHUNK));
    let query = work.db.selectFrom('purchase_orders').selectAll().where('id', 'in', chunk).orderBy('id');
    if (work.postgres) query = query.forUpdate();
    for (const row of await query.execute()) state.orders.set(row.id, row);

    const lines = await work.db
      .selectFrom('purchase_order_lines')
      .selectAll()
      .where('purchase_order_id', 'in', chunk)
      .orderBy('purchase_order_id')
      .orderBy('position')
      .execute();
    for (const line of lines) {
      const ofOrder = state.lines.get(line.purchase_order_id);
      if (ofOrder) ofOrder.push(line);
      else state.lines.set(line.purchase_order_id, [line]);
    }
  }

  for (const receipt of receipts) {
    const po = state.orders.get(receipt.purchaseOrderId);
    if (!po) throw notFound(`Purchase order ${receipt.purchaseOrderId} was not found.`);
    if (po.status === 'closed') throw invalidState(`Purchase order ${po.id} is closed; reopen is not possible, create a new one.`);
    const poLines = state.lines.get(po.id) ?? [];
    const unknown = receipt.lines.find((line) => !poLines.some((p) => p.sku === line.sku));
    if (unknown) throw invalidState(`SKU ${unknown.sku} is not on purchase order ${po.id}.`);
  }

  const skus = await lockSkus(work, receipts.flatMap((receipt) => receipt.lines.map((line) => line.sku)));
  for (const row of skus.values()) assertHoldsStock(row, 'receipts');
  return state;
}

const READ_CHUNK = 500;

/** Matches a receipt's lines to its purchase order's lines and counts them as received, in memory. */
function planReceipt(work: Work, receipt: ReceiptInput, state: ReceivingState): ReceiptPlan {
  const po = state.orders.get(receipt.purchaseOrderId)!;
  const poLines = state.lines.get(po.id)!;
  const receiptId = work.newId('rcpt');

  const receiptLines = receipt.lines.map((line, position) => {
    const poLine = matchPurchaseOrderLine(poLines, line.sku);
    poLine.received += line.quantity;
    return { receipt_id: receiptId, position, purchase_order_line_id: poLine.id, sku: line.sku, quantity: line.quantity };
  });
  const status = poLines.every((p) => p.received >= p.quantity) ? 'received' : 'partially_received';
  po.status = status;
  return { receiptId, po, lines: receipt.lines, status, receiptLines };
}

const RECEIVED: BulkUpdate = { table: 'purchase_order_lines', key: 'id', columns: [{ name: 'received', type: 'integer', mode: 'set' }] };
const PO_STATUS: BulkUpdate = { table: 'purchase_orders', key: 'id', columns: [{ name: 'status', type: 'text', mode: 'set' }] };

/**
 * Writes the receipts, their lines, the received counts and statuses of the
 * purchase orders, and raises on hand with one receipt movement per line.
 * Receipts only raise on hand, so the summed change per stock level passes
 * its CHECK exactly when each step would.
 */
async function writeReceipts(work: Work, plans: readonly ReceiptPlan[], state: ReceivingState): Promise<void> {
  await insertRows(
    work,
    'receipts',
    plans.map((plan) => ({ id: plan.receiptId, purchase_order_id: plan.po.id, location: plan.po.location, created_at: work.nowIso })),
  );

  const received = new Map<string, [number]>();
  const levels = new Map<string, Insertable<StockLevelTable>>();
  const movements: MovementInput[] = [];
  for (const plan of plans) {
    for (const row of plan.receiptLines) {
      const poLine = state.lines.get(plan.po.id)!.find((line) => line.id === row.purchase_order_line_id)!;
      received.set(poLine.id, [poLine.received]);
      levels.set(`${row.sku}\u0000${plan.po.location}`, { sku: row.sku, location: plan.po.location, on_hand: 0, allocated: 0, updated_at: work.nowIso });
      movements.push({
        sku: row.sku,
        location: plan.po.location,
        kind: 'receipt',
        onHandDelta: row.quantity,
        allocatedDelta: 0,
        purchaseOrderId: plan.po.id,
        receiptId: plan.receiptId,
      });
    }
  }
  await insertRows(work, 'receipt_lines', plans.flatMap((plan) => plan.receiptLines));
  await updateByKey(work, RECEIVED, received);
  // Creates the stock levels that do not exist yet, empty.
  await insertRows(work, 'stock_levels', [...levels.values()], { ignoreConflictOn: ['sku', 'location'] });
  await work.moveStocks(movements);

  const statuses = new Map(plans.map((plan) => [plan.po.id, [plan.po.status]]));
  await updateByKey(work, { ...PO_STATUS, constants: { updated_at: work.nowIso } }, statuses);
  const done = [...statuses].filter(([, [status]]) => status === 'received').map(([id]) => id);
  for (let start = 0; start < done.length; start += READ_CHUNK) {
    await work.db
      .updateTable('purchase_order_lines')
      .set({ open: 0 })
      .where('purchase_order_id', 'in', padInList(done.slice(start, start + READ_CHUNK)))
      .execute();
  }
}

/** The first line of the SKU still short of its quantity, else the SKU's last line (an over-receipt). */
function matchPurchaseOrderLine<T extends { sku: string; quantity: number; received: number }>(lines: T[], sku: string): T {
  const ofSku = lines.filter((line) => line.sku === sku);
  return ofSku.find((line) => line.received < line.quantity) ?? ofSku[ofSku.length - 1]!;
}
