import { decideOrder, type LinePlan } from '../domain/allocation.js';
import { amountFor } from '../domain/money.js';
import { shipsTo } from '../domain/policy.js';
import type { CaptureMode } from '../domain/types.js';
import { addBackordered, loadLocations, locationRules, lockLevels, lockSkus, skuRules } from '../store/rows.js';
import type { Work } from '../store/store.js';
import { allocateToLine, LINE_COLUMNS, refreshOrders, saveLineCounts } from './allocate.js';
import { cancelLineUnits, requestRefund, type CancellableLine } from './cancel-order.js';
import { invalidRequest, invalidState, notFound, RestockError } from './errors.js';
import { supplyFor, type SkuState } from './place-order.js';
import { noteQueueReordered } from './promises.js';
import { serveFreeStock } from './stock.js';
import { assertNotKitLine } from './kits.js';

export interface LineEditInput {
  /** Units the customer now wants on the line: shipped units count, cancelled ones do not. */
  quantity?: number;
  /** The new price of one unit in minor units; it applies to the unshipped units only. */
  unitPrice?: number;
}

export interface LineEditResult {
  /** Money captured by this edit. */
  captured: number;
  /** Money refunded by this edit. */
  refund: { amount: number; currency: string };
}

const EDIT_REASON = 'order edited';

/**
 * Edits one order line. Only its unshipped units change: shipped units keep
 * the price they were paid at and are never allocated again.
 *
 * `quantity` is the number of units the customer now wants on the line,
 * counting shipped units and not cancelled ones (the line's `quantity` −
 * `cancelled`). It may not go below the units shipped (`invalid_state`).
 * - Lowering it cancels the difference as a cancellation does: backordered
 *   units first, then allocated ones, whose stock serves the queue before it
 *   becomes available. Units paid up front are refunded at the old price.
 *   The line's `cancelled` rises and its `quantity` stays.
 * - Raising it adds units to the line's `quantity` under the rules of a new
 *   order for them: the SKU's policy and backorder limit, the locations that
 *   ship to the order's country, stock that is available now, else the
 *   queue. A line is one queue entry, so added units that wait keep the
 *   line's place in the queue (its priority and placement time). When the
 *   policy does not allow them, the edit is rejected with `not_orderable`,
 *   whose `max_orderable` is the largest quantity the line may be set to.
 *
 * `unitPrice` re-prices the unshipped units, added ones included. Paid up
 * front, the difference is captured when the price rises and refunded when
 * it falls; paid on shipment, later shipments capture the new price. A price
 * change needs unshipped units to apply to (`invalid_state` otherwise).
 *
 * Writes `line.edited` with the old and new quantity and price and the money
 * moved, then `line.cancelled`, `line.allocated`, `line.backordered` and
 * `refund.requested` as they happen. An edit that changes nothing writes
 * nothing. A line whose units are all cancelled cannot be edited.
 */
