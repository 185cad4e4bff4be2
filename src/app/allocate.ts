import { serveQueue, type QueuedLine } from '../domain/queue.js';
import { isReadyToShip, orderStatusOf, statusOf } from '../domain/order-status.js';
import { kitLineStatus } from '../domain/kits.js';
import type { LineCounts, LocationRules, ShipPolicy } from '../domain/types.js';
import { addBackordered } from '../store/rows.js';
import type { Insertable } from 'kysely';
import type { LineAllocationTable, OrderLineTable, OrderTable } from '../store/schema.js';
import { insertRows, padInList, updateByKey, type BulkUpdate, type BulkValue } from '../store/bulk.js';
import type { MovementInput, Work } from '../store/store.js';
import { noteChanged, noteServedFront } from './promises.js';

/** The columns of an order line that allocation changes or needs. */
export type LineRow = Pick<
  OrderLineTable,
  | 'id' | 'order_id' | 'sku' | 'quantity' | 'allocated' | 'backordered' | 'shipped' | 'cancelled'
  | 'priority' | 'placed_at' | 'shipping_country' | 'status'
>;

export const LINE_COLUMNS = [
  'id', 'order_id', 'sku', 'quantity', 'allocated', 'backordered', 'shipped', 'cancelled',
  'priority', 'placed_at', 'shipping_country', 'status',
] as const;

export interface AllocationResult {
  orderId: string;
  lineId: string;
  quantity: number;
}

export function countsOf(line: Pick<LineRow, keyof LineCounts>): LineCounts {
  return {
    quantity: line.quantity,
    allocated: line.allocated,
    backordered: line.backordered,
    shipped: line.shipped,
    cancelled: line.cancelled,
  };
}

/** Writes a line's unit counts and the status they imply. */
export async function saveLineCounts(work: Work, line: LineRow): Promise<void> {
  line.status = statusOf(countsOf(line));
  await work.db
    .updateTable('order_lines')
    .set({
      allocated: line.allocated,
      backordered: line.backordered,
      shipped: line.shipped,
      cancelled: line.cancelled,
      status: line.status,
    })
    .where('id', '=', line.id)
    .execute();
}

/** The unit counts and status of order lines, keyed by line id, with one UPDATE per 500 lines. */
const LINE_COUNTS: BulkUpdate = {
  table: 'order_lines',
  key: 'id',
  columns: [
    { name: 'allocated', type: 'integer', mode: 'set' },
    { name: 'backordered', type: 'integer', mode: 'set' },
    { name: 'shipped', type: 'integer', mode: 'set' },
    { name: 'cancelled', type: 'integer', mode: 'set' },
    { name: 'status', type: 'text', mode: 'set' },
  ],
};

/** Writes several lines' unit counts and the statuses they imply, like `saveLineCounts` for each. */
export async function saveLinesCounts(work: Work, lines: readonly LineRow[]): Promise<void> {
  const rows = new Map<string, BulkValue[]>();
  for (const line of lines) {
    line.status = statusOf(countsOf(line));
    rows.set(line.id, [line.allocated, line.backordered, line.shipped, line.cancelled, line.status]);
  }
  await updateByKey(work, LINE_COUNTS, rows);
}

/**
 * Binds `quantity` backordered units of a line to stock at a location: the
 * line's counts, its allocation row, the ledger and the `line.allocated`
 * event. The caller keeps the SKU's queue total and the order status.
 */
export async function allocateToLine(
  work: Work,
  line: LineRow,
  location: string,
  quantity: number,
  cause: string,
): Promise<void> {
  const ledger: MovementInput[] = [];
  await allocateToLines(work, [{ line, quantity }], location, cause, ledger);
  await work.moveStocks(ledger);
}

/**
 * Binds units to several distinct lines at one location, like
 * `allocateToLine` for each in turn, with one statement per kind of write.
 * The ledger movements are added to `ledger` for the caller to write.
 */
