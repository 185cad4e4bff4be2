import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { adjust, assertError, givenSku, placeOrder, skuCounters, withApi, type TestApi } from '../support/http.js';

async function availability(api: TestApi, sku: string, query = ''): Promise<any> {
  const response = await api.get(`/v1/availability/${sku}${query}`, { key: 'public' });
  assert.equal(response.status, 200, response.text);
  return response.body;
}

function quote(api: TestApi, body: unknown) {
  return api.post('/v1/availability/quote', body, { key: 'public' });
}

// The test clock is set to Monday 2026-03-02 12:00 UTC, and location main works Monday to Friday.
const TODAY = '2026-03-02';

describe(`HTTP availability (${testDatabase})`, () => {
  it('stock above the threshold is in_stock', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { low_stock_threshold: 2, onHand: 5 });

      const view = await availability(api, 'TOTE');

      assert.equal(view.sku, 'TOTE');
      assert.equal(view.status, 'in_stock');
      assert.equal(view.orderable, true);
      assert.equal(view.available, 5);
      assert.equal(view.max_orderable, 5);
    });
  });

  it('stock at the threshold is low_stock', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { low_stock_threshold: 2, onHand: 2 });

      const view = await availability(api, 'TOTE');

      assert.equal(view.status, 'low_stock');
      assert.equal(view.orderable, true);
    });
  });

  it('quantity beyond stock follows the policy', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'ONLY', { onHand: 2 });
      await givenSku(api, 'BACK', { policy: 'backorder', backorder_limit: 10, onHand: 2 });
      await givenSku(api, 'OLD', { policy: 'discontinued' });

      const stockOnly = await availability(api, 'ONLY', '?quantity=3');
      const backorder = await availability(api, 'BACK', '?quantity=3');
      const discontinued = await availability(api, 'OLD');

      assert.deepEqual([stockOnly.status, stockOnly.orderable, stockOnly.max_orderable], ['out_of_stock', false, 2]);
      assert.deepEqual([backorder.status, backorder.orderable, backorder.max_orderable], ['backorder', true, 12]);
      assert.deepEqual([discontinued.status, discontinued.orderable, discontinued.max_orderable], ['discontinued', false, 0]);
    });
  });

  it('used-up backorder limit is out_of_stock', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'BACK', { policy: 'backorder', backorder_limit: 2 });
      await placeOrder(api, [{ sku: 'BACK', quantity: 2 }]);

      const view = await availability(api, 'BACK');

      assert.deepEqual([view.status, view.orderable, view.available, view.max_orderable], ['out_of_stock', false, 0, 0]);
    });
  });

  it('backorder without a limit has max_orderable null', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'BACK', { policy: 'backorder' });

      const view = await availability(api, 'BACK');

      assert.equal(view.status, 'backorder');
      assert.equal(view.max_orderable, null);
    });
  });

  it('preorder before release is preorder', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'PRE', { policy: 'preorder', release_date: '2026-03-20', onHand: 4 });

      const view = await availability(api, 'PRE');

      assert.equal(view.status, 'preorder');
      assert.equal(view.orderable, true);
    });
  });

  it('country counts only locations that ship there', async () => {
    await withApi(async (api) => {
      await api.put('/v1/locations/main', { ships_to: ['US'] });
      await api.put('/v1/locations/eu', { name: 'EU', time_zone: 'Europe/Berlin', ships_to: ['DE', 'FR'] });
      await givenSku(api, 'TOTE', { onHand: 3 });
      await api.post('/v1/stock/adjustments', { sku: 'TOTE', location: 'eu', quantity_delta: 4, reason: 'count' });

      assert.equal((await availability(api, 'TOTE')).available, 7);
      assert.equal((await availability(api, 'TOTE', '?country=US')).available, 3);
      assert.equal((await availability(api, 'TOTE', '?country=DE')).available, 4);
      assert.equal((await availability(api, 'TOTE', '?country=JP')).available, 0);
    });
  });

  it('waiting queue leaves nothing available to new orders', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'BACK', { policy: 'backorder' });
      await placeOrder(api, [{ sku: 'BACK', quantity: 3 }]);
      await adjust(api, 'BACK', 2);

      const view = await availability(api, 'BACK');

      assert.equal(view.available, 0);
      assert.equal(view.status, 'backorder');
    });
  });
});

