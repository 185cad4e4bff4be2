import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants, givenSku, placeAccepted } from '../support/builders.js';
import { shipOrder, shipOrders, type ShipmentRequest } from '../../src/app/ship-order.js';
import {
  closePurchaseOrder, createPurchaseOrder, createPurchaseOrders, receive, receiveAll, type PurchaseOrderInput, type ReceiptInput,
} from '../../src/app/purchase-orders.js';
import { RestockError } from '../../src/app/errors.js';
import type { Store } from '../../src/store/store.js';

/**
 * The list versions of shipping, purchase orders and receipts must leave the
 * database as calling the single versions one by one does. Each test builds
 * the same shop twice, applies the list one way in each, and compares what
 * is stored. Ids differ between the two databases, so rows are keyed by an
 * order's external id and a line's position.
 */

interface Shop {
  t: TestStore;
  /** Order ids by external id. */
  orders: Map<string, string>;
  /** Line ids by `externalId:position`. */
  lines: Map<string, string>;
}

async function openShop(): Promise<Shop> {
  return { t: await openTestStore(), orders: new Map(), lines: new Map() };
}

async function place(shop: Shop, externalId: string, lines: [string, number][], options: { shipPolicy?: 'ship_complete'; capture?: 'on_ship' } = {}) {
  const order = await placeAccepted(shop.t.store, lines, { externalId, ...options });
  shop.orders.set(externalId, order.id);
  order.lines.forEach((line, position) => shop.lines.set(`${externalId}:${position}`, line.id));
}

/** Reads what shipping and receiving change, keyed so that two databases compare. */
async function snapshot(store: Store) {
  const db = store.db;
  const orders = await db.selectFrom('orders').select(['id', 'external_id', 'status', 'captured', 'ready_to_ship_at']).orderBy('external_id').execute();
  const externalOf = new Map(orders.map((order) => [order.id, order.external_id]));
  const lines = await db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'position', 'sku', 'allocated', 'backordered', 'shipped', 'status', 'captured', 'estimated_ship_date', 'promised_ship_date'])
    .execute();
  const lineKey = new Map(lines.map((line) => [line.id, `${externalOf.get(line.order_id)}:${line.position}`]));
  const allocations = await db.selectFrom('line_allocations').select(['line_id', 'location', 'quantity']).execute();
  const shipmentLines = await db
    .selectFrom('shipment_lines')
    .innerJoin('shipments', 'shipments.id', 'shipment_lines.shipment_id')
    .select(['shipment_lines.line_id', 'shipment_lines.quantity', 'shipments.location'])
    .execute();
  const purchaseOrders = await db.selectFrom('purchase_orders').select(['id', 'reference', 'status', 'expected_date']).orderBy('reference').execute();
  const referenceOf = new Map(purchaseOrders.map((po) => [po.id, po.reference]));
  const purchaseLines = await db.selectFrom('purchase_order_lines').select(['purchase_order_id', 'position', 'sku', 'quantity', 'received', 'open']).execute();
  const receiptLines = await db.selectFrom('receipt_lines').select(['sku', 'quantity']).orderBy('sku').orderBy('quantity').execute();
  const levels = await db.selectFrom('stock_levels').select(['sku', 'location', 'on_hand', 'allocated']).orderBy('sku').orderBy('location').execute();
  const skus = await db.selectFrom('skus').select(['code', 'backordered']).orderBy('code').execute();
  const movements = await db.selectFrom('stock_movements').select(['sku', 'kind', 'on_hand_delta', 'allocated_delta']).execute();
  const events = await db.selectFrom('events').select(['type']).execute();

  const sorted = <T>(rows: T[]) => rows.map((row) => JSON.stringify(row)).sort();
  return {
    orders: orders.map(({ id: _id, ...order }) => order),
    lines: sorted(lines.map(({ id, order_id: _order, ...line }) => ({ key: lineKey.get(id), ...line }))),
    allocations: sorted(allocations.map(({ line_id, ...allocation }) => ({ line: lineKey.get(line_id), ...allocation }))),
    shipmentLines: sorted(shipmentLines.map(({ line_id, ...row }) => ({ line: lineKey.get(line_id), ...row }))),
    purchaseOrders: purchaseOrders.map(({ id: _id, ...po }) => po),
    purchaseLines: sorted(purchaseLines.map(({ purchase_order_id, ...line }) => ({ po: referenceOf.get(purchase_order_id), ...line }))),
    receiptLines,
    levels,
    skus,
    movements: sorted(movements),
    events: sorted(events),
  };
}

