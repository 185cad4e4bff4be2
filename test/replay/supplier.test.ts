import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideReorder, drawDelivery, openingStock, seededRandom, type ReorderReview } from '../../src/domain/supplier.js';
import { openTestStore, testDatabase } from '../support/database.js';
import { assertInvariants } from '../support/builders.js';
import { replayCsv } from './support.js';

/** Two units of CUP a day: a forecast of exactly 2 a day with no error, so no safety stock. */
function review(overrides: Partial<ReorderReview> = {}): ReorderReview {
  return {
    sku: 'CUP',
    daily: [2, 2, 2],
    available: 6,
    inbound: 0,
    backordered: 0,
    leadTimeDays: 3,
    serviceLevel: 0.95,
    reviewDays: 7,
    today: '2026-03-03',
    ...overrides,
  };
}

describe('supplier model', () => {
  it('orders up to lead time and review period at the reorder point', () => {
    // Reorder point 2 × 3 = 6; order-up-to level 2 × (3 + 7) = 20.
    assert.deepEqual(decideReorder(review()), {
      sku: 'CUP',
      quantity: 14,
      expectedDate: '2026-03-06',
      reorderPoint: 6,
      stockPosition: 6,
    });
  });

  it('orders nothing above the reorder point', () => {
    assert.equal(decideReorder(review({ available: 7 })), null);
  });

  it('counts inbound and backordered units in the position', () => {
    const decision = decideReorder(review({ available: 0, inbound: 10, backordered: 5 }));
    assert.equal(decision?.stockPosition, 5);
    assert.equal(decision?.quantity, 15);
  });

  it('orders nothing for a SKU without demand', () => {
    assert.equal(decideReorder(review({ daily: [0, 0, 0], available: 0 })), null);
  });

  it('opening stock covers days of the first month', () => {
    assert.equal(openingStock(60, 15), 30);
    assert.equal(openingStock(1, 1), 1);
    assert.equal(openingStock(0, 30), 0);
  });

  it('seeded generator repeats its sequence', () => {
    const first = seededRandom(1);
    const second = seededRandom(1);
    const values = [first(), first(), first()];
    assert.deepEqual(values, [second(), second(), second()]);
    assert.equal(values[0], 0.6270739405881613);
  });

  it('delivery is on time and whole at rates of 0', () => {
    const delivery = drawDelivery(seededRandom(3), { quantity: 18, expectedDate: '2026-03-05', leadTimeDays: 3 }, { late: 0, short: 0 });
    assert.deepEqual(delivery, { arrivalDate: '2026-03-05', lateDays: 0, quantity: 18, short: false });
  });

  it('late and short deliveries follow the draws', () => {
    const draws = [0.1, 0.5, 0.2, 0];
    const random = () => draws.shift()!;
    const delivery = drawDelivery(random, { quantity: 15, expectedDate: '2026-03-05', leadTimeDays: 14 }, { late: 0.5, short: 0.5 });
    // Late by 1 + ⌊0.5 × 7⌋ days; short by half, rounded down.
    assert.deepEqual(delivery, { arrivalDate: '2026-03-09', lateDays: 4, quantity: 7, short: true });
  });

  it('seeded deliveries repeat', () => {
    const random = seededRandom(7);
    const order = { quantity: 18, expectedDate: '2026-03-05', leadTimeDays: 3 };
    const deliveries = [1, 2, 3].map(() => drawDelivery(random, order, { late: 1, short: 1 }));
    assert.deepEqual(
      deliveries.map((d) => [d.arrivalDate, d.quantity]),
      [['2026-03-06', 15], ['2026-03-06', 11], ['2026-03-07', 10]],
    );
  });
});

/** CUP sells 2 units a day, one order a day, from Monday 2 to Wednesday 11 March 2026. */
function steadyDemand(days: number): string[] {
  return Array.from({ length: days }, (_, day) => {
    const date = new Date(Date.UTC(2026, 2, 2 + day)).toISOString().slice(0, 10);
    return `${1001 + day},CUP,Tin cup,2,${date} 10:00:00,3.00,${20000 + day}.0,United Kingdom`;
  });
}

describe(`replay supplier (${testDatabase})`, () => {
  it('issues purchase orders at the reorder point with exact dates and quantities', async () => {
    const t = await openTestStore();
    try {
      // Position after each day's demand: 8, 6 (order 14), 18, 16, 14, 12, 10, 8, 6 (order 14), 18.
      await replayCsv(t, steadyDemand(10), { openingStock: { units: 10 }, leadTimeDays: 3, reviewDays: 7, drainDays: 0 });

      const orders = await t.store.db
        .selectFrom('purchase_orders')
        .innerJoin('purchase_order_lines', 'purchase_order_lines.purchase_order_id', 'purchase_orders.id')
        .select(['purchase_orders.reference', 'purchase_orders.created_at', 'purchase_orders.expected_date', 'purchase_order_lines.quantity', 'purchase_order_lines.received', 'purchase_orders.status'])
        .orderBy('purchase_orders.created_at')
        .execute();
      assert.deepEqual(orders, [
        { reference: 'replay-2026-03-03-CUP', created_at: '2026-03-03T23:59:00.000Z', expected_date: '2026-03-06', quantity: 14, received: 14, status: 'received' },
        { reference: 'replay-2026-03-10-CUP', created_at: '2026-03-10T23:59:00.000Z', expected_date: '2026-03-13', quantity: 14, received: 0, status: 'open' },
      ]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('receives a purchase order at the start of its expected date', async () => {
    const t = await openTestStore();
    try {
      await replayCsv(t, steadyDemand(10), { openingStock: { units: 10 }, leadTimeDays: 3, reviewDays: 7, drainDays: 0 });

      const receipts = await t.store.db.selectFrom('receipts').select('created_at').execute();
      assert.deepEqual(receipts, [{ created_at: '2026-03-06T00:00:00.000Z' }]);
    } finally {
      await t.close();
    }
  });
});
