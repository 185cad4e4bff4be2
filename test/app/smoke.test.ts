import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase } from '../support/database.js';
import { assertInvariants, givenSku, placeAccepted, skuView } from '../support/builders.js';
import { receive, createPurchaseOrder } from '../../src/app/purchase-orders.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { shipOrder } from '../../src/app/ship-order.js';

describe(`engine smoke (${testDatabase})`, () => {
  it('backorders, receives, cancels and ships', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'TOTE', { policy: 'backorder', onHand: 1 });
      const first = await placeAccepted(t.store, [['TOTE', 3, 2400]]);
      assert.equal(first.status, 'partially_backordered');
      assert.equal(first.lines[0]!.allocated, 1);
      assert.equal(first.lines[0]!.backordered, 2);
      assert.equal(first.lines[0]!.queue_position, 1);
      assert.equal(first.payment.captured, 7200);

      const po = await t.store.transaction((w) => createPurchaseOrder(w, { reference: 'PO-1', expectedDate: '2026-03-20', lines: [{ sku: 'TOTE', quantity: 5 }] }));
      const receipt = await t.store.transaction((w) => receive(w, po, [{ sku: 'TOTE', quantity: 5 }]));
      assert.deepEqual(receipt.allocations.map((a) => a.quantity), [2]);
      assert.deepEqual(await skuView(t.store, 'TOTE').then((s) => [s.on_hand, s.allocated, s.available, s.backordered]), [6, 3, 3, 0]);

      await t.store.transaction((w) => shipOrder(w, first.id, { lines: [{ lineId: first.lines[0]!.id, quantity: 3 }] }));
      const second = await placeAccepted(t.store, [['TOTE', 2, 1000]]);
      const { refund } = await t.store.transaction((w) => cancelOrder(w, second.id, { reason: 'changed mind' }));
      assert.deepEqual(refund, { amount: 2000, currency: 'USD' });
      assert.deepEqual(await skuView(t.store, 'TOTE').then((s) => [s.on_hand, s.allocated, s.available]), [3, 0, 3]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});
