import type { Kysely } from 'kysely';
import { orderStatusOf, statusOf } from '../domain/order-status.js';
import { shipsTo } from '../domain/policy.js';
import type { Database } from '../store/schema.js';
import { locationRules } from '../store/rows.js';
import { kitLineProblems, kitLineStatus } from '../domain/kits.js';

export interface Violation {
  invariant: string;
  /** The ids involved: SKU and location, order, line. */
  ids: Record<string, string>;
  message: string;
}

/**
 * Reads a live database and reports every broken invariant, each with the
 * ids involved. An empty list means the stock counts, the ledger, the
 * queue and the money all agree.
 */
export async function checkInvariants(db: Kysely<Database>): Promise<Violation[]> {
  const violations: Violation[] = [];
  const checks = [checkLevels, checkLedger, checkLines, checkAllocations, checkQueueServed, checkMoney, checkCachedTotals, checkKits];
  for (const check of checks) violations.push(...(await check(db)));
  return violations;
}

async function checkLevels(db: Kysely<Database>): Promise<Violation[]> {
  const rows = await db
    .selectFrom('stock_levels')
    .select(['sku', 'location', 'on_hand', 'allocated'])
    .where((eb) => eb.or([eb('allocated', '<', 0), eb('allocated', '>', eb.ref('on_hand'))]))
    .execute();
  return rows.map((row) => ({
    invariant: '1 allocated within on hand',
    ids: { sku: row.sku, location: row.location },
    message: `allocated ${row.allocated} is outside 0..on hand ${row.on_hand}`,
  }));
}

async function checkLedger(db: Kysely<Database>): Promise<Violation[]> {
  const sums = await db
    .selectFrom('stock_movements')
    .select(['sku', 'location'])
    .select((eb) => [eb.fn.sum<number>('on_hand_delta').as('on_hand'), eb.fn.sum<number>('allocated_delta').as('allocated')])
    .groupBy(['sku', 'location'])
    .execute();
  const levels = await db.selectFrom('stock_levels').select(['sku', 'location', 'on_hand', 'allocated']).execute();

  const byKey = new Map(sums.map((s) => [`${s.sku}\u0000${s.location}`, s]));
  const violations: Violation[] = [];
  for (const level of levels) {
    const sum = byKey.get(`${level.sku}\u0000${level.location}`);
    const onHand = Number(sum?.on_hand ?? 0);
    const allocated = Number(sum?.allocated ?? 0);
    if (onHand !== level.on_hand || allocated !== level.allocated) {
      violations.push({
        invariant: '2 level equals its movements',
        ids: { sku: level.sku, location: level.location },
        message: `level on hand ${level.on_hand}, allocated ${level.allocated}; movements sum to ${onHand}, ${allocated}`,
      });
    }
  }
  return violations;
}

/**
 * Checks each line's units and status, and each order's status. A kit
 * line's status follows from its component lines, and kit lines do not
 * count for the order because their component lines do. `checkKits` checks
 * the rest of a kit line.
 */
async function checkLines(db: Kysely<Database>): Promise<Violation[]> {
  const lines = await db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'quantity', 'allocated', 'backordered', 'shipped', 'cancelled', 'status', 'kit_line_id'])
    .execute();
  const componentsByKit = groupBy(lines.filter((line) => line.kit_line_id !== null), (line) => line.kit_line_id!);
  const violations: Violation[] = [];
  for (const line of lines) {
    const components = componentsByKit.get(line.id);
    const ids = { order: line.order_id, line: line.id };
    const counts = [line.allocated, line.backordered, line.shipped, line.cancelled];
    if (counts.some((n) => n < 0) || line.allocated + line.shipped + line.cancelled > line.quantity) {
      violations.push({ invariant: '3 line units within quantity', ids, message: `counts ${counts.join('/')} of ${line.quantity}` });
    }
    if (line.allocated + line.backordered + line.shipped + line.cancelled !== line.quantity) {
      violations.push({ invariant: '3 line units within quantity', ids, message: `allocated+backordered+shipped+cancelled != ${line.quantity}` });
    }
    const derived = components ? kitLineStatus(line, components) : statusOf(line);
    if (derived !== line.status) {
      violations.push({ invariant: 'line status', ids, message: `stored ${line.status}, counts give ${derived}` });
    }
  }

  const orders = await db.selectFrom('orders').select(['id', 'status']).execute();
  const linesByOrder = groupBy(lines.filter((line) => !componentsByKit.has(line.id)), (line) => line.order_id);
  for (const order of orders) {
    const derived = orderStatusOf(linesByOrder.get(order.id) ?? []);
    if (derived !== order.status) {
      violations.push({ invariant: 'order status', ids: { order: order.id }, message: `stored ${order.status}, lines give ${derived}` });
    }
  }
  return violations;
}

