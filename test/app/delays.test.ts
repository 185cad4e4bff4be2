import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { upsertLocation } from '../../src/app/catalog.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { acceptDelay, cancelDelayedItems, cancelWaitingUnits } from '../../src/app/customer-self-service.js';
import { reviewDelays } from '../../src/app/delays.js';
import { createPurchaseOrder, receive, redatePurchaseOrder } from '../../src/app/purchase-orders.js';
import { adjustStock } from '../../src/app/stock.js';
import type { ShipPolicy } from '../../src/domain/types.js';
import { runDelayReview, scheduleDelayReview } from '../../src/jobs/delay-review.js';
import { pino } from 'pino';
import { Writable } from 'node:stream';
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

/**
 * Places an order of MUG ×2 at 800 each with 1 unit on hand: 1 allocated and
 * 1 backordered on a purchase order due on PROMISE. Returns the ids.
 */
async function givenPartlyInStock(t: TestStore, shipPolicy: ShipPolicy): Promise<{ orderId: string; lineId: string; purchaseOrderId: string }> {
  await givenSku(t.store, 'MUG', { policy: 'backorder', onHand: 1 });
  const purchaseOrderId = await t.store.transaction((work) =>
    createPurchaseOrder(work, { reference: 'PO-M', expectedDate: PROMISE, lines: [{ sku: 'MUG', quantity: 10 }] }),
  );
  const order = await placeAccepted(t.store, [['MUG', 2, 800]], { shipPolicy });
  assert.equal(order.lines[0]!.allocated, 1);
  assert.equal(order.lines[0]!.backordered, 1);
  assert.equal(order.lines[0]!.promised_ship_date, PROMISE);
  return { orderId: order.id, lineId: order.lines[0]!.id, purchaseOrderId };
}

describe('delayed units by ship policy', () => {
  it('ship_partial notice covers backordered units only', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenPartlyInStock(t, 'ship_partial');
      await slip(t, purchaseOrderId, '2026-04-01');

      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, orderId, 'delay.notice_sent');
      assert.equal(notice!.data.lines[0].quantity, 1);
      const stored = await t.store.db.selectFrom('delay_notices').select('lines').where('order_id', '=', orderId).executeTakeFirstOrThrow();
      assert.equal(JSON.parse(stored.lines)[0].quantity, 1);

      const outcome = await t.store.transaction((work) => cancelDelayedItems(work, orderId, notice!.data.notice_id));
      assert.equal(outcome.kind, 'cancelled');
      assert.deepEqual(outcome.kind === 'cancelled' ? [outcome.units, outcome.refund.amount] : [], [1, 800]);
      const line = await lineRow(t.store, lineId);
      assert.equal(line.cancelled, 1);
      assert.equal(line.allocated, 1, 'the unit in stock stays allocated');
      assert.equal(line.backordered, 0);
      assert.equal((await orderView(t.store, orderId)).payment.refunded, 800);
    }));

  it('ship_partial lapse cancels backordered units only', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenPartlyInStock(t, 'ship_partial');
      await slip(t, purchaseOrderId, '2026-05-04');
      await reviewDelays(t.store);

      t.clock.set('2026-03-17T08:00:00.000Z');
      await reviewDelays(t.store);

      const [cancelled] = await orderEvents(t.store, orderId, 'delay.cancelled');
      assert.equal(cancelled!.data.cause, 'no_consent');
      assert.deepEqual(cancelled!.data.lines, [{ line_id: lineId, sku: 'MUG', quantity: 1 }]);
      assert.deepEqual(cancelled!.data.refund, { amount: 800, currency: 'USD' });
      const line = await lineRow(t.store, lineId);
      assert.equal(line.cancelled, 1);
      assert.equal(line.allocated, 1);
    }));

  it('ship_complete notice covers every unshipped unit', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenPartlyInStock(t, 'ship_complete');
      await slip(t, purchaseOrderId, '2026-05-04');

      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, orderId, 'delay.notice_sent');
      assert.equal(notice!.data.lines[0].quantity, 2);

      t.clock.set('2026-03-17T08:00:00.000Z');
      await reviewDelays(t.store);
      const line = await lineRow(t.store, lineId);
      assert.equal(line.cancelled, 2);
      assert.equal(line.allocated, 0);
      assert.equal((await orderView(t.store, orderId)).payment.refunded, 1600);
    }));

  it('ship_partial line in stock past its date is not delayed', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'MUG', { policy: 'backorder', onHand: 5 });
      const order = await placeAccepted(t.store, [['MUG', 2, 800]]);
      const shipBy = order.lines[0]!.promised_ship_date!;

      t.clock.set(`${shipBy}T12:00:00.000Z`);
      t.clock.advance(3 * 24 * 3600_000);
      const report = await reviewDelays(t.store);

      assert.equal(report.reviewed, 0);
      assert.deepEqual(await orderEvents(t.store, order.id, 'delay.'), []);
    }));
});

