import { amountFor } from '../domain/money.js';
import { isReleased } from '../domain/policy.js';
import { loadLocations, lockSkus } from '../store/rows.js';
import type { Work } from '../store/store.js';
import type { Insertable } from 'kysely';
import { insertRows, padInList, updateByKey, type BulkUpdate, type BulkValue } from '../store/bulk.js';
import type { ShipmentLineTable } from '../store/schema.js';
import type { MovementInput } from '../store/store.js';
import { LINE_COLUMNS, refreshLoadedOrders, saveLinesCounts, type LineRow } from './allocate.js';
import { invalidState, notFound } from './errors.js';
import { kitLineStatus, perKitOf } from '../domain/kits.js';

export interface ShipmentInput {
  /** The location the parcel leaves from; by default the one holding the lines' allocations. */
  location?: string;
  lines: { lineId: string; quantity: number }[];
  carrier?: string | null;
  trackingNumber?: string | null;
}

/**
 * Ships allocated units from one location: on hand and allocated fall
 * together. Only allocated units ship; a `ship_complete` order ships whole;
 * a preorder ships only from its release date in the location's time zone.
 * Orders paid on shipment are captured here. Kits ship whole: shipping kits
 * of a kit line ships the units of its component lines that go into them,
 * all from the one location, and naming a component line is `invalid_state`.
 */
export async function shipOrder(work: Work, orderId: string, input: ShipmentInput): Promise<string> {
  const order = await work.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
  if (!order) throw notFound(`Order ${orderId} was not found.`);

  const skuRows = await work.db.selectFrom('order_lines').select('sku').where('order_id', '=', orderId).execute();
  const skus = await lockSkus(work, skuRows.map((row) => row.sku));
  const lines = await work.db
    .selectFrom('order_lines')
    .select([...LINE_COLUMNS, 'unit_price', 'kit_line_id'])
    .where('order_id', '=', orderId)
    .execute();
  // Looked up by primary key: line_allocations has no index on order_id, and
  // a `quantity > 0` condition lets SQLite scan every open allocation instead.
  const allocations = (
    await work.db
      .selectFrom('line_allocations')
      .select(['line_id', 'location', 'quantity'])
      .where('line_id', 'in', padInList(lines.map((line) => line.id)))
      .execute()
  ).filter((allocation) => allocation.quantity > 0);

  const requested: { line: (typeof lines)[number]; quantity: number }[] = [];
  for (const request of input.lines) {
    const line = lines.find((l) => l.id === request.lineId);
    if (!line) throw notFound(`Line ${request.lineId} is not on order ${orderId}.`);
    if (line.kit_line_id !== null) {
      throw invalidState(`Line ${line.id} is a component of kit line ${line.kit_line_id}; ship or cancel the kit line, in whole kits.`);
    }
    // A line listed twice ships the sum of its entries, checked against its allocation as one.
    const same = requested.find((r) => r.line === line);
    if (same) same.quantity += request.quantity;
    else requested.push({ line, quantity: request.quantity });
  }
  const { requests, kits } = expandKitShipments(lines, requested);
  const location = input.location ?? chooseShippingLocation(orderId, requests.map((r) => r.line.id), allocations);

  if (order.ship_policy === 'ship_complete') {
    const kitLineIds = new Set(kits.map((kit) => kit.line.id));
    assertShipsWhole(orderId, lines.filter((line) => !kitLineIds.has(line.id)), requests);
  }

  const locationRow = (await loadLocations(work)).get(location);
  if (!locationRow) throw notFound(`Location ${location} was not found.`);

  const shipmentId = work.newId('shp');
  await work.db
    .insertInto('shipments')
    .values({
      id: shipmentId,
      order_id: orderId,
      location,
      carrier: input.carrier ?? null,
      tracking_number: input.trackingNumber ?? null,
      created_at: work.nowIso,
    })
    .execute();

  let captured = 0;
  const shipped: ShippedLines = { lines: [], allocations: new Map(), movements: [], rows: [] };
  for (const { line, quantity } of requests) {
    const sku = skus.get(line.sku)!;
    if (sku.policy === 'preorder' && !isReleased(sku.release_date, work.now, locationRow.time_zone)) {
      throw invalidState(`SKU ${line.sku} is a preorder released on ${sku.release_date}; it cannot ship before then.`);
    }

    const held = allocations.find((a) => a.line_id === line.id && a.location === location)?.quantity ?? 0;
    if (quantity > held) {
      throw invalidState(`Line ${line.id} has ${held} units allocated at ${location}, fewer than the ${quantity} to ship.`);
    }

    const earlier = (shipped.allocations.get(line.id)?.[0] as number | undefined) ?? 0;
    shipped.allocations.set(line.id, [earlier - quantity]);
    shipped.movements.push({
      sku: line.sku,
      location,
      kind: 'shipment',
      onHandDelta: -quantity,
      allocatedDelta: -quantity,
      orderId,
      lineId: line.id,
      shipmentId,
    });
    shipped.rows.push({ shipment_id: shipmentId, line_id: line.id, sku: line.sku, quantity, unit_price: line.unit_price, returned: 0, refunded_units: 0 });

    line.allocated -= quantity;
    line.shipped += quantity;
    shipped.lines.push(line);
    if (order.capture === 'on_ship') {
      const amount = amountFor(quantity, line.unit_price);
      await work.db
        .updateTable('order_lines')
        .set((eb) => ({ captured: eb('captured', '+', amount) }))
        .where('id', '=', line.id)
        .execute();
      captured += amount;
    }

    emitShipped(work, { orderId, line, quantity, location, shipmentId, input, kit: false });
  }

  await writeShippedLines(work, location, shipped);

  for (const { line, quantity, components } of kits) {
    await work.db
      .insertInto('shipment_lines')
      .values({ shipment_id: shipmentId, line_id: line.id, sku: line.sku, quantity, unit_price: line.unit_price, returned: 0, refunded_units: 0 })
      .execute();
    line.allocated -= quantity;
    line.shipped += quantity;
    line.status = kitLineStatus(line, components);
    const amount = order.capture === 'on_ship' ? amountFor(quantity, line.unit_price) : 0;
    await work.db
      .updateTable('order_lines')
      .set((eb) => ({ allocated: line.allocated, shipped: line.shipped, status: line.status, captured: eb('captured', '+', amount) }))
      .where('id', '=', line.id)
      .execute();
    captured += amount;

    emitShipped(work, { orderId, line, quantity, location, shipmentId, input, kit: true });
  }

  if (captured > 0) {
    await work.db
      .updateTable('orders')
      .set((eb) => ({ captured: eb('captured', '+', captured) }))
      .where('id', '=', orderId)
      .execute();
  }
  // Every line of the order was read above and its changes kept in memory.
  await refreshLoadedOrders(work, [order], lines);
  return shipmentId;
}

