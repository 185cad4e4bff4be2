import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { adjust, assertError, assertListShape, givenSku, placeOrder, readSku, withApi } from '../support/http.js';

describe(`HTTP SKUs (${testDatabase})`, () => {
  it('PUT creates a SKU with 201', async () => {
    await withApi(async (api) => {
      const body = {
        name: 'Canvas tote, navy',
        policy: 'backorder',
        backorder_limit: 200,
        low_stock_threshold: 5,
        lead_time_days: 21,
        handling_days: 1,
        restock_date: '2026-04-01',
        release_date: null,
        components: null,
      };

      const response = await api.put('/v1/skus/TOTE-NAVY', body);

      assert.equal(response.status, 201, response.text);
      assert.deepEqual(response.body, {
        code: 'TOTE-NAVY',
        ...body,
        on_hand: 0,
        allocated: 0,
        available: 0,
        backordered: 0,
        inbound: 0,
      });
    });
  });

  it('PUT updates a SKU with 200', async () => {
    await withApi(async (api) => {
      await api.put('/v1/skus/TOTE', { name: 'Tote', policy: 'stock_only' });

      const response = await api.put('/v1/skus/TOTE', { name: 'Tote, navy', policy: 'backorder', backorder_limit: 10 });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.name, 'Tote, navy');
      assert.equal(response.body.policy, 'backorder');
      assert.equal(response.body.backorder_limit, 10);
    });
  });

  it('PUT applies the documented defaults', async () => {
    await withApi(async (api) => {
      const response = await api.put('/v1/skus/TOTE', { policy: 'stock_only' });

      assert.equal(response.body.backorder_limit, null);
      assert.equal(response.body.low_stock_threshold, 0);
      assert.equal(response.body.lead_time_days, null);
      assert.equal(response.body.handling_days, 0);
      assert.equal(response.body.restock_date, null);
      assert.equal(response.body.release_date, null);
    });
  });

  it('SKU codes take letters, digits, dot, underscore and hyphen', async () => {
    await withApi(async (api) => {
      const code = `Ab9._-${'x'.repeat(58)}`;
      assert.equal(code.length, 64);

      const response = await api.put(`/v1/skus/${code}`, { policy: 'stock_only' });

      assert.equal(response.status, 201, response.text);
      assert.equal(response.body.code, code);
    });
  });

  it('GET sums stock over locations with the queue and inbound', async () => {
    await withApi(async (api) => {
      await api.put('/v1/locations/east', { name: 'East', time_zone: 'America/New_York' });
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 3 });
      await api.post('/v1/stock/adjustments', { sku: 'TOTE', location: 'east', quantity_delta: 2, reason: 'count' });
      await placeOrder(api, [{ sku: 'TOTE', quantity: 7 }]);
      await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2026-04-01', lines: [{ sku: 'TOTE', quantity: 9 }] });

      const sku = await readSku(api, 'TOTE');

      assert.equal(sku.on_hand, 5);
      assert.equal(sku.allocated, 5);
      assert.equal(sku.available, 0);
      assert.equal(sku.backordered, 2);
      assert.equal(sku.inbound, 9);
    });
  });

  it('kit SKU stores its components', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'U', { onHand: 10 });

      const kit = await api.put('/v1/skus/BU', { policy: 'stock_only', components: [{ sku: 'U', quantity: 2 }] });
      const component = await api.get('/v1/skus/U');

      assert.equal(kit.status, 201, kit.text);
      assert.deepEqual(kit.body.components, [{ sku: 'U', quantity: 2 }]);
      assert.equal(component.body.components, null);
    });
  });

  it('GET list returns SKUs by code', async () => {
    await withApi(async (api) => {
      for (const code of ['B', 'C', 'A']) await givenSku(api, code);

      const response = await api.get('/v1/skus');

      assert.equal(response.status, 200);
      assertListShape(response.body);
      assert.deepEqual(response.body.data.map((sku: { code: string }) => sku.code), ['A', 'B', 'C']);
      assert.equal(response.body.has_more, false);
      assert.equal(response.body.next_cursor, null);
    });
  });
});