describe('resolved notices', () => {
  it('estimate back within the date resolves', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenBackorder(t);
      await slip(t, purchaseOrderId, '2026-04-01');
      await reviewDelays(t.store);
      const [notice] = await orderEvents(t.store, orderId, 'delay.notice_sent');

      t.clock.set('2026-03-06T09:00:00.000Z');
      await slip(t, purchaseOrderId, '2026-03-12');
      const report = await reviewDelays(t.store);

      assert.deepEqual(report.outcomes.map((o) => o.resolutions), [[notice!.data.notice_id]]);
      const events = await orderEvents(t.store, orderId, 'delay.');
      assert.deepEqual(events.map((e) => e.type), ['delay.notice_sent', 'delay.resolved']);
      assert.deepEqual(events[1]!.data, { notice_id: notice!.data.notice_id, lines: [{ line_id: lineId, sku: 'TOTE' }] });
      const stored = await t.store.db.selectFrom('delay_notices').selectAll().where('order_id', '=', orderId).executeTakeFirstOrThrow();
      assert.equal(stored.answer, 'resolved');
      assert.equal(stored.answered_at, '2026-03-06T09:00:00.000Z');
      assert.equal((await lineRow(t.store, lineId)).delay_state, null);
      const outcome = await t.store.transaction((work) => acceptDelay(work, orderId, notice!.data.notice_id));
      assert.equal(outcome.kind, 'not_open', 'a resolved notice takes no answer');

      t.clock.set('2026-03-16T08:00:00.000Z');
      await reviewDelays(t.store);
      assert.equal((await orderEvents(t.store, orderId, 'delay.')).length, 2, 'nothing is due on the last day to answer');
      assert.equal((await lineRow(t.store, lineId)).cancelled, 0);
    }));

  it('stock for the units resolves', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenBackorder(t);
      await slip(t, purchaseOrderId, '2026-05-04');
      await reviewDelays(t.store);

      t.clock.set('2026-03-09T09:00:00.000Z');
      await t.store.transaction((work) => adjustStock(work, { sku: 'TOTE', quantityDelta: 2, reason: 'found in the back room' }));
      assert.equal((await lineRow(t.store, lineId)).allocated, 2);
      await reviewDelays(t.store);

      assert.deepEqual((await orderEvents(t.store, orderId, 'delay.')).map((e) => e.type), ['delay.notice_sent', 'delay.resolved']);
      t.clock.set('2026-03-17T08:00:00.000Z');
      await reviewDelays(t.store);
      const line = await lineRow(t.store, lineId);
      assert.equal(line.cancelled, 0, 'an explicit notice that was resolved cancels nothing');
      assert.equal(line.allocated, 2);
    }));

  it('notice with a line still slipping stays open', () =>
    withStore(async (t) => {
      const { purchaseOrderId } = await givenBackorder(t);
      await givenSku(t.store, 'CAP', { policy: 'backorder' });
      const capOrder = await t.store.transaction((work) =>
        createPurchaseOrder(work, { reference: 'PO-C', expectedDate: PROMISE, lines: [{ sku: 'CAP', quantity: 10 }] }),
      );
      const order = await placeAccepted(t.store, [['TOTE', 1, 1500], ['CAP', 1, 500]]);
      await slip(t, purchaseOrderId, '2026-04-01');
      await slip(t, capOrder, '2026-04-01');
      await reviewDelays(t.store);
      const notice = (await orderEvents(t.store, order.id, 'delay.notice_sent'))[0]!;
      assert.equal(notice.data.lines.length, 2);

      await t.store.transaction((work) => receive(work, capOrder, [{ sku: 'CAP', quantity: 10 }]));
      await reviewDelays(t.store);

      assert.deepEqual((await orderEvents(t.store, order.id, 'delay.')).map((e) => e.type), ['delay.notice_sent']);
      const stored = await t.store.db.selectFrom('delay_notices').select('answer').where('id', '=', notice.data.notice_id).executeTakeFirstOrThrow();
      assert.equal(stored.answer, null);
      const cap = (await orderView(t.store, order.id)).lines.find((line) => line.sku === 'CAP')!;
      assert.equal(cap.allocated, 1, 'the CAP line got its stock');
    }));
});

