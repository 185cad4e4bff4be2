import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { assertError, assertListShape, givenSku, placeOrder, readSku, skuCounters, withApi, type TestApi } from '../support/http.js';

async function createPurchaseOrder(api: TestApi, lines: { sku: string; quantity: number }[], expectedDate = '2026-03-20'): Promise<any> {
  const response = await api.post('/v1/purchase-orders', { reference: 'PO-1042', expected_date: expectedDate, lines });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

describe(`HTTP purchase orders (${testDatabase})`, () => {
  it('POST creates a purchase order with 201', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      await givenSku(api, 'BAG');

      const response = await api.post('/v1/purchase-orders', {
        reference: 'PO-1042',
        expected_date: '2026-03-20',
        lines: [{ sku: 'TOTE', quantity: 10 }, { sku: 'BAG', quantity: 4 }],
      });

      assert.equal(response.status, 201, response.text);
      const po = response.body;
      assert.match(po.id, /^po_/);
      assert.equal(po.reference, 'PO-1042');
      assert.equal(po.location, 'main');
      assert.equal(po.expected_date, '2026-03-20');
      assert.equal(po.status, 'open');
      assert.deepEqual(po.lines, [
        { sku: 'TOTE', quantity: 10, received: 0 },
        { sku: 'BAG', quantity: 4, received: 0 },
      ]);
      assert.equal((await readSku(api, 'TOTE')).inbound, 10);
    });
  });

  it('GET reads a purchase order', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const created = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);

      const response = await api.get(`/v1/purchase-orders/${created.id}`);

      assert.equal(response.status, 200);
      assert.deepEqual(response.body, created);
    });
  });

  it('GET list filters by status', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const open = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);
      const closed = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 5 }]);
      await api.post(`/v1/purchase-orders/${closed.id}/close`);

      const all = await api.get('/v1/purchase-orders');
      const onlyOpen = await api.get('/v1/purchase-orders?status=open');

      assertListShape(all.body);
      assert.deepEqual(all.body.data.map((po: { id: string }) => po.id).sort(), [open.id, closed.id].sort());
      assert.deepEqual(onlyOpen.body.data.map((po: { id: string }) => po.id), [open.id]);
    });
  });

  it('PATCH moves the expected date', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const po = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);

      const response = await api.patch(`/v1/purchase-orders/${po.id}`, { expected_date: '2026-04-02' });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.expected_date, '2026-04-02');
      assert.equal((await api.get(`/v1/purchase-orders/${po.id}`)).body.expected_date, '2026-04-02');
    });
  });

  it('receipt answers 201 and serves the oldest backorder first', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });
      const older = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);
      const newer = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);
      const po = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);

      const response = await api.post(`/v1/purchase-orders/${po.id}/receipts`, { lines: [{ sku: 'TOTE', quantity: 3 }] });

      assert.equal(response.status, 201, response.text);
      assert.match(response.body.receipt.id, /^rcpt_/);
      assert.equal(response.body.receipt.purchase_order_id, po.id);
      assert.deepEqual(response.body.receipt.lines, [{ sku: 'TOTE', quantity: 3 }]);
      assert.deepEqual(response.body.allocations, [
        { order_id: older.id, line_id: older.lines[0].id, quantity: 2 },
        { order_id: newer.id, line_id: newer.lines[0].id, quantity: 1 },
      ]);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 3, 0, 1]);
      assert.equal((await readSku(api, 'TOTE')).inbound, 7);
    });
  });

  it('receipt of more than ordered is recorded', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const po = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 2 }]);

      const response = await api.post(`/v1/purchase-orders/${po.id}/receipts`, { lines: [{ sku: 'TOTE', quantity: 3 }] });
      const after = (await api.get(`/v1/purchase-orders/${po.id}`)).body;

      assert.equal(response.status, 201, response.text);
      assert.deepEqual(after.lines, [{ sku: 'TOTE', quantity: 2, received: 3 }]);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [3, 0, 3, 0]);
    });
  });

  it('close answers 200 and ends the inbound supply', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const po = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);

      const response = await api.post(`/v1/purchase-orders/${po.id}/close`);

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.status, 'closed');
      assert.equal((await readSku(api, 'TOTE')).inbound, 0);
    });
  });

  it('receipt on a closed purchase order is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const po = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);
      await api.post(`/v1/purchase-orders/${po.id}/close`);

      const response = await api.post(`/v1/purchase-orders/${po.id}/receipts`, { lines: [{ sku: 'TOTE', quantity: 1 }] });

      assertError(response, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [0, 0, 0, 0]);
    });
  });

  it('closing a closed purchase order is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const po = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);
      await api.post(`/v1/purchase-orders/${po.id}/close`);

      assertError(await api.post(`/v1/purchase-orders/${po.id}/close`), 409, 'invalid_state');
    });
  });

  it('re-dating a closed purchase order is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const po = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);
      await api.post(`/v1/purchase-orders/${po.id}/close`);

      assertError(await api.patch(`/v1/purchase-orders/${po.id}`, { expected_date: '2026-04-02' }), 409, 'invalid_state');
    });
  });

  it('receipt of a SKU not on the purchase order is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      await givenSku(api, 'BAG');
      const po = await createPurchaseOrder(api, [{ sku: 'TOTE', quantity: 10 }]);

      const response = await api.post(`/v1/purchase-orders/${po.id}/receipts`, { lines: [{ sku: 'BAG', quantity: 1 }] });

      assertError(response, 409, 'invalid_state');
      assert.deepEqual(await skuCounters(api, 'BAG'), [0, 0, 0, 0]);
    });
  });
});
