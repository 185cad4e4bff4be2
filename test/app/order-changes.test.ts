import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants, eventTypes, givenSku, orderView, placeAccepted } from '../support/builders.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { upsertLocation } from '../../src/app/catalog.js';
import { editOrderLine, type LineEditInput } from '../../src/app/edit-order.js';
import { createPurchaseOrder, receive } from '../../src/app/purchase-orders.js';
import { readLevels, readQueue, type OrderView } from '../../src/app/read-models.js';
import { returnOrder, type ReturnInput } from '../../src/app/return-order.js';
import { shipOrder } from '../../src/app/ship-order.js';
import type { Store } from '../../src/store/store.js';

async function levelOf(store: Store, sku: string, location = 'main') {
  const level = (await readLevels(store.db, sku)).find((l) => l.location === location);
  assert.ok(level, `no stock level for ${sku} at ${location}`);
  return { on_hand: level.on_hand, allocated: level.allocated, available: level.available };
}

function ship(store: Store, order: OrderView, quantity: number, location?: string) {
  return store.transaction((work) => shipOrder(work, order.id, { location, lines: [{ lineId: order.lines[0]!.id, quantity }] }));
}

function edit(store: Store, order: OrderView, input: LineEditInput) {
  return store.transaction((work) => editOrderLine(work, order.id, order.lines[0]!.id, input));
}

function giveBack(store: Store, order: OrderView, quantity: number, flags: Omit<ReturnInput, 'lines'>) {
  return store.transaction((work) => returnOrder(work, order.id, { ...flags, lines: [{ lineId: order.lines[0]!.id, quantity }] }));
}

/** Reads the first line of an order as stored now: `[quantity, allocated, backordered, shipped, cancelled, returned]`. */
async function lineCounts(store: Store, order: OrderView): Promise<number[]> {
  const line = (await orderView(store, order.id)).lines[0]!;
  return [line.quantity, line.allocated, line.backordered, line.shipped, line.cancelled, line.returned];
}

async function refundEvents(store: Store, orderId: string): Promise<number[]> {
  const rows = await store.db
    .selectFrom('events')
    .select('data')
    .where('type', '=', 'refund.requested')
    .where('order_id', '=', orderId)
    .orderBy('seq')
    .execute();
  return rows.map((row) => (JSON.parse(row.data) as { amount: number }).amount);
}

/** Returns an order's event types without the promise bookkeeping, which other rules govern. */
async function orderEvents(store: Store, orderId: string): Promise<string[]> {
  return (await eventTypes(store, { orderId })).filter((type) => !type.startsWith('promise.'));
}

async function movementKinds(store: Store, sku: string): Promise<string[]> {
  const rows = await store.db.selectFrom('stock_movements').select('kind').where('sku', '=', sku).orderBy('id').execute();
  return rows.map((row) => row.kind);
}

