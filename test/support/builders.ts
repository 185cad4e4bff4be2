import { adjustStock } from '../../src/app/stock.js';
import { upsertSku, type SkuInput } from '../../src/app/catalog.js';
import { placeOrders, type PlaceOrderInput, type PlaceOrderOutcome } from '../../src/app/place-order.js';
import { readOrder, readSku, type OrderView, type SkuView } from '../../src/app/read-models.js';
import { checkInvariants } from '../../src/app/check.js';
import type { Store } from '../../src/store/store.js';
import assert from 'node:assert/strict';

/** Creates a SKU and, when `onHand` is given, counts that stock in at the location. */
export async function givenSku(
  store: Store,
  code: string,
  rules: Partial<SkuInput> & { onHand?: number; location?: string } = {},
): Promise<void> {
  const { onHand, location, ...input } = rules;
  await store.transaction((work) => upsertSku(work, code, { policy: 'stock_only', ...input }));
  if (onHand !== undefined && onHand > 0) {
    await store.transaction((work) =>
      adjustStock(work, { sku: code, location, quantityDelta: onHand, reason: 'initial count' }),
    );
  }
}

export type OrderOptions = Omit<PlaceOrderInput, 'lines' | 'currency'> & { currency?: string };

/** Places one order and returns its outcome. Lines are `[sku, quantity, unitPrice?]`. */
export async function placeOrder(
  store: Store,
  lines: [string, number, number?][],
  options: OrderOptions = {},
): Promise<PlaceOrderOutcome> {
  const input: PlaceOrderInput = {
    currency: 'USD',
    ...options,
    lines: lines.map(([sku, quantity, unitPrice]) => ({ sku, quantity, unitPrice: unitPrice ?? 1000 })),
  };
  const [outcome] = await store.transaction((work) => placeOrders(work, [input]));
  return outcome!;
}

/** Places one order that must be accepted and returns it as the API shows it. */
export async function placeAccepted(
  store: Store,
  lines: [string, number, number?][],
  options: OrderOptions = {},
): Promise<OrderView> {
  const outcome = await placeOrder(store, lines, options);
  assert.equal(outcome.accepted, true, `order was rejected: ${JSON.stringify(outcome)}`);
  return readOrder(store.db, (outcome as { orderId: string }).orderId);
}

export function skuView(store: Store, code: string): Promise<SkuView> {
  return readSku(store.db, code);
}

export function orderView(store: Store, id: string): Promise<OrderView> {
  return readOrder(store.db, id);
}

/** Fails the test with every broken invariant listed. */
export async function assertInvariants(store: Store): Promise<void> {
  const violations = await checkInvariants(store.db);
  assert.deepEqual(violations, [], `broken invariants:\n${JSON.stringify(violations, null, 2)}`);
}

export async function eventTypes(store: Store, filter: { orderId?: string; sku?: string } = {}): Promise<string[]> {
  let query = store.db.selectFrom('events').select('type').orderBy('seq');
  if (filter.orderId) query = query.where('order_id', '=', filter.orderId);
  if (filter.sku) query = query.where('sku', '=', filter.sku);
  return (await query.execute()).map((row) => row.type);
}
