import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import {
  assertError, assertInvalidField, assertListShape, givenSku, orderBody, placeOrder, skuCounters, withApi, type TestApi,
} from '../support/http.js';

async function eventTypes(api: TestApi): Promise<string[]> {
  const response = await api.get('/v1/events?limit=500');
  return response.body.data.map((event: { type: string }) => event.type);
}

async function orderIds(api: TestApi, query = ''): Promise<string[]> {
  const response = await api.get(`/v1/orders${query}`);
  assert.equal(response.status, 200, response.text);
  return response.body.data.map((order: { id: string }) => order.id);
}

describe(`HTTP orders: placing (${testDatabase})`, () => {
  it('POST answers 201 with the documented order', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE-NAVY', { policy: 'backorder', onHand: 1 });

      const response = await api.post('/v1/orders', {
        external_id: '1042',
        customer: { email: 'a@example.com', name: 'A. Buyer', locale: 'en-US' },
        currency: 'USD',
        ship_policy: 'ship_partial',
        shipping_country: 'US',
        capture: 'upfront',
        priority: 0,
        lines: [{ sku: 'TOTE-NAVY', quantity: 3, unit_price: 2400 }],
      });

      assert.equal(response.status, 201, response.text);
      const order = response.body;
      assert.match(order.id, /^ord_/);
      assert.equal(order.external_id, '1042');
      assert.equal(order.status, 'partially_backordered');
      assert.equal(order.placed_at, '2026-03-02T12:00:00.000Z');
      assert.equal(order.currency, 'USD');
      assert.equal(order.ship_policy, 'ship_partial');
      assert.deepEqual(order.payment, { capture: 'upfront', captured: 7200, refunded: 0 });
      assert.equal(order.lines.length, 1);
      const line = order.lines[0];
      assert.match(line.id, /^line_/);
      assert.equal(line.sku, 'TOTE-NAVY');
      assert.equal(line.quantity, 3);
      assert.equal(line.unit_price, 2400);
      assert.equal(line.allocated, 1);
      assert.equal(line.backordered, 2);
      assert.equal(line.shipped, 0);
      assert.equal(line.cancelled, 0);
      assert.equal(line.status, 'partially_backordered');
      assert.equal(line.queue_position, 1);
      assert.ok('promised_ship_date' in line);
      assert.ok('estimated_ship_date' in line);
    });
  });

  it('order from stock is allocated', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });

      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2, unit_price: 1500 }]);

      assert.equal(order.status, 'allocated');
      assert.equal(order.lines[0].allocated, 2);
      assert.equal(order.lines[0].queue_position, null);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [5, 2, 3, 0]);
    });
  });

  it('order with nothing in stock is backordered', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });

      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);

      assert.equal(order.status, 'backordered');
      assert.equal(order.lines[0].backordered, 2);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [0, 0, 0, 2]);
    });
  });

  it('capture on_ship captures nothing up front', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });

      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2, unit_price: 1500 }], { capture: 'on_ship' });

      assert.deepEqual(order.payment, { capture: 'on_ship', captured: 0, refunded: 0 });
    });
  });

  it('GET reads the order as placed', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const placed = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);

      const response = await api.get(`/v1/orders/${placed.id}`);

      assert.equal(response.status, 200);
      assert.deepEqual(response.body, placed);
    });
  });

  it('customer e-mail is stored trimmed', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });

      const placed = await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }], { customer: { email: '  Carol@Example.com ' } });
      const blank = await api.post('/v1/orders', {
        currency: 'USD',
        customer: { email: '  ' },
        lines: [{ sku: 'TOTE', quantity: 1, unit_price: 100 }],
      });

      assert.equal(placed.customer.email, 'Carol@Example.com');
      assertInvalidField(blank, 'customer.email');
    });
  });
});

