import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase } from '../support/database.js';
import { assertInvariants, givenSku } from '../support/builders.js';
import { loadDemo } from '../../src/app/replay/demo.js';

describe(`demo loader (${testDatabase})`, () => {
  it('loads a working store into an empty database', async () => {
    const t = await openTestStore();
    try {
      const now = new Date('2026-12-04T21:30:00.000Z');
      const summary = await loadDemo(t.store, now);

      assert.equal(summary.loaded, true);
      assert.equal(summary.skus, 100);
      assert.equal(summary.firstDay, '2026-11-09');
      assert.equal(summary.lastDay, '2026-11-29');
      assert.ok(summary.orders > 500, `orders ${summary.orders}`);
      assert.ok(summary.backorderedLines > 0, 'some lines wait for stock');
      assert.ok(summary.openPurchaseOrders > 0, 'some purchase orders are on the way');

      const skus = await t.store.db.selectFrom('skus').select(['policy']).execute();
      assert.equal(skus.filter((sku) => sku.policy === 'stock_only').length, 20);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('leaves a database with data untouched', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'TOTE', { policy: 'backorder', onHand: 3 });

      const summary = await loadDemo(t.store, new Date('2026-12-04T21:30:00.000Z'));

      assert.equal(summary.loaded, false);
      assert.match(summary.reason ?? '', /already has SKUs or orders/);
      assert.equal((await t.store.db.selectFrom('skus').select('code').execute()).length, 1);
      assert.equal((await t.store.db.selectFrom('orders').select('id').execute()).length, 0);
    } finally {
      await t.close();
    }
  });
});