/** The writes of a shipment's ordinary lines, made together once every line has passed its checks. */
interface ShippedLines {
  lines: LineRow[];
  /** Change of each line's allocation at the shipping location, keyed by line id. */
  allocations: Map<string, BulkValue[]>;
  movements: MovementInput[];
  rows: Insertable<ShipmentLineTable>[];
}

/** Allocation deltas of one location, keyed by line id. */
const ALLOCATION_DELTAS: BulkUpdate = {
  table: 'line_allocations',
  key: 'line_id',
  columns: [{ name: 'quantity', type: 'integer', mode: 'add' }],
};

/**
 * Writes a shipment's allocation decrements, stock movements, shipment lines
 * and line counts with a few set-based statements. Every movement is a
 * shipment, which lowers on hand and allocated alike, so the summed change
 * per stock level passes its CHECK exactly when each step would.
 */
async function writeShippedLines(work: Work, location: string, shipped: ShippedLines): Promise<void> {
  if (shipped.lines.length === 0) return;

  await updateByKey(work, { ...ALLOCATION_DELTAS, filters: { location } }, shipped.allocations);
  await work.moveStocks(shipped.movements);
  await insertRows(work, 'shipment_lines', shipped.rows);
  await saveLinesCounts(work, shipped.lines);
}

/**
 * Splits shipment requests into the units that move stock (ordinary lines,
 * and for each kit line the units of its component lines that its kits
 * take) and the kit lines themselves, which carry the price. Rejects more
 * kits than a kit line has open.
 *
 * NOTE: components are allocated one by one, possibly at different
 * locations, and a shipment leaves from one; such a kit cannot ship.
 */
function expandKitShipments<T extends { id: string; kit_line_id: string | null; quantity: number; shipped: number; cancelled: number }>(
  lines: T[],
  requested: { line: T; quantity: number }[],
): { requests: { line: T; quantity: number }[]; kits: { line: T; quantity: number; components: T[] }[] } {
  const requests: { line: T; quantity: number }[] = [];
  const kits: { line: T; quantity: number; components: T[] }[] = [];

  for (const request of requested) {
    const components = lines.filter((line) => line.kit_line_id === request.line.id);
    if (components.length === 0) {
      requests.push(request);
      continue;
    }

    const kit = request.line;
    const open = kit.quantity - kit.shipped - kit.cancelled;
    if (request.quantity > open) {
      throw invalidState(`Kit line ${kit.id} has ${open} kits not yet shipped or cancelled, fewer than the ${request.quantity} to ship.`);
    }
    for (const component of components) requests.push({ line: component, quantity: request.quantity * perKitOf(kit, component) });
    kits.push({ line: kit, quantity: request.quantity, components });
  }
  return { requests, kits };
}

function chooseShippingLocation(
  orderId: string,
  lineIds: string[],
  allocations: { line_id: string; location: string }[],
): string {
  const places = new Set(allocations.filter((a) => lineIds.includes(a.line_id)).map((a) => a.location));
  if (places.size === 1) return [...places][0]!;
  if (places.size === 0) throw invalidState(`Order ${orderId} has no allocated units on those lines to ship.`);
  throw invalidState(
    `Order ${orderId} has those units allocated at ${[...places].sort().join(', ')}; name the location the parcel leaves from.`,
  );
}

function assertShipsWhole(
  orderId: string,
  lines: { id: string; allocated: number; backordered: number }[],
  requests: { line: { id: string }; quantity: number }[],
): void {
  const waiting = lines.filter((line) => line.backordered > 0);
  if (waiting.length > 0) {
    throw invalidState(`Order ${orderId} ships complete and ${waiting.length} of its lines still wait for stock.`);
  }
  for (const line of lines) {
    const shipping = requests.filter((r) => r.line.id === line.id).reduce((sum, r) => sum + r.quantity, 0);
    if (shipping !== line.allocated) {
      throw invalidState(`Order ${orderId} ships complete: line ${line.id} must ship all ${line.allocated} allocated units.`);
    }
  }
}

function emitShipped(
  work: Work,
  shipped: { orderId: string; line: { id: string; sku: string }; quantity: number; location: string; shipmentId: string; input: ShipmentInput; kit: boolean },
): void {
  const { orderId, line, quantity, location, shipmentId, input, kit } = shipped;
  work.emit({
    type: 'line.shipped',
    orderId,
    lineId: line.id,
    sku: line.sku,
    data: {
      quantity,
      ...(kit ? { kit: true } : {}),
      location,
      shipment_id: shipmentId,
      carrier: input.carrier ?? null,
      tracking_number: input.trackingNumber ?? null,
    },
  });
}