describe(`list use cases (${testDatabase})`, () => {
  let one: Shop;
  let many: Shop;

  beforeEach(async () => {
    one = await openShop();
    many = await openShop();
  });
  afterEach(async () => {
    await one.t.close();
    await many.t.close();
  });

  /** Two SKUs with stock and four orders, one of them ship-complete and one paid on shipment. */
  async function givenShippingShop(shop: Shop): Promise<void> {
    await givenSku(shop.t.store, 'S1', { policy: 'backorder', onHand: 10 });
    await givenSku(shop.t.store, 'S2', { policy: 'backorder', onHand: 5 });
    await place(shop, 'O1', [['S1', 3], ['S2', 2]]);
    await place(shop, 'O2', [['S1', 4]]);
    await place(shop, 'O3', [['S2', 3]], { shipPolicy: 'ship_complete' });
    await place(shop, 'O4', [['S1', 2]], { capture: 'on_ship' });
  }

  /** Shipments in `order:position:quantity` form; one order ships twice. */
  function shipments(shop: Shop, plan: [string, [number, number][]][]): ShipmentRequest[] {
    return plan.map(([externalId, lines]) => ({
      orderId: shop.orders.get(externalId)!,
      lines: lines.map(([position, quantity]) => ({ lineId: shop.lines.get(`${externalId}:${position}`)!, quantity })),
    }));
  }

  const SHIPPING_PLAN: [string, [number, number][]][] = [
    ['O1', [[0, 2], [1, 2]]],
    ['O2', [[0, 4]]],
    ['O1', [[0, 1]]],
    ['O3', [[0, 3]]],
    ['O4', [[0, 2]]],
  ];

  it('shipOrders equals shipOrder one by one', async () => {
    await givenShippingShop(one);
    await givenShippingShop(many);

    await one.t.store.transaction(async (work) => {
      for (const { orderId, ...input } of shipments(one, SHIPPING_PLAN)) await shipOrder(work, orderId, input);
    });
    const ids = await many.t.store.transaction((work) => shipOrders(work, shipments(many, SHIPPING_PLAN)));

    assert.equal(ids.length, SHIPPING_PLAN.length);
    assert.equal(new Set(ids).size, SHIPPING_PLAN.length);
    const expected = await snapshot(one.t.store);
    const actual = await snapshot(many.t.store);
    assert.deepEqual(actual, expected);
    assert.deepEqual(
      actual.orders.map((order) => [order.external_id, order.status, order.captured]),
      [['O1', 'shipped', 5000], ['O2', 'shipped', 4000], ['O3', 'shipped', 3000], ['O4', 'shipped', 2000]],
    );
    assert.deepEqual(actual.levels, [
      { sku: 'S1', location: 'main', on_hand: 1, allocated: 0 },
      { sku: 'S2', location: 'main', on_hand: 0, allocated: 0 },
    ]);
    await assertInvariants(many.t.store);
  });

  it('shipOrders rejects the list when one shipment fails', async () => {
    await givenShippingShop(many);
    const plan: [string, [number, number][]][] = [['O1', [[0, 3]]], ['O2', [[0, 5]]]];

    await assert.rejects(
      many.t.store.transaction((work) => shipOrders(work, shipments(many, plan))),
      (error: unknown) => error instanceof RestockError && error.code === 'invalid_state' && /fewer than the 5 to ship/.test(error.message),
    );
    const shipped = await many.t.store.db.selectFrom('shipments').select('id').execute();
    assert.equal(shipped.length, 0);
    const level = await many.t.store.db.selectFrom('stock_levels').select(['on_hand', 'allocated']).where('sku', '=', 'S1').executeTakeFirstOrThrow();
    assert.deepEqual(level, { on_hand: 10, allocated: 9 });
  });

  /** Two SKUs without stock and three orders waiting for them. */
  async function givenReceivingShop(shop: Shop): Promise<void> {
    await givenSku(shop.t.store, 'R1', { policy: 'backorder', leadTimeDays: 10 });
    await givenSku(shop.t.store, 'R2', { policy: 'backorder', leadTimeDays: 10 });
    await place(shop, 'O1', [['R1', 3]]);
    await place(shop, 'O2', [['R1', 4], ['R2', 1]]);
    await place(shop, 'O3', [['R2', 2]]);
  }

  const PURCHASE_ORDERS: PurchaseOrderInput[] = [
    { reference: 'PO-A', expectedDate: '2026-03-20', lines: [{ sku: 'R1', quantity: 5 }] },
    { reference: 'PO-B', expectedDate: '2026-03-12', lines: [{ sku: 'R2', quantity: 1 }, { sku: 'R1', quantity: 1 }] },
    { reference: 'PO-C', expectedDate: '2026-03-25', lines: [{ sku: 'R2', quantity: 4 }] },
  ];

  it('createPurchaseOrders equals createPurchaseOrder one by one', async () => {
    await givenReceivingShop(one);
    await givenReceivingShop(many);

    await one.t.store.transaction(async (work) => {
      for (const input of PURCHASE_ORDERS) await createPurchaseOrder(work, input);
    });
    const ids = await many.t.store.transaction((work) => createPurchaseOrders(work, PURCHASE_ORDERS));

    assert.equal(ids.length, 3);
    const expected = await snapshot(one.t.store);
    const actual = await snapshot(many.t.store);
    assert.deepEqual(actual, expected);
    // The estimates moved to the expected dates of the purchase orders in both.
    assert.deepEqual(
      actual.lines.map((line) => JSON.parse(line) as { key: string; estimated_ship_date: string }).map((line) => [line.key, line.estimated_ship_date]),
      [['O1:0', '2026-03-20'], ['O2:0', '2026-03-20'], ['O2:1', '2026-03-12'], ['O3:0', '2026-03-25']],
    );
  });

  it('receiveAll equals receive one by one', async () => {
    await givenReceivingShop(one);
    await givenReceivingShop(many);
    const idsOne = await one.t.store.transaction((work) => createPurchaseOrders(work, PURCHASE_ORDERS));
    const idsMany = await many.t.store.transaction((work) => createPurchaseOrders(work, PURCHASE_ORDERS));
    // PO-A is received twice, the second time over its quantity; PO-C only in part.
    const receipts = (ids: string[]): ReceiptInput[] => [
      { purchaseOrderId: ids[0]!, lines: [{ sku: 'R1', quantity: 2 }] },
      { purchaseOrderId: ids[1]!, lines: [{ sku: 'R2', quantity: 1 }, { sku: 'R1', quantity: 1 }] },
      { purchaseOrderId: ids[0]!, lines: [{ sku: 'R1', quantity: 5 }] },
      { purchaseOrderId: ids[2]!, lines: [{ sku: 'R2', quantity: 1 }] },
    ];

    const resultsOne = await one.t.store.transaction(async (work) => {
      const results = [];
      for (const { purchaseOrderId, lines } of receipts(idsOne)) results.push(await receive(work, purchaseOrderId, lines));
      return results;
    });
    const resultsMany = await many.t.store.transaction((work) => receiveAll(work, receipts(idsMany)));

    const served = (shop: Shop, results: typeof resultsOne) => {
      const keyOf = new Map([...shop.lines].map(([key, id]) => [id, key]));
      return results.map((result) => result.allocations.map((allocation) => [keyOf.get(allocation.lineId), allocation.quantity]));
    };
    assert.deepEqual(served(many, resultsMany), served(one, resultsOne));
    assert.deepEqual(served(many, resultsMany), [[['O1:0', 2]], [['O2:1', 1], ['O1:0', 1]], [['O2:0', 4]], [['O3:0', 1]]]);
    const expected = await snapshot(one.t.store);
    const actual = await snapshot(many.t.store);
    assert.deepEqual(actual, expected);
    assert.deepEqual(
      actual.purchaseOrders.map((po) => [po.reference, po.status]),
      [['PO-A', 'received'], ['PO-B', 'received'], ['PO-C', 'partially_received']],
    );
    assert.deepEqual(actual.levels, [
      { sku: 'R1', location: 'main', on_hand: 8, allocated: 7 },
      { sku: 'R2', location: 'main', on_hand: 2, allocated: 2 },
    ]);
    assert.deepEqual(actual.skus, [{ code: 'R1', backordered: 0 }, { code: 'R2', backordered: 1 }]);
    await assertInvariants(many.t.store);
  });

  it('receiveAll rejects the list when a purchase order is closed', async () => {
    await givenReceivingShop(many);
    const ids = await many.t.store.transaction((work) => createPurchaseOrders(work, PURCHASE_ORDERS));
    await many.t.store.transaction((work) => closePurchaseOrder(work, ids[2]!));

    await assert.rejects(
      many.t.store.transaction((work) =>
        receiveAll(work, [
          { purchaseOrderId: ids[0]!, lines: [{ sku: 'R1', quantity: 5 }] },
          { purchaseOrderId: ids[2]!, lines: [{ sku: 'R2', quantity: 1 }] },
        ]),
      ),
      (error: unknown) => error instanceof RestockError && error.code === 'invalid_state' && error.message.includes(`Purchase order ${ids[2]} is closed`),
    );
    const receipts = await many.t.store.db.selectFrom('receipts').select('id').execute();
    assert.equal(receipts.length, 0);
    const level = await many.t.store.db.selectFrom('stock_levels').select(['on_hand']).where('sku', '=', 'R1').executeTakeFirst();
    assert.equal(level?.on_hand ?? 0, 0);
  });
});