async function checkAllocations(db: Kysely<Database>): Promise<Violation[]> {
  const violations: Violation[] = [];
  const perLevel = await db
    .selectFrom('line_allocations')
    .select(['sku', 'location'])
    .select((eb) => eb.fn.sum<number>('quantity').as('quantity'))
    .groupBy(['sku', 'location'])
    .execute();
  const sums = new Map(perLevel.map((row) => [`${row.sku}\u0000${row.location}`, Number(row.quantity)]));
  const levels = await db.selectFrom('stock_levels').select(['sku', 'location', 'allocated']).execute();
  for (const level of levels) {
    const sum = sums.get(`${level.sku}\u0000${level.location}`) ?? 0;
    if (sum !== level.allocated) {
      violations.push({
        invariant: '4 allocations sum to allocated',
        ids: { sku: level.sku, location: level.location },
        message: `line allocations sum to ${sum}, level allocated is ${level.allocated}`,
      });
    }
  }

  const perLine = await db
    .selectFrom('order_lines')
    .leftJoin('line_allocations', 'line_allocations.line_id', 'order_lines.id')
    .select(['order_lines.id', 'order_lines.order_id', 'order_lines.allocated'])
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('line_allocations.quantity'), eb.lit(0)).as('held'))
    .groupBy(['order_lines.id', 'order_lines.order_id', 'order_lines.allocated'])
    .execute();
  const kitLines = await readKitLineIds(db);
  for (const line of perLine) {
    // A kit line's `allocated` counts its open kits, whose stock its component lines hold.
    const expected = kitLines.has(line.id) ? 0 : line.allocated;
    if (Number(line.held) !== expected) {
      violations.push({
        invariant: '4 allocations sum to allocated',
        ids: { order: line.order_id, line: line.id },
        message: `line allocated ${line.allocated}, its allocations hold ${line.held}`,
      });
    }
  }
  return violations;
}

async function checkQueueServed(db: Kysely<Database>): Promise<Violation[]> {
  const locations = new Map((await db.selectFrom('locations').selectAll().execute()).map((row) => [row.code, locationRules(row)]));
  const free = await db
    .selectFrom('stock_levels')
    .select(['sku', 'location', 'on_hand', 'allocated'])
    .whereRef('on_hand', '>', 'allocated')
    .where('sku', 'in', (eb) => eb.selectFrom('order_lines').select('sku').where('backordered', '>', 0))
    .execute();

  const violations: Violation[] = [];
  for (const level of free) {
    const waiting = await db
      .selectFrom('order_lines')
      .select(['id', 'order_id', 'shipping_country'])
      .where('sku', '=', level.sku)
      .where('backordered', '>', 0)
      .execute();
    const location = locations.get(level.location)!;
    const servable = waiting.find((line) => shipsTo(location, line.shipping_country));
    if (servable) {
      violations.push({
        invariant: '5 queue served before available',
        ids: { sku: level.sku, location: level.location, line: servable.id },
        message: `${level.on_hand - level.allocated} available while line ${servable.id} waits`,
      });
    }
  }
  return violations;
}

