import { decideOrder, type LinePlan, type Rejection, type SkuSupply } from '../domain/allocation.js';
import { expandKits, kitLineStatus, mapKitRejections, type ExpandedOrder, type KitCatalog } from '../domain/kits.js';
import { amountFor } from '../domain/money.js';
import { isReadyToShip, orderStatusOf, statusOf } from '../domain/order-status.js';
import { effectivePolicy, shipsTo } from '../domain/policy.js';
import type { CaptureMode, LevelState, LineCounts, LineStatus, LocationRules, ShipPolicy, SkuRules } from '../domain/types.js';
import type { Insertable } from 'kysely';
import { addBackorderedMany, loadLocations, locationRules, lockLevels, lockSkus, skuRules } from '../store/rows.js';
import { insertRows } from '../store/bulk.js';
import type { LineAllocationTable } from '../store/schema.js';
import type { MovementInput, Work } from '../store/store.js';
import { noteAllocated, noteAppended, noteQueueReordered } from './promises.js';
import { kitsOfRows, loadKits } from './kits.js';

export interface PlaceOrderInput {
  externalId?: string | null;
  customer?: { email?: string | null; name?: string | null; locale?: string | null } | null;
  currency: string;
  shipPolicy?: ShipPolicy;
  shippingCountry?: string | null;
  capture?: CaptureMode;
  priority?: number;
  lines: { sku: string; quantity: number; unitPrice: number }[];
}

export type PlaceOrderOutcome = { accepted: true; orderId: string } | { accepted: false; rejections: Rejection[] };

export interface SkuState {
  rules: SkuRules;
  levels: Map<string, { onHand: number; allocated: number }>;
}

/**
 * Decides a list of orders in one transaction, in the given order, each with
 * its own outcome. An accepted order has each line allocated from stock or
 * backordered; a rejected one writes nothing. Later orders in the list see
 * the stock and queue that earlier ones left. A kit line is written with one
 * component line per component after it, which take the stock; the kit
 * line carries the price.
 */
export async function placeOrders(work: Work, inputs: readonly PlaceOrderInput[]): Promise<PlaceOrderOutcome[]> {
  const skuCodes = inputs.flatMap((input) => input.lines.map((line) => line.sku));
  const { state, kits } = await loadSkuStates(work, skuCodes);
  const locations = [...(await loadLocations(work)).values()].map(locationRules);

  const pending: PendingStock = { allocations: [], movements: [], backordered: new Map() };
  const outcomes: PlaceOrderOutcome[] = [];
  for (const input of inputs) {
    outcomes.push(await placeOne(work, input, state, kits, locations, pending));
  }
  await writePendingStock(work, pending);
  return outcomes;
}

/**
 * Stock writes of a `placeOrders` call, made together at its end. Nothing
 * in the call reads allocations, stock levels or queue totals from the
 * database (`state` contains the current values), so the writes can wait.
 */
interface PendingStock {
  allocations: Insertable<LineAllocationTable>[];
  movements: MovementInput[];
  /** Units backordered per SKU, to add to its queue total. */
  backordered: Map<string, number>;
}

async function writePendingStock(work: Work, pending: PendingStock): Promise<void> {
  await insertRows(work, 'line_allocations', pending.allocations);
  // Allocations only raise `allocated`, so the summed change passes the
  // level's CHECK exactly when each step would.
  if (pending.movements.length > 0) await work.moveStocks(pending.movements);
  await addBackorderedMany(work, pending.backordered);
}

/**
 * Locks the requested SKUs and the components of the kits among them, in
 * one pass in code order. Kit definitions are read first without a lock;
 * should a kit gain components before its row is locked, those are locked
 * in a second pass.
 */
async function loadSkuStates(work: Work, codes: string[]): Promise<{ state: Map<string, SkuState>; kits: KitCatalog }> {
  const unlockedKits = await loadKits(work.db, codes);
  const skus = await lockSkus(work, [...codes, ...componentCodes(unlockedKits)]);
  const requested = new Set(codes);
  const kits = kitsOfRows([...skus.values()].filter((row) => requested.has(row.code)));
  const late = componentCodes(kits).filter((code) => !skus.has(code));
  if (late.length > 0) for (const [code, row] of await lockSkus(work, late)) skus.set(code, row);
  const levels = await lockLevels(work, skus.keys());

  const state = new Map<string, SkuState>();
  for (const [code, row] of skus) state.set(code, { rules: skuRules(row), levels: new Map() });
  for (const level of levels) {
    state.get(level.sku)!.levels.set(level.location, { onHand: level.onHand, allocated: level.allocated });
  }
  return { state, kits };
}

