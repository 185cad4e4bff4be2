import type { Insertable, Selectable } from 'kysely';
import { kitLineStatus, perKitOf } from '../domain/kits.js';
import { amountFor } from '../domain/money.js';
import { isReleased } from '../domain/policy.js';
import { insertRows, padInList, updateByKey, type BulkColumn, type BulkUpdate } from '../store/bulk.js';
import { loadLocations, lockSkus, type LockedSku } from '../store/rows.js';
import type { LocationTable, OrderTable, ShipmentLineTable, ShipmentTable } from '../store/schema.js';
import type { MovementInput, Work } from '../store/store.js';
import { LINE_COLUMNS, refreshLoadedOrders, saveLinesCounts, type LineRow } from './allocate.js';
import { invalidState, notFound } from './errors.js';

export interface ShipmentInput {
  /** The location the parcel leaves from; by default the one holding the lines' allocations. */
  location?: string;
  lines: { lineId: string; quantity: number }[];
  carrier?: string | null;
  trackingNumber?: string | null;
}

/** A shipment of one order, as `shipOrders` takes it. */
export interface ShipmentRequest extends ShipmentInput {
  orderId: string;
}

/**
 * Ships allocated units of one order from one location, as `shipOrders`
 * does for a list of one. Returns the shipment id.
 */
export async function shipOrder(work: Work, orderId: string, input: ShipmentInput): Promise<string> {
  const [shipmentId] = await shipOrders(work, [{ ...input, orderId }]);
  return shipmentId!;
}

/**
 * Ships allocated units from one location per shipment: on hand and
 * allocated fall together. Only allocated units ship; a `ship_complete`
 * order ships whole; a preorder ships only from its release date in the
 * location's time zone. Orders paid on shipment are captured here. Kits ship
 * whole: shipping kits of a kit line ships the units of its component lines
 * that go into them, all from the one location, and naming a component line
 * is `invalid_state`.
 *
 * Shipments are checked and applied in the given order, so a later shipment
 * of the same order is checked against what an earlier one shipped. The
 * effects equal shipping them one by one, but the reads and writes are a
 * few set-based statements for the whole list. The first shipment that fails a check
 * throws, and the caller's transaction rolls back the whole list. Returns
 * the shipment ids in request order.
 */
export async function shipOrders(work: Work, requests: readonly ShipmentRequest[]): Promise<string[]> {
  if (requests.length === 0) return [];

  const state = await loadShippingState(work, requests.map((request) => request.orderId));
  const locations = await loadLocations(work);
  const writes: ShipmentWrites = {
    shipments: [],
    allocations: new Map(),
    movements: [],
    rows: [],
    lines: new Map(),
    captured: new Map(),
    orderCaptured: new Map(),
    kits: [],
  };

  const shipmentIds = requests.map((request) => planShipment(work, request, state, locations, writes));
  await writeShipments(work, writes);
  // Every line of the orders was read above and its changes kept in memory.
  await refreshLoadedOrders(work, [...state.orders.values()], state.lines);
  return shipmentIds;
}

type ShippingLine = LineRow & { unit_price: number; kit_line_id: string | null };

/** The rows `shipOrders` reads once for all its orders, changed in memory as each shipment is planned. */
interface ShippingState {
  orders: Map<string, Selectable<OrderTable>>;
  skus: Map<string, LockedSku>;
  lines: ShippingLine[];
  linesByOrder: Map<string, ShippingLine[]>;
  /** Open allocations by line id; each shipment lowers the quantity it ships. */
  allocations: Map<string, { line_id: string; location: string; quantity: number }[]>;
}

/**
 * Reads the orders, locks the SKUs of their lines, then reads the lines and
 * their allocations, a few hundred orders or lines per statement.
 */
