import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { givenSku, placeAccepted } from '../support/builders.js';
import { subscribe, unsubscribe, unsubscribeLink } from '../../src/app/back-in-stock.js';
import { verifyToken } from '../../src/app/signed-tokens.js';
import { adjustStock } from '../../src/app/stock.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { upsertSku } from '../../src/app/catalog.js';
import { createPurchaseOrder, receive } from '../../src/app/purchase-orders.js';
import { RestockError } from '../../src/app/errors.js';
import type { Store } from '../../src/store/store.js';

async function withStore(body: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await openTestStore();
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

/** Subscribes `count` addresses to the SKU, one minute apart, and returns their subscription ids in sign-up order. */
async function givenSubscribers(t: TestStore, sku: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const { subscription } = await t.store.transaction((work) => subscribe(work, { sku, email: `shopper${i}@example.com` }));
    ids.push(subscription.id);
    t.clock.advance(60_000);
  }
  return ids;
}

/** Creates an open purchase order of the SKU and returns its id. */
function givenPurchaseOrder(store: Store, sku: string, quantity: number): Promise<string> {
  return store.transaction((work) =>
    createPurchaseOrder(work, { reference: `PO-${sku}`, expectedDate: '2026-03-20', lines: [{ sku, quantity }] }),
  );
}

function receiveUnits(store: Store, purchaseOrderId: string, sku: string, quantity: number) {
  return store.transaction((work) => receive(work, purchaseOrderId, [{ sku, quantity }]));
}

function adjust(store: Store, sku: string, quantityDelta: number) {
  return store.transaction((work) => adjustStock(work, { sku, quantityDelta, reason: 'count' }));
}

interface WaveEvent {
  sku: string | null;
  available: number;
  subscribers: { subscription_id: string; email: string }[];
}

async function waves(store: Store): Promise<WaveEvent[]> {
  const rows = await store.db.selectFrom('events').select(['sku', 'data']).where('type', '=', 'sku.back_in_stock').orderBy('seq').execute();
  return rows.map((row) => ({ sku: row.sku, ...(JSON.parse(row.data) as Omit<WaveEvent, 'sku'>) }));
}

async function alerts(store: Store): Promise<{ type: string; sku: string | null; data: unknown }[]> {
  const rows = await store.db
    .selectFrom('events')
    .select(['type', 'sku', 'data'])
    .where('type', 'in', ['sku.low_stock', 'sku.out_of_stock'])
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ type: row.type, sku: row.sku, data: JSON.parse(row.data) as unknown }));
}

async function notifiedIds(store: Store, sku: string): Promise<string[]> {
  const rows = await store.db
    .selectFrom('back_in_stock_subscriptions')
    .select('id')
    .where('sku', '=', sku)
    .where('notified_at', 'is not', null)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => row.id);
}

function waveIds(wave: WaveEvent | undefined): string[] {
  assert.ok(wave, 'expected a sku.back_in_stock event');
  return wave.subscribers.map((subscriber) => subscriber.subscription_id);
}