export async function editOrderLine(work: Work, orderId: string, lineId: string, input: LineEditInput): Promise<LineEditResult> {
  const order = await work.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
  if (!order) throw notFound(`Order ${orderId} was not found.`);
  assertEditInput(input);

  const skuRow = await work.db.selectFrom('order_lines').select('sku').where('id', '=', lineId).where('order_id', '=', orderId).executeTakeFirst();
  if (!skuRow) throw notFound(`Line ${lineId} is not on order ${orderId}.`);
  await assertNotKitLine(work, lineId, 'Order edits');
  const skus = await lockSkus(work, [skuRow.sku]);
  const line: CancellableLine = await work.db
    .selectFrom('order_lines')
    .select([...LINE_COLUMNS, 'unit_price', 'refunded_units'])
    .where('id', '=', lineId)
    .executeTakeFirstOrThrow();

  const capture = order.capture as CaptureMode;
  const change = planEdit(line, input);
  if (change.removed === 0 && change.added === 0 && change.newPrice === change.oldPrice) {
    return { captured: 0, refund: { amount: 0, currency: order.currency } };
  }

  // Decide the added units before writing anything, as placing an order does.
  const plan = change.added > 0 ? await planAddedUnits(work, order.shipping_country, line, change.added, change.live, skus) : null;
  const money = moneyOfEdit(capture, line, change);
  work.emit({
    type: 'line.edited',
    orderId,
    lineId,
    sku: line.sku,
    data: {
      old_quantity: change.live,
      new_quantity: change.live - change.removed + change.added,
      old_unit_price: change.oldPrice,
      new_unit_price: change.newPrice,
      captured: money.captured,
      refunded: money.refunded,
      currency: order.currency,
    },
  });

  if (change.removed > 0) await cancelLineUnits(work, capture, line, change.removed, EDIT_REASON);
  await saveMoney(work, line, change.newPrice, money.captured, money.priceRefund, orderId);
  if (plan) await addUnits(work, line, plan);

  await requestRefund(work, order, money.refunded, EDIT_REASON);
  await refreshOrders(work, [orderId]);
  if (change.removed > 0 || change.added > 0) noteQueueReordered(work, line.sku);
  if (change.removed > 0) await serveFreeStock(work, line.sku, 'order_edited');
  return { captured: money.captured, refund: { amount: money.refunded, currency: order.currency } };
}

/**
 * Computes the money an edit moves when paid up front: removed units are
 * refunded at the old price, the unshipped units kept are captured or
 * refunded the price difference, and added units are captured at the new
 * price. Paid on shipment, an edit moves no money.
 */
function moneyOfEdit(
  capture: CaptureMode,
  line: CancellableLine,
  change: EditPlan,
): { captured: number; refunded: number; priceRefund: number } {
  if (capture !== 'upfront') return { captured: 0, refunded: 0, priceRefund: 0 };

  const unshippedKept = line.allocated + line.backordered - change.removed;
  const priceDelta = amountFor(unshippedKept, change.newPrice - change.oldPrice);
  const priceRefund = Math.max(0, -priceDelta);
  const captured = Math.max(0, priceDelta) + amountFor(change.added, change.newPrice);
  const refunded = amountFor(change.removed, change.oldPrice) + priceRefund;
  return { captured, refunded, priceRefund };
}

function assertEditInput(input: LineEditInput): void {
  if (input.quantity === undefined && input.unitPrice === undefined) {
    throw invalidRequest('An order edit needs quantity, unit_price or both.', [
      { field: 'body', message: 'must set quantity, unit_price or both' },
    ]);
  }
  if (input.quantity !== undefined && !(Number.isSafeInteger(input.quantity) && input.quantity >= 1)) {
    throw invalidRequest(`quantity ${input.quantity} is not a whole number of at least 1.`, [
      { field: 'quantity', message: 'must be a whole number of at least 1' },
    ]);
  }
  if (input.unitPrice !== undefined && !(Number.isSafeInteger(input.unitPrice) && input.unitPrice >= 0)) {
    throw invalidRequest(`unit_price ${input.unitPrice} is not a whole number of minor units.`, [
      { field: 'unit_price', message: 'must be a whole number of minor units, 0 or more' },
    ]);
  }
}

interface EditPlan {
  /** Units on the line before the edit, not counting cancelled ones: quantity − cancelled. */
  live: number;
  removed: number;
  added: number;
  oldPrice: number;
  newPrice: number;
}