async function loadShippingState(work: Work, orderIds: readonly string[]): Promise<ShippingState> {
  const ids = [...new Set(orderIds)];
  const state: ShippingState = { orders: new Map(), skus: new Map(), lines: [], linesByOrder: new Map(), allocations: new Map() };

  const skuCodes = new Set<string>();
  for (const chunk of chunks(ids)) {
    const orders = await work.db.selectFrom('orders').selectAll().where('id', 'in', padInList(chunk)).execute();
    for (const order of orders) state.orders.set(order.id, order);
    const skuRows = await work.db.selectFrom('order_lines').select('sku').distinct().where('order_id', 'in', padInList(chunk)).execute();
    for (const row of skuRows) skuCodes.add(row.sku);
  }
  state.skus = await lockSkus(work, skuCodes);

  for (const chunk of chunks(ids)) {
    const lines = await work.db
      .selectFrom('order_lines')
      .select([...LINE_COLUMNS, 'unit_price', 'kit_line_id'])
      .where('order_id', 'in', padInList(chunk))
      .orderBy('order_id')
      .orderBy('position')
      .execute();
    for (const line of lines) {
      state.lines.push(line);
      const ofOrder = state.linesByOrder.get(line.order_id);
      if (ofOrder) ofOrder.push(line);
      else state.linesByOrder.set(line.order_id, [line]);
    }
  }

  // Looked up by primary key: line_allocations has no index on order_id, and
  // a `quantity > 0` condition lets SQLite scan every open allocation instead.
  // Only a line with units allocated has an allocation of more than 0 units.
  const holding = state.lines.filter((line) => line.allocated > 0);
  for (const chunk of chunks(holding.map((line) => line.id))) {
    const rows = await work.db
      .selectFrom('line_allocations')
      .select(['line_id', 'location', 'quantity'])
      .where('line_id', 'in', padInList(chunk))
      .execute();
    for (const row of rows) {
      if (row.quantity <= 0) continue;
      const ofLine = state.allocations.get(row.line_id);
      if (ofLine) ofLine.push(row);
      else state.allocations.set(row.line_id, [row]);
    }
  }
  return state;
}

const READ_CHUNK = 500;

function chunks<T>(values: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < values.length; start += READ_CHUNK) result.push(values.slice(start, start + READ_CHUNK));
  return result;
}

/**
 * Checks one shipment against the state left by the shipments before it,
 * changes that state, and adds its writes. Returns the new shipment id.
 */
function planShipment(
  work: Work,
  input: ShipmentRequest,
  state: ShippingState,
  locations: Map<string, LocationTable>,
  writes: ShipmentWrites,
): string {
  const { orderId } = input;
  const order = state.orders.get(orderId);
  if (!order) throw notFound(`Order ${orderId} was not found.`);
  const lines = state.linesByOrder.get(orderId) ?? [];

  const requested: { line: ShippingLine; quantity: number }[] = [];
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
  const open = requests.flatMap((r) => (state.allocations.get(r.line.id) ?? []).filter((a) => a.quantity > 0));
  const location = input.location ?? chooseShippingLocation(orderId, open);

  if (order.ship_policy === 'ship_complete') {
    const kitLineIds = new Set(kits.map((kit) => kit.line.id));
    assertShipsWhole(orderId, lines.filter((line) => !kitLineIds.has(line.id)), requests);
  }

  const locationRow = locations.get(location);
  if (!locationRow) throw notFound(`Location ${location} was not found.`);

  const shipmentId = work.newId('shp');
  writes.shipments.push({
    id: shipmentId,
    order_id: orderId,
    location,
    carrier: input.carrier ?? null,
    tracking_number: input.trackingNumber ?? null,
    created_at: work.nowIso,
  });

  let captured = 0;
  for (const { line, quantity } of requests) {
    const sku = state.skus.get(line.sku)!;
    if (sku.policy === 'preorder' && !isReleased(sku.release_date, work.now, locationRow.time_zone)) {
      throw invalidState(`SKU ${line.sku} is a preorder released on ${sku.release_date}; it cannot ship before then.`);
    }

    const allocation = state.allocations.get(line.id)?.find((a) => a.location === location);
    const held = allocation?.quantity ?? 0;
    if (quantity > held) {
      throw invalidState(`Line ${line.id} has ${held} units allocated at ${location}, fewer than the ${quantity} to ship.`);
    }
    allocation!.quantity -= quantity;

    addAllocationDelta(writes, location, line.id, -quantity);
    writes.movements.push({
      sku: line.sku,
      location,
      kind: 'shipment',
      onHandDelta: -quantity,
      allocatedDelta: -quantity,
      orderId,
      lineId: line.id,
      shipmentId,
    });
    writes.rows.push({ shipment_id: shipmentId, line_id: line.id, sku: line.sku, quantity, unit_price: line.unit_price, returned: 0, refunded_units: 0 });

    line.allocated -= quantity;
    line.shipped += quantity;
    writes.lines.set(line.id, line);
    if (order.capture === 'on_ship') {
      const amount = amountFor(quantity, line.unit_price);
      writes.captured.set(line.id, (writes.captured.get(line.id) ?? 0) + amount);
      captured += amount;
    }

    emitShipped(work, { orderId, line, quantity, location, shipmentId, input, kit: false });
  }

  for (const { line, quantity, components } of kits) {
    line.allocated -= quantity;
    line.shipped += quantity;
    line.status = kitLineStatus(line, components);
    const amount = order.capture === 'on_ship' ? amountFor(quantity, line.unit_price) : 0;
    writes.kits.push({ shipmentId, line, quantity, amount });
    captured += amount;

    emitShipped(work, { orderId, line, quantity, location, shipmentId, input, kit: true });
  }

  if (captured > 0) writes.orderCaptured.set(orderId, (writes.orderCaptured.get(orderId) ?? 0) + captured);
  return shipmentId;
}

