import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { assertError, assertInvalidField, givenSku, placeOrder, skuCounters, withApi, type TestApi } from '../support/http.js';

/** Places an order of 3 at 1000 each from 5 on hand and ships 2 of them. */
async function givenPartlyShippedOrder(api: TestApi): Promise<{ orderId: string; lineId: string }> {
  await givenSku(api, 'TOTE', { onHand: 5 });
  const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 3, unit_price: 1000 }]);
  const lineId = order.lines[0].id;
  const shipped = await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: lineId, quantity: 2 }] });
  assert.equal(shipped.status, 201, shipped.text);
  return { orderId: order.id, lineId };
}

describe(`HTTP order edits (${testDatabase})`, () => {
  it('price edit answers 200 and captures the difference on unshipped units', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.patch(`/v1/orders/${orderId}/lines/${lineId}`, { unit_price: 1200 });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.id, orderId);
      assert.equal(response.body.lines[0].unit_price, 1200);
      assert.equal(response.body.payment.captured, 3200);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 1, 2, 0]);
    });
  });

  it('quantity edit allocates only the extra unit', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.patch(`/v1/orders/${orderId}/lines/${lineId}`, { quantity: 4 });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.lines[0].quantity, 4);
      assert.equal(response.body.lines[0].allocated, 2);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 2, 1, 0]);
    });
  });

  it('quantity below the shipped units is 409 invalid_state', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.patch(`/v1/orders/${orderId}/lines/${lineId}`, { quantity: 1 });

      assertError(response, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 1, 2, 0]);
    });
  });

  it('edit needs quantity or unit_price', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      assertError(await api.patch(`/v1/orders/${orderId}/lines/${lineId}`, {}), 400, 'invalid_request');
      assertInvalidField(await api.patch(`/v1/orders/${orderId}/lines/${lineId}`, { quantity: 0 }), 'quantity');
    });
  });

  it('edit of an unknown order or line is 404', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      assertError(await api.patch(`/v1/orders/ord_unknown/lines/${lineId}`, { quantity: 3 }), 404, 'not_found');
      assertError(await api.patch(`/v1/orders/${orderId}/lines/line_unknown`, { quantity: 3 }), 404, 'not_found');
    });
  });
});

describe(`HTTP returns (${testDatabase})`, () => {
  it('return answers 201 with the return, the order and the refund', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.post(`/v1/orders/${orderId}/returns`, { lines: [{ line_id: lineId, quantity: 1 }], restock: true, refund: true });

      assert.equal(response.status, 201, response.text);
      assert.match(response.body.return.id, /^ret_/);
      assert.equal(response.body.return.restock, true);
      assert.equal(response.body.return.refund, true);
      assert.equal(response.body.return.lines[0].quantity, 1);
      assert.equal(response.body.order.lines[0].returned, 1);
      assert.deepEqual(response.body.refund, { amount: 1000, currency: 'USD' });
      assert.deepEqual(await skuCounters(api, 'TOTE'), [4, 1, 3, 0]);
    });
  });

  it('return without restock leaves on hand alone', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.post(`/v1/orders/${orderId}/returns`, { lines: [{ line_id: lineId, quantity: 2 }], restock: false, refund: false });

      assert.equal(response.status, 201, response.text);
      assert.deepEqual(response.body.refund, { amount: 0, currency: 'USD' });
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 1, 2, 0]);
    });
  });

  it('returning more than shipped is 409 invalid_state', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.post(`/v1/orders/${orderId}/returns`, { lines: [{ line_id: lineId, quantity: 3 }], restock: true, refund: true });

      assertError(response, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 1, 2, 0]);
    });
  });

  it('return body is checked field by field', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      assertInvalidField(await api.post(`/v1/orders/${orderId}/returns`, { lines: [{ line_id: lineId, quantity: 1 }], restock: 'yes', refund: true }), 'restock');
      assertInvalidField(await api.post(`/v1/orders/${orderId}/returns`, { lines: [{ line_id: lineId, quantity: 1.5 }], restock: true, refund: true }), 'lines[0].quantity');
      assertInvalidField(await api.post(`/v1/orders/${orderId}/returns`, { lines: [], restock: true, refund: true }), 'lines');
    });
  });

  it('return on an unknown order is 404', async () => {
    await withApi(async (api) => {
      const response = await api.post('/v1/orders/ord_unknown/returns', { lines: [{ line_id: 'line_unknown', quantity: 1 }], restock: true, refund: true });

      assertError(response, 404, 'not_found');
    });
  });

  it('replayed return returns the first response', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);
      const body = { lines: [{ line_id: lineId, quantity: 1 }], restock: true, refund: true };

      const first = await api.post(`/v1/orders/${orderId}/returns`, body, { headers: { 'idempotency-key': 'return-1' } });
      const replay = await api.post(`/v1/orders/${orderId}/returns`, body, { headers: { 'idempotency-key': 'return-1' } });

      assert.equal(replay.status, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.body, first.body);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [4, 1, 3, 0]);
    });
  });
});