function componentCodes(kits: KitCatalog): string[] {
  return [...kits.values()].flatMap((components) => components.map((component) => component.sku));
}

async function placeOne(
  work: Work,
  input: PlaceOrderInput,
  state: Map<string, SkuState>,
  kits: KitCatalog,
  locations: LocationRules[],
  pending: PendingStock,
): Promise<PlaceOrderOutcome> {
  const eligible = locations.filter((location) => shipsTo(location, input.shippingCountry));
  const expanded = expandKits(input.lines, kits);
  const supply = supplyFor({ lines: expanded.demand }, state, eligible, work.now);

  const decision = decideOrder(expanded.demand, supply);
  if (!decision.accepted) return { accepted: false, rejections: mapKitRejections(decision.rejections, input.lines, kits) };

  const orderId = work.newId('ord');
  const capture = input.capture ?? 'upfront';
  const shipPolicy = input.shipPolicy ?? 'ship_partial';
  const priority = input.priority ?? 0;

  const lines = newLines(work, input, expanded, decision.lines, capture);
  const captured = lines.reduce((sum, l) => sum + l.captured, 0);
  // Kit lines hold no stock; their component lines count for the order.
  const counts = lines.filter((line) => line.plan !== null).map((line) => line.counts);
  const status = orderStatusOf(counts);
  const ready = isReadyToShip(shipPolicy, counts);

  await work.db
    .insertInto('orders')
    .values({
      id: orderId,
      external_id: input.externalId ?? null,
      customer_email: input.customer?.email ?? null,
      customer_name: input.customer?.name ?? null,
      customer_locale: input.customer?.locale ?? null,
      currency: input.currency,
      ship_policy: shipPolicy,
      shipping_country: input.shippingCountry ?? null,
      capture,
      priority,
      status,
      captured,
      refunded: 0,
      ready_to_ship_at: ready ? work.nowIso : null,
      placed_at: work.nowIso,
      updated_at: work.nowIso,
    })
    .execute();

  const rows = lines.map((line, index) => ({
    id: line.id,
    order_id: orderId,
    position: index,
    sku: line.sku,
    quantity: line.quantity,
    unit_price: line.unitPrice,
    allocated: line.counts.allocated,
    backordered: line.counts.backordered,
    shipped: 0,
    cancelled: 0,
    refunded_units: 0,
    returned: 0,
    captured: line.captured,
    refunded: 0,
    status: line.status,
    priority,
    placed_at: work.nowIso,
    shipping_country: input.shippingCountry ?? null,
    promised_ship_date: null,
    estimated_ship_date: null,
    ship_date_basis: null,
    kit_line_id: line.kitLineId,
  }));
  await insertRows(work, 'order_lines', rows);

  work.emit({
    type: 'order.placed',
    orderId,
    data: { external_id: input.externalId ?? null, status, captured, currency: input.currency },
  });

  for (const line of lines) {
    if (line.plan) await bindPlannedStock(work, orderId, line.id, line.plan, state.get(line.plan.sku)!, priority, pending);
  }

  if (ready) work.emit({ type: 'order.ready_to_ship', orderId, data: { ship_policy: shipPolicy } });
  return { accepted: true, orderId };
}

/** An order line about to be written. */
interface NewLine {
  id: string;
  sku: string;
  quantity: number;
  unitPrice: number;
  counts: LineCounts;
  status: LineStatus;
  captured: number;
  kitLineId: string | null;
  /** Stock plan of the line; null for a kit line, whose component lines take the stock. */
  plan: LinePlan | null;
}

/**
 * Builds the lines of an accepted order in request order, each kit line
 * followed by its component lines. A kit line carries the price and the
 * money. Its units are kits, all counted as open (`allocated`) and none as
 * backordered, because its component lines wait in the queue instead. A
 * component line has unit price 0.
 */
