import { compareText } from '../domain/allocation.js';
import { amountFor } from '../domain/money.js';
import { loadLocations, locationRules, lockSkus } from '../store/rows.js';
import type { Work } from '../store/store.js';
import { serveQueueAt } from './allocate.js';
import { requestRefund } from './cancel-order.js';
import { invalidState, notFound } from './errors.js';
import { assertNotKitLine } from './kits.js';

export interface ReturnInput {
  lines: { lineId: string; quantity: number }[];
  /** Put the units back on hand at the location they shipped from. */
  restock: boolean;
  /** Refund the units at the price they were paid at. */
  refund: boolean;
  reason?: string | null;
}

/** The units of one shipment line that came back. */
export interface ReturnedUnits {
  lineId: string;
  shipmentId: string;
  location: string;
  quantity: number;
  refundAmount: number;
}

export interface ReturnResult {
  returnId: string;
  lines: ReturnedUnits[];
  refund: { amount: number; currency: string };
}

interface ShippedUnits {
  shipmentId: string;
  lineId: string;
  sku: string;
  location: string;
  unitPrice: number;
  /** Units of this shipment line not yet returned. */
  open: number;
}

/**
 * Takes shipped units of an order back. Each line's units come from its
 * shipments, the most recent first. A unit is returned once, so a line can
 * return at most its shipped − returned units (`invalid_state` otherwise).
 *
 * With `restock`, the units go back on hand at the location they shipped
 * from, as `return` stock movements, and serve that location's backorder
 * queue before they become available, as a receipt does. With `refund`, each
 * unit is refunded at the price it shipped at. Returned units still count
 * as shipped, so the line and order statuses stay, and a later cancellation,
 * which takes only unshipped units, neither restocks nor refunds them again.
 *
 * Writes a `line.returned` event per shipment line and one
 * `refund.requested` for the whole return.
 */
export async function returnOrder(work: Work, orderId: string, input: ReturnInput): Promise<ReturnResult> {
  const order = await work.db.selectFrom('orders').select(['id', 'currency']).where('id', '=', orderId).executeTakeFirst();
  if (!order) throw notFound(`Order ${orderId} was not found.`);

  const skuRows = await work.db.selectFrom('order_lines').select('sku').where('order_id', '=', orderId).execute();
  await lockSkus(work, skuRows.map((row) => row.sku));
  const lines = await work.db
    .selectFrom('order_lines')
    .select(['id', 'sku', 'shipped', 'returned'])
    .where('order_id', '=', orderId)
    .execute();

  const requested = requestedUnits(orderId, lines, input.lines);
  for (const lineId of requested.keys()) await assertNotKitLine(work, lineId, 'Returns');
  const shipped = await readShippedUnits(work, [...requested.keys()]);
  const picks: ReturnedUnits[] = [];
  for (const [lineId, quantity] of requested) picks.push(...pickShipments(lineId, quantity, shipped, input.refund));

  const returnId = work.newId('ret');
  const refund = picks.reduce((sum, pick) => sum + pick.refundAmount, 0);
  await work.db
    .insertInto('returns')
    .values({
      id: returnId,
      order_id: orderId,
      restock: input.restock ? 1 : 0,
      refund: input.refund ? 1 : 0,
      refund_amount: refund,
      reason: input.reason ?? null,
      created_at: work.nowIso,
    })
    .execute();

  for (const pick of picks) {
    const sku = lines.find((line) => line.id === pick.lineId)!.sku;
    await recordReturnedUnits(work, orderId, returnId, sku, pick, input);
  }
  for (const [lineId, quantity] of requested) {
    const lineRefund = picks.filter((pick) => pick.lineId === lineId).reduce((sum, pick) => sum + pick.refundAmount, 0);
    await work.db
      .updateTable('order_lines')
      .set((eb) => ({
        returned: eb('returned', '+', quantity),
        refunded_units: eb('refunded_units', '+', input.refund ? quantity : 0),
        refunded: eb('refunded', '+', lineRefund),
      }))
      .where('id', '=', lineId)
      .execute();
  }

  await requestRefund(work, order, refund, input.reason ?? 'return');
  if (input.restock) await serveRestockedUnits(work, picks, lines);
  return { returnId, lines: picks, refund: { amount: refund, currency: order.currency } };
}

/** Sums the requested units per line, keeping the request order, and checks each against what can come back. */
function requestedUnits(
  orderId: string,
  lines: { id: string; shipped: number; returned: number }[],
  requests: ReturnInput['lines'],
): Map<string, number> {
  const requested = new Map<string, number>();
  for (const request of requests) {
    if (!lines.some((line) => line.id === request.lineId)) throw notFound(`Line ${request.lineId} is not on order ${orderId}.`);
    requested.set(request.lineId, (requested.get(request.lineId) ?? 0) + request.quantity);
  }

  for (const [lineId, quantity] of requested) {
    const line = lines.find((l) => l.id === lineId)!;
    const returnable = line.shipped - line.returned;
    if (quantity > returnable) {
      throw invalidState(
        `Line ${lineId} has ${returnable} shipped units not yet returned (${line.shipped} shipped, ${line.returned} returned), fewer than the ${quantity} to return.`,
      );
    }
  }
  return requested;
}