describe(`HTTP order changes, more cases (${testDatabase})`, () => {
  it('edit answers the whole order view', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.patch(`/v1/orders/${orderId}/lines/${lineId}`, { quantity: 4, unit_price: 1100 });

      assert.equal(response.status, 200, response.text);
      const line = response.body.lines[0];
      assert.deepEqual(
        [line.quantity, line.unit_price, line.allocated, line.backordered, line.shipped, line.cancelled, line.returned, line.status],
        [4, 1100, 2, 0, 2, 0, 0, 'partially_shipped'],
      );
      // The unshipped unit costs 100 more and the added unit 1100.
      assert.deepEqual(response.body.payment, { capture: 'upfront', captured: 4200, refunded: 0 });
      assert.equal(response.body.status, 'partially_shipped');
    });
  });

  it('edit past stock is 409 not_orderable', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.patch(`/v1/orders/${orderId}/lines/${lineId}`, { quantity: 6 });

      assertError(response, 409, 'not_orderable');
      assert.deepEqual(response.body.error.details, [{ sku: 'TOTE', reason: 'insufficient_stock', max_orderable: 5 }]);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 1, 2, 0]);
    });
  });

  it('edit body is checked field by field', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);
      const path = `/v1/orders/${orderId}/lines/${lineId}`;

      assertInvalidField(await api.patch(path, {}), 'body');
      assertInvalidField(await api.patch(path, { quantity: 2.5 }), 'quantity');
      assertInvalidField(await api.patch(path, { quantity: 1_000_001 }), 'quantity');
      assertInvalidField(await api.patch(path, { unit_price: -1 }), 'unit_price');
      assertInvalidField(await api.patch(path, { unit_price: '1200' }), 'unit_price');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 1, 2, 0]);
    });
  });

  it('return of an unknown line is 404', async () => {
    await withApi(async (api) => {
      const { orderId } = await givenPartlyShippedOrder(api);

      const response = await api.post(`/v1/orders/${orderId}/returns`, { lines: [{ line_id: 'line_unknown', quantity: 1 }], restock: true, refund: true });

      assertError(response, 404, 'not_found');
    });
  });

  it('return needs restock and refund', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.post(`/v1/orders/${orderId}/returns`, { lines: [{ line_id: lineId, quantity: 1 }] });

      assertInvalidField(response, 'restock');
      assertInvalidField(response, 'refund');
    });
  });

  it('return lists where each unit came back', async () => {
    await withApi(async (api) => {
      const { orderId, lineId } = await givenPartlyShippedOrder(api);

      const response = await api.post(`/v1/orders/${orderId}/returns`, { lines: [{ line_id: lineId, quantity: 2 }], restock: true, refund: true });

      assert.equal(response.status, 201, response.text);
      const [line] = response.body.return.lines;
      assert.equal(response.body.return.lines.length, 1);
      assert.equal(line.line_id, lineId);
      assert.match(line.shipment_id, /^shp_/);
      assert.equal(line.location, 'main');
      assert.equal(line.quantity, 2);
      assert.equal(line.refund_amount, 2000);
      assert.deepEqual(response.body.order.payment, { capture: 'upfront', captured: 3000, refunded: 2000 });
    });
  });

  it('cancel after a return refunds nothing more', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'G', { onHand: 10 });
      const order = await placeOrder(api, [{ sku: 'G', quantity: 1, unit_price: 2500 }]);
      const lineId = order.lines[0].id;
      assert.equal((await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: lineId, quantity: 1 }] })).status, 201);
      const returned = await api.post(`/v1/orders/${order.id}/returns`, { lines: [{ line_id: lineId, quantity: 1 }], restock: true, refund: true });
      assert.equal(returned.status, 201, returned.text);

      const cancelled = await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'changed mind' });

      assertError(cancelled, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'G'), [10, 0, 10, 0]);
      const view = await api.get(`/v1/orders/${order.id}`);
      assert.deepEqual(view.body.payment, { capture: 'upfront', captured: 2500, refunded: 2500 });
    });
  });
});
