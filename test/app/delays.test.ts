import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { upsertLocation } from '../../src/app/catalog.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { acceptDelay, cancelDelayedItems } from '../../src/app/customer-self-service.js';
import { reviewDelays } from '../../src/app/delays.js';
import { createPurchaseOrder, redatePurchaseOrder } from '../../src/app/purchase-orders.js';
import type { Store } from '../../src/store/store.js';
import { assertInvariants, givenSku, orderView, placeAccepted } from '../support/builders.js';
import { openTestStore, type TestStore } from '../support/database.js';

/** The clock starts on Monday 2 March 2026 at noon UTC; the purchase order is due on Monday 16 March. */
const PROMISE = '2026-03-16';

interface StoredEvent {
  type: string;
  data: any;
  created_at: string;
}

async function orderEvents(store: Store, orderId: string, prefix = ''): Promise<StoredEvent[]> {
  const rows = await store.db.selectFrom('events').select(['type', 'data', 'created_at']).where('order_id', '=', orderId).orderBy('seq').execute();
  return rows.filter((row) => row.type.startsWith(prefix)).map((row) => ({ type: row.type, data: JSON.parse(row.data), created_at: row.created_at }));
}

/** A backordered order of 2 units at 1,500 each, waiting for a purchase order due on PROMISE; returns the ids. */
async function givenBackorder(t: TestStore): Promise<{ orderId: string; lineId: string; purchaseOrderId: string }> {
  await givenSku(t.store, 'TOTE', { policy: 'backorder' });
  const purchaseOrderId = await t.store.transaction((work) =>
    createPurchaseOrder(work, { reference: 'PO-1', expectedDate: PROMISE, lines: [{ sku: 'TOTE', quantity: 10 }] }),
  );
  const order = await placeAccepted(t.store, [['TOTE', 2, 1500]]);
  assert.equal(order.lines[0]!.promised_ship_date, PROMISE);
  return { orderId: order.id, lineId: order.lines[0]!.id, purchaseOrderId };
}

async function slip(t: TestStore, purchaseOrderId: string, expectedDate: string): Promise<void> {
  await t.store.transaction((work) => redatePurchaseOrder(work, purchaseOrderId, expectedDate));
}

async function withStore(body: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await openTestStore();
  try {
    await body(t);
    await assertInvariants(t.store);
  } finally {
    await t.close();
  }
}

async function lineRow(store: Store, lineId: string) {
  return store.db.selectFrom('order_lines').selectAll().where('id', '=', lineId).executeTakeFirstOrThrow();
}