/**
 * Checks money per order and per line. An order's captured and refunded money is the
 * sum over its lines. A line's captured − refunded is the price of the units
 * the customer keeps: its unshipped units at the current unit price when paid
 * up front, and its shipped units not refunded at the price they shipped at.
 * Unit prices change only through order edits, so for a line never edited
 * this is the plain rule: units paid × unit price, less units refunded × unit price.
 */
async function checkMoney(db: Kysely<Database>): Promise<Violation[]> {
  const orders = await db.selectFrom('orders').select(['id', 'capture', 'captured', 'refunded']).execute();
  const lines = await db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'unit_price', 'allocated', 'backordered', 'shipped', 'cancelled', 'refunded_units', 'returned', 'captured', 'refunded'])
    .execute();
  const shipped = await db
    .selectFrom('shipment_lines')
    .select(['line_id', 'quantity', 'unit_price', 'returned', 'refunded_units'])
    .execute();
  const linesByOrder = groupBy(lines, (line) => line.order_id);
  const shippedByLine = groupBy(shipped, (row) => row.line_id);

  const violations: Violation[] = [];
  for (const order of orders) {
    const ids = { order: order.id };
    const own = linesByOrder.get(order.id) ?? [];
    const linesCaptured = own.reduce((sum, line) => sum + line.captured, 0);
    const linesRefunded = own.reduce((sum, line) => sum + line.refunded, 0);

    if (order.refunded > order.captured) {
      violations.push({ invariant: '6 refunded within captured', ids, message: `refunded ${order.refunded} > captured ${order.captured}` });
    }
    if (order.captured !== linesCaptured) {
      violations.push({ invariant: '6 captured matches units paid', ids, message: `captured ${order.captured}, lines give ${linesCaptured}` });
    }
    if (order.refunded !== linesRefunded) {
      violations.push({ invariant: '6 refunded matches units refunded', ids, message: `refunded ${order.refunded}, lines give ${linesRefunded}` });
    }
    for (const line of own) {
      violations.push(...checkLineMoney(order.capture === 'upfront', line, shippedByLine.get(line.id) ?? []));
    }
  }
  return violations;
}

function checkLineMoney(
  upfront: boolean,
  line: {
    id: string; order_id: string; unit_price: number; allocated: number; backordered: number; shipped: number; cancelled: number;
    refunded_units: number; returned: number; captured: number; refunded: number;
  },
  shipments: { quantity: number; unit_price: number; returned: number; refunded_units: number }[],
): Violation[] {
  const ids = { order: line.order_id, line: line.id };
  const violations: Violation[] = [];
  const sum = (value: (row: (typeof shipments)[number]) => number) => shipments.reduce((total, row) => total + value(row), 0);

  if (line.refunded < 0 || line.refunded > line.captured) {
    violations.push({ invariant: '6 refunded within captured', ids, message: `line refunded ${line.refunded}, captured ${line.captured}` });
  }

  const unshippedValue = upfront ? (line.allocated + line.backordered) * line.unit_price : 0;
  const keptValue = unshippedValue + sum((row) => (row.quantity - row.refunded_units) * row.unit_price);
  if (line.captured - line.refunded !== keptValue) {
    violations.push({
      invariant: '6 money kept matches units kept',
      ids,
      message: `captured ${line.captured} − refunded ${line.refunded}, but the units kept are worth ${keptValue}`,
    });
  }

  const paidCancelled = upfront ? line.cancelled : 0;
  const refundedReturns = sum((row) => row.refunded_units);
  if (line.refunded_units !== paidCancelled + refundedReturns) {
    violations.push({
      invariant: '6 captured cancelled unit refunded once',
      ids,
      message: `${paidCancelled} paid units cancelled and ${refundedReturns} returned units refunded, but ${line.refunded_units} refunded`,
    });
  }

  const shippedUnits = sum((row) => row.quantity);
  const returnedUnits = sum((row) => row.returned);
  if (shippedUnits !== line.shipped || returnedUnits !== line.returned || line.returned > line.shipped) {
    violations.push({
      invariant: 'returns within shipments',
      ids,
      message: `line shipped ${line.shipped}, returned ${line.returned}; its shipments hold ${shippedUnits}, returned ${returnedUnits}`,
    });
  }
  return violations;
}

