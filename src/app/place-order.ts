import { decideOrder, type Rejection, type SkuSupply } from '../domain/allocation.js';
import { amountFor } from '../domain/money.js';
import { isReadyToShip, orderStatusOf, statusOf } from '../domain/order-status.js';
import { effectivePolicy, shipsTo } from '../domain/policy.js';
import type { CaptureMode, LevelState, LocationRules, ShipPolicy, SkuRules } from '../domain/types.js';
import { addBackordered, loadLocations, locationRules, lockLevels, lockSkus, skuRules } from '../store/rows.js';
import type { Work } from '../store/store.js';
import { noteAllocated, noteAppended, noteQueueReordered } from './promises.js';

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
 * the stock and queue that earlier ones left.
 */
export async function placeOrders(work: Work, inputs: readonly PlaceOrderInput[]): Promise<PlaceOrderOutcome[]> {
  const skuCodes = inputs.flatMap((input) => input.lines.map((line) => line.sku));
  const state = await loadSkuStates(work, skuCodes);
  const locations = [...(await loadLocations(work)).values()].map(locationRules);

  const outcomes: PlaceOrderOutcome[] = [];
  for (const input of inputs) {
    outcomes.push(await placeOne(work, input, state, locations));
  }
  return outcomes;
}

async function loadSkuStates(work: Work, codes: string[]): Promise<Map<string, SkuState>> {
  const skus = await lockSkus(work, codes);
  const levels = await lockLevels(work, skus.keys());

  const state = new Map<string, SkuState>();
  for (const [code, row] of skus) state.set(code, { rules: skuRules(row), levels: new Map() });
  for (const level of levels) {
    state.get(level.sku)!.levels.set(level.location, { onHand: level.onHand, allocated: level.allocated });
  }
  return state;
}

async function placeOne(
  work: Work,
  input: PlaceOrderInput,
  state: Map<string, SkuState>,
  locations: LocationRules[],
): Promise<PlaceOrderOutcome> {
  const eligible = locations.filter((location) => shipsTo(location, input.shippingCountry));
  const supply = supplyFor(input, state, eligible, work.now);

  const decision = decideOrder(input.lines, supply);
  if (!decision.accepted) return { accepted: false, rejections: decision.rejections };

  const orderId = work.newId('ord');
  const capture = input.capture ?? 'upfront';
  const shipPolicy = input.shipPolicy ?? 'ship_partial';
  const priority = input.priority ?? 0;

  const lines = decision.lines.map((plan, index) => {
    const allocated = plan.allocations.reduce((sum, a) => sum + a.quantity, 0);
    const counts = { quantity: plan.quantity, allocated, backordered: plan.backordered, shipped: 0, cancelled: 0 };
    const unitPrice = input.lines[index]!.unitPrice;
    const captured = capture === 'upfront' ? amountFor(plan.quantity, unitPrice) : 0;
    return { id: work.newId('line'), plan, counts, unitPrice, captured };
  });
  const captured = lines.reduce((sum, l) => sum + l.captured, 0);
  const counts = lines.map((line) => line.counts);
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

  await work.db
    .insertInto('order_lines')
    .values(
      lines.map((line, index) => ({
        id: line.id,
        order_id: orderId,
        position: index,
        sku: line.plan.sku,
        quantity: line.plan.quantity,
        unit_price: line.unitPrice,
        allocated: line.counts.allocated,
        backordered: line.counts.backordered,
        shipped: 0,
        cancelled: 0,
        refunded_units: 0,
        returned: 0,
        captured: line.captured,
        refunded: 0,
        status: statusOf(line.counts),
        priority,
        placed_at: work.nowIso,
        shipping_country: input.shippingCountry ?? null,
        promised_ship_date: null,
        estimated_ship_date: null,
        ship_date_basis: null,
      })),
    )
    .execute();

  work.emit({
    type: 'order.placed',
    orderId,
    data: { external_id: input.externalId ?? null, status, captured, currency: input.currency },
  });

  for (const line of lines) {
    await bindPlannedStock(work, orderId, line.id, line.plan, state.get(line.plan.sku)!, priority);
  }

  if (ready) work.emit({ type: 'order.ready_to_ship', orderId, data: { ship_policy: shipPolicy } });
  return { accepted: true, orderId };
}

export function supplyFor(
  input: PlaceOrderInput,
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
): Promise<void> {
  for (const { location, quantity } of plan.allocations) {
    await work.db
      .insertInto('line_allocations')
      .values({
        line_id: lineId,
        location,
        order_id: orderId,
        sku: plan.sku,
        quantity,
        placed_at: work.nowIso,
        allocated_at: work.newId(''),
      })
      .execute();
    await work.moveStock({ sku: plan.sku, location, kind: 'allocation', onHandDelta: 0, allocatedDelta: quantity, orderId, lineId });
    state.levels.get(location)!.allocated += quantity;
    work.emit({ type: 'line.allocated', orderId, lineId, sku: plan.sku, data: { quantity, location, cause: 'order_placed' } });
  }

  if (plan.backordered > 0) {
    await addBackordered(work, plan.sku, plan.backordered);
    state.rules.backordered += plan.backordered;
    work.emit({ type: 'line.backordered', orderId, lineId, sku: plan.sku, data: { quantity: plan.backordered, cause: 'order_placed' } });
    if (await waitsAtQueueEnd(work, plan.sku, priority)) noteAppended(work, plan.sku, lineId);
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
