import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { adjust, assertError, assertListShape, givenSku, placeOrder, skuCounters, withApi } from '../support/http.js';

describe(`HTTP stock adjustments (${testDatabase})`, () => {
  it('delta adjustment answers 201 with the movement and level', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');

      const response = await api.post('/v1/stock/adjustments', { sku: 'TOTE', quantity_delta: 7, reason: 'cycle count' });

      assert.equal(response.status, 201, response.text);
      assert.deepEqual(response.body.level, { sku: 'TOTE', location: 'main', on_hand: 7, allocated: 0, available: 7 });
      const movement = response.body.movement;
      assert.match(movement.id, /^mov_/);
      assert.equal(movement.sku, 'TOTE');
      assert.equal(movement.location, 'main');
      assert.equal(movement.kind, 'adjustment');
      assert.equal(movement.on_hand_delta, 7);
      assert.equal(movement.allocated_delta, 0);
      assert.equal(movement.reason, 'cycle count');
    });
  });

  it('on_hand adjustment sets the counted value', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 10 });

      const response = await api.post('/v1/stock/adjustments', { sku: 'TOTE', on_hand: 4, reason: 'recount' });

      assert.equal(response.status, 201, response.text);
      assert.equal(response.body.movement.on_hand_delta, -6);
      assert.equal(response.body.level.on_hand, 4);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [4, 0, 4, 0]);
    });
  });

  it('adjustment at another location changes only that level', async () => {
    await withApi(async (api) => {
      await api.put('/v1/locations/east', { name: 'East', time_zone: 'America/New_York' });
      await givenSku(api, 'TOTE', { onHand: 1 });

      const response = await api.post('/v1/stock/adjustments', { sku: 'TOTE', location: 'east', quantity_delta: 3, reason: 'count' });
      const levels = await api.get('/v1/stock/levels?sku=TOTE');

      assert.equal(response.status, 201, response.text);
      assert.deepEqual(levels.body.data, [
        { sku: 'TOTE', location: 'east', on_hand: 3, allocated: 0, available: 3 },
        { sku: 'TOTE', location: 'main', on_hand: 1, allocated: 0, available: 1 },
      ]);
    });
  });

  it('adjusting below zero is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 3 });

      const byDelta = await api.post('/v1/stock/adjustments', { sku: 'TOTE', quantity_delta: -4, reason: 'damaged' });

      assertError(byDelta, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 0, 3, 0]);
    });
  });

  it('adjusting below allocated returns the newest line to the queue', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 4 });
      const older = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);
      const newer = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);

      const response = await api.post('/v1/stock/adjustments', { sku: 'TOTE', quantity_delta: -1, reason: 'damaged' });
      const olderAfter = (await api.get(`/v1/orders/${older.id}`)).body;
      const newerAfter = (await api.get(`/v1/orders/${newer.id}`)).body;

      assert.equal(response.status, 201, response.text);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 3, 0, 1]);
      assert.equal(olderAfter.lines[0].allocated, 2);
      assert.equal(newerAfter.lines[0].allocated, 1);
      assert.equal(newerAfter.lines[0].backordered, 1);
    });
  });
});

describe(`HTTP stock levels and movements (${testDatabase})`, () => {
  it('levels list one row per location in the list envelope', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);

      const response = await api.get('/v1/stock/levels?sku=TOTE');

      assert.equal(response.status, 200);
      assertListShape(response.body);
      assert.deepEqual(response.body.data, [{ sku: 'TOTE', location: 'main', on_hand: 5, allocated: 2, available: 3 }]);
      assert.equal(response.body.has_more, false);
    });
  });

  it('movements list the ledger newest first', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      await adjust(api, 'TOTE', 5);
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);
      await adjust(api, 'TOTE', -1);

      const response = await api.get('/v1/stock/movements?sku=TOTE');

      assert.equal(response.status, 200);
      assertListShape(response.body);
      const rows = response.body.data.map((m: { kind: string; on_hand_delta: number; allocated_delta: number }) => [
        m.kind,
        m.on_hand_delta,
        m.allocated_delta,
      ]);
      assert.deepEqual(rows, [
        ['adjustment', -1, 0],
        ['allocation', 0, 2],
        ['adjustment', 5, 0],
      ]);
      assert.equal(response.body.data[1].order_id, order.id);
      assert.equal(response.body.data[1].line_id, order.lines[0].id);
    });
  });

  it('movements sum to the level', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 3 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 5 }]);
      await adjust(api, 'TOTE', 4);
      await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: order.lines[0].id, quantity: 5 }] });

      const movements = (await api.get('/v1/stock/movements?sku=TOTE&limit=500')).body.data as { on_hand_delta: number; allocated_delta: number }[];
      const level = (await api.get('/v1/stock/levels?sku=TOTE')).body.data[0];

      assert.equal(movements.reduce((sum, m) => sum + m.on_hand_delta, 0), level.on_hand);
      assert.equal(movements.reduce((sum, m) => sum + m.allocated_delta, 0), level.allocated);
      assert.deepEqual(level, { sku: 'TOTE', location: 'main', on_hand: 2, allocated: 0, available: 2 });
    });
  });
});