describe(`back-in-stock waves (${testDatabase})`, () => {
  it('waves follow sign-up order after the queue', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'W', { policy: 'backorder' });
      const subscribers = await givenSubscribers(t, 'W', 10);
      const order = await placeAccepted(t.store, [['W', 2]]);
      assert.equal(order.lines[0]!.backordered, 2);
      const purchaseOrderId = await givenPurchaseOrder(t.store, 'W', 7);

      await receiveUnits(t.store, purchaseOrderId, 'W', 3);

      const first = await waves(t.store);
      assert.equal(first.length, 1);
      assert.equal(first[0]!.sku, 'W');
      assert.equal(first[0]!.available, 1);
      assert.deepEqual(waveIds(first[0]), subscribers.slice(0, 1));
      assert.deepEqual(first[0]!.subscribers[0]!.email, 'shopper0@example.com');

      await receiveUnits(t.store, purchaseOrderId, 'W', 4);

      const second = await waves(t.store);
      assert.equal(second.length, 2);
      assert.equal(second[1]!.available, 5);
      assert.deepEqual(waveIds(second[1]), subscribers.slice(1, 5));
      assert.deepEqual(await notifiedIds(t.store, 'W'), subscribers.slice(0, 5));
    });
  });

  it('no wave while the queue takes everything', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'Q', { policy: 'backorder' });
      await givenSubscribers(t, 'Q', 3);
      await placeAccepted(t.store, [['Q', 5]]);
      const purchaseOrderId = await givenPurchaseOrder(t.store, 'Q', 5);

      await receiveUnits(t.store, purchaseOrderId, 'Q', 3);
      await adjust(t.store, 'Q', 2);

      assert.deepEqual(await waves(t.store), []);
      assert.deepEqual(await notifiedIds(t.store, 'Q'), []);
    });
  });

  it('subscriber is notified only once', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'stock_only' });
      const subscribers = await givenSubscribers(t, 'T', 3);

      await adjust(t.store, 'T', 1);
      await adjust(t.store, 'T', -1);
      await adjust(t.store, 'T', 1);

      const sent = await waves(t.store);
      assert.equal(sent.length, 2);
      assert.deepEqual(waveIds(sent[0]), [subscribers[0]]);
      assert.deepEqual(waveIds(sent[1]), [subscribers[1]]);
    });
  });

  it('unsubscribed subscriber is skipped', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'U', { policy: 'stock_only' });
      const subscribers = await givenSubscribers(t, 'U', 3);
      await t.store.transaction((work) => unsubscribe(work, subscribers[0]!));

      await adjust(t.store, 'U', 2);

      const sent = await waves(t.store);
      assert.equal(sent.length, 1);
      assert.deepEqual(waveIds(sent[0]), subscribers.slice(1, 3));
    });
  });

  it('wave is no larger than the units freed', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'L', { policy: 'stock_only' });
      const subscribers = await givenSubscribers(t, 'L', 2);

      await adjust(t.store, 'L', 5);

      const sent = await waves(t.store);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.available, 5);
      assert.deepEqual(waveIds(sent[0]), subscribers);
    });
  });

  it('cancellation that frees stock sends a wave', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'C', { policy: 'stock_only', onHand: 2 });
      const order = await placeAccepted(t.store, [['C', 2]]);
      const subscribers = await givenSubscribers(t, 'C', 3);

      await t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'customer request' }));

      const sent = await waves(t.store);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.available, 2);
      assert.deepEqual(waveIds(sent[0]), subscribers.slice(0, 2));
    });
  });

  it('cancellation served to the queue sends none', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'B', { policy: 'backorder', onHand: 2 });
      const allocated = await placeAccepted(t.store, [['B', 2]]);
      const queued = await placeAccepted(t.store, [['B', 2]]);
      assert.equal(queued.lines[0]!.backordered, 2);
      await givenSubscribers(t, 'B', 2);

      await t.store.transaction((work) => cancelOrder(work, allocated.id, { reason: 'customer request' }));

      assert.deepEqual(await waves(t.store), []);
    });
  });

  it('kit wave counts whole kits', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'PART', { policy: 'stock_only' });
      await t.store.transaction((work) => upsertSku(work, 'PAIR', { policy: 'stock_only', components: [{ sku: 'PART', quantity: 2 }] }));
      const subscribers = await givenSubscribers(t, 'PAIR', 3);

      await adjust(t.store, 'PART', 1);
      assert.deepEqual(await waves(t.store), [], 'one part makes no kit');

      await adjust(t.store, 'PART', 4);

      const sent = await waves(t.store);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.sku, 'PAIR');
      assert.equal(sent[0]!.available, 2);
      assert.deepEqual(waveIds(sent[0]), subscribers.slice(0, 2));
      assert.deepEqual(await alerts(t.store), [], 'a kit and a rising component get no stock alert');
    });
  });
});