describe('customer cancel of waiting units', () => {
  it('cancels backordered units without a notice', () =>
    withStore(async (t) => {
      const { orderId, lineId } = await givenPartlyInStock(t, 'ship_partial');

      const first = await t.store.transaction((work) => cancelWaitingUnits(work, orderId, lineId));
      const second = await t.store.transaction((work) => cancelWaitingUnits(work, orderId, lineId));

      assert.equal(first.kind, 'cancelled');
      assert.deepEqual(first.kind === 'cancelled' ? [first.units, first.refund.amount] : [], [1, 800]);
      assert.equal(second.kind, 'nothing_to_cancel');
      const line = await lineRow(t.store, lineId);
      assert.equal(line.cancelled, 1);
      assert.equal(line.allocated, 1);
      assert.equal((await orderEvents(t.store, orderId, 'refund.requested')).length, 1);
      assert.equal((await orderView(t.store, orderId)).payment.refunded, 800);
    }));

  it('ship_complete cancels every unshipped unit', () =>
    withStore(async (t) => {
      const { orderId, lineId } = await givenPartlyInStock(t, 'ship_complete');

      const outcome = await t.store.transaction((work) => cancelWaitingUnits(work, orderId, lineId));

      assert.deepEqual(outcome.kind === 'cancelled' ? [outcome.units, outcome.refund.amount] : [], [2, 1600]);
      const line = await lineRow(t.store, lineId);
      assert.equal(line.cancelled, 2);
      assert.equal(line.allocated, 0);
    }));

  it('resolves the notice of the cancelled line', () =>
    withStore(async (t) => {
      const { orderId, lineId, purchaseOrderId } = await givenBackorder(t);
      await slip(t, purchaseOrderId, '2026-04-01');
      await reviewDelays(t.store);

      const outcome = await t.store.transaction((work) => cancelWaitingUnits(work, orderId, lineId));

      assert.equal(outcome.kind, 'cancelled');
      assert.equal(outcome.kind === 'cancelled' ? outcome.resolvedNotices.length : 0, 1);
      const types = (await orderEvents(t.store, orderId, 'delay.')).map((e) => e.type);
      assert.deepEqual(types, ['delay.notice_sent', 'delay.resolved']);
      assert.equal((await lineRow(t.store, lineId)).cancelled, 2);
    }));

  it('unknown line cancels nothing', () =>
    withStore(async (t) => {
      const { orderId } = await givenBackorder(t);

      const outcome = await t.store.transaction((work) => cancelWaitingUnits(work, orderId, 'line_unknown'));

      assert.equal(outcome.kind, 'nothing_to_cancel');
      assert.equal((await orderView(t.store, orderId)).lines[0]!.cancelled, 0);
    }));
});

/** Creates a pino logger that collects its lines as parsed JSON. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split('\n').filter((part) => part !== '')) lines.push(JSON.parse(text));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('delay review job', () => {
  it('logs counts when nothing is due', () =>
    withStore(async (t) => {
      const { logger, lines } = capturingLogger();

      await runDelayReview(t.store, logger);
      await new Promise((resolve) => setImmediate(resolve));

      const summary = lines.find((line) => line.msg === 'delay review finished');
      assert.ok(summary, `no summary line in ${JSON.stringify(lines)}`);
      assert.equal(summary.reviewedOrders, 0);
      assert.equal(summary.noticesSent, 0);
      assert.equal(summary.consentsBySilence, 0);
      assert.equal(summary.cancellations, 0);
      assert.equal(summary.resolvedNotices, 0);
    }));

  it('stop waits for the run in flight', () =>
    withStore(async (t) => {
      const { orderId, purchaseOrderId } = await givenBackorder(t);
      await slip(t, purchaseOrderId, '2026-04-01');
      const { logger } = capturingLogger();

      const stop = scheduleDelayReview(t.store, logger, 3_600_000);
      await stop();

      assert.equal((await orderEvents(t.store, orderId, 'delay.notice_sent')).length, 1, 'the first run finished before stop returned');
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
