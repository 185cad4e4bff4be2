import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { adjust, givenSku, placeOrder, readAllPages, withApi, type TestApi } from '../support/http.js';

/*
 * Promise dates over HTTP. The clock is Monday 4 January 2027 at 15:00 UTC.
 * The location `main` is in UTC and works Monday to Friday. SKUs handle in
 * one business day, so a purchase order expected on Friday 15 January ships
 * on Monday 18 January, and one expected Friday 22 January on Monday 25.
 */
const START = { start: '2027-01-04T15:00:00.000Z' };
const TODAY = '2027-01-04';

async function givenPurchaseOrder(api: TestApi, sku: string, quantity: number, expectedDate: string): Promise<string> {
  const response = await api.post('/v1/purchase-orders', { reference: `PO-${expectedDate}`, expected_date: expectedDate, lines: [{ sku, quantity }] });
  assert.equal(response.status, 201, `creating a purchase order failed: ${response.text}`);
  return response.body.id;
}

async function availability(api: TestApi, sku: string, headers: Record<string, string> = {}): Promise<any> {
  const response = await api.get(`/v1/availability/${sku}`, { key: 'public', headers });
  assert.equal(response.status, 200, response.text);
  return response.body;
}

/** Four orders of 1, 2, 3 and 2 units of TOTE against purchase orders of 4 units (15 January) and 5 units (22 January). */
async function givenFourOrders(api: TestApi) {
  await givenSku(api, 'TOTE', { policy: 'backorder', handling_days: 1 });
  const early = await givenPurchaseOrder(api, 'TOTE', 4, '2027-01-15');
  const late = await givenPurchaseOrder(api, 'TOTE', 5, '2027-01-22');
  const orders = [];
  for (const quantity of [1, 2, 3, 2]) orders.push(await placeOrder(api, [{ sku: 'TOTE', quantity }]));
  return { early, late, orders };
}

async function promiseEvents(api: TestApi): Promise<any[]> {
  return (await readAllPages(api, '/v1/events?type=promise.changed', 100)).rows;
}