export async function allocateToLines(
  work: Work,
  grants: readonly { line: LineRow; quantity: number }[],
  location: string,
  cause: string,
  ledger: MovementInput[],
): Promise<void> {
  if (grants.length === 0) return;
  const rows: Insertable<LineAllocationTable>[] = [];

  for (const { line, quantity } of grants) {
    line.allocated += quantity;
    line.backordered -= quantity;
    rows.push({
      line_id: line.id,
      location,
      order_id: line.order_id,
      sku: line.sku,
      quantity,
      placed_at: line.placed_at,
      allocated_at: work.newId(''),
    });
    ledger.push({
      sku: line.sku,
      location,
      kind: 'allocation',
      onHandDelta: 0,
      allocatedDelta: quantity,
      orderId: line.order_id,
      lineId: line.id,
    });
    work.emit({
      type: 'line.allocated',
      orderId: line.order_id,
      lineId: line.id,
      sku: line.sku,
      data: { quantity, location, cause, allocated: line.allocated, backordered: line.backordered },
    });
  }

  await saveLinesCounts(work, grants.map((grant) => grant.line));
  // A line allocated at this location before gets its units added to its row.
  await insertRows(work, 'line_allocations', rows, {
    mergeOn: { key: ['line_id', 'location'], add: ['quantity'], replace: ['allocated_at'] },
  });
}

const QUEUE_PAGE_MAX = 500;

/**
 * Serves the SKU's backorder queue with `units` just freed or received at a
 * location, oldest line first. Reads the queue through its index a page at a
 * time, so serving k units touches about k lines whatever the queue length.
 * Returns the allocations made; the units left over become available. The
 * statuses of the orders served are refreshed here, or, when the caller
 * passes `touchedOrders`, their ids are added to it for the caller to
 * refresh once after serving several queues.
 */
export async function serveQueueAt(
  work: Work,
  sku: string,
  location: LocationRules,
  units: number,
  cause: string,
  touchedOrders?: Set<string>,
): Promise<AllocationResult[]> {
  const results: AllocationResult[] = [];
  const fullyAllocated: string[] = [];
  noteChanged(work, sku);
  let remaining = units;
  let after: LineRow | undefined;

  while (remaining > 0) {
    const page = await readQueuePage(work, sku, after, Math.min(QUEUE_PAGE_MAX, remaining + 8));
    if (page.length === 0) break;

    const queued: QueuedLine[] = page.map(toQueuedLine);
    const { served, remaining: left } = serveQueue(remaining, queued, location);
    const byId = new Map(page.map((row) => [row.id, row]));
    const grants = served.map(({ lineId, quantity }) => ({ line: byId.get(lineId)!, quantity }));
    const ledger: MovementInput[] = [];
    await allocateToLines(work, grants, location.code, cause, ledger);
    await work.moveStocks(ledger);
    for (const { line, quantity } of grants) {
      results.push({ orderId: line.order_id, lineId: line.id, quantity });
      if (line.backordered === 0) fullyAllocated.push(line.id);
    }
    remaining = left;
    after = page[page.length - 1];
  }

  const total = results.reduce((sum, r) => sum + r.quantity, 0);
  await addBackordered(work, sku, -total);
  noteServedFront(work, sku, total, fullyAllocated);
  if (touchedOrders) for (const result of results) touchedOrders.add(result.orderId);
  else await refreshOrders(work, results.map((r) => r.orderId));
  return results;
}

function toQueuedLine(row: LineRow): QueuedLine {
  return {
    id: row.id,
    priority: row.priority,
    placedAt: row.placed_at,
    backordered: row.backordered,
    shippingCountry: row.shipping_country,
  };
}

/** Reads queue lines in queue order, after `after` when given (keyset paging). */
async function readQueuePage(work: Work, sku: string, after: LineRow | undefined, limit: number): Promise<LineRow[]> {
  let query = work.db
    .selectFrom('order_lines')
    .select(LINE_COLUMNS)
    .where('sku', '=', sku)
    .where('backordered', '>', 0);

  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('priority', '<', after.priority),
        eb.and([eb('priority', '=', after.priority), eb('placed_at', '>', after.placed_at)]),
        eb.and([eb('priority', '=', after.priority), eb('placed_at', '=', after.placed_at), eb('id', '>', after.id)]),
      ]),
    );
  }

  return query.orderBy('priority', 'desc').orderBy('placed_at').orderBy('id').limit(limit).execute();
}