describe(`back-in-stock subscriptions (${testDatabase})`, () => {
  it('repeat sign-up returns the same subscription', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'D', { policy: 'backorder' });

      const first = await t.store.transaction((work) => subscribe(work, { sku: 'D', email: 'A.Buyer@Example.com' }));
      const second = await t.store.transaction((work) => subscribe(work, { sku: 'D', email: ' a.buyer@example.com' }));

      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(second.subscription.id, first.subscription.id);
      assert.equal(first.subscription.email, 'a.buyer@example.com');
      assert.equal(first.subscription.status, 'pending');
      const rows = await t.store.db.selectFrom('back_in_stock_subscriptions').select('id').execute();
      assert.equal(rows.length, 1);
    });
  });

  it('sign-up after unsubscribing renews it', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'R', { policy: 'stock_only' });
      const [first, second] = await givenSubscribers(t, 'R', 2);
      await t.store.transaction((work) => unsubscribe(work, first!));

      const renewed = await t.store.transaction((work) => subscribe(work, { sku: 'R', email: 'shopper0@example.com' }));
      await adjust(t.store, 'R', 1);

      assert.equal(renewed.created, false);
      assert.equal(renewed.subscription.id, first);
      assert.equal(renewed.subscription.status, 'pending');
      assert.deepEqual(waveIds((await waves(t.store))[0]), [second], 'a renewed subscription joins the end of the sign-up order');
    });
  });

  it('discontinued SKU rejects sign-up', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'OLD', { policy: 'discontinued', onHand: 1 });

      await assert.rejects(
        t.store.transaction((work) => subscribe(work, { sku: 'OLD', email: 'a@example.com' })),
        (error: unknown) => error instanceof RestockError && error.code === 'invalid_state' && /discontinued/.test(error.message),
      );
      await assert.rejects(
        t.store.transaction((work) => subscribe(work, { sku: 'NOPE', email: 'a@example.com' })),
        (error: unknown) => error instanceof RestockError && error.code === 'not_found',
      );
    });
  });

  it('unsubscribe link carries the subscription id', async () => {
    const now = new Date('2026-03-02T12:00:00.000Z');
    const link = unsubscribeLink({ secret: 'test-secret', baseUrl: 'https://shop.example' }, 'bis_1', now);

    assert.match(link, /^https:\/\/shop\.example\/c\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const token = link.slice('https://shop.example/c/unsubscribe/'.length);
    const check = verifyToken('test-secret', token, 'unsubscribe', now);
    assert.equal(check.ok, true);
    assert.equal(check.ok && check.claims.id, 'bis_1');
    assert.equal(verifyToken('test-secret', token, 'order', now).ok, false);
  });
});

describe(`stock alerts (${testDatabase})`, () => {
  it('low and out of stock fire on crossing', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'S', { policy: 'stock_only', lowStockThreshold: 3, onHand: 10 });

      await placeAccepted(t.store, [['S', 5]]);
      assert.deepEqual(await alerts(t.store), [], '10 to 5 stays above the threshold');
      // 5 to 3 crosses, 3 to 2 stays low, 2 to 7 rises, 7 to 1 crosses again, 1 to 0 runs out.

      await placeAccepted(t.store, [['S', 2]]);
      await placeAccepted(t.store, [['S', 1]]);
      await adjust(t.store, 'S', 5);
      await adjust(t.store, 'S', -6);
      await placeAccepted(t.store, [['S', 1]]);

      assert.deepEqual(await alerts(t.store), [
        { type: 'sku.low_stock', sku: 'S', data: { available: 3, threshold: 3 } },
        { type: 'sku.low_stock', sku: 'S', data: { available: 1, threshold: 3 } },
        { type: 'sku.out_of_stock', sku: 'S', data: { available: 0 } },
      ]);
    });
  });

  it('crossing straight to zero is out of stock only', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'Z', { policy: 'stock_only', lowStockThreshold: 2, onHand: 5 });

      await placeAccepted(t.store, [['Z', 5]]);

      assert.deepEqual(await alerts(t.store), [{ type: 'sku.out_of_stock', sku: 'Z', data: { available: 0 } }]);
    });
  });

  it('receipt the queue takes alerts nothing', async () => {
    await withStore(async (t) => {
      await givenSku(t.store, 'P', { policy: 'backorder', lowStockThreshold: 1, onHand: 1 });
      await placeAccepted(t.store, [['P', 3]]);
      const before = await alerts(t.store);
      assert.deepEqual(before, [{ type: 'sku.out_of_stock', sku: 'P', data: { available: 0 } }]);

      const purchaseOrderId = await givenPurchaseOrder(t.store, 'P', 2);
      await receiveUnits(t.store, purchaseOrderId, 'P', 2);

      assert.deepEqual(await alerts(t.store), before, 'units the queue takes leave available at 0');
    });
  });
});