/** Reads the lines' shipment lines with units not yet returned, the most recent shipment first. */
async function readShippedUnits(work: Work, lineIds: string[]): Promise<ShippedUnits[]> {
  const rows = await work.db
    .selectFrom('shipment_lines')
    .innerJoin('shipments', 'shipments.id', 'shipment_lines.shipment_id')
    .select([
      'shipment_lines.shipment_id', 'shipment_lines.line_id', 'shipment_lines.sku', 'shipments.location',
      'shipment_lines.unit_price', 'shipment_lines.quantity', 'shipment_lines.returned',
    ])
    .where('shipment_lines.line_id', 'in', lineIds)
    .whereRef('shipment_lines.returned', '<', 'shipment_lines.quantity')
    .orderBy('shipments.created_at', 'desc')
    .orderBy('shipments.id', 'desc')
    .execute();
  return rows.map((row) => ({
    shipmentId: row.shipment_id,
    lineId: row.line_id,
    sku: row.sku,
    location: row.location,
    unitPrice: row.unit_price,
    open: row.quantity - row.returned,
  }));
}

function pickShipments(lineId: string, quantity: number, shipped: ShippedUnits[], refund: boolean): ReturnedUnits[] {
  const picks: ReturnedUnits[] = [];
  let needed = quantity;
  for (const units of shipped) {
    if (needed === 0) break;
    if (units.lineId !== lineId) continue;

    const take = Math.min(needed, units.open);
    const refundAmount = refund ? amountFor(take, units.unitPrice) : 0;
    picks.push({ lineId, shipmentId: units.shipmentId, location: units.location, quantity: take, refundAmount });
    needed -= take;
  }
  if (needed > 0) throw new Error(`Shipments of line ${lineId} hold ${quantity - needed} unreturned units, fewer than its counts say.`);
  return picks;
}

async function recordReturnedUnits(
  work: Work,
  orderId: string,
  returnId: string,
  sku: string,
  pick: ReturnedUnits,
  input: ReturnInput,
): Promise<void> {
  await work.db
    .updateTable('shipment_lines')
    .set((eb) => ({
      returned: eb('returned', '+', pick.quantity),
      refunded_units: eb('refunded_units', '+', input.refund ? pick.quantity : 0),
    }))
    .where('shipment_id', '=', pick.shipmentId)
    .where('line_id', '=', pick.lineId)
    .execute();
  await work.db
    .insertInto('return_lines')
    .values({
      return_id: returnId,
      shipment_id: pick.shipmentId,
      line_id: pick.lineId,
      sku,
      location: pick.location,
      quantity: pick.quantity,
      refund_amount: pick.refundAmount,
    })
    .execute();

  if (input.restock) {
    await work.moveStock({
      sku,
      location: pick.location,
      kind: 'return',
      onHandDelta: pick.quantity,
      allocatedDelta: 0,
      orderId,
      lineId: pick.lineId,
      shipmentId: pick.shipmentId,
      returnId,
      reason: input.reason ?? null,
    });
  }

  work.emit({
    type: 'line.returned',
    orderId,
    lineId: pick.lineId,
    sku,
    data: {
      quantity: pick.quantity,
      return_id: returnId,
      shipment_id: pick.shipmentId,
      location: pick.location,
      restock: input.restock,
      refund_amount: pick.refundAmount,
    },
  });
}

/** Serves each SKU's queue at each location with the units restocked there, as a receipt does. */
async function serveRestockedUnits(work: Work, picks: ReturnedUnits[], lines: { id: string; sku: string }[]): Promise<void> {
  const restocked = new Map<string, { sku: string; location: string; quantity: number }>();
  for (const pick of picks) {
    const sku = lines.find((line) => line.id === pick.lineId)!.sku;
    const key = `${sku}\u0000${pick.location}`;
    const entry = restocked.get(key) ?? { sku, location: pick.location, quantity: 0 };
    entry.quantity += pick.quantity;
    restocked.set(key, entry);
  }

  const locations = await loadLocations(work);
  const ordered = [...restocked.values()].sort((a, b) => compareText(a.sku, b.sku) || compareText(a.location, b.location));
  for (const { sku, location, quantity } of ordered) {
    await serveQueueAt(work, sku, locationRules(locations.get(location)!), quantity, 'return');
  }
}