/**
 * Recomputes the status of each order from its lines, and marks it ready to
 * ship (with an `order.ready_to_ship` event) or held again as its lines
 * change. Ship-complete orders are held until nothing is backordered. A kit
 * line's status is derived from its component lines, which count for the
 * order in its place.
 */
export async function refreshOrders(work: Work, orderIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(orderIds)];
  for (let start = 0; start < ids.length; start += REFRESH_CHUNK) {
    const chunk = padInList(ids.slice(start, start + REFRESH_CHUNK));
    const orders = await work.db
      .selectFrom('orders')
      .select(['id', 'status', 'ship_policy', 'ready_to_ship_at'])
      .where('id', 'in', chunk)
      .execute();
    const lines = await work.db
      .selectFrom('order_lines')
      .select(['id', 'order_id', 'kit_line_id', 'quantity', 'allocated', 'backordered', 'shipped', 'cancelled', 'status'])
      .where('order_id', 'in', chunk)
      .execute();
    await refreshLoadedOrders(work, orders, lines);
  }
}

/** Orders per read in `refreshOrders`: each order adds one bound parameter per statement. */
const REFRESH_CHUNK = 500;

/** An order's columns that `refreshLoadedOrders` reads. */
export type OrderState = Pick<OrderTable, 'id' | 'status' | 'ship_policy' | 'ready_to_ship_at'>;

/** An order line's columns that `refreshLoadedOrders` reads. */
export type OrderLineState = LineCounts & { id: string; order_id: string; kit_line_id: string | null; status: string };

/**
 * Refreshes order statuses like `refreshOrders`, for orders whose rows and
 * every line the caller has already read and kept equal to the stored values.
 */
export async function refreshLoadedOrders(work: Work, orders: readonly OrderState[], lines: readonly OrderLineState[]): Promise<void> {
  const kitLineIds = new Set(lines.map((line) => line.kit_line_id).filter((id) => id !== null));
  await refreshKitLineStatuses(work, lines, kitLineIds);

  const linesByOrder = new Map<string, OrderLineState[]>();
  for (const line of lines) {
    if (kitLineIds.has(line.id)) continue;
    const list = linesByOrder.get(line.order_id);
    if (list) list.push(line);
    else linesByOrder.set(line.order_id, [line]);
  }

  const changed = new Map<string, BulkValue[]>();
  for (const order of orders) {
    const counts = linesByOrder.get(order.id) ?? [];
    const status = orderStatusOf(counts);
    const ready = isReadyToShip(order.ship_policy as ShipPolicy, counts);
    const readyAt = ready ? (order.ready_to_ship_at ?? work.nowIso) : null;

    if (status === order.status && readyAt === order.ready_to_ship_at) continue;
    changed.set(order.id, [status, readyAt]);

    if (ready && order.ready_to_ship_at === null) {
      work.emit({ type: 'order.ready_to_ship', orderId: order.id, data: { ship_policy: order.ship_policy } });
    }
  }
  await updateByKey(work, { ...ORDER_STATUS, constants: { updated_at: work.nowIso } }, changed);
}

/** An order's status and the instant it became ready to ship, keyed by order id. */
const ORDER_STATUS: BulkUpdate = {
  table: 'orders',
  key: 'id',
  columns: [
    { name: 'status', type: 'text', mode: 'set' },
    { name: 'ready_to_ship_at', type: 'text', mode: 'set' },
  ],
};

async function refreshKitLineStatuses(
  work: Work,
  lines: readonly OrderLineState[],
  kitLineIds: Set<string>,
): Promise<void> {
  for (const kit of lines.filter((line) => kitLineIds.has(line.id))) {
    const status = kitLineStatus(kit, lines.filter((line) => line.kit_line_id === kit.id));
    if (status === kit.status) continue;
    await work.db.updateTable('order_lines').set({ status }).where('id', '=', kit.id).execute();
  }
}