/** The writes of a `shipOrders` call, made together once every shipment has passed its checks. */
interface ShipmentWrites {
  shipments: Insertable<ShipmentTable>[];
  /** Change of each line's allocation, keyed by location, then by line id. */
  allocations: Map<string, Map<string, [number]>>;
  movements: MovementInput[];
  rows: Insertable<ShipmentLineTable>[];
  /** Ordinary lines that shipped, keyed by id, with their counts as they are now. */
  lines: Map<string, LineRow>;
  /** Amount captured on shipment per line and per order. */
  captured: Map<string, number>;
  orderCaptured: Map<string, number>;
  kits: { shipmentId: string; line: ShippingLine; quantity: number; amount: number }[];
}

function addAllocationDelta(writes: ShipmentWrites, location: string, lineId: string, delta: number): void {
  let deltas = writes.allocations.get(location);
  if (!deltas) writes.allocations.set(location, (deltas = new Map()));
  const entry = deltas.get(lineId);
  if (entry) entry[0] += delta;
  else deltas.set(lineId, [delta]);
}

/** Allocation deltas of one location, keyed by line id. */
const ALLOCATION_DELTAS: BulkUpdate = {
  table: 'line_allocations',
  key: 'line_id',
  columns: [{ name: 'quantity', type: 'integer', mode: 'add' }],
};

const CAPTURED: BulkColumn[] = [{ name: 'captured', type: 'bigint', mode: 'add' }];

/**
 * Writes the shipments, allocation decrements, stock movements, shipment
 * lines, line counts and captured amounts with a few set-based statements.
 * Every movement is a shipment, which lowers on hand and allocated alike,
 * so the summed change per stock level passes its CHECK exactly when each
 * step would.
 */
async function writeShipments(work: Work, writes: ShipmentWrites): Promise<void> {
  await insertRows(work, 'shipments', writes.shipments);
  for (const [location, deltas] of writes.allocations) {
    await updateByKey(work, { ...ALLOCATION_DELTAS, filters: { location } }, deltas);
  }
  await work.moveStocks(writes.movements);
  await insertRows(work, 'shipment_lines', writes.rows);
  await saveLinesCounts(work, [...writes.lines.values()]);
  await updateByKey(work, { table: 'order_lines', key: 'id', columns: CAPTURED }, amounts(writes.captured));

  for (const { shipmentId, line, quantity, amount } of writes.kits) {
    await work.db
      .insertInto('shipment_lines')
      .values({ shipment_id: shipmentId, line_id: line.id, sku: line.sku, quantity, unit_price: line.unit_price, returned: 0, refunded_units: 0 })
      .execute();
    await work.db
      .updateTable('order_lines')
      .set((eb) => ({ allocated: line.allocated, shipped: line.shipped, status: line.status, captured: eb('captured', '+', amount) }))
      .where('id', '=', line.id)
      .execute();
  }

  await updateByKey(work, { table: 'orders', key: 'id', columns: CAPTURED }, amounts(writes.orderCaptured));
}

function amounts(byKey: Map<string, number>): Map<string, [number]> {
  const rows = new Map<string, [number]>();
  for (const [key, amount] of byKey) if (amount !== 0) rows.set(key, [amount]);
  return rows;
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

function chooseShippingLocation(orderId: string, open: { location: string }[]): string {
  const places = new Set(open.map((a) => a.location));
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