async function withStore(body: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await openTestStore();
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

describe(`returns (${testDatabase})`, () => {
  for (const restock of [false, true]) {
    it(`return after cancel and ship, restock ${restock} [C5]`, () =>
      withStore(async (t) => {
        await givenSku(t.store, 'F', { onHand: 10 });
        const first = await placeAccepted(t.store, [['F', 2, 1500]]);
        const second = await placeAccepted(t.store, [['F', 3, 1500]]);
        assert.deepEqual(await levelOf(t.store, 'F'), { on_hand: 10, allocated: 5, available: 5 });

        await t.store.transaction((work) => cancelOrder(work, first.id, { reason: 'changed mind' }));
        assert.deepEqual(await levelOf(t.store, 'F'), { on_hand: 10, allocated: 3, available: 7 });

        await ship(t.store, second, 3);
        assert.deepEqual(await levelOf(t.store, 'F'), { on_hand: 7, allocated: 0, available: 7 });

        const result = await giveBack(t.store, second, 3, { restock, refund: true });

        const onHand = restock ? 10 : 7;
        assert.deepEqual(await levelOf(t.store, 'F'), { on_hand: onHand, allocated: 0, available: onHand });
        assert.deepEqual(result.refund, { amount: 4500, currency: 'USD' });
        assert.deepEqual(await lineCounts(t.store, second), [3, 0, 0, 3, 0, 3]);
        const view = await orderView(t.store, second.id);
        assert.equal(view.status, 'shipped');
        assert.deepEqual(view.payment, { capture: 'upfront', captured: 4500, refunded: 4500 });
        const kinds = await movementKinds(t.store, 'F');
        assert.equal(kinds.filter((kind) => kind === 'return').length, restock ? 1 : 0);
        await assertInvariants(t.store);
      }));
  }

  it('cancel after a refunded return changes nothing [C6]', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'G', { onHand: 10 });
      const order = await placeAccepted(t.store, [['G', 1, 2500]]);
      await ship(t.store, order, 1);
      assert.deepEqual(await levelOf(t.store, 'G'), { on_hand: 9, allocated: 0, available: 9 });

      await giveBack(t.store, order, 1, { restock: true, refund: true });
      assert.deepEqual(await levelOf(t.store, 'G'), { on_hand: 10, allocated: 0, available: 10 });

      await assert.rejects(
        t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'changed mind' })),
        { name: 'RestockError', code: 'invalid_state' },
      );

      assert.deepEqual(await levelOf(t.store, 'G'), { on_hand: 10, allocated: 0, available: 10 });
      assert.deepEqual(await refundEvents(t.store, order.id), [2500]);
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 2500, refunded: 2500 });
      await assertInvariants(t.store);
    }));

  it('returning more than shipped is rejected', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'RS', { onHand: 10 });
      const order = await placeAccepted(t.store, [['RS', 3, 1000]]);
      await ship(t.store, order, 2);

      await assert.rejects(giveBack(t.store, order, 3, { restock: true, refund: true }), { name: 'RestockError', code: 'invalid_state' });

      assert.deepEqual(await lineCounts(t.store, order), [3, 1, 0, 2, 0, 0]);
      assert.deepEqual(await levelOf(t.store, 'RS'), { on_hand: 8, allocated: 1, available: 7 });
      assert.deepEqual(await refundEvents(t.store, order.id), []);
      await assertInvariants(t.store);
    }));

  it('an unshipped line cannot be returned', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'RU', { onHand: 10 });
      const order = await placeAccepted(t.store, [['RU', 2, 1000]]);

      await assert.rejects(giveBack(t.store, order, 1, { restock: false, refund: false }), { name: 'RestockError', code: 'invalid_state' });
      await assertInvariants(t.store);
    }));

  it('each unit is returned and refunded once', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'RO', { onHand: 10 });
      const order = await placeAccepted(t.store, [['RO', 2, 1000]]);
      await ship(t.store, order, 2);

      const first = await giveBack(t.store, order, 1, { restock: false, refund: true });
      const second = await giveBack(t.store, order, 1, { restock: false, refund: true });
      await assert.rejects(giveBack(t.store, order, 1, { restock: false, refund: true }), { name: 'RestockError', code: 'invalid_state' });

      assert.equal(first.refund.amount, 1000);
      assert.equal(second.refund.amount, 1000);
      assert.deepEqual(await refundEvents(t.store, order.id), [1000, 1000]);
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 2000, refunded: 2000 });
      assert.deepEqual(await lineCounts(t.store, order), [2, 0, 0, 2, 0, 2]);
      await assertInvariants(t.store);
    }));

  it('return without refund keeps the payment', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'RK', { onHand: 5 });
      const order = await placeAccepted(t.store, [['RK', 2, 1000]]);
      await ship(t.store, order, 2);

      const result = await giveBack(t.store, order, 2, { restock: true, refund: false });

      assert.deepEqual(result.refund, { amount: 0, currency: 'USD' });
      assert.deepEqual(await refundEvents(t.store, order.id), []);
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 2000, refunded: 0 });
      assert.deepEqual(await levelOf(t.store, 'RK'), { on_hand: 5, allocated: 0, available: 5 });
      assert.deepEqual(await orderEvents(t.store, order.id), [
        'order.placed', 'line.allocated', 'order.ready_to_ship', 'line.shipped', 'line.returned',
      ]);
      await assertInvariants(t.store);
    }));

  it('restocked return serves the queue first', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'RQ', { policy: 'backorder', onHand: 1 });
      const shipped = await placeAccepted(t.store, [['RQ', 1, 1000]]);
      await ship(t.store, shipped, 1);
      const waiting = await placeAccepted(t.store, [['RQ', 1, 1000]]);
      assert.equal(waiting.status, 'backordered');

      await giveBack(t.store, shipped, 1, { restock: true, refund: true });

      assert.deepEqual(await levelOf(t.store, 'RQ'), { on_hand: 1, allocated: 1, available: 0 });
      assert.equal((await orderView(t.store, waiting.id)).status, 'allocated');
      assert.deepEqual(await readQueue(t.store.db, 'RQ'), []);
      await assertInvariants(t.store);
    }));

  it('return restocks where the newest shipment left', () =>
    withStore(async (t) => {
      await t.store.transaction((work) => upsertLocation(work, 'east', { priority: 200 }));
      await givenSku(t.store, 'RL', { onHand: 1 });
      await givenSku(t.store, 'RL', { onHand: 1, location: 'east' });
      const order = await placeAccepted(t.store, [['RL', 2, 1000]]);
      await ship(t.store, order, 1, 'main');
      t.clock.advance(60_000);
      await ship(t.store, order, 1, 'east');

      const result = await giveBack(t.store, order, 1, { restock: true, refund: true });

      assert.deepEqual(result.lines.map((line) => [line.location, line.quantity]), [['east', 1]]);
      assert.deepEqual(await levelOf(t.store, 'RL', 'east'), { on_hand: 1, allocated: 0, available: 1 });
      assert.deepEqual(await levelOf(t.store, 'RL', 'main'), { on_hand: 0, allocated: 0, available: 0 });
      await assertInvariants(t.store);
    }));

  it('return refunds the price each unit shipped at', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'RP', { onHand: 5 });
      const order = await placeAccepted(t.store, [['RP', 2, 1000]], { capture: 'on_ship' });
      await ship(t.store, order, 1);
      await edit(t.store, order, { unitPrice: 1500 });
      t.clock.advance(60_000);
      await ship(t.store, order, 1);
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'on_ship', captured: 2500, refunded: 0 });

      const newest = await giveBack(t.store, order, 1, { restock: false, refund: true });
      const oldest = await giveBack(t.store, order, 1, { restock: false, refund: true });

      assert.equal(newest.refund.amount, 1500);
      assert.equal(oldest.refund.amount, 1000);
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'on_ship', captured: 2500, refunded: 2500 });
      await assertInvariants(t.store);
    }));
});