function planEdit(line: CancellableLine, input: LineEditInput): EditPlan {
  const live = line.quantity - line.cancelled;
  if (live === 0) {
    throw invalidState(`Line ${line.id} is cancelled, so it cannot be edited. Place a new order for more units of ${line.sku}.`);
  }

  const requested = input.quantity ?? live;
  if (requested < line.shipped) {
    throw invalidState(
      `Line ${line.id} has ${line.shipped} units shipped, so its quantity can go no lower than ${line.shipped}. Return shipped units instead.`,
    );
  }

  const removed = Math.max(0, live - requested);
  const added = Math.max(0, requested - live);
  const newPrice = input.unitPrice ?? line.unit_price;
  const unshippedAfter = line.allocated + line.backordered - removed + added;
  if (newPrice !== line.unit_price && unshippedAfter === 0) {
    throw invalidState(`Line ${line.id} has no unshipped units left, so its unit price can no longer change.`);
  }
  return { live, removed, added, oldPrice: line.unit_price, newPrice };
}

/**
 * Decides where `added` more units of the line come from, as for a new order
 * of them from the same customer. Throws `not_orderable` when the SKU's
 * policy does not allow them.
 */
async function planAddedUnits(
  work: Work,
  shippingCountry: string | null,
  line: CancellableLine,
  added: number,
  live: number,
  skus: Awaited<ReturnType<typeof lockSkus>>,
): Promise<LinePlan> {
  const state = new Map<string, SkuState>();
  state.set(line.sku, { rules: skuRules(skus.get(line.sku)!), levels: new Map() });
  for (const level of await lockLevels(work, [line.sku])) {
    state.get(line.sku)!.levels.set(level.location, { onHand: level.onHand, allocated: level.allocated });
  }
  const locations = [...(await loadLocations(work)).values()].map(locationRules);
  const eligible = locations.filter((location) => shipsTo(location, shippingCountry));

  const request = { sku: line.sku, quantity: added, unitPrice: 0 };
  const supply = supplyFor({ lines: [request] }, state, eligible, work.now);
  const decision = decideOrder([request], supply);
  if (decision.accepted) return decision.lines[0]!;

  const rejection = decision.rejections[0]!;
  const maxQuantity = rejection.maxOrderable === null ? null : live + rejection.maxOrderable;
  throw new RestockError(
    'not_orderable',
    409,
    `Line ${line.id} cannot take ${added} more units of ${line.sku} (${rejection.reason}); ` +
      `set its quantity to at most ${maxQuantity}. Nothing was changed.`,
    [{ sku: line.sku, reason: rejection.reason, max_orderable: maxQuantity }],
  );
}

/** Writes the line's new unit price and the money this edit captured or refunded on it. */
async function saveMoney(
  work: Work,
  line: CancellableLine,
  newPrice: number,
  captured: number,
  priceRefund: number,
  orderId: string,
): Promise<void> {
  await work.db
    .updateTable('order_lines')
    .set((eb) => ({
      unit_price: newPrice,
      captured: eb('captured', '+', captured),
      refunded: eb('refunded', '+', priceRefund),
    }))
    .where('id', '=', line.id)
    .execute();
  line.unit_price = newPrice;

  if (captured > 0) {
    await work.db
      .updateTable('orders')
      .set((eb) => ({ captured: eb('captured', '+', captured), updated_at: work.nowIso }))
      .where('id', '=', orderId)
      .execute();
  }
}

/**
 * Adds the planned units to the line: first as backordered units, then
 * allocated where the plan found stock, so that the line's counts add up to
 * its quantity after every statement.
 */
async function addUnits(work: Work, line: CancellableLine, plan: LinePlan): Promise<void> {
  line.quantity += plan.quantity;
  line.backordered += plan.quantity;
  await work.db
    .updateTable('order_lines')
    .set({ quantity: line.quantity, backordered: line.backordered })
    .where('id', '=', line.id)
    .execute();

  for (const { location, quantity } of plan.allocations) {
    await allocateToLine(work, line, location, quantity, 'order_edited');
  }
  await saveLineCounts(work, line);

  if (plan.backordered > 0) {
    await addBackordered(work, line.sku, plan.backordered);
    work.emit({
      type: 'line.backordered',
      orderId: line.order_id,
      lineId: line.id,
      sku: line.sku,
      data: { quantity: plan.backordered, cause: 'order_edited' },
    });
  }
}