describe(`HTTP promise dates (${testDatabase})`, () => {
  it('four orders get the sweep dates', async () => {
    await withApi(async (api) => {
      const { orders } = await givenFourOrders(api);

      const dates = orders.map((order) => {
        const line = order.lines[0];
        return [line.backordered, line.queue_position, line.promised_ship_date, line.estimated_ship_date];
      });
      assert.deepEqual(dates, [
        [1, 1, '2027-01-18', '2027-01-18'],
        [2, 2, '2027-01-18', '2027-01-18'],
        [3, 3, '2027-01-25', '2027-01-25'],
        [2, 4, '2027-01-25', '2027-01-25'],
      ]);
      assert.deepEqual(orders.map((order) => order.status), ['backordered', 'backordered', 'backordered', 'backordered']);
    }, START);
  });

  it('re-dating moves estimates and keeps promises', async () => {
    await withApi(async (api) => {
      const { early, orders } = await givenFourOrders(api);
      const eventsBefore = (await promiseEvents(api)).length;

      const patched = await api.patch(`/v1/purchase-orders/${early}`, { expected_date: '2027-01-29' });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.body.expected_date, '2027-01-29');

      const lines = [];
      for (const order of orders) lines.push((await api.get(`/v1/orders/${order.id}`)).body.lines[0]);
      assert.deepEqual(
        lines.map((line) => [line.promised_ship_date, line.estimated_ship_date]),
        [
          ['2027-01-18', '2027-01-25'],
          ['2027-01-18', '2027-01-25'],
          ['2027-01-25', '2027-02-01'],
          ['2027-01-25', '2027-02-01'],
        ],
      );

      const events = (await promiseEvents(api)).slice(eventsBefore);
      assert.deepEqual(
        events.map((event) => [event.order_id, event.line_id, event.sku]),
        orders.map((order) => [order.id, order.lines[0].id, 'TOTE']),
      );
      assert.deepEqual(
        events.map((event) => event.data),
        [
          ['2027-01-18', '2027-01-25'],
          ['2027-01-18', '2027-01-25'],
          ['2027-01-25', '2027-02-01'],
          ['2027-01-25', '2027-02-01'],
        ].map(([promised, estimated]) => ({
          previous_estimated_ship_date: promised,
          estimated_ship_date: estimated,
          basis: 'inbound',
          promised_ship_date: promised,
          delayed: true,
        })),
      );
    }, START);
  });

  it('re-dating to the same date writes no promise.changed event', async () => {
    await withApi(async (api) => {
      const { early } = await givenFourOrders(api);
      const eventsBefore = (await promiseEvents(api)).length;

      const patched = await api.patch(`/v1/purchase-orders/${early}`, { expected_date: '2027-01-15' });

      assert.equal(patched.status, 200, patched.text);
      assert.equal((await promiseEvents(api)).length, eventsBefore);
    }, START);
  });

  it('backorders list shows positions and both dates', async () => {
    await withApi(async (api) => {
      const { early, orders } = await givenFourOrders(api);
      await api.patch(`/v1/purchase-orders/${early}`, { expected_date: '2027-01-29' });

      const response = await api.get('/v1/skus/TOTE/backorders');

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(
        response.body.data.map((entry: any) => [entry.order_id, entry.line_id, entry.backordered, entry.queue_position, entry.promised_ship_date, entry.estimated_ship_date]),
        [
          [orders[0].id, orders[0].lines[0].id, 1, 1, '2027-01-18', '2027-01-25'],
          [orders[1].id, orders[1].lines[0].id, 2, 2, '2027-01-18', '2027-01-25'],
          [orders[2].id, orders[2].lines[0].id, 3, 3, '2027-01-25', '2027-02-01'],
          [orders[3].id, orders[3].lines[0].id, 2, 4, '2027-01-25', '2027-02-01'],
        ],
      );
      assert.equal(response.body.data[0].placed_at, orders[0].placed_at);
    }, START);
  });

  it('supply lists what each PO covers', async () => {
    await withApi(async (api) => {
      const { early, late, orders } = await givenFourOrders(api);
      const lineOf = (index: number) => ({ order_id: orders[index].id, line_id: orders[index].lines[0].id });

      const response = await api.get('/v1/skus/TOTE/supply');

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.data, [
        {
          purchase_order_id: early,
          reference: 'PO-2027-01-15',
          location: 'main',
          expected_date: '2027-01-15',
          quantity: 4,
          received: 0,
          ships_by: '2027-01-18',
          covers: [
            { ...lineOf(0), units: 1, queue_position: 1 },
            { ...lineOf(1), units: 2, queue_position: 2 },
            { ...lineOf(2), units: 1, queue_position: 3 },
          ],
          uncommitted: 0,
        },
        {
          purchase_order_id: late,
          reference: 'PO-2027-01-22',
          location: 'main',
          expected_date: '2027-01-22',
          quantity: 5,
          received: 0,
          ships_by: '2027-01-25',
          covers: [
            { ...lineOf(2), units: 2, queue_position: 3 },
            { ...lineOf(3), units: 2, queue_position: 4 },
          ],
          uncommitted: 1,
        },
      ]);
    }, START);
  });

  it('supply of an unknown SKU is 404', async () => {
    await withApi(async (api) => {
      const response = await api.get('/v1/skus/NOPE/supply');
      assert.equal(response.status, 404, response.text);
    }, START);
  });

  it('backorder availability has ships_by and a message', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', handling_days: 1 });
      await givenPurchaseOrder(api, 'TOTE', 4, '2027-01-15');

      const view = await availability(api, 'TOTE');

      assert.equal(view.status, 'backorder');
      assert.equal(view.ships_by, '2027-01-18');
      assert.equal(view.ships_by_basis, 'inbound');
      assert.equal(view.restock_date, '2027-01-15');
      assert.equal(view.message, 'On backorder: ships by 18 January 2027');
    }, START);
  });

  it('availability message follows Accept-Language', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', handling_days: 1 });
      await givenPurchaseOrder(api, 'TOTE', 4, '2027-01-15');

      const german = await api.get('/v1/availability/TOTE', { key: 'public', headers: { 'accept-language': 'de-DE,de;q=0.9' } });
      const american = await api.get('/v1/availability/TOTE', { key: 'public', headers: { 'accept-language': 'en-US' } });
      const unknown = await api.get('/v1/availability/TOTE', { key: 'public', headers: { 'accept-language': '*' } });

      assert.equal(german.body.message, 'On backorder: ships by 18. Januar 2027');
      assert.equal(german.headers['content-language'], 'de-DE');
      assert.equal(american.body.message, 'On backorder: ships by 18 January 2027');
      assert.equal(unknown.body.message, 'On backorder: ships by 18 January 2027');
      assert.equal(unknown.headers['content-language'], 'en-US');
    }, START);
  });

  it('availability after the queue dates the next unit', async () => {
    await withApi(async (api) => {
      await givenFourOrders(api);

      const view = await availability(api, 'TOTE');

      assert.equal(view.ships_by, '2027-01-25');
      assert.equal(view.message, 'On backorder: ships by 25 January 2027');
    }, START);
  });

  it('availability without supply or estimate has no date', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });

      const view = await availability(api, 'TOTE');

      assert.equal(view.ships_by, null);
      assert.equal(view.ships_by_basis, 'unknown');
      assert.equal(view.restock_date, null);
      assert.equal(view.message, 'On backorder: ship date not yet known');
    }, START);
  });

  it('availability with a lead time is an estimate by lead time', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', lead_time_days: 14 });

      const view = await availability(api, 'TOTE');

      assert.equal(view.ships_by, '2027-01-18');
      assert.equal(view.ships_by_basis, 'lead_time');
      assert.equal(view.restock_date, null);
    }, START);
  });

  it('out of stock gives the restock date', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'CUP', { handling_days: 1 });
      await givenPurchaseOrder(api, 'CUP', 4, '2027-01-15');

      const view = await availability(api, 'CUP');

      assert.equal(view.status, 'out_of_stock');
      assert.equal(view.ships_by, null);
      assert.equal(view.restock_date, '2027-01-15');
      assert.equal(view.message, 'Out of stock: expected back 15 January 2027');
    }, START);
  });

  it('availability in stock ships today', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'CUP', { onHand: 3 });

      const view = await availability(api, 'CUP');

      assert.equal(view.ships_by, TODAY);
      assert.equal(view.ships_by_basis, 'stock');
      assert.equal(view.message, 'In stock: ships today');
    }, START);
  });

  it('quote dates each line and the order', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', handling_days: 1 });
      await givenPurchaseOrder(api, 'TOTE', 4, '2027-01-15');
      await givenSku(api, 'CUP', { onHand: 3 });
      const body = { lines: [{ sku: 'TOTE', quantity: 2 }, { sku: 'CUP', quantity: 1 }] };

      const complete = await api.post('/v1/availability/quote', { ...body, ship_policy: 'ship_complete' }, { key: 'public' });
      const partial = await api.post('/v1/availability/quote', body, { key: 'public' });

      assert.equal(complete.status, 200, complete.text);
      assert.deepEqual(
        complete.body.lines.map((line: any) => [line.sku, line.from_stock, line.backordered, line.ships_by, line.ships_by_basis]),
        [
          ['TOTE', 0, 2, '2027-01-18', 'inbound'],
          ['CUP', 1, 0, TODAY, 'stock'],
        ],
      );
      assert.equal(complete.body.ships_by, '2027-01-18');
      assert.equal(partial.body.ships_by, null);
    }, START);
  });

  it('quote counts earlier lines of the same SKU', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', handling_days: 1 });
      await givenPurchaseOrder(api, 'TOTE', 4, '2027-01-15');
      await givenPurchaseOrder(api, 'TOTE', 5, '2027-01-22');

      const response = await api.post(
        '/v1/availability/quote',
        { lines: [{ sku: 'TOTE', quantity: 3 }, { sku: 'TOTE', quantity: 3 }], ship_policy: 'ship_complete' },
        { key: 'public' },
      );

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.lines.map((line: any) => line.ships_by), ['2027-01-18', '2027-01-25']);
      assert.equal(response.body.ships_by, '2027-01-25');
    }, START);
  });

  it('receipt dates served lines by stock', async () => {
    await withApi(async (api) => {
      const { early, orders } = await givenFourOrders(api);

      const receipt = await api.post(`/v1/purchase-orders/${early}/receipts`, { lines: [{ sku: 'TOTE', quantity: 4 }] });
      assert.equal(receipt.status, 201, receipt.text);

      const lines = [];
      for (const order of orders) lines.push((await api.get(`/v1/orders/${order.id}`)).body.lines[0]);
      assert.deepEqual(
        lines.map((line) => [line.allocated, line.backordered, line.promised_ship_date, line.estimated_ship_date]),
        [
          [1, 0, '2027-01-18', '2027-01-05'],
          [2, 0, '2027-01-18', '2027-01-05'],
          [1, 2, '2027-01-25', '2027-01-25'],
          [0, 2, '2027-01-25', '2027-01-25'],
        ],
      );
    }, START);
  });

  it('order edit response shows the re-promised date', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', handling_days: 1 });
      await givenPurchaseOrder(api, 'TOTE', 4, '2027-01-15');
      await givenPurchaseOrder(api, 'TOTE', 5, '2027-01-22');
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);

      const edited = await api.patch(`/v1/orders/${order.id}/lines/${order.lines[0].id}`, { quantity: 6 });

      assert.equal(edited.status, 200, edited.text);
      const line = edited.body.lines[0];
      assert.deepEqual([line.backordered, line.promised_ship_date, line.estimated_ship_date], [6, '2027-01-18', '2027-01-25']);
    }, START);
  });

  it('stock adjustment serves the queue first', async () => {
    await withApi(async (api) => {
      await givenFourOrders(api);
      await adjust(api, 'TOTE', 8);

      const view = await availability(api, 'TOTE');

      assert.equal(view.available, 0);
      assert.equal(view.ships_by, '2027-01-18');
    }, START);
  });
});