describe(`order edits (${testDatabase})`, () => {
  it('edit never re-reserves shipped units [C8]', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'X', { onHand: 5 });
      const order = await placeAccepted(t.store, [['X', 3, 1000]]);
      await ship(t.store, order, 2);
      assert.deepEqual(await levelOf(t.store, 'X'), { on_hand: 3, allocated: 1, available: 2 });

      const repriced = await edit(t.store, order, { unitPrice: 1200 });
      assert.deepEqual(await levelOf(t.store, 'X'), { on_hand: 3, allocated: 1, available: 2 });
      assert.equal(repriced.captured, 200);
      assert.deepEqual(await lineCounts(t.store, order), [3, 1, 0, 2, 0, 0]);

      const raised = await edit(t.store, order, { quantity: 4 });
      assert.deepEqual(await levelOf(t.store, 'X'), { on_hand: 3, allocated: 2, available: 1 });
      assert.equal(raised.captured, 1200);
      assert.deepEqual(await lineCounts(t.store, order), [4, 2, 0, 2, 0, 0]);

      const view = await orderView(t.store, order.id);
      assert.equal(view.lines[0]!.unit_price, 1200);
      assert.deepEqual(view.payment, { capture: 'upfront', captured: 4400, refunded: 0 });
      await assertInvariants(t.store);
    }));

  it('edit below shipped is rejected', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EB', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EB', 3, 1000]]);
      await ship(t.store, order, 2);

      await assert.rejects(edit(t.store, order, { quantity: 1 }), { name: 'RestockError', code: 'invalid_state' });

      assert.deepEqual(await lineCounts(t.store, order), [3, 1, 0, 2, 0, 0]);
      assert.deepEqual(await levelOf(t.store, 'EB'), { on_hand: 3, allocated: 1, available: 2 });
      await assertInvariants(t.store);
    }));

  it('edit down to shipped cancels the rest', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'ES', { onHand: 5 });
      const order = await placeAccepted(t.store, [['ES', 3, 1000]]);
      await ship(t.store, order, 2);

      const result = await edit(t.store, order, { quantity: 2 });

      assert.deepEqual(result.refund, { amount: 1000, currency: 'USD' });
      assert.deepEqual(await lineCounts(t.store, order), [3, 0, 0, 2, 1, 0]);
      assert.equal((await orderView(t.store, order.id)).status, 'shipped');
      assert.deepEqual(await levelOf(t.store, 'ES'), { on_hand: 3, allocated: 0, available: 3 });
      await assertInvariants(t.store);
    }));

  it('lowering cancels backordered units first', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EL', { policy: 'backorder', onHand: 2 });
      const order = await placeAccepted(t.store, [['EL', 4, 1000]]);
      const later = await placeAccepted(t.store, [['EL', 1, 1000]]);
      assert.deepEqual(await lineCounts(t.store, order), [4, 2, 2, 0, 0, 0]);

      const result = await edit(t.store, order, { quantity: 1 });

      assert.deepEqual(result.refund, { amount: 3000, currency: 'USD' });
      assert.deepEqual(await lineCounts(t.store, order), [4, 1, 0, 0, 3, 0]);
      // The released unit goes to the waiting order before it becomes available.
      assert.equal((await orderView(t.store, later.id)).status, 'allocated');
      assert.deepEqual(await levelOf(t.store, 'EL'), { on_hand: 2, allocated: 2, available: 0 });
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 4000, refunded: 3000 });
      const types = await orderEvents(t.store, order.id);
      assert.deepEqual(types.slice(-3), ['line.edited', 'line.cancelled', 'refund.requested']);
      await assertInvariants(t.store);
    }));

  it('raised units keep the line place', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EQ', { policy: 'backorder' });
      const early = await placeAccepted(t.store, [['EQ', 1, 1000]]);
      t.clock.advance(60_000);
      const late = await placeAccepted(t.store, [['EQ', 1, 1000]]);

      await edit(t.store, early, { quantity: 3 });
      const queue = await readQueue(t.store.db, 'EQ');
      assert.deepEqual(queue.map((entry) => [entry.order_id, entry.backordered]), [[early.id, 3], [late.id, 1]]);

      const po = await t.store.transaction((work) =>
        createPurchaseOrder(work, { reference: 'PO-EQ', expectedDate: '2026-03-20', lines: [{ sku: 'EQ', quantity: 3 }] }),
      );
      await t.store.transaction((work) => receive(work, po, [{ sku: 'EQ', quantity: 3 }]));

      assert.deepEqual(await lineCounts(t.store, early), [3, 3, 0, 0, 0, 0]);
      assert.equal((await orderView(t.store, late.id)).status, 'backordered');
      await assertInvariants(t.store);
    }));

  it('raising allocates free stock first', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EA', { policy: 'backorder', onHand: 3 });
      const order = await placeAccepted(t.store, [['EA', 2, 1000]]);

      const result = await edit(t.store, order, { quantity: 5 });

      assert.equal(result.captured, 3000);
      assert.deepEqual(await lineCounts(t.store, order), [5, 3, 2, 0, 0, 0]);
      assert.equal((await orderView(t.store, order.id)).status, 'partially_backordered');
      assert.deepEqual(await levelOf(t.store, 'EA'), { on_hand: 3, allocated: 3, available: 0 });
      const types = await orderEvents(t.store, order.id);
      assert.deepEqual(types.slice(-3), ['line.edited', 'line.allocated', 'line.backordered']);
      await assertInvariants(t.store);
    }));

  it('raising past stock_only stock is rejected', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EO', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EO', 2, 1000]]);

      await assert.rejects(edit(t.store, order, { quantity: 6 }), {
        name: 'RestockError',
        code: 'not_orderable',
        details: [{ sku: 'EO', reason: 'insufficient_stock', max_orderable: 5 }],
      });

      assert.deepEqual(await lineCounts(t.store, order), [2, 2, 0, 0, 0, 0]);
      assert.deepEqual(await levelOf(t.store, 'EO'), { on_hand: 5, allocated: 2, available: 3 });
      await edit(t.store, order, { quantity: 5 });
      assert.deepEqual(await levelOf(t.store, 'EO'), { on_hand: 5, allocated: 5, available: 0 });
      await assertInvariants(t.store);
    }));

  it('raising past the backorder limit is rejected', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EK', { policy: 'backorder', backorderLimit: 2 });
      const order = await placeAccepted(t.store, [['EK', 1, 1000]]);

      await assert.rejects(edit(t.store, order, { quantity: 4 }), {
        name: 'RestockError',
        code: 'not_orderable',
        details: [{ sku: 'EK', reason: 'backorder_limit_reached', max_orderable: 2 }],
      });
      await edit(t.store, order, { quantity: 2 });

      assert.deepEqual(await lineCounts(t.store, order), [2, 0, 2, 0, 0, 0]);
      await assertInvariants(t.store);
    }));

  it('price drop refunds the difference', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EP', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EP', 3, 1000]]);

      const dropped = await edit(t.store, order, { unitPrice: 700 });
      assert.deepEqual(dropped.refund, { amount: 900, currency: 'USD' });
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 3000, refunded: 900 });

      const { refund } = await t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'changed mind' }));
      assert.deepEqual(refund, { amount: 2100, currency: 'USD' });
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 3000, refunded: 3000 });
      assert.deepEqual(await refundEvents(t.store, order.id), [900, 2100]);
      await assertInvariants(t.store);
    }));

  it('quantity and price change together', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EC', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EC', 4, 1000]]);

      const result = await edit(t.store, order, { quantity: 2, unitPrice: 1100 });

      // Two units are cancelled at the old price; the two kept cost 100 more each.
      assert.deepEqual(result.refund, { amount: 2000, currency: 'USD' });
      assert.equal(result.captured, 200);
      assert.deepEqual(await lineCounts(t.store, order), [4, 2, 0, 0, 2, 0]);
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 4200, refunded: 2000 });
      await assertInvariants(t.store);
    }));

  it('price change on shipment capture moves no money', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EN', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EN', 2, 1000]], { capture: 'on_ship' });

      const result = await edit(t.store, order, { unitPrice: 800 });
      await ship(t.store, order, 2);

      assert.equal(result.captured, 0);
      assert.equal(result.refund.amount, 0);
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'on_ship', captured: 1600, refunded: 0 });
      await assertInvariants(t.store);
    }));

  it('unchanged edit writes nothing', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EU', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EU', 2, 1000]]);
      const before = await eventTypes(t.store);

      await edit(t.store, order, { quantity: 2, unitPrice: 1000 });

      assert.deepEqual(await eventTypes(t.store), before);
      await assertInvariants(t.store);
    }));

  it('edit writes old and new values', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EV', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EV', 2, 1000]]);

      await edit(t.store, order, { quantity: 3, unitPrice: 900 });

      const row = await t.store.db
        .selectFrom('events')
        .select(['line_id', 'sku', 'data'])
        .where('type', '=', 'line.edited')
        .executeTakeFirstOrThrow();
      assert.equal(row.line_id, order.lines[0]!.id);
      assert.equal(row.sku, 'EV');
      assert.deepEqual(JSON.parse(row.data), {
        old_quantity: 2, new_quantity: 3, old_unit_price: 1000, new_unit_price: 900, captured: 900, refunded: 200, currency: 'USD',
      });
      await assertInvariants(t.store);
    }));

  it('cancelled line cannot be edited', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EX', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EX', 2, 1000]]);
      await t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'changed mind' }));

      await assert.rejects(edit(t.store, order, { quantity: 3 }), { name: 'RestockError', code: 'invalid_state' });
      await assertInvariants(t.store);
    }));

  it('price of a shipped line cannot change', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EH', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EH', 2, 1000]]);
      await ship(t.store, order, 2);

      await assert.rejects(edit(t.store, order, { unitPrice: 500 }), { name: 'RestockError', code: 'invalid_state' });
      assert.equal((await orderView(t.store, order.id)).lines[0]!.unit_price, 1000);
      await assertInvariants(t.store);
    }));

  it('unknown line is not found', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'EF', { onHand: 5 });
      const order = await placeAccepted(t.store, [['EF', 2, 1000]]);

      await assert.rejects(
        t.store.transaction((work) => editOrderLine(work, order.id, 'line_missing', { quantity: 1 })),
        { name: 'RestockError', code: 'not_found' },
      );
      await assert.rejects(
        t.store.transaction((work) => returnOrder(work, order.id, { lines: [{ lineId: 'line_missing', quantity: 1 }], restock: false, refund: false })),
        { name: 'RestockError', code: 'not_found' },
      );
    }));
});