describe(`HTTP orders: 409 not_orderable (${testDatabase})`, () => {
  it('stock_only beyond available is insufficient_stock', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 2 });

      const response = await api.post('/v1/orders', orderBody([{ sku: 'TOTE', quantity: 3 }]));

      assertError(response, 409, 'not_orderable');
      assert.deepEqual(response.body.error.details, [{ sku: 'TOTE', reason: 'insufficient_stock', max_orderable: 2 }]);
    });
  });

  it('backorder beyond the limit is backorder_limit_reached', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', backorder_limit: 2, onHand: 1 });

      const response = await api.post('/v1/orders', orderBody([{ sku: 'TOTE', quantity: 4 }]));

      assertError(response, 409, 'not_orderable');
      assert.deepEqual(response.body.error.details, [{ sku: 'TOTE', reason: 'backorder_limit_reached', max_orderable: 3 }]);
    });
  });

  it('discontinued beyond what is left is discontinued', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'discontinued', onHand: 1 });

      const response = await api.post('/v1/orders', orderBody([{ sku: 'TOTE', quantity: 2 }]));

      assertError(response, 409, 'not_orderable');
      assert.deepEqual(response.body.error.details, [{ sku: 'TOTE', reason: 'discontinued', max_orderable: 1 }]);
    });
  });

  it('unknown SKU is unknown_sku', async () => {
    await withApi(async (api) => {
      const response = await api.post('/v1/orders', orderBody([{ sku: 'NOPE', quantity: 1 }]));

      assertError(response, 409, 'not_orderable');
      assert.deepEqual(response.body.error.details, [{ sku: 'NOPE', reason: 'unknown_sku', max_orderable: 0 }]);
    });
  });

  it('every failing line is listed', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 2 });
      await givenSku(api, 'BAG', { onHand: 9 });
      await givenSku(api, 'OLD', { policy: 'discontinued' });

      const response = await api.post(
        '/v1/orders',
        orderBody([{ sku: 'TOTE', quantity: 3 }, { sku: 'BAG', quantity: 1 }, { sku: 'OLD', quantity: 1 }, { sku: 'NOPE', quantity: 1 }]),
      );

      assertError(response, 409, 'not_orderable');
      const details = [...response.body.error.details].sort((a: { sku: string }, b: { sku: string }) => a.sku.localeCompare(b.sku));
      assert.deepEqual(details, [
        { sku: 'NOPE', reason: 'unknown_sku', max_orderable: 0 },
        { sku: 'OLD', reason: 'discontinued', max_orderable: 0 },
        { sku: 'TOTE', reason: 'insufficient_stock', max_orderable: 2 },
      ]);
    });
  });

  it('two lines of one SKU are judged together', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 3 });

      const response = await api.post('/v1/orders', orderBody([{ sku: 'TOTE', quantity: 2 }, { sku: 'TOTE', quantity: 2 }]));

      assertError(response, 409, 'not_orderable');
      assert.deepEqual(response.body.error.details, [{ sku: 'TOTE', reason: 'insufficient_stock', max_orderable: 3 }]);
    });
  });

  it('rejected order leaves no trace', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 2 });
      await givenSku(api, 'BAG', { onHand: 9 });
      const eventsBefore = await eventTypes(api);

      const response = await api.post('/v1/orders', orderBody([{ sku: 'BAG', quantity: 1 }, { sku: 'TOTE', quantity: 3 }]));

      assertError(response, 409, 'not_orderable');
      assert.deepEqual(await orderIds(api), []);
      assert.deepEqual(await skuCounters(api, 'BAG'), [9, 0, 9, 0]);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [2, 0, 2, 0]);
      assert.deepEqual(await eventTypes(api), eventsBefore);
    });
  });
});

describe(`HTTP orders: listing (${testDatabase})`, () => {
  it('list filters by status, SKU and e-mail', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 2 });
      await givenSku(api, 'BAG', { onHand: 5 });
      const allocated = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }], { customer: { email: 'a@example.com' } });
      const backordered = await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }], { customer: { email: 'b@example.com' } });
      const bag = await placeOrder(api, [{ sku: 'BAG', quantity: 1 }], { customer: { email: 'a@example.com' } });

      assert.deepEqual((await orderIds(api)).sort(), [allocated.id, backordered.id, bag.id].sort());
      assert.deepEqual((await orderIds(api, '?status=backordered')), [backordered.id]);
      assert.deepEqual((await orderIds(api, '?sku=TOTE')).sort(), [allocated.id, backordered.id].sort());
      assert.deepEqual((await orderIds(api, '?email=a@example.com')).sort(), [allocated.id, bag.id].sort());
      assert.deepEqual(await orderIds(api, '?sku=BAG&email=b@example.com'), []);
    });
  });

  it('list returns the list envelope', async () => {
    await withApi(async (api) => {
      const response = await api.get('/v1/orders');

      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { data: [], has_more: false, next_cursor: null });
    });
  });
});