describe(`HTTP backorder queue (${testDatabase})`, () => {
  it('GET backorders lists the queue in order', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 1 });
      const first = await placeOrder(api, [{ sku: 'TOTE', quantity: 3 }]);
      const second = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);
      const urgent = await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }], { priority: 5 });

      const response = await api.get('/v1/skus/TOTE/backorders');

      assert.equal(response.status, 200);
      assertListShape(response.body);
      const queue = response.body.data;
      assert.deepEqual(queue.map((entry: { order_id: string }) => entry.order_id), [urgent.id, first.id, second.id]);
      assert.deepEqual(queue.map((entry: { backordered: number }) => entry.backordered), [1, 2, 2]);
      assert.deepEqual(queue.map((entry: { queue_position: number }) => entry.queue_position), [1, 2, 3]);
      assert.equal(queue[1].line_id, first.lines[0].id);
      assert.equal(queue[1].placed_at, first.placed_at);
      assert.ok('promised_ship_date' in queue[0]);
      assert.ok('estimated_ship_date' in queue[0]);
    });
  });

  it('queue positions match the order lines', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });
      await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }]);
      const second = await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }]);

      assert.equal(second.lines[0].queue_position, 2);
    });
  });

  it('receipt empties the queue', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });
      await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);
      await adjust(api, 'TOTE', 2);

      const response = await api.get('/v1/skus/TOTE/backorders');

      assert.deepEqual(response.body.data, []);
    });
  });
});

describe(`HTTP locations (${testDatabase})`, () => {
  it('location main exists from the start', async () => {
    await withApi(async (api) => {
      const response = await api.get('/v1/locations/main');

      assert.equal(response.status, 200);
      assert.equal(response.body.code, 'main');
      assert.equal(response.body.time_zone, 'UTC');
      assert.deepEqual(response.body.working_days, [1, 2, 3, 4, 5]);
      assert.equal(response.body.receiving_days, 0);
    });
  });

  it('PUT creates a location with 201 and defaults', async () => {
    await withApi(async (api) => {
      const response = await api.put('/v1/locations/east', { name: 'East coast', time_zone: 'America/New_York' });

      assert.equal(response.status, 201, response.text);
      assert.deepEqual(response.body, {
        code: 'east',
        name: 'East coast',
        time_zone: 'America/New_York',
        working_days: [1, 2, 3, 4, 5],
        holidays: [],
        receiving_days: 0,
        ships_to: null,
        priority: 100,
      });
    });
  });

  it('PUT updates a location with 200', async () => {
    await withApi(async (api) => {
      await api.put('/v1/locations/east', { name: 'East', time_zone: 'America/New_York' });

      const body = {
        name: 'East coast',
        time_zone: 'America/New_York',
        working_days: [1, 2, 3, 4, 5, 6],
        holidays: ['2026-07-03'],
        receiving_days: 2,
        ships_to: ['US', 'CA'],
        priority: 10,
      };
      const response = await api.put('/v1/locations/east', body);

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { code: 'east', ...body });
    });
  });

  it('GET list returns locations by code', async () => {
    await withApi(async (api) => {
      await api.put('/v1/locations/west', { name: 'West', time_zone: 'America/Los_Angeles' });
      await api.put('/v1/locations/east', { name: 'East', time_zone: 'America/New_York' });

      const response = await api.get('/v1/locations');

      assert.equal(response.status, 200);
      assertListShape(response.body);
      assert.deepEqual(response.body.data.map((location: { code: string }) => location.code), ['east', 'main', 'west']);
    });
  });

  it('unknown location is 404', async () => {
    await withApi(async (api) => {
      assertError(await api.get('/v1/locations/west'), 404, 'not_found');
    });
  });
});
