import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants } from '../support/builders.js';
import type { RunFigures } from '../../src/app/replay/metrics.js';
import { replayCsv } from './support.js';

/** CUP sells 2 units a day, one order a day, from Monday 2 March 2026. */
function steadyDemand(days: number): string[] {
  return Array.from({ length: days }, (_, day) => {
    const date = new Date(Date.UTC(2026, 2, 2 + day)).toISOString().slice(0, 10);
    return `${1001 + day},CUP,Tin cup,2,${date} 10:00:00,3.00,${20000 + day}.0,United Kingdom`;
  });
}

/**
 * Replays steady demand with every purchase order late and short, with the
 * draws of seed 7. The first (18 units expected Thursday 5 March) comes a
 * day late with 15 units, and the second (15 units expected Wednesday 11
 * March) a day late with 9.
 */
async function replayLateAndShort(t: TestStore): Promise<RunFigures> {
  return replayCsv(t, steadyDemand(10), {
    openingStock: { units: 4 },
    leadTimeDays: 3,
    reviewDays: 7,
    lateRate: 1,
    shortRate: 1,
    seed: 7,
  });
}

describe(`replay deliveries (${testDatabase})`, () => {
  it('late delivery re-dates the purchase order and arrives on the new date', async () => {
    const t = await openTestStore();
    try {
      const figures = await replayLateAndShort(t);

      // A third order, issued when the second came short, is still open at the end.
      const orders = await t.store.db.selectFrom('purchase_orders').select(['reference', 'expected_date']).orderBy('created_at').execute();
      assert.deepEqual(orders.slice(0, 2), [
        { reference: 'replay-2026-03-02-CUP', expected_date: '2026-03-06' },
        { reference: 'replay-2026-03-08-CUP', expected_date: '2026-03-12' },
      ]);
      const receipts = await t.store.db.selectFrom('receipts').select('created_at').orderBy('created_at').execute();
      assert.deepEqual(receipts.map((r) => r.created_at), ['2026-03-06T00:00:00.000Z', '2026-03-12T00:00:00.000Z']);
      assert.equal(figures.purchasing.late, 2);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('short delivery is received in part and closed', async () => {
    const t = await openTestStore();
    try {
      const figures = await replayLateAndShort(t);

      const lines = await t.store.db
        .selectFrom('purchase_order_lines')
        .innerJoin('purchase_orders', 'purchase_orders.id', 'purchase_order_lines.purchase_order_id')
        .select(['purchase_order_lines.quantity', 'purchase_order_lines.received', 'purchase_orders.status'])
        .orderBy('purchase_orders.created_at')
        .execute();
      assert.deepEqual(lines.slice(0, 2), [
        { quantity: 18, received: 15, status: 'closed' },
        { quantity: 15, received: 9, status: 'closed' },
      ]);
      assert.equal(figures.purchasing.short, 2);
      assert.equal(figures.purchasing.receivedUnits, 24);
    } finally {
      await t.close();
    }
  });

  it('late delivery sends a delay notice for the line promised on it', async () => {
    const t = await openTestStore();
    try {
      const figures = await replayLateAndShort(t);

      // Invoice 1003 (4 March) waited for the first order, promised for 5 March.
      const notices = await t.store.db
        .selectFrom('events')
        .innerJoin('orders', 'orders.id', 'events.order_id')
        .select(['orders.external_id', 'events.data'])
        .where('events.type', '=', 'promise.changed')
        .execute();
      const delayed = notices.filter((n) => (JSON.parse(n.data) as { delayed: boolean }).delayed);
      assert.deepEqual(delayed.map((n) => n.external_id), ['1003']);
      assert.equal(figures.promises.delayNoticeLines, 1);
      assert.equal(figures.promises.withPromise, 10);
      assert.equal(figures.promises.byPromise, 9);
    } finally {
      await t.close();
    }
  });
});
