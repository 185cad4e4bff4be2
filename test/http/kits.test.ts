import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { assertError, assertInvalidField, givenSku, orderBody, placeOrder, readSku, skuCounters, withApi, type TestApi } from '../support/http.js';
import { assertInvariants } from '../support/builders.js';

async function givenKit(api: TestApi, code: string, components: { sku: string; quantity: number }[]): Promise<void> {
  const response = await api.put(`/v1/skus/${code}`, { policy: 'stock_only', components });
  assert.equal(response.status, 201, `creating kit ${code} failed: ${response.text}`);
}

describe(`HTTP kits (${testDatabase})`, () => {
  it('kit sells only what its components allow [C13]', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'U', { policy: 'stock_only', onHand: 10 });
      await givenKit(api, 'BU', [{ sku: 'U', quantity: 2 }]);

      const before = await api.get('/v1/availability/BU');
      assert.equal(before.status, 200, before.text);
      assert.equal(before.body.available, 5);
      assert.equal(before.body.max_orderable, 5);
      assert.equal(before.body.status, 'in_stock');

      const tooMany = await api.post('/v1/orders', orderBody([{ sku: 'BU', quantity: 6 }]));
      assertError(tooMany, 409, 'not_orderable');
      assert.deepEqual(tooMany.body.error.details, [{ sku: 'BU', reason: 'insufficient_stock', max_orderable: 5 }]);

      const order = await placeOrder(api, [{ sku: 'BU', quantity: 5, unit_price: 3000 }]);
      assert.equal(order.status, 'allocated');
      assert.deepEqual(await skuCounters(api, 'U'), [10, 10, 0, 0]);

      const kitAfter = await api.get('/v1/availability/BU');
      const componentAfter = await api.get('/v1/availability/U');
      assert.equal(kitAfter.body.available, 0);
      assert.equal(kitAfter.body.status, 'out_of_stock');
      assert.equal(componentAfter.body.available, 0);
      assert.equal((await readSku(api, 'BU')).available, 0);

      const oneU = await api.post('/v1/orders', orderBody([{ sku: 'U', quantity: 1 }]));
      assertError(oneU, 409, 'not_orderable');
      assert.deepEqual(oneU.body.error.details, [{ sku: 'U', reason: 'insufficient_stock', max_orderable: 0 }]);
      await assertInvariants(api.store);
    });
  });

  it('order shows the kit line and its component lines', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'U', { onHand: 10 });
      await givenKit(api, 'BU', [{ sku: 'U', quantity: 2 }]);

      const order = await placeOrder(api, [{ sku: 'BU', quantity: 3, unit_price: 3000 }]);
      const read = await api.get(`/v1/orders/${order.id}`);

      assert.equal(read.status, 200, read.text);
      assert.deepEqual(read.body, order);
      const [kit, component] = order.lines;
      assert.deepEqual([kit.sku, kit.quantity, kit.unit_price, kit.allocated, kit.kit_line_id], ['BU', 3, 3000, 3, null]);
      assert.deepEqual([component.sku, component.quantity, component.unit_price, component.allocated, component.kit_line_id], ['U', 6, 0, 6, kit.id]);
      assert.equal(order.payment.captured, 9000);
    });
  });

  it('ships and cancels whole kits', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'U', { onHand: 10 });
      await givenKit(api, 'BU', [{ sku: 'U', quantity: 2 }]);
      const order = await placeOrder(api, [{ sku: 'BU', quantity: 3, unit_price: 3000 }]);
      const [kit, component] = order.lines;

      const shipment = await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: kit.id, quantity: 1 }] });
      const componentShipment = await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: component.id, quantity: 2 }] });
      const cancellation = await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'changed mind' });

      assert.equal(shipment.status, 201, shipment.text);
      assertError(componentShipment, 409, 'invalid_state');
      assert.equal(cancellation.status, 200, cancellation.text);
      assert.deepEqual(cancellation.body.refund, { amount: 6000, currency: 'USD' });
      assert.deepEqual(await skuCounters(api, 'U'), [8, 0, 8, 0]);
      await assertInvariants(api.store);
    });
  });

  it('GET returns a kit with its components', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'U', { onHand: 7 });
      await givenKit(api, 'BU', [{ sku: 'U', quantity: 2 }]);

      const kit = await readSku(api, 'BU');

      assert.deepEqual(kit.components, [{ sku: 'U', quantity: 2 }]);
      assert.deepEqual([kit.on_hand, kit.allocated, kit.available, kit.backordered, kit.inbound], [0, 0, 3, 0, 0]);
    });
  });

  it('PUT rejects a malformed component list', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'U');

      assertInvalidField(await api.put('/v1/skus/BU', { policy: 'stock_only', components: [{ sku: 'U', quantity: 0 }] }), 'components[0].quantity');
      assertInvalidField(await api.put('/v1/skus/BU', { policy: 'stock_only', components: [{ sku: 'U', quantity: 1.5 }] }), 'components[0].quantity');
      assertInvalidField(await api.put('/v1/skus/BU', { policy: 'stock_only', components: [{ sku: 'U', quantity: 1001 }] }), 'components[0].quantity');
      assertInvalidField(await api.put('/v1/skus/BU', { policy: 'stock_only', components: [] }), 'components');
      assertInvalidField(
        await api.put('/v1/skus/BU', { policy: 'stock_only', components: [{ sku: 'U', quantity: 1 }, { sku: 'U', quantity: 1 }] }),
        'components[1].sku',
      );
      assertInvalidField(await api.put('/v1/skus/BU', { policy: 'stock_only', lead_time_days: 3, components: [{ sku: 'U', quantity: 1 }] }), 'lead_time_days');
    });
  });

  it('PUT rejects a kit of an unknown component', async () => {
    await withApi(async (api) => {
      const response = await api.put('/v1/skus/BU', { policy: 'stock_only', components: [{ sku: 'NOPE', quantity: 1 }] });

      assertError(response, 409, 'invalid_state');
      assertError(await api.get('/v1/skus/BU'), 404, 'not_found');
    });
  });

  it('kit takes no stock adjustment', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'U');
      await givenKit(api, 'BU', [{ sku: 'U', quantity: 2 }]);

      const response = await api.post('/v1/stock/adjustments', { sku: 'BU', quantity_delta: 5, reason: 'count' });

      assertError(response, 409, 'invalid_state');
    });
  });
});
