import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import {
  adjust, assertInvalidField, assertListShape, givenSku, placeOrder, readAllPages, withApi, type TestApi,
} from '../support/http.js';

/** Pages through `path` at several limits and checks each pass returns `expected` ids once, in one order. */
async function assertPagesCoverOnce(api: TestApi, path: string, idOf: (row: any) => string, expected: string[]): Promise<void> {
  const whole = await api.get(`${path}${path.includes('?') ? '&' : '?'}limit=500`);
  assert.equal(whole.status, 200, whole.text);
  const order = whole.body.data.map(idOf);
  assert.deepEqual([...order].sort(), [...expected].sort(), `${path} with limit=500`);
  assert.equal(whole.body.has_more, false);

  for (const limit of [1, 2, 3]) {
    const { rows, pages } = await readAllPages(api, path, limit);
    const ids = rows.map(idOf);
    assert.deepEqual(ids, order, `${path} paged by ${limit}`);
    assert.equal(new Set(ids).size, ids.length, `${path} paged by ${limit} repeats a row`);
    assert.equal(pages, Math.max(1, Math.ceil(expected.length / limit)), `${path} paged by ${limit}: page count`);
  }
}

describe(`HTTP lists (${testDatabase})`, () => {
  it('SKU list pages through every SKU once', async () => {
    await withApi(async (api) => {
      const codes = ['b', 'A', 'a', 'C-1', 'C.0', 'c_2', 'Z'];
      for (const code of codes) await givenSku(api, code);

      await assertPagesCoverOnce(api, '/v1/skus', (sku) => sku.code, codes);
    });
  });

  it('location list pages through every location once', async () => {
    await withApi(async (api) => {
      const codes = ['main', 'east', 'West', 'north-2', 'south.1'];
      for (const code of codes.slice(1)) await api.put(`/v1/locations/${code}`, { name: code, time_zone: 'UTC' });

      await assertPagesCoverOnce(api, '/v1/locations', (location) => location.code, codes);
    });
  });

  it('order list pages through every order once, newest first', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 100 });
      const ids: string[] = [];
      // Some orders share a placed_at instant, so the cursor must break ties.
      for (let i = 0; i < 7; i += 1) {
        if (i % 3 === 0) api.clock.advance(60_000);
        ids.push((await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }])).id);
      }

      await assertPagesCoverOnce(api, '/v1/orders', (order) => order.id, ids);
      const { rows } = await readAllPages(api, '/v1/orders', 2);
      const placed = rows.map((order) => order.placed_at);
      assert.deepEqual(placed, [...placed].sort().reverse());
    });
  });

  it('filtered order list pages through its matches once', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 100 });
      await givenSku(api, 'BAG', { onHand: 100 });
      const totes: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        totes.push((await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }])).id);
        await placeOrder(api, [{ sku: 'BAG', quantity: 1 }]);
      }

      await assertPagesCoverOnce(api, '/v1/orders?sku=TOTE', (order) => order.id, totes);
    });
  });

  it('purchase order list pages through every purchase order once', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const response = await api.post('/v1/purchase-orders', { reference: `PO-${i}`, expected_date: '2026-04-01', lines: [{ sku: 'TOTE', quantity: 1 }] });
        ids.push(response.body.id);
      }

      await assertPagesCoverOnce(api, '/v1/purchase-orders', (po) => po.id, ids);
    });
  });

  it('event list pages through every event once, oldest first', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      await adjust(api, 'TOTE', 3);
      await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }]);
      const all = (await api.get('/v1/events?limit=500')).body.data;
      assert.ok(all.length >= 4, `expected at least 4 events, got ${all.length}`);

      await assertPagesCoverOnce(api, '/v1/events', (event) => event.id, all.map((event: { id: string }) => event.id));
      assert.equal(all[0].type, 'sku.created');
    });
  });

  it('event list filters by type', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      await givenSku(api, 'BAG');
      await adjust(api, 'TOTE', 3);

      const response = await api.get('/v1/events?type=sku.created');

      assert.deepEqual(response.body.data.map((event: { sku: string }) => event.sku), ['TOTE', 'BAG']);
    });
  });

  it('movement list pages through the ledger once', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      for (let i = 1; i <= 6; i += 1) await adjust(api, 'TOTE', i);
      const all = (await api.get('/v1/stock/movements?sku=TOTE&limit=500')).body.data;
      assert.equal(all.length, 6);

      await assertPagesCoverOnce(api, '/v1/stock/movements?sku=TOTE', (movement) => movement.id, all.map((m: { id: string }) => m.id));
      assert.deepEqual(all.map((m: { on_hand_delta: number }) => m.on_hand_delta), [6, 5, 4, 3, 2, 1]);
    });
  });

  it('level list pages through every location once', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const locations = ['east', 'West', 'north'];
      for (const code of locations) {
        await api.put(`/v1/locations/${code}`, { name: code, time_zone: 'UTC' });
        await api.post('/v1/stock/adjustments', { sku: 'TOTE', location: code, quantity_delta: 1, reason: 'count' });
      }

      await assertPagesCoverOnce(api, '/v1/stock/levels?sku=TOTE', (level) => level.location, ['main', ...locations]);
    });
  });

  it('backorder queue pages through every waiting line once', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });
      const lines: string[] = [];
      for (let i = 0; i < 5; i += 1) lines.push((await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }])).lines[0].id);

      await assertPagesCoverOnce(api, '/v1/skus/TOTE/backorders', (entry) => entry.line_id, lines);
      const { rows } = await readAllPages(api, '/v1/skus/TOTE/backorders', 2);
      assert.deepEqual(rows.map((entry) => entry.line_id), lines);
      assert.deepEqual(rows.map((entry) => entry.queue_position), [1, 2, 3, 4, 5]);
    });
  });

  it('limit defaults to 50', async () => {
    await withApi(async (api) => {
      for (let i = 0; i < 51; i += 1) await api.put(`/v1/skus/S${String(i).padStart(2, '0')}`, { policy: 'stock_only' });

      const first = await api.get('/v1/skus');

      assertListShape(first.body);
      assert.equal(first.body.data.length, 50);
      assert.equal(first.body.has_more, true);
      assert.equal(typeof first.body.next_cursor, 'string');
      const second = await api.get(`/v1/skus?cursor=${encodeURIComponent(first.body.next_cursor)}`);
      assert.deepEqual(second.body.data.map((sku: { code: string }) => sku.code), ['S50']);
      assert.equal(second.body.has_more, false);
      assert.equal(second.body.next_cursor, null);
    });
  });

  it('limit takes 1 to 500', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');
      const paths = ['/v1/skus', '/v1/locations', '/v1/orders', '/v1/purchase-orders', '/v1/events', '/v1/stock/movements?sku=TOTE', '/v1/stock/levels?sku=TOTE', '/v1/skus/TOTE/backorders', '/v1/reorder-suggestions'];

      for (const path of paths) {
        const separator = path.includes('?') ? '&' : '?';
        assert.equal((await api.get(`${path}${separator}limit=1`)).status, 200, `${path} limit=1`);
        assert.equal((await api.get(`${path}${separator}limit=500`)).status, 200, `${path} limit=500`);
        assertInvalidField(await api.get(`${path}${separator}limit=0`), 'limit');
        assertInvalidField(await api.get(`${path}${separator}limit=501`), 'limit');
        assertInvalidField(await api.get(`${path}${separator}limit=2.5`), 'limit');
      }
    });
  });
});