function newLines(work: Work, input: PlaceOrderInput, expanded: ExpandedOrder, plans: LinePlan[], capture: CaptureMode): NewLine[] {
  const lines: NewLine[] = [];
  const stockLine = (plan: LinePlan, unitPrice: number, kitLineId: string | null): NewLine => {
    const allocated = plan.allocations.reduce((sum, a) => sum + a.quantity, 0);
    const counts = { quantity: plan.quantity, allocated, backordered: plan.backordered, shipped: 0, cancelled: 0 };
    const captured = capture === 'upfront' ? amountFor(plan.quantity, unitPrice) : 0;
    return { id: work.newId('line'), sku: plan.sku, quantity: plan.quantity, unitPrice, counts, status: statusOf(counts), captured, kitLineId, plan };
  };

  input.lines.forEach((requested, index) => {
    const entry = expanded.lines[index]!;
    if (entry.kind === 'ordinary') {
      lines.push(stockLine(plans[entry.index]!, requested.unitPrice, null));
      return;
    }

    const kitId = work.newId('line');
    const components = entry.components.map((component) => stockLine(plans[component.index]!, 0, kitId));
    const kit = { quantity: requested.quantity, shipped: 0, cancelled: 0 };
    lines.push({
      id: kitId,
      sku: requested.sku,
      quantity: requested.quantity,
      unitPrice: requested.unitPrice,
      counts: { ...kit, allocated: requested.quantity, backordered: 0 },
      status: kitLineStatus(kit, components.map((component) => component.counts)),
      captured: capture === 'upfront' ? amountFor(requested.quantity, requested.unitPrice) : 0,
      kitLineId: null,
      plan: null,
    });
    lines.push(...components);
  });
  return lines;
}

export function supplyFor(
  input: { lines: readonly { sku: string }[] },
  state: Map<string, SkuState>,
  eligible: LocationRules[],
  now: Date,
): Map<string, SkuSupply> {
  const supply = new Map<string, SkuSupply>();
  for (const { sku } of input.lines) {
    const entry = state.get(sku);
    if (!entry || supply.has(sku)) continue;

    const levels: LevelState[] = [];
    for (const location of eligible) {
      const level = entry.levels.get(location.code);
      if (level) levels.push({ location, onHand: level.onHand, allocated: level.allocated });
    }
    supply.set(sku, { rules: entry.rules, policy: effectivePolicy(entry.rules, now, eligible), levels });
  }
  return supply;
}

async function bindPlannedStock(
  work: Work,
  orderId: string,
  lineId: string,
  plan: { sku: string; allocations: { location: string; quantity: number }[]; backordered: number },
  state: SkuState,
  priority: number,
  pending: PendingStock,
): Promise<void> {
  for (const { location, quantity } of plan.allocations) {
    pending.allocations.push({
      line_id: lineId,
      location,
      order_id: orderId,
      sku: plan.sku,
      quantity,
      placed_at: work.nowIso,
      allocated_at: work.newId(''),
    });
    pending.movements.push({ sku: plan.sku, location, kind: 'allocation', onHandDelta: 0, allocatedDelta: quantity, orderId, lineId });
    state.levels.get(location)!.allocated += quantity;
    work.emit({ type: 'line.allocated', orderId, lineId, sku: plan.sku, data: { quantity, location, cause: 'order_placed' } });
  }

  if (plan.backordered > 0) {
    pending.backordered.set(plan.sku, (pending.backordered.get(plan.sku) ?? 0) + plan.backordered);
    // A line that joins an empty queue is at its end. Otherwise one index seek decides.
    const atEnd = state.rules.backordered === 0 || (await waitsAtQueueEnd(work, plan.sku, priority));
    state.rules.backordered += plan.backordered;
    work.emit({ type: 'line.backordered', orderId, lineId, sku: plan.sku, data: { quantity: plan.backordered, cause: 'order_placed' } });
    if (atEnd) noteAppended(work, plan.sku, lineId);
    else noteQueueReordered(work, plan.sku);
  } else {
    noteAllocated(work, plan.sku, lineId);
  }
}

/**
 * Tells whether a line just placed at `priority` is last in its SKU's queue:
 * no waiting line has a lower priority or was placed later. One index seek.
 */
async function waitsAtQueueEnd(work: Work, sku: string, priority: number): Promise<boolean> {
  const behind = await work.db
    .selectFrom('order_lines')
    .select('id')
    .where('sku', '=', sku)
    .where('backordered', '>', 0)
    .where((eb) => eb.or([eb('priority', '<', priority), eb.and([eb('priority', '=', priority), eb('placed_at', '>', work.nowIso)])]))
    .limit(1)
    .executeTakeFirst();
  return behind === undefined;
}
