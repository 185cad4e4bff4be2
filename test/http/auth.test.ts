import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { assertError, givenSku, listRoutes, withApi, type TestApi } from '../support/http.js';

type Access = 'admin' | 'public' | 'none';

/** Every route of the API with the key it needs. A test below keeps this table complete. */
const ROUTES: { method: string; url: string; access: Access }[] = [
  { method: 'GET', url: '/healthz', access: 'none' },
  { method: 'GET', url: '/metrics', access: 'none' },
  { method: 'GET', url: '/openapi.json', access: 'none' },
  { method: 'GET', url: '/v1/skus', access: 'admin' },
  { method: 'PUT', url: '/v1/skus/:sku', access: 'admin' },
  { method: 'GET', url: '/v1/skus/:sku', access: 'admin' },
  { method: 'GET', url: '/v1/skus/:sku/backorders', access: 'admin' },
  { method: 'GET', url: '/v1/skus/:sku/supply', access: 'admin' },
  { method: 'GET', url: '/v1/skus/:sku/forecast', access: 'admin' },
  { method: 'GET', url: '/v1/reorder-suggestions', access: 'admin' },
  { method: 'POST', url: '/v1/stock/adjustments', access: 'admin' },
  { method: 'GET', url: '/v1/stock/levels', access: 'admin' },
  { method: 'GET', url: '/v1/stock/movements', access: 'admin' },
  { method: 'GET', url: '/v1/locations', access: 'admin' },
  { method: 'PUT', url: '/v1/locations/:code', access: 'admin' },
  { method: 'GET', url: '/v1/locations/:code', access: 'admin' },
  { method: 'POST', url: '/v1/purchase-orders', access: 'admin' },
  { method: 'GET', url: '/v1/purchase-orders', access: 'admin' },
  { method: 'GET', url: '/v1/purchase-orders/:id', access: 'admin' },
  { method: 'PATCH', url: '/v1/purchase-orders/:id', access: 'admin' },
  { method: 'POST', url: '/v1/purchase-orders/:id/receipts', access: 'admin' },
  { method: 'POST', url: '/v1/purchase-orders/:id/close', access: 'admin' },
  { method: 'POST', url: '/v1/availability/quote', access: 'public' },
  { method: 'GET', url: '/v1/availability/:sku', access: 'public' },
  { method: 'POST', url: '/v1/orders', access: 'admin' },
  { method: 'GET', url: '/v1/orders', access: 'admin' },
  { method: 'GET', url: '/v1/orders/:id', access: 'admin' },
  { method: 'POST', url: '/v1/orders/:id/cancellations', access: 'admin' },
  { method: 'POST', url: '/v1/orders/:id/shipments', access: 'admin' },
  { method: 'PATCH', url: '/v1/orders/:id/lines/:line_id', access: 'admin' },
  { method: 'POST', url: '/v1/orders/:id/returns', access: 'admin' },
  { method: 'GET', url: '/v1/events', access: 'admin' },
  { method: 'GET', url: '/v1/refunds', access: 'admin' },
  { method: 'GET', url: '/v1/refunds/:id', access: 'admin' },
  { method: 'POST', url: '/v1/refunds/:id/complete', access: 'admin' },
  { method: 'POST', url: '/v1/delay-reviews', access: 'admin' },
  { method: 'POST', url: '/v1/webhook-endpoints', access: 'admin' },
  { method: 'GET', url: '/v1/webhook-endpoints', access: 'admin' },
  { method: 'GET', url: '/v1/webhook-endpoints/:id', access: 'admin' },
  { method: 'DELETE', url: '/v1/webhook-endpoints/:id', access: 'admin' },
  { method: 'GET', url: '/v1/webhook-endpoints/:id/deliveries', access: 'admin' },
  { method: 'POST', url: '/v1/webhook-endpoints/:id/rotate-secret', access: 'admin' },
  { method: 'GET', url: '/v1/deliveries', access: 'admin' },
  { method: 'POST', url: '/v1/deliveries/:id/retry', access: 'admin' },
  { method: 'POST', url: '/v1/back-in-stock-subscriptions', access: 'public' },
  { method: 'GET', url: '/c/unsubscribe/:token', access: 'none' },
  { method: 'POST', url: '/c/unsubscribe/:token', access: 'none' },
  { method: 'GET', url: '/c/:token', access: 'none' },
  { method: 'POST', url: '/c/:token/accept', access: 'none' },
  { method: 'POST', url: '/c/:token/cancel', access: 'none' },
  { method: 'POST', url: '/c/:token/cancel-items', access: 'none' },
];

