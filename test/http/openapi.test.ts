import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { testDatabase } from '../support/database.js';
import { listRoutes, withApi } from '../support/http.js';

/** Routes left out of the document on purpose: the document itself, metrics and the documentation UI. */
const UNDOCUMENTED = new Set(['GET /openapi.json', 'GET /metrics']);

/** Every method and path that the v1 contract names. */
const CONTRACT_PATHS = [
  'GET /healthz',
  'GET /v1/skus',
  'PUT /v1/skus/{sku}',
  'GET /v1/skus/{sku}',
  'GET /v1/skus/{sku}/backorders',
  'PUT /v1/locations/{code}',
  'POST /v1/stock/adjustments',
  'GET /v1/stock/levels',
  'GET /v1/stock/movements',
  'POST /v1/purchase-orders',
  'PATCH /v1/purchase-orders/{id}',
  'POST /v1/purchase-orders/{id}/receipts',
  'POST /v1/purchase-orders/{id}/close',
  'GET /v1/availability/{sku}',
  'POST /v1/availability/quote',
  'POST /v1/orders',
  'GET /v1/orders',
  'GET /v1/orders/{id}',
  'POST /v1/orders/{id}/cancellations',
  'POST /v1/orders/{id}/shipments',
  'PATCH /v1/orders/{id}/lines/{line_id}',
  'POST /v1/orders/{id}/returns',
  'POST /v1/back-in-stock-subscriptions',
  'GET /v1/events',
  'POST /v1/webhook-endpoints',
];

/** Turns a Fastify pattern such as /v1/orders/:id into the OpenAPI form /v1/orders/{id}. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function documentedOperations(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe(`OpenAPI document (${testDatabase})`, () => {
  it('document is valid OpenAPI 3.1', async () => {
    await withApi(async (api) => {
      const response = await api.get('/openapi.json', { key: 'none' });
      assert.equal(response.status, 200);
      assert.equal(response.body.openapi, '3.1.0');

      const validator = new Validator();
      const result = await validator.validate(response.body);

      assert.equal(validator.version, '3.1');
      assert.deepEqual(result.errors ?? [], [], `the document is invalid:\n${JSON.stringify(result.errors, null, 2)}`);
      assert.equal(result.valid, true);
    });
  });

  it('document lists every route of the app', async () => {
    await withApi(async (api) => {
      const document = (await api.get('/openapi.json', { key: 'none' })).body;
      const documented = new Set(documentedOperations(document));

      const missing = listRoutes(api.app)
        // The documentation UI and the customer pages under /c/ are HTML for people, not API operations.
        .filter((route) => !route.url.startsWith('/docs') && !route.url.startsWith('/c/'))
        .map((route) => `${route.method} ${openApiPath(route.url)}`)
        .filter((operation) => !UNDOCUMENTED.has(operation) && !documented.has(operation));

      assert.deepEqual(missing, []);
    });
  });

  it('document lists every path of the v1 contract', async () => {
    await withApi(async (api) => {
      const document = (await api.get('/openapi.json', { key: 'none' })).body;
      const documented = new Set(documentedOperations(document));

      const missing = CONTRACT_PATHS.filter((operation) => !documented.has(operation));

      assert.deepEqual(missing, []);
    });
  });

  it('document declares bearer auth', async () => {
    await withApi(async (api) => {
      const document = (await api.get('/openapi.json', { key: 'none' })).body;

      assert.deepEqual(document.components.securitySchemes.bearer, {
        type: 'http',
        scheme: 'bearer',
        description: 'The admin key; the publishable key on operations whose description says they accept it',
      });
      assert.deepEqual(document.security, [{ bearer: [] }]);
    });
  });

  it('public operations say they accept the publishable key', async () => {
    await withApi(async (api) => {
      const document = (await api.get('/openapi.json', { key: 'none' })).body;
      const operations = Object.entries<Record<string, { description?: string }>>(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, description: operation.description ?? '' })),
      );

      const marked = operations.filter((operation) => operation.description.includes('Accepts the publishable key')).map((operation) => operation.name);

      assert.deepEqual(marked.sort(), ['GET /v1/availability/{sku}', 'POST /v1/availability/quote', 'POST /v1/back-in-stock-subscriptions']);
    });
  });

  it('list query parameters are described', async () => {
    await withApi(async (api) => {
      const document = (await api.get('/openapi.json', { key: 'none' })).body;
      const lists: [string, string[]][] = [
        ['/v1/deliveries', ['status', 'limit', 'cursor']],
        ['/v1/webhook-endpoints/{id}/deliveries', ['status', 'limit', 'cursor']],
        ['/v1/webhook-endpoints', ['limit', 'cursor']],
        ['/v1/refunds', ['status', 'overdue', 'limit', 'cursor']],
      ];

      for (const [path, names] of lists) {
        const parameters: { name: string; in: string; description?: string }[] = document.paths[path].get.parameters;
        for (const name of names) {
          const parameter = parameters.find((candidate) => candidate.in === 'query' && candidate.name === name);
          assert.ok(parameter, `${path} has no query parameter ${name}`);
          assert.ok((parameter.description ?? '') !== '', `${path} does not describe ${name}`);
        }
      }
    });
  });

  it('webhook registration describes the delivery', async () => {
    await withApi(async (api) => {
      const document = (await api.get('/openapi.json', { key: 'none' })).body;
      const description: string = document.paths['/v1/webhook-endpoints'].post.description;

      assert.match(description, /Restock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>/);
      assert.match(description, /"id", "type", "created_at", "order_id", "line_id", "sku", "data"/);
      assert.match(description, /410 Gone/);
    });
  });

  it('/docs serves the documentation as HTML', async () => {
    await withApi(async (api) => {
      const response = await api.get('/docs', { key: 'none' });

      assert.equal(response.status, 200);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.text, /<html/i);
      assert.match(response.text, /swagger-ui/i);
    });
  });

  it('/docs loads the same document', async () => {
    await withApi(async (api) => {
      const served = await api.get('/docs/json', { key: 'none' });
      const document = await api.get('/openapi.json', { key: 'none' });

      assert.equal(served.status, 200);
      assert.deepEqual(served.body, document.body);
    });
  });
});