describe(`HTTP orders: cancellation (${testDatabase})`, () => {
  it('cancellation answers 200 with the order and the refund', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 1 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 3, unit_price: 2400 }]);

      const response = await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'customer changed their mind' });

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.refund, { amount: 7200, currency: 'USD' });
      assert.equal(response.body.order.id, order.id);
      assert.equal(response.body.order.status, 'cancelled');
      assert.equal(response.body.order.lines[0].cancelled, 3);
      assert.deepEqual(response.body.order.payment, { capture: 'upfront', captured: 7200, refunded: 7200 });
      assert.deepEqual(await skuCounters(api, 'TOTE'), [1, 0, 1, 0]);
    });
  });

  it('partial cancellation takes backordered units first', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 1 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 3, unit_price: 500 }]);

      const response = await api.post(`/v1/orders/${order.id}/cancellations`, {
        reason: 'only needs one',
        lines: [{ line_id: order.lines[0].id, quantity: 2 }],
      });

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.refund, { amount: 1000, currency: 'USD' });
      const line = response.body.order.lines[0];
      assert.equal(line.allocated, 1);
      assert.equal(line.backordered, 0);
      assert.equal(line.cancelled, 2);
      assert.equal(response.body.order.status, 'allocated');
    });
  });

  it('cancellation of on_ship order refunds nothing', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 2 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }], { capture: 'on_ship' });

      const response = await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'fraud check' });

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.refund, { amount: 0, currency: 'USD' });
    });
  });

  it('cancelling a shipped unit is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);
      await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: order.lines[0].id, quantity: 2 }] });

      const whole = await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'too late' });
      const line = await api.post(`/v1/orders/${order.id}/cancellations`, {
        reason: 'too late',
        lines: [{ line_id: order.lines[0].id, quantity: 1 }],
      });

      assertError(whole, 409, 'invalid_state');
      assertError(line, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 0, 3, 0]);
      assert.deepEqual((await api.get(`/v1/orders/${order.id}`)).body.payment, { capture: 'upfront', captured: 2000, refunded: 0 });
    });
  });

  it('cancelling more than is unshipped is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 3 }]);
      await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: order.lines[0].id, quantity: 2 }] });

      const response = await api.post(`/v1/orders/${order.id}/cancellations`, {
        reason: 'too many',
        lines: [{ line_id: order.lines[0].id, quantity: 2 }],
      });

      assertError(response, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 1, 2, 0]);
    });
  });

  it('cancelling a cancelled order is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 3 }]);
      await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'first' });

      const response = await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'second' });

      assertError(response, 409, 'invalid_state');
      assert.equal((await api.get(`/v1/orders/${order.id}`)).body.payment.refunded, 3000);
    });
  });
});

describe(`HTTP orders: shipments (${testDatabase})`, () => {
  it('shipment answers 201 with the shipment and the order', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 3 }]);

      const response = await api.post(`/v1/orders/${order.id}/shipments`, {
        lines: [{ line_id: order.lines[0].id, quantity: 2 }],
        carrier: 'UPS',
        tracking_number: '1Z999',
      });

      assert.equal(response.status, 201, response.text);
      assert.match(response.body.shipment.id, /^shp_/);
      assert.equal(response.body.shipment.location, 'main');
      assert.equal(response.body.shipment.carrier, 'UPS');
      assert.equal(response.body.shipment.tracking_number, '1Z999');
      assert.equal(response.body.order.status, 'partially_shipped');
      assert.equal(response.body.order.lines[0].shipped, 2);
      assert.equal(response.body.order.lines[0].allocated, 1);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 1, 2, 0]);
    });
  });

  it('shipping more than allocated is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder', onHand: 1 });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 3 }]);

      const response = await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: order.lines[0].id, quantity: 2 }] });

      assertError(response, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [1, 1, 0, 2]);
    });
  });

  it('shipping a backordered line is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }]);

      const response = await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: order.lines[0].id, quantity: 1 }] });

      assertError(response, 409, 'invalid_state');
    });
  });

  it('ship_complete order waiting for stock is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      await givenSku(api, 'BAG', { policy: 'backorder' });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }, { sku: 'BAG', quantity: 1 }], { ship_policy: 'ship_complete' });

      const response = await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: order.lines[0].id, quantity: 1 }] });

      assertError(response, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [5, 1, 4, 0]);
    });
  });
});
