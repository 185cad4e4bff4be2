import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/http/app.js';
import { Store } from '../../src/store/store.js';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { ADMIN_KEY, adjust, givenSku, placeOrder, PUBLISHABLE_KEY, toApiResponse, withApi, type TestApi } from '../support/http.js';

async function availability(api: Pick<TestApi, 'get'>, sku: string, query = ''): Promise<any> {
  const response = await api.get(`/v1/availability/${sku}${query}`, { key: 'public' });
  assert.equal(response.status, 200, response.text);
  return response.body;
}

/** Adjusts stock through a second store on the same database, as another Restock process would. */
async function adjustElsewhere(database: TestStore, sku: string, delta: number): Promise<void> {
  const other = await Store.open({ url: database.url, schema: database.schema, migrate: false });
  try {
    await other.transaction((work) =>
      work.moveStock({ sku, location: 'main', kind: 'adjustment', onHandDelta: delta, allocatedDelta: 0, reason: 'another process' }),
    );
  } finally {
    await other.close();
  }
}

/**
 * Runs `body` against an app on a fresh database whose availability cache
 * keeps responses for `cacheMillis` on the test clock.
 */
async function withCachedApi(cacheMillis: number, body: (api: TestApi) => Promise<void>): Promise<void> {
  const database = await openTestStore();
  const app = await buildApp({
    store: database.store,
    keys: { admin: ADMIN_KEY, publishable: PUBLISHABLE_KEY },
    logger: false,
    availabilityCacheMillis: cacheMillis,
  });
  const send = async (method: string, path: string, payload?: unknown, options: { key?: 'admin' | 'public' } = {}) => {
    const key = options.key === 'public' ? PUBLISHABLE_KEY : ADMIN_KEY;
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const response = await app.inject({ method: method as 'GET', url: path, headers, payload: payload === undefined ? undefined : JSON.stringify(payload) });
    return toApiResponse(response.statusCode, response.headers, response.body);
  };
  const api = {
    app,
    store: database.store,
    clock: database.clock,
    database,
    send,
    get: (path: string, options?: { key?: 'admin' | 'public' }) => send('GET', path, undefined, options),
    post: (path: string, payload?: unknown) => send('POST', path, payload),
    put: (path: string, payload?: unknown) => send('PUT', path, payload),
    patch: (path: string, payload?: unknown) => send('PATCH', path, payload),
    close: async () => {},
  } as TestApi;

  try {
    await body(api);
  } finally {
    await app.close();
    await database.close();
  }
}

describe(`HTTP availability cache: writes in this process (${testDatabase})`, () => {
  it('order is seen by the next read', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const before = await availability(api, 'TOTE');

      await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);
      const after = await availability(api, 'TOTE');

      assert.equal(before.available, 5);
      assert.equal(after.available, 3);
    });
  });

  it('adjustment is seen by the next read', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { low_stock_threshold: 2, onHand: 5 });
      const before = await availability(api, 'TOTE');

      await adjust(api, 'TOTE', -4);
      const after = await availability(api, 'TOTE');

      assert.deepEqual([before.status, before.available], ['in_stock', 5]);
      assert.deepEqual([after.status, after.available], ['low_stock', 1]);
    });
  });

  it('receipt is seen by the next read', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'BACK', { policy: 'backorder' });
      const created = await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2026-03-20', lines: [{ sku: 'BACK', quantity: 10 }] });
      assert.equal(created.status, 201, created.text);
      const before = await availability(api, 'BACK');

      const receipt = await api.post(`/v1/purchase-orders/${created.body.id}/receipts`, { lines: [{ sku: 'BACK', quantity: 4 }] });
      assert.equal(receipt.status, 201, receipt.text);
      const after = await availability(api, 'BACK');

      assert.deepEqual([before.status, before.available, before.ships_by_basis], ['backorder', 0, 'inbound']);
      assert.deepEqual([after.status, after.available, after.ships_by_basis], ['in_stock', 4, 'stock']);
    });
  });

  it('new purchase order is seen by the next read', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'BACK', { policy: 'backorder' });
      const before = await availability(api, 'BACK');

      await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2026-03-20', lines: [{ sku: 'BACK', quantity: 10 }] });
      const after = await availability(api, 'BACK');

      assert.deepEqual([before.ships_by, before.ships_by_basis], [null, 'unknown']);
      assert.deepEqual([after.ships_by, after.ships_by_basis], ['2026-03-20', 'inbound']);
    });
  });

  it('SKU rule change is seen by the next read', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 2 });
      const before = await availability(api, 'TOTE', '?quantity=3');

      await api.put('/v1/skus/TOTE', { policy: 'backorder' });
      const after = await availability(api, 'TOTE', '?quantity=3');

      assert.deepEqual([before.status, before.orderable], ['out_of_stock', false]);
      assert.deepEqual([after.status, after.orderable], ['backorder', true]);
    });
  });

  it('location change is seen by the next read', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 3 });
      const before = await availability(api, 'TOTE', '?country=DE');

      const changed = await api.put('/v1/locations/main', { ships_to: ['US'] });
      assert.equal(changed.status, 200, changed.text);
      const after = await availability(api, 'TOTE', '?country=DE');

      assert.equal(before.available, 3);
      assert.equal(after.available, 0);
    });
  });

  it('repeated read returns the same answer', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });

      const first = await api.get('/v1/availability/TOTE', { key: 'public', headers: { 'accept-language': 'de-DE' } });
      const second = await api.get('/v1/availability/TOTE', { key: 'public', headers: { 'accept-language': 'de-DE' } });
      const english = await api.get('/v1/availability/TOTE', { key: 'public', headers: { 'accept-language': 'en-US' } });

      assert.equal(second.text, first.text);
      assert.equal(second.headers['content-language'], 'de-DE');
      assert.equal(english.headers['content-language'], 'en-US');
      assert.match(String(second.headers['content-type']), /^application\/json/);
    });
  });
});

describe(`HTTP availability cache: time to live (${testDatabase})`, () => {
  it('write by another process shows after the time to live', async () => {
    await withCachedApi(1000, async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const first = await availability(api, 'TOTE');

      await adjustElsewhere(api.database, 'TOTE', 2);
      const withinLife = await availability(api, 'TOTE');
      api.clock.advance(999);
      const atLastMillisecond = await availability(api, 'TOTE');
      api.clock.advance(1);
      const expired = await availability(api, 'TOTE');

      assert.equal(first.available, 5);
      assert.equal(withinLife.available, 5, 'another process does not invalidate this cache');
      assert.equal(atLastMillisecond.available, 5);
      assert.equal(expired.available, 7);
    });
  });

  it('clock set back drops the entry', async () => {
    await withCachedApi(1000, async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      await availability(api, 'TOTE');

      await adjustElsewhere(api.database, 'TOTE', 2);
      api.clock.advance(-1);
      const view = await availability(api, 'TOTE');

      assert.equal(view.available, 7);
    });
  });

  it('time to live 0 disables the cache', async () => {
    await withCachedApi(0, async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const first = await availability(api, 'TOTE');

      await adjustElsewhere(api.database, 'TOTE', 2);
      const second = await availability(api, 'TOTE');

      assert.equal(first.available, 5);
      assert.equal(second.available, 7);
    });
  });
});