describe(`HTTP availability: ship dates (${testDatabase})`, () => {
  it('availability in stock ships today', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });

      const view = await availability(api, 'TOTE');

      assert.equal(view.ships_by, TODAY);
      assert.equal(view.ships_by_basis, 'stock');
      assert.equal(typeof view.message, 'string');
      assert.notEqual(view.message, '');
    });
  });

  it('availability on backorder ships by the inbound date', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'BACK', { policy: 'backorder' });
      await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2026-03-20', lines: [{ sku: 'BACK', quantity: 10 }] });

      const view = await availability(api, 'BACK');

      assert.equal(view.status, 'backorder');
      assert.equal(view.ships_by, '2026-03-20');
      assert.equal(view.ships_by_basis, 'inbound');
      assert.equal(view.restock_date, '2026-03-20');
      assert.equal(typeof view.message, 'string');
    });
  });

  it('availability without known supply has an unknown date', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'ONLY');

      const view = await availability(api, 'ONLY');

      assert.equal(view.status, 'out_of_stock');
      assert.equal(view.ships_by, null);
      assert.equal(view.ships_by_basis, 'unknown');
      assert.equal(view.restock_date, null);
    });
  });

  it('quote lines carry ships_by and its basis', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      await givenSku(api, 'BACK', { policy: 'backorder' });
      await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2026-03-20', lines: [{ sku: 'BACK', quantity: 10 }] });

      const response = await quote(api, { lines: [{ sku: 'TOTE', quantity: 1 }, { sku: 'BACK', quantity: 1 }] });

      assert.equal(response.status, 200, response.text);
      const [stock, back] = response.body.lines;
      assert.deepEqual([stock.ships_by, stock.ships_by_basis], [TODAY, 'stock']);
      assert.deepEqual([back.ships_by, back.ships_by_basis], ['2026-03-20', 'inbound']);
    });
  });

  it('ship_complete quote has one order-level ships_by', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      await givenSku(api, 'BACK', { policy: 'backorder' });
      await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2026-03-20', lines: [{ sku: 'BACK', quantity: 10 }] });

      const response = await quote(api, { lines: [{ sku: 'TOTE', quantity: 1 }, { sku: 'BACK', quantity: 1 }], ship_policy: 'ship_complete' });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.ships_by, '2026-03-20');
    });
  });
});

describe(`HTTP quotes (${testDatabase})`, () => {
  it('quote splits each line into stock and backorder', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      await givenSku(api, 'BACK', { policy: 'backorder', onHand: 1 });

      const response = await quote(api, { lines: [{ sku: 'TOTE', quantity: 2 }, { sku: 'BACK', quantity: 3 }] });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.orderable, true);
      assert.equal(response.body.ship_policy, 'ship_partial');
      const [tote, back] = response.body.lines;
      assert.deepEqual([tote.sku, tote.from_stock, tote.backordered, tote.status], ['TOTE', 2, 0, 'in_stock']);
      assert.deepEqual([back.sku, back.from_stock, back.backordered, back.status], ['BACK', 1, 2, 'backorder']);
    });
  });

  it('quote holds no stock', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const eventsBefore = (await api.get('/v1/events?limit=500')).body.data.length;

      await quote(api, { lines: [{ sku: 'TOTE', quantity: 5 }] });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 5 }]);

      assert.equal(order.status, 'allocated');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [5, 5, 0, 0]);
      const events = (await api.get('/v1/events?limit=500')).body.data as { type: string }[];
      assert.equal(events.filter((event) => event.type === 'order.placed').length, 1);
      assert.ok(events.length > eventsBefore);
    });
  });

  it('quote for a backorder never joins the queue', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'BACK', { policy: 'backorder' });

      await quote(api, { lines: [{ sku: 'BACK', quantity: 2 }] });
      const order = await placeOrder(api, [{ sku: 'BACK', quantity: 2 }]);

      assert.equal(order.lines[0].queue_position, 1);
      assert.deepEqual(await skuCounters(api, 'BACK'), [0, 0, 0, 2]);
    });
  });

  it('quote not_orderable names each reason', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'ONLY', { onHand: 2 });
      await givenSku(api, 'LIMIT', { policy: 'backorder', backorder_limit: 1 });
      await givenSku(api, 'OLD', { policy: 'discontinued', onHand: 1 });

      const cases: [string, number, { reason: string; max_orderable: number | null }][] = [
        ['ONLY', 3, { reason: 'insufficient_stock', max_orderable: 2 }],
        ['LIMIT', 2, { reason: 'backorder_limit_reached', max_orderable: 1 }],
        ['OLD', 2, { reason: 'discontinued', max_orderable: 1 }],
        ['NOPE', 1, { reason: 'unknown_sku', max_orderable: 0 }],
      ];
      for (const [sku, quantity, expected] of cases) {
        const response = await quote(api, { lines: [{ sku, quantity }] });
        assertError(response, 409, 'not_orderable');
        assert.deepEqual(response.body.error.details, [{ sku, ...expected }], sku);
      }
    });
  });

  it('quote lines are checked like order lines', async () => {
    await withApi(async (api) => {
      const response = await quote(api, { lines: [{ sku: 'TOTE', quantity: 1.5 }] });

      assertError(response, 400, 'invalid_request');
      assert.deepEqual(response.body.error.details.map((d: { field: string }) => d.field), ['lines[0].quantity']);
    });
  });
});
