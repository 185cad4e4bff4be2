import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants, givenSku, orderView, placeAccepted, placeOrder, skuView } from '../support/builders.js';
import { readAvailability } from '../../src/app/availability.js';
import { upsertSku } from '../../src/app/catalog.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { editOrderLine } from '../../src/app/edit-order.js';
import { createPurchaseOrder, receive } from '../../src/app/purchase-orders.js';
import { quoteOrder } from '../../src/app/quote.js';
import { readLevels } from '../../src/app/read-models.js';
import { returnOrder } from '../../src/app/return-order.js';
import { shipOrder } from '../../src/app/ship-order.js';
import { adjustStock } from '../../src/app/stock.js';
import { checkInvariants } from '../../src/app/check.js';
import type { Store } from '../../src/store/store.js';

const invalidState = { name: 'RestockError', code: 'invalid_state' };

async function givenKit(store: Store, code: string, components: { sku: string; quantity: number }[]): Promise<void> {
  await store.transaction((work) => upsertSku(work, code, { policy: 'stock_only', components }));
}

async function withStore(body: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await openTestStore();
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

async function levelOf(store: Store, sku: string) {
  const level = (await readLevels(store.db, sku)).find((l) => l.location === 'main')!;
  return { on_hand: level.on_hand, allocated: level.allocated, available: level.available };
}

function availabilityOf(t: TestStore, sku: string, quantity = 1) {
  return readAvailability(t.store.db, { sku, quantity }, t.clock.now());
}

async function receiveUnits(store: Store, sku: string, quantity: number, expectedDate = '2026-03-20') {
  const purchaseOrderId = await store.transaction((work) =>
    createPurchaseOrder(work, { reference: `PO-${sku}`, expectedDate, lines: [{ sku, quantity }] }),
  );
  return { purchaseOrderId, receipt: await store.transaction((work) => receive(work, purchaseOrderId, [{ sku, quantity }])) };
}

describe(`kits (${testDatabase})`, () => {
  it('kit sells only what its components allow [C13]', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { policy: 'stock_only', onHand: 10 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);

      const before = await availabilityOf(t, 'BU');
      assert.equal(before.available, 5);
      assert.equal(before.maxOrderable, 5);
      assert.equal(before.status, 'in_stock');
      assert.equal((await skuView(t.store, 'BU')).available, 5);

      const tooMany = await placeOrder(t.store, [['BU', 6, 3000]]);
      assert.deepEqual(tooMany, { accepted: false, rejections: [{ sku: 'BU', reason: 'insufficient_stock', maxOrderable: 5 }] });
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 10, allocated: 0, available: 10 });
      await assertInvariants(t.store);

      const order = await placeAccepted(t.store, [['BU', 5, 3000]]);
      assert.equal(order.status, 'allocated');
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 10, allocated: 10, available: 0 });
      await assertInvariants(t.store);

      assert.equal((await availabilityOf(t, 'BU')).available, 0);
      assert.equal((await availabilityOf(t, 'BU')).status, 'out_of_stock');
      assert.equal((await skuView(t.store, 'BU')).available, 0);
      assert.equal((await availabilityOf(t, 'U')).available, 0);
      assert.equal((await skuView(t.store, 'U')).available, 0);

      const oneU = await placeOrder(t.store, [['U', 1, 1000]]);
      assert.deepEqual(oneU, { accepted: false, rejections: [{ sku: 'U', reason: 'insufficient_stock', maxOrderable: 0 }] });
      await assertInvariants(t.store);
    });
  });

  it('kit order has a kit line and component lines', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenSku(t.store, 'V', { onHand: 10 });
      await givenKit(t.store, 'BUV', [{ sku: 'U', quantity: 1 }, { sku: 'V', quantity: 3 }]);

      const order = await placeAccepted(t.store, [['BUV', 2, 4500]]);

      const [kit, u, v] = order.lines;
      assert.equal(order.lines.length, 3);
      assert.deepEqual([kit!.sku, kit!.quantity, kit!.unit_price, kit!.allocated, kit!.backordered, kit!.kit_line_id], ['BUV', 2, 4500, 2, 0, null]);
      assert.deepEqual([u!.sku, u!.quantity, u!.unit_price, u!.allocated, u!.kit_line_id], ['U', 2, 0, 2, kit!.id]);
      assert.deepEqual([v!.sku, v!.quantity, v!.unit_price, v!.allocated, v!.kit_line_id], ['V', 6, 0, 6, kit!.id]);
      assert.equal(kit!.status, 'allocated');
      assert.equal(kit!.estimated_ship_date, u!.estimated_ship_date);
      assert.equal(order.payment.captured, 9000);
      await assertInvariants(t.store);
    });
  });

  it('kit and component are judged together', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);

      const rejected = await placeOrder(t.store, [['BU', 4], ['U', 3]]);
      assert.deepEqual(rejected, {
        accepted: false,
        rejections: [
          { sku: 'BU', reason: 'insufficient_stock', maxOrderable: 3 },
          { sku: 'U', reason: 'insufficient_stock', maxOrderable: 2 },
        ],
      });
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 10, allocated: 0, available: 10 });

      const accepted = await placeAccepted(t.store, [['BU', 3], ['U', 4]]);
      assert.equal(accepted.status, 'allocated');
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 10, allocated: 10, available: 0 });
      await assertInvariants(t.store);
    });
  });

  it('two kits sharing a component are judged together', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenSku(t.store, 'V', { onHand: 30 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      await givenKit(t.store, 'BUV', [{ sku: 'U', quantity: 1 }, { sku: 'V', quantity: 3 }]);

      const rejected = await placeOrder(t.store, [['BU', 3], ['BUV', 5]]);

      assert.deepEqual(rejected, {
        accepted: false,
        rejections: [
          { sku: 'BU', reason: 'insufficient_stock', maxOrderable: 2 },
          { sku: 'BUV', reason: 'insufficient_stock', maxOrderable: 4 },
        ],
      });
      await assertInvariants(t.store);
    });
  });

  it('backordered kit is served by a component receipt', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { policy: 'backorder' });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      const early = await placeAccepted(t.store, [['U', 1]]);
      const kitOrder = await placeAccepted(t.store, [['BU', 2, 3000]]);

      assert.equal(kitOrder.status, 'backordered');
      assert.deepEqual([kitOrder.lines[0]!.allocated, kitOrder.lines[0]!.backordered, kitOrder.lines[0]!.queue_position], [0, 2, null]);
      assert.deepEqual([kitOrder.lines[1]!.backordered, kitOrder.lines[1]!.queue_position], [4, 2]);
      assert.equal((await skuView(t.store, 'BU')).backordered, 0);
      assert.equal((await skuView(t.store, 'U')).backordered, 5);
      await assertInvariants(t.store);

      const { purchaseOrderId, receipt } = await receiveUnits(t.store, 'U', 3);
      assert.deepEqual(
        receipt.allocations.map((a) => [a.orderId, a.quantity]),
        [[early.id, 1], [kitOrder.id, 2]],
      );
      const halfServed = await orderView(t.store, kitOrder.id);
      assert.equal(halfServed.status, 'partially_backordered');
      assert.deepEqual([halfServed.lines[0]!.allocated, halfServed.lines[0]!.backordered, halfServed.lines[0]!.status], [1, 1, 'partially_backordered']);
      assert.deepEqual([halfServed.lines[1]!.allocated, halfServed.lines[1]!.backordered, halfServed.lines[1]!.queue_position], [2, 2, 1]);
      await assertInvariants(t.store);

      await t.store.transaction((work) => receive(work, purchaseOrderId, [{ sku: 'U', quantity: 3 }]));
      const served = await orderView(t.store, kitOrder.id);
      assert.equal(served.status, 'allocated');
      assert.deepEqual([served.lines[0]!.allocated, served.lines[0]!.backordered, served.lines[0]!.status], [2, 0, 'allocated']);
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 6, allocated: 5, available: 1 });
      await assertInvariants(t.store);
    });
  });

  it('kit line dates follow its latest component', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 5 });
      await givenSku(t.store, 'V', { policy: 'backorder' });
      await givenKit(t.store, 'BUV', [{ sku: 'U', quantity: 1 }, { sku: 'V', quantity: 1 }]);
      await t.store.transaction((work) => createPurchaseOrder(work, { reference: 'PO-V', expectedDate: '2026-03-20', lines: [{ sku: 'V', quantity: 5 }] }));

      const availability = await availabilityOf(t, 'BUV', 2);
      const order = await placeAccepted(t.store, [['BUV', 2]]);

      assert.deepEqual([availability.status, availability.shipsBy, availability.shipsByBasis], ['backorder', '2026-03-20', 'inbound']);
      assert.equal(order.lines[1]!.estimated_ship_date, '2026-03-02');
      assert.equal(order.lines[2]!.estimated_ship_date, '2026-03-20');
      assert.deepEqual([order.lines[0]!.promised_ship_date, order.lines[0]!.estimated_ship_date, order.lines[0]!.ship_date_basis], ['2026-03-20', '2026-03-20', 'inbound']);
      await assertInvariants(t.store);
    });
  });

  it('cancelling a kit line refunds once and releases components', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      const order = await placeAccepted(t.store, [['BU', 3, 2500]]);
      const [kit, component] = order.lines;

      const partial = await t.store.transaction((work) => cancelOrder(work, order.id, { lines: [{ lineId: kit!.id, quantity: 1 }], reason: 'changed mind' }));
      assert.deepEqual(partial.refund, { amount: 2500, currency: 'USD' });
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 10, allocated: 4, available: 6 });
      const afterPartial = await orderView(t.store, order.id);
      assert.deepEqual([afterPartial.lines[0]!.cancelled, afterPartial.lines[0]!.allocated], [1, 2]);
      assert.deepEqual([afterPartial.lines[1]!.cancelled, afterPartial.lines[1]!.allocated], [2, 4]);
      await assertInvariants(t.store);

      await assert.rejects(
        t.store.transaction((work) => cancelOrder(work, order.id, { lines: [{ lineId: component!.id, quantity: 2 }], reason: 'component' })),
        invalidState,
      );

      const rest = await t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'changed mind' }));
      assert.deepEqual(rest.refund, { amount: 5000, currency: 'USD' });
      const cancelled = await orderView(t.store, order.id);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.lines[0]!.status, 'cancelled');
      assert.deepEqual(cancelled.payment, { capture: 'upfront', captured: 7500, refunded: 7500 });
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 10, allocated: 0, available: 10 });
      await assertInvariants(t.store);

      await assert.rejects(t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'again' })), invalidState);
      assert.equal((await orderView(t.store, order.id)).payment.refunded, 7500);
    });
  });

  it('cancelled kit units serve the queue', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { policy: 'backorder', onHand: 4 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      const kitOrder = await placeAccepted(t.store, [['BU', 2]]);
      const waiting = await placeAccepted(t.store, [['U', 3]]);

      await t.store.transaction((work) => cancelOrder(work, kitOrder.id, { reason: 'changed mind' }));

      const served = await orderView(t.store, waiting.id);
      assert.deepEqual([served.lines[0]!.allocated, served.lines[0]!.backordered], [3, 0]);
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 4, allocated: 3, available: 1 });
      await assertInvariants(t.store);
    });
  });

  it('ships a kit whole and captures its price', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenSku(t.store, 'V', { onHand: 10 });
      await givenKit(t.store, 'BUV', [{ sku: 'U', quantity: 1 }, { sku: 'V', quantity: 3 }]);
      const order = await placeAccepted(t.store, [['BUV', 2, 4000]], { capture: 'on_ship' });
      const [kit, u] = order.lines;

      await t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: kit!.id, quantity: 1 }] }));
      const partly = await orderView(t.store, order.id);
      assert.equal(partly.status, 'partially_shipped');
      assert.deepEqual([partly.lines[0]!.shipped, partly.lines[0]!.allocated, partly.lines[0]!.status], [1, 1, 'partially_shipped']);
      assert.deepEqual([partly.lines[1]!.shipped, partly.lines[2]!.shipped], [1, 3]);
      assert.equal(partly.payment.captured, 4000);
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 9, allocated: 1, available: 8 });
      assert.deepEqual(await levelOf(t.store, 'V'), { on_hand: 7, allocated: 3, available: 4 });
      await assertInvariants(t.store);

      await assert.rejects(t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: u!.id, quantity: 1 }] })), invalidState);
      await assert.rejects(t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: kit!.id, quantity: 2 }] })), invalidState);

      await t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: kit!.id, quantity: 1 }] }));
      const shipped = await orderView(t.store, order.id);
      assert.equal(shipped.status, 'shipped');
      assert.equal(shipped.lines[0]!.status, 'shipped');
      assert.equal(shipped.payment.captured, 8000);
      assert.deepEqual(await levelOf(t.store, 'V'), { on_hand: 4, allocated: 0, available: 4 });
      await assertInvariants(t.store);
    });
  });

  it('backordered kit cannot ship', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { policy: 'backorder', onHand: 1 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      const order = await placeAccepted(t.store, [['BU', 1]]);

      await assert.rejects(t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: order.lines[0]!.id, quantity: 1 }] })), invalidState);

      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 1, allocated: 1, available: 0 });
      await assertInvariants(t.store);
    });
  });

  it('ship-complete order ships its kits with the rest', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenSku(t.store, 'W', { onHand: 1 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      const order = await placeAccepted(t.store, [['BU', 2], ['W', 1]], { shipPolicy: 'ship_complete' });
      const kitLine = order.lines[0]!.id;
      const wLine = order.lines[2]!.id;

      await assert.rejects(t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: wLine, quantity: 1 }] })), invalidState);
      await t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: kitLine, quantity: 2 }, { lineId: wLine, quantity: 1 }] }));

      assert.equal((await orderView(t.store, order.id)).status, 'shipped');
      await assertInvariants(t.store);
    });
  });

  it('count below allocated sends a kit back to the queue', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { policy: 'backorder', onHand: 4 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      const order = await placeAccepted(t.store, [['BU', 2]]);

      await t.store.transaction((work) => adjustStock(work, { sku: 'U', onHand: 1, reason: 'count' }));

      const view = await orderView(t.store, order.id);
      assert.deepEqual([view.lines[0]!.allocated, view.lines[0]!.backordered, view.lines[0]!.status], [0, 2, 'backordered']);
      assert.deepEqual([view.lines[1]!.allocated, view.lines[1]!.backordered], [1, 3]);
      assert.equal(view.status, 'partially_backordered');
      await assertInvariants(t.store);
    });
  });

  it('invariant check reports a broken kit line', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      const order = await placeAccepted(t.store, [['BU', 2]]);
      const [kit, component] = order.lines;

      await t.store.db.updateTable('order_lines').set({ unit_price: 5 }).where('id', '=', component!.id).execute();
      await t.store.db.updateTable('order_lines').set({ status: 'backordered' }).where('id', '=', kit!.id).execute();
      const violations = await checkInvariants(t.store.db);

      const kitViolations = violations.filter((v) => v.ids.line === kit!.id).map((v) => v.invariant).sort();
      assert.deepEqual(kitViolations, ['kit line matches its components', 'line status']);
    });
  });

  it('kit quote counts kits from stock', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { policy: 'backorder', onHand: 5 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);

      const quote = await quoteOrder(t.store.db, { lines: [{ sku: 'BU', quantity: 3 }] }, t.clock.now());

      assert.equal(quote.orderable, true);
      assert.deepEqual(
        quote.lines.map((line) => [line.sku, line.quantity, line.from_stock, line.backordered, line.status]),
        [['BU', 3, 2, 1, 'backorder']],
      );
    });
  });

  it('kit quote rejects in kits', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 5 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);

      const quote = await quoteOrder(t.store.db, { lines: [{ sku: 'BU', quantity: 3 }] }, t.clock.now());

      assert.equal(quote.orderable, false);
      assert.deepEqual(quote.rejections, [{ sku: 'BU', reason: 'insufficient_stock', max_orderable: 2 }]);
    });
  });

  it('kit holds no stock of its own', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);

      await assert.rejects(t.store.transaction((work) => adjustStock(work, { sku: 'BU', quantityDelta: 1, reason: 'count' })), invalidState);
      await assert.rejects(
        t.store.transaction((work) => createPurchaseOrder(work, { reference: 'PO-1', expectedDate: '2026-03-20', lines: [{ sku: 'BU', quantity: 1 }] })),
        invalidState,
      );

      assert.deepEqual(await readLevels(t.store.db, 'BU'), []);
      await assertInvariants(t.store);
    });
  });

  it('kit definitions are checked', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenSku(t.store, 'V');
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);

      const kitOf = (code: string, components: { sku: string; quantity: number }[]) =>
        t.store.transaction((work) => upsertSku(work, code, { policy: 'stock_only', components }));
      await assert.rejects(kitOf('K1', [{ sku: 'MISSING', quantity: 1 }]), invalidState);
      await assert.rejects(kitOf('K2', [{ sku: 'BU', quantity: 1 }]), invalidState);
      await assert.rejects(kitOf('K3', [{ sku: 'V', quantity: 1 }, { sku: 'V', quantity: 2 }]), invalidState);
      await assert.rejects(kitOf('K4', [{ sku: 'V', quantity: 1001 }]), invalidState);
      await assert.rejects(kitOf('K5', []), invalidState);
      await assert.rejects(kitOf('U', [{ sku: 'V', quantity: 1 }]), invalidState);
      await assert.rejects(kitOf('V', [{ sku: 'V', quantity: 1 }]), invalidState);
      await assert.rejects(
        t.store.transaction((work) => upsertSku(work, 'K6', { policy: 'backorder', backorderLimit: 5, components: [{ sku: 'V', quantity: 1 }] })),
        invalidState,
      );

      await kitOf('V', [{ sku: 'U', quantity: 1 }]);
      assert.deepEqual((await skuView(t.store, 'V')).components, [{ sku: 'U', quantity: 1 }]);
    });
  });

  it('SKU with stock cannot become a kit', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenSku(t.store, 'X', { onHand: 1 });

      await assert.rejects(t.store.transaction((work) => upsertSku(work, 'X', { policy: 'stock_only', components: [{ sku: 'U', quantity: 1 }] })), invalidState);

      assert.equal((await skuView(t.store, 'X')).components, null);
    });
  });

  it('kit keeps its components when left out', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U');
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);

      await t.store.transaction((work) => upsertSku(work, 'BU', { name: 'Bundle', policy: 'stock_only' }));
      assert.deepEqual((await skuView(t.store, 'BU')).components, [{ sku: 'U', quantity: 2 }]);

      await t.store.transaction((work) => upsertSku(work, 'BU', { policy: 'stock_only', components: null }));
      assert.equal((await skuView(t.store, 'BU')).components, null);
    });
  });

  it('kit lines reject edits and returns', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { onHand: 10 });
      await givenKit(t.store, 'BU', [{ sku: 'U', quantity: 2 }]);
      const order = await placeAccepted(t.store, [['BU', 2]]);
      const [kit, component] = order.lines;
      await t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: kit!.id, quantity: 2 }] }));

      await assert.rejects(t.store.transaction((work) => editOrderLine(work, order.id, kit!.id, { unitPrice: 500 })), invalidState);
      await assert.rejects(t.store.transaction((work) => editOrderLine(work, order.id, component!.id, { quantity: 3 })), invalidState);
      await assert.rejects(
        t.store.transaction((work) => returnOrder(work, order.id, { lines: [{ lineId: kit!.id, quantity: 1 }], restock: true, refund: true })),
        invalidState,
      );
      await assert.rejects(
        t.store.transaction((work) => returnOrder(work, order.id, { lines: [{ lineId: component!.id, quantity: 2 }], restock: true, refund: true })),
        invalidState,
      );
      assert.deepEqual(await levelOf(t.store, 'U'), { on_hand: 6, allocated: 0, available: 6 });
      await assertInvariants(t.store);
    });
  });
});