async function checkCachedTotals(db: Kysely<Database>): Promise<Violation[]> {
  const rows = await db
    .selectFrom('skus')
    .leftJoin('order_lines', 'order_lines.sku', 'skus.code')
    .select(['skus.code', 'skus.backordered'])
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('order_lines.backordered'), eb.lit(0)).as('waiting'))
    .groupBy(['skus.code', 'skus.backordered'])
    .execute();
  return rows
    .filter((row) => Number(row.waiting) !== row.backordered)
    .map((row) => ({
      invariant: 'queue total',
      ids: { sku: row.code },
      message: `SKU backordered ${row.backordered}, its lines wait for ${row.waiting}`,
    }));
}

async function readKitLineIds(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await db.selectFrom('order_lines').select('kit_line_id').distinct().where('kit_line_id', 'is not', null).execute();
  return new Set(rows.map((row) => row.kit_line_id!));
}

/**
 * Checks kits. A kit SKU holds no stock and no queue. A kit line waits for
 * nothing itself, and each of its component lines belongs to the same
 * order, is no kit line itself, has a whole number of units per kit, has
 * shipped and cancelled exactly its share of the kits shipped and
 * cancelled, and carries no money: the kit line does.
 */
async function checkKits(db: Kysely<Database>): Promise<Violation[]> {
  const violations: Violation[] = [];
  const stocked = await db
    .selectFrom('skus')
    .innerJoin('stock_levels', 'stock_levels.sku', 'skus.code')
    .select(['skus.code', 'stock_levels.location', 'stock_levels.on_hand', 'skus.backordered'])
    .where('skus.components', 'is not', null)
    .where((eb) => eb.or([eb('stock_levels.on_hand', '!=', 0), eb('skus.backordered', '!=', 0)]))
    .execute();
  for (const row of stocked) {
    violations.push({
      invariant: 'kit holds no stock',
      ids: { sku: row.code, location: row.location },
      message: `kit has ${row.on_hand} on hand and ${row.backordered} backordered`,
    });
  }

  const components = await db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'kit_line_id', 'quantity', 'allocated', 'backordered', 'shipped', 'cancelled', 'unit_price', 'captured', 'refunded'])
    .where('kit_line_id', 'is not', null)
    .execute();
  const byKit = groupBy(components, (line) => line.kit_line_id!);
  const kitIds = [...byKit.keys()];
  for (let start = 0; start < kitIds.length; start += 500) {
    const kits = await db
      .selectFrom('order_lines')
      .select(['id', 'order_id', 'kit_line_id', 'quantity', 'backordered', 'shipped', 'cancelled'])
      .where('id', 'in', kitIds.slice(start, start + 500))
      .execute();
    for (const kit of kits) violations.push(...checkKitLine(kit, byKit.get(kit.id)!));
  }
  return violations;
}

function checkKitLine(
  kit: { id: string; order_id: string; kit_line_id: string | null; quantity: number; backordered: number; shipped: number; cancelled: number },
  components: { id: string; order_id: string; quantity: number; allocated: number; backordered: number; shipped: number; cancelled: number; unit_price: number; captured: number; refunded: number }[],
): Violation[] {
  const ids = { order: kit.order_id, line: kit.id };
  const problems = kitLineProblems(kit, components);
  if (kit.kit_line_id !== null) problems.push(`kit line is itself a component of line ${kit.kit_line_id}`);
  for (const component of components) {
    if (component.order_id !== kit.order_id) problems.push(`component line ${component.id} belongs to order ${component.order_id}`);
    if (component.unit_price !== 0 || component.captured !== 0 || component.refunded !== 0) {
      problems.push(`component line ${component.id} carries money (price ${component.unit_price}, captured ${component.captured}, refunded ${component.refunded})`);
    }
  }
  return problems.map((message) => ({ invariant: 'kit line matches its components', ids, message }));
}

// Map.groupBy needs Node.js 21; this project runs on 20.
function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