/** Returns a concrete path for a route pattern. The ids need not exist, because the key is checked first. */
function samplePath(url: string): string {
  return url.replace(':sku', 'TOTE').replace(':code', 'main').replace(':id', 'ord_unknown').replace(':line_id', 'line_unknown');
}

function sendTo(api: TestApi, route: { method: string; url: string }, key: 'admin' | 'public' | 'none' | { authorization: string }) {
  const body = route.method === 'GET' ? undefined : {};
  return api.send(route.method, samplePath(route.url), body, { key });
}

describe(`HTTP auth (${testDatabase})`, () => {
  it('route table lists every API route', async () => {
    await withApi(async (api) => {
      const served = listRoutes(api.app)
        .filter((route) => !route.url.startsWith('/docs'))
        .map((route) => `${route.method} ${route.url}`)
        .sort();
      const listed = ROUTES.map((route) => `${route.method} ${route.url}`).sort();

      assert.deepEqual(served, listed);
    });
  });

  it('missing key is 401 on every keyed route', async () => {
    await withApi(async (api) => {
      for (const route of ROUTES.filter((r) => r.access !== 'none')) {
        const response = await sendTo(api, route, 'none');
        assertError(response, 401, 'unauthorized');
      }
    });
  });

  it('unknown key is 401 on every keyed route', async () => {
    await withApi(async (api) => {
      for (const route of ROUTES.filter((r) => r.access !== 'none')) {
        const response = await sendTo(api, route, { authorization: 'Bearer rsk_not_a_real_key' });
        assertError(response, 401, 'unauthorized');
      }
    });
  });

  it('malformed Authorization header is 401', async () => {
    await withApi(async (api) => {
      const headers = ['rsk_test_admin_key', 'Basic cnNrX3Rlc3RfYWRtaW5fa2V5', 'Bearer', 'Bearer ', 'Bearer rsk_test_admin_key extra'];
      for (const authorization of headers) {
        const response = await api.get('/v1/skus', { key: { authorization } });
        assertError(response, 401, 'unauthorized');
      }
    });
  });

  it('key that differs only in its last character is 401', async () => {
    await withApi(async (api) => {
      const response = await api.get('/v1/skus', { key: { authorization: 'Bearer rsk_test_admin_kez' } });

      assertError(response, 401, 'unauthorized');
    });
  });

  it('publishable key is 403 on every admin route', async () => {
    await withApi(async (api) => {
      for (const route of ROUTES.filter((r) => r.access === 'admin')) {
        const response = await sendTo(api, route, 'public');
        assertError(response, 403, 'forbidden');
      }
    });
  });

  it('publishable key reads availability', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 4 });

      const response = await api.get('/v1/availability/TOTE?quantity=2', { key: 'public' });

      assert.equal(response.status, 200);
      assert.equal(response.body.sku, 'TOTE');
      assert.equal(response.body.status, 'in_stock');
      assert.equal(response.body.available, 4);
    });
  });

  it('publishable key quotes an order', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 4 });

      const response = await api.post('/v1/availability/quote', { lines: [{ sku: 'TOTE', quantity: 3 }] }, { key: 'public' });

      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.orderable, true);
      assert.equal(response.body.lines[0].from_stock, 3);
    });
  });

  it('admin key works on public routes', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 4 });

      const availability = await api.get('/v1/availability/TOTE');
      const quote = await api.post('/v1/availability/quote', { lines: [{ sku: 'TOTE', quantity: 1 }] });

      assert.equal(availability.status, 200);
      assert.equal(quote.status, 200);
    });
  });

  it('open routes need no key', async () => {
    await withApi(async (api) => {
      for (const route of ROUTES.filter((r) => r.access === 'none')) {
        const response = await sendTo(api, route, 'none');
        // A customer page reached with the sample token answers with its invalid-link page, past the key check.
        const expected = route.url.startsWith('/c/') ? 404 : 200;
        assert.equal(response.status, expected, `${route.method} ${route.url}: ${response.text.slice(0, 200)}`);
      }
      const docs = await api.get('/docs', { key: 'none' });
      assert.equal(docs.status, 200);
    });
  });

  it('error bodies never echo the key', async () => {
    await withApi(async (api) => {
      const wrong = await api.get('/v1/skus', { key: { authorization: 'Bearer rsk_guess_123' } });
      const forbidden = await api.get('/v1/skus', { key: 'public' });

      assert.doesNotMatch(wrong.text, /rsk_guess_123/);
      assert.doesNotMatch(forbidden.text, /rpk_test_publishable_key/);
    });
  });
});
