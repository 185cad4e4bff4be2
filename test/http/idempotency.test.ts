import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { assertError, givenSku, orderBody, placeOrder, skuCounters, withApi, type TestApi } from '../support/http.js';

function withKey(key: string) {
  return { headers: { 'idempotency-key': key } };
}

async function countOrders(api: TestApi): Promise<number> {
  return (await api.get('/v1/orders?limit=500')).body.data.length;
}

async function countEvents(api: TestApi): Promise<number> {
  return (await api.get('/v1/events?limit=500')).body.data.length;
}

describe(`HTTP idempotency (${testDatabase})`, () => {
  it('replayed order returns the first response', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 10 });
      const body = orderBody([{ sku: 'TOTE', quantity: 2 }]);

      const first = await api.post('/v1/orders', body, withKey('cart-1'));
      const replay = await api.post('/v1/orders', body, withKey('cart-1'));

      assert.equal(first.status, 201, first.text);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      assert.equal(replay.status, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.body, first.body);
    });
  });

  it('replayed order creates nothing new', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 10 });
      const body = orderBody([{ sku: 'TOTE', quantity: 2 }]);
      await api.post('/v1/orders', body, withKey('cart-1'));
      const eventsAfterFirst = await countEvents(api);

      await api.post('/v1/orders', body, withKey('cart-1'));
      await api.post('/v1/orders', body, withKey('cart-1'));

      assert.equal(await countOrders(api), 1);
      assert.equal(await countEvents(api), eventsAfterFirst);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [10, 2, 8, 0]);
    });
  });

  it('same key with another body is 409 idempotency_key_reused', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 10 });
      await api.post('/v1/orders', orderBody([{ sku: 'TOTE', quantity: 2 }]), withKey('cart-1'));

      const reused = await api.post('/v1/orders', orderBody([{ sku: 'TOTE', quantity: 3 }]), withKey('cart-1'));

      assertError(reused, 409, 'idempotency_key_reused');
      assert.equal(await countOrders(api), 1);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [10, 2, 8, 0]);
    });
  });

  it('same key on another endpoint is 409 idempotency_key_reused', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 10 });
      await api.post('/v1/orders', orderBody([{ sku: 'TOTE', quantity: 2 }]), withKey('shared-key'));

      const reused = await api.post('/v1/stock/adjustments', { sku: 'TOTE', quantity_delta: 1, reason: 'count' }, withKey('shared-key'));

      assertError(reused, 409, 'idempotency_key_reused');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [10, 2, 8, 0]);
    });
  });

  it('same body with fields in another order is a replay', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 10 });
      const first = await api.post('/v1/orders', { currency: 'USD', lines: [{ sku: 'TOTE', quantity: 2, unit_price: 100 }] }, withKey('k'));

      const replay = await api.post('/v1/orders', { lines: [{ unit_price: 100, quantity: 2, sku: 'TOTE' }], currency: 'USD' }, withKey('k'));

      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.body.id, first.body.id);
    });
  });

  it('different keys make different orders', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 10 });
      const body = orderBody([{ sku: 'TOTE', quantity: 2 }]);

      const first = await api.post('/v1/orders', body, withKey('cart-1'));
      const second = await api.post('/v1/orders', body, withKey('cart-2'));

      assert.notEqual(first.body.id, second.body.id);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [10, 4, 6, 0]);
    });
  });

  it('replay does not count a second order in the metrics', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 10 });
      const body = orderBody([{ sku: 'TOTE', quantity: 2 }]);
      await api.post('/v1/orders', body, withKey('cart-1'));
      await api.post('/v1/orders', body, withKey('cart-1'));

      const metrics = await api.get('/metrics', { key: 'none' });

      assert.match(metrics.text, /^restock_orders_placed_total 1$/m);
    });
  });

  it('every write POST replays without a second effect', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 10 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 4 }]);
      const lineId = order.lines[0].id;
      const po = (await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2026-03-20', lines: [{ sku: 'TOTE', quantity: 5 }] })).body;

      // Each step runs twice with its own key, and its expected counters must hold after the replay.
      const steps: { name: string; path: string; body: unknown; status: number; counters: number[] }[] = [
        { name: 'adjustment', path: '/v1/stock/adjustments', body: { sku: 'TOTE', quantity_delta: 3, reason: 'count' }, status: 201, counters: [13, 4, 9, 0] },
        { name: 'shipment', path: `/v1/orders/${order.id}/shipments`, body: { lines: [{ line_id: lineId, quantity: 1 }] }, status: 201, counters: [12, 3, 9, 0] },
        {
          name: 'cancellation',
          path: `/v1/orders/${order.id}/cancellations`,
          body: { reason: 'one less', lines: [{ line_id: lineId, quantity: 1 }] },
          status: 200,
          counters: [12, 2, 10, 0],
        },
        { name: 'receipt', path: `/v1/purchase-orders/${po.id}/receipts`, body: { lines: [{ sku: 'TOTE', quantity: 2 }] }, status: 201, counters: [14, 2, 12, 0] },
        { name: 'close', path: `/v1/purchase-orders/${po.id}/close`, body: {}, status: 200, counters: [14, 2, 12, 0] },
        {
          name: 'purchase order',
          path: '/v1/purchase-orders',
          body: { reference: 'PO-2', expected_date: '2026-03-27', lines: [{ sku: 'TOTE', quantity: 7 }] },
          status: 201,
          counters: [14, 2, 12, 0],
        },
      ];

      for (const step of steps) {
        const first = await api.post(step.path, step.body, withKey(`key-${step.name}`));
        const replay = await api.post(step.path, step.body, withKey(`key-${step.name}`));

        assert.equal(first.status, step.status, `${step.name}: ${first.text}`);
        assert.equal(replay.status, step.status, `${step.name} replay: ${replay.text}`);
        assert.equal(replay.headers['idempotent-replayed'], 'true', step.name);
        assert.deepEqual(replay.body, first.body, step.name);
        assert.deepEqual(await skuCounters(api, 'TOTE'), step.counters, step.name);
      }

      const after = (await api.get(`/v1/orders/${order.id}`)).body;
      assert.equal(after.lines[0].shipped, 1);
      assert.equal(after.lines[0].cancelled, 1);
      assert.equal(after.payment.refunded, 1000);
      const purchaseOrders = (await api.get('/v1/purchase-orders')).body.data;
      assert.equal(purchaseOrders.length, 2);
      assert.equal((await api.get('/v1/skus/TOTE')).body.inbound, 7);
    });
  });
});
