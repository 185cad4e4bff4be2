import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { givenSku, placeAccepted } from '../support/builders.js';
import { readForecast, readReorderSuggestions } from '../../src/app/forecasting.js';
import { upsertSku } from '../../src/app/catalog.js';
import { createPurchaseOrder } from '../../src/app/purchase-orders.js';

/** Returns the instant `hour`:00 UTC on day `day` of February 2026, as ISO text. */
function february(day: number, hour = 10): string {
  return `2026-02-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;
}

/** Places one order of `quantity` units of `sku` on each of the given February days, at 10:00 UTC. */
async function orderOn(t: TestStore, sku: string, quantity: number, days: number[]): Promise<void> {
  for (const day of days) {
    t.clock.set(february(day));
    await placeAccepted(t.store, [[sku, quantity]]);
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

describe(`forecasting (${testDatabase})`, () => {
  it('steady seller gets the SES advice', async () => {
    const t = await openTestStore({ start: february(1, 9) });
    try {
      await givenSku(t.store, 'MUG', { policy: 'backorder', leadTimeDays: 5, onHand: 30 });
      await orderOn(t, 'MUG', 2, range(1, 10));
      t.clock.set(february(11, 12));

      // Two units on each of 10 days: rate 2 with no forecast error, so the
      // reorder point is 2 · 5 = 10, the position is 30 − 20 = 10, and the
      // order brings it up to 2 · (5 + 7) = 24.
      assert.deepEqual(await readForecast(t.store.db, 'MUG', t.clock.now()), {
        sku: 'MUG',
        as_of: '2026-02-11',
        history_days: 10,
        method: 'ses',
        daily_rate: 2,
        daily_deviation: 0,
        mean_interval_days: 1,
        lead_time_days: 5,
        lead_time_assumed: false,
        service_level: 0.95,
        available: 10,
        inbound: 0,
        backordered: 0,
        days_of_cover: 5,
        projected_stockout_date: '2026-02-16',
        reorder_point: 10,
        safety_stock: 0,
        suggested_order_quantity: 14,
      });
    } finally {
      await t.close();
    }
  });

  it('intermittent seller gets the SBA advice', async () => {
    const t = await openTestStore({ start: february(1, 9) });
    try {
      await givenSku(t.store, 'LAMP', { policy: 'backorder' });
      await orderOn(t, 'LAMP', 4, [4, 8, 12]);
      t.clock.set(february(13, 12));

      // 4 units every 4th day over 12 days: SBA rate 0.95 · 4 / 4 = 0.95, the
      // same every day, so the one-step errors are 0.95 on 9 days and 3.05 on
      // 3 days, with root mean square √3.0025 = 1.7328. With the assumed
      // 14-day lead time, safety stock is ⌈1.6449 · 1.7328 · √14⌉ = 11, the
      // reorder point ⌈0.95 · 14⌉ + 11 = 25, and the order brings the
      // position −12 up to ⌈0.95 · 21⌉ + 11 = 31.
      const forecast = await readForecast(t.store.db, 'LAMP', t.clock.now());
      assert.equal(forecast.history_days, 12);
      assert.equal(forecast.method, 'sba');
      assert.equal(forecast.daily_rate, 0.95);
      assert.equal(forecast.daily_deviation, 1.733);
      assert.equal(forecast.mean_interval_days, 4);
      assert.equal(forecast.lead_time_days, 14);
      assert.equal(forecast.lead_time_assumed, true);
      assert.equal(forecast.backordered, 12);
      assert.equal(forecast.safety_stock, 11);
      assert.equal(forecast.reorder_point, 25);
      assert.equal(forecast.suggested_order_quantity, 43);
      assert.equal(forecast.days_of_cover, 0);
      assert.equal(forecast.projected_stockout_date, '2026-02-13');
    } finally {
      await t.close();
    }
  });

  it('today and days before creation are not history', async () => {
    const t = await openTestStore({ start: february(5, 9) });
    try {
      await givenSku(t.store, 'MUG', { policy: 'backorder', leadTimeDays: 5 });
      await orderOn(t, 'MUG', 3, [5, 6, 7, 8]);
      t.clock.set(february(9, 8));
      await placeAccepted(t.store, [['MUG', 50]]);
      t.clock.set(february(9, 12));

      const forecast = await readForecast(t.store.db, 'MUG', t.clock.now());
      assert.equal(forecast.history_days, 4);
      assert.equal(forecast.daily_rate, 3);
    } finally {
      await t.close();
    }
  });

  it('history_days caps the history', async () => {
    const t = await openTestStore({ start: february(1, 9) });
    try {
      await givenSku(t.store, 'MUG', { policy: 'backorder', leadTimeDays: 5 });
      // 9 units a day for a week, then 1 a day for the last 3 days.
      await orderOn(t, 'MUG', 9, range(1, 7));
      await orderOn(t, 'MUG', 1, range(8, 10));
      t.clock.set(february(11, 12));

      const forecast = await readForecast(t.store.db, 'MUG', t.clock.now(), { historyDays: 3 });
      assert.equal(forecast.history_days, 3);
      assert.equal(forecast.daily_rate, 1);
    } finally {
      await t.close();
    }
  });

  it('higher service level raises the reorder point', async () => {
    const t = await openTestStore({ start: february(1, 9) });
    try {
      await givenSku(t.store, 'LAMP', { policy: 'backorder' });
      await orderOn(t, 'LAMP', 4, [4, 8, 12]);
      t.clock.set(february(13, 12));

      // Safety stock ⌈2.3263 · 1.7328 · √14⌉ = ⌈15.08⌉ = 16.
      const forecast = await readForecast(t.store.db, 'LAMP', t.clock.now(), { serviceLevel: 0.99 });
      assert.equal(forecast.service_level, 0.99);
      assert.equal(forecast.safety_stock, 16);
      assert.equal(forecast.reorder_point, 30);
    } finally {
      await t.close();
    }
  });

  it('SKU without orders has no forecast', async () => {
    const t = await openTestStore({ start: february(1, 9) });
    try {
      await givenSku(t.store, 'VASE', { policy: 'stock_only', onHand: 4, leadTimeDays: 10 });
      t.clock.set(february(20, 12));

      const forecast = await readForecast(t.store.db, 'VASE', t.clock.now());
      assert.equal(forecast.method, 'none');
      assert.equal(forecast.history_days, 19);
      assert.equal(forecast.daily_rate, 0);
      assert.equal(forecast.mean_interval_days, null);
      assert.equal(forecast.days_of_cover, null);
      assert.equal(forecast.projected_stockout_date, null);
      assert.equal(forecast.reorder_point, 0);
      assert.equal(forecast.suggested_order_quantity, 0);
    } finally {
      await t.close();
    }
  });

  it('inbound stock raises the stock position', async () => {
    const t = await openTestStore({ start: february(1, 9) });
    try {
      await givenSku(t.store, 'MUG', { policy: 'backorder', leadTimeDays: 5, onHand: 30 });
      await orderOn(t, 'MUG', 2, range(1, 10));
      t.clock.set(february(11, 12));
      await t.store.transaction((work) =>
        createPurchaseOrder(work, { reference: 'PO-1', expectedDate: '2026-02-14', lines: [{ sku: 'MUG', quantity: 1 }] }),
      );

      const forecast = await readForecast(t.store.db, 'MUG', t.clock.now());
      assert.equal(forecast.inbound, 1);
      assert.equal(forecast.suggested_order_quantity, 0);
    } finally {
      await t.close();
    }
  });

  it('suggestions list SKUs at the reorder point, soonest stockout first', async () => {
    const t = await openTestStore({ start: february(1, 9) });
    try {
      // Each sells 2 a day with a 5-day lead time (reorder point 10).
      // Stock after 10 days: MUG 10 (out on Feb 16), BOWL 4 (Feb 13), CUP 0
      // (today), PLATE 11 (above the reorder point), JUG 0 but discontinued.
      const stock: [string, number][] = [['MUG', 30], ['BOWL', 24], ['CUP', 20], ['PLATE', 31], ['JUG', 20]];
      for (const [sku, onHand] of stock) await givenSku(t.store, sku, { policy: 'backorder', leadTimeDays: 5, onHand });
      for (const day of range(1, 10)) {
        t.clock.set(february(day));
        for (const [sku] of stock) await placeAccepted(t.store, [[sku, 2]]);
      }
      await t.store.transaction((work) => upsertSku(work, 'JUG', { policy: 'discontinued', leadTimeDays: 5 }));
      t.clock.set(february(11, 12));

      const suggestions = await readReorderSuggestions(t.store.db, t.clock.now());
      assert.deepEqual(
        suggestions.map((s) => [s.sku, s.projected_stockout_date, s.suggested_order_quantity]),
        [
          ['CUP', '2026-02-11', 24],
          ['BOWL', '2026-02-13', 20],
          ['MUG', '2026-02-16', 14],
        ],
      );
    } finally {
      await t.close();
    }
  });

  it('suggestions with the same stockout date follow SKU code', async () => {
    const t = await openTestStore({ start: february(1, 9) });
    try {
      for (const sku of ['B-2', 'A-1', 'C-3']) await givenSku(t.store, sku, { policy: 'backorder', leadTimeDays: 5 });
      for (const day of range(1, 4)) {
        t.clock.set(february(day));
        await placeAccepted(t.store, [['C-3', 1], ['A-1', 1], ['B-2', 1]]);
      }
      t.clock.set(february(5, 12));

      const suggestions = await readReorderSuggestions(t.store.db, t.clock.now());
      assert.deepEqual(suggestions.map((s) => s.sku), ['A-1', 'B-2', 'C-3']);
    } finally {
      await t.close();
    }
  });
});