describe('delay notices', () => {
  it('slip within 30 days becomes accepted by silence', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenBackorder(t);
      t.clock.set('2026-03-05T09:00:00.000Z');
      await slip(t, purchaseOrderId, '2026-04-01');

      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, orderId, 'delay.');
      assert.equal(notice!.type, 'delay.notice_sent');
      assert.ok(notice!.created_at < PROMISE, `notice sent at ${notice!.created_at}, not before ${PROMISE}`);
      assert.equal(notice!.data.notice, 'first');
      assert.equal(notice!.data.consent, 'silence');
      assert.equal(notice!.data.respond_by, PROMISE);
      assert.equal(notice!.data.revised_date, '2026-04-01');
      assert.equal(notice!.data.reason, null);
      assert.deepEqual(notice!.data.lines, [{ line_id: lineId, sku: 'TOTE', quantity: 2, promised_date: PROMISE, revised_date: '2026-04-01' }]);

      await reviewDelays(t.store);
      assert.equal((await orderEvents(t.store, orderId, 'delay.')).length, 1, 'a second review sends no second notice');

      t.clock.set('2026-03-16T23:00:00.000Z');
      await reviewDelays(t.store);
      assert.equal((await orderEvents(t.store, orderId, 'delay.')).length, 1, 'silence counts only once the last day has passed');

      t.clock.set('2026-03-17T06:00:00.000Z');
      await reviewDelays(t.store);
      const events = await orderEvents(t.store, orderId, 'delay.');
      assert.deepEqual(events.map((e) => e.type), ['delay.notice_sent', 'delay.accepted']);
      assert.equal(events[1]!.data.by, 'silence');
      const line = await lineRow(t.store, lineId);
      assert.equal(line.ship_by_date, '2026-04-01');
      assert.equal(line.delay_state, null);
      assert.equal(line.backordered, 2);
      const stored = await t.store.db.selectFrom('delay_notices').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
      assert.equal(stored.answer, 'lapsed');
    }));

  it('slip beyond 30 days without reply cancels and refunds', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenBackorder(t);
      t.clock.set('2026-03-10T15:00:00.000Z');
      await slip(t, purchaseOrderId, '2026-05-04');

      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, orderId, 'delay.');
      assert.equal(notice!.data.consent, 'explicit');
      assert.ok(notice!.created_at < PROMISE);

      t.clock.set('2026-03-17T01:00:00.000Z');
      await reviewDelays(t.store);
      const types = (await orderEvents(t.store, orderId)).map((e) => e.type).filter((type) => !type.startsWith('promise.'));
      assert.deepEqual(types.slice(-4), ['delay.notice_sent', 'line.cancelled', 'refund.requested', 'delay.cancelled']);
      const cancelled = (await orderEvents(t.store, orderId, 'delay.cancelled'))[0]!;
      assert.equal(cancelled.data.cause, 'no_consent');
      assert.deepEqual(cancelled.data.refund, { amount: 3000, currency: 'USD' });

      const order = await orderView(t.store, orderId);
      assert.equal(order.lines[0]!.cancelled, 2);
      assert.equal(order.payment.refunded, 3000);
      const refund = (await orderEvents(t.store, orderId, 'refund.requested'))[0]!;
      const row = await t.store.db.selectFrom('refunds').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
      assert.equal(refund.data.refund_id, row.id);
      assert.equal(refund.data.due_by, '2026-03-26');
      assert.equal(row.due_by, '2026-03-26');
      assert.equal(row.status, 'requested');
      assert.equal((await lineRow(t.store, lineId)).delay_state, null);

      await reviewDelays(t.store);
      assert.equal((await t.store.db.selectFrom('refunds').select('id').execute()).length, 1, 'a later review refunds nothing more');
    }));

  it('accepted delay moves the date in force', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenBackorder(t);
      await slip(t, purchaseOrderId, '2026-05-04');
      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, orderId, 'delay.notice_sent');
      assert.ok(notice!.created_at < PROMISE);

      t.clock.set('2026-03-12T10:00:00.000Z');
      const outcome = await t.store.transaction((work) => acceptDelay(work, orderId, notice!.data.notice_id));
      assert.equal(outcome.kind, 'accepted');
      const again = await t.store.transaction((work) => acceptDelay(work, orderId, notice!.data.notice_id));
      assert.equal(again.kind, 'not_open');

      t.clock.set('2026-03-20T10:00:00.000Z');
      await reviewDelays(t.store);
      const events = await orderEvents(t.store, orderId, 'delay.');
      assert.deepEqual(events.map((e) => e.type), ['delay.notice_sent', 'delay.accepted']);
      assert.equal(events[1]!.data.by, 'customer');
      const line = await lineRow(t.store, lineId);
      assert.equal(line.ship_by_date, '2026-05-04');
      assert.equal(line.backordered, 2);
      assert.equal(line.cancelled, 0);
    }));

  it('second delay without consent cancels', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenBackorder(t);
      await slip(t, purchaseOrderId, '2026-04-01');
      await reviewDelays(t.store);
      t.clock.set('2026-03-17T08:00:00.000Z');
      await reviewDelays(t.store);
      assert.equal((await lineRow(t.store, lineId)).ship_by_date, '2026-04-01');

      t.clock.set('2026-03-25T08:00:00.000Z');
      await slip(t, purchaseOrderId, '2026-04-08');
      await reviewDelays(t.store);
      const renewed = (await orderEvents(t.store, orderId, 'delay.notice_sent'))[1]!;
      assert.equal(renewed.data.notice, 'renewed');
      assert.equal(renewed.data.consent, 'explicit');
      assert.equal(renewed.data.respond_by, '2026-04-01');
      assert.equal(renewed.data.lines[0].promised_date, '2026-04-01');
      assert.ok(renewed.created_at < '2026-04-01', `renewed notice at ${renewed.created_at}`);

      t.clock.set('2026-04-02T08:00:00.000Z');
      await reviewDelays(t.store);
      const types = (await orderEvents(t.store, orderId, 'delay.')).map((e) => e.type);
      assert.deepEqual(types, ['delay.notice_sent', 'delay.accepted', 'delay.notice_sent', 'delay.cancelled']);
      assert.equal((await orderView(t.store, orderId)).lines[0]!.cancelled, 2);
    }));

  it('slip found after the date sends a late notice', () =>
    withStore(async (t) => {
      const { orderId, purchaseOrderId } = await givenBackorder(t);
      t.clock.set('2026-03-18T08:00:00.000Z');
      await slip(t, purchaseOrderId, '2026-03-30');

      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, orderId, 'delay.notice_sent');
      assert.equal(notice!.data.late, true);
      assert.equal(notice!.data.consent, 'explicit');
      assert.equal(notice!.data.respond_by, '2026-03-25');
      assert.equal(notice!.data.revised_date, '2026-03-30');
    }));

  it('customer cancel refunds exactly once', () =>
    withStore(async (t) => {
      const { orderId, purchaseOrderId } = await givenBackorder(t);
      await slip(t, purchaseOrderId, '2026-04-01');
      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, orderId, 'delay.notice_sent');

      const first = await t.store.transaction((work) => cancelDelayedItems(work, orderId, notice!.data.notice_id));
      const second = await t.store.transaction((work) => cancelDelayedItems(work, orderId, notice!.data.notice_id));

      assert.equal(first.kind, 'cancelled');
      assert.equal(second.kind, 'not_open');
      assert.equal((await orderView(t.store, orderId)).payment.refunded, 3000);
      assert.equal((await orderEvents(t.store, orderId, 'refund.requested')).length, 1);
      t.clock.set('2026-03-17T08:00:00.000Z');
      await reviewDelays(t.store);
      assert.deepEqual((await orderEvents(t.store, orderId, 'delay.')).map((e) => e.type), ['delay.notice_sent', 'delay.cancelled']);
    }));
  it('kit line is noticed and cancelled whole', () =>
    withStore(async (t) => {
      const { purchaseOrderId } = await givenBackorder(t);
      await givenSku(t.store, 'STRAP', { onHand: 10 });
      await givenSku(t.store, 'SET', { policy: 'backorder', components: [{ sku: 'TOTE', quantity: 1 }, { sku: 'STRAP', quantity: 2 }] });
      const order = await placeAccepted(t.store, [['SET', 1, 4000]]);
      const kitLine = order.lines.find((l) => l.sku === 'SET')!;
      await slip(t, purchaseOrderId, '2026-05-04');

      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, order.id, 'delay.notice_sent');
      assert.deepEqual(notice!.data.lines.map((l: any) => [l.line_id, l.quantity]), [[kitLine.id, 1]]);
      assert.equal(notice!.data.consent, 'explicit');

      t.clock.set('2026-03-17T08:00:00.000Z');
      await reviewDelays(t.store);
      const after = await orderView(t.store, order.id);
      assert.deepEqual(after.lines.map((l) => l.cancelled), [1, 1, 2]);
      assert.equal(after.payment.refunded, 4000);
      await reviewDelays(t.store);
      assert.equal((await orderEvents(t.store, order.id, 'delay.')).length, 2);
    }));
});

describe('refund due date', () => {
  it('skips the weekend and a holiday', () =>
    withStore(async (t) => {
      await t.store.transaction((work) => upsertLocation(work, 'main', { holidays: ['2026-03-09'] }));
      await givenSku(t.store, 'MUG', { onHand: 5 });
      const order = await placeAccepted(t.store, [['MUG', 1, 800]]);
      t.clock.set('2026-03-06T16:00:00.000Z');

      await t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'changed mind' }));

      const [refund] = await orderEvents(t.store, order.id, 'refund.requested');
      assert.equal(refund!.data.due_by, '2026-03-18');
      assert.equal(refund!.data.amount, 800);
      assert.equal(refund!.data.currency, 'USD');
      assert.equal(refund!.data.reason, 'changed mind');
      assert.match(refund!.data.refund_id, /^rfd_/);
    }));
});
