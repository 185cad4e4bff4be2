import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { testDatabase } from '../support/database.js';
import {
  assertError, assertInvalidField, assertNoInternals, detailFields, givenSku, orderBody, skuCounters, withApi,
} from '../support/http.js';

const ONE_MIB = 1024 * 1024;

function orderWithQuantity(quantity: unknown) {
  return { currency: 'USD', lines: [{ sku: 'TOTE', quantity, unit_price: 1000 }] };
}

describe(`HTTP errors: 400 invalid_request (${testDatabase})`, () => {
  it('malformed JSON is 400 naming the body', async () => {
    await withApi(async (api) => {
      const response = await api.post('/v1/orders', undefined, { rawBody: '{"currency": "USD", "lines": [' });

      assertInvalidField(response, 'body');
    });
  });

  it('empty JSON body is 400', async () => {
    await withApi(async (api) => {
      const response = await api.post('/v1/orders', undefined, { rawBody: '' });

      assertInvalidField(response, 'body');
    });
  });

  it('JSON array body is 400', async () => {
    await withApi(async (api) => {
      const response = await api.post('/v1/orders', [orderWithQuantity(1)]);

      assertInvalidField(response, 'body');
    });
  });

  it('wrong types name the field', async () => {
    await withApi(async (api) => {
      const cases: [unknown, string][] = [
        [orderWithQuantity('3'), 'lines[0].quantity'],
        [orderWithQuantity(null), 'lines[0].quantity'],
        [orderWithQuantity(true), 'lines[0].quantity'],
        [{ currency: 'USD', lines: [{ sku: 'TOTE', quantity: 1, unit_price: '10.00' }] }, 'lines[0].unit_price'],
        [{ currency: 840, lines: [{ sku: 'TOTE', quantity: 1, unit_price: 1000 }] }, 'currency'],
        [{ currency: 'USD', lines: { sku: 'TOTE' } }, 'lines'],
        [{ currency: 'USD', priority: 'high', lines: [{ sku: 'TOTE', quantity: 1, unit_price: 1000 }] }, 'priority'],
      ];
      for (const [body, field] of cases) {
        assertInvalidField(await api.post('/v1/orders', body), field);
      }
    });
  });

  it('out-of-range values name the field', async () => {
    await withApi(async (api) => {
      const cases: [unknown, string][] = [
        [orderWithQuantity(0), 'lines[0].quantity'],
        [orderWithQuantity(-1), 'lines[0].quantity'],
        [orderWithQuantity(1_000_001), 'lines[0].quantity'],
        [orderWithQuantity(2.5), 'lines[0].quantity'],
        [{ currency: 'USD', lines: [{ sku: 'TOTE', quantity: 1, unit_price: -1 }] }, 'lines[0].unit_price'],
        [{ currency: 'USD', lines: [{ sku: 'TOTE', quantity: 1, unit_price: 19.99 }] }, 'lines[0].unit_price'],
        [{ currency: 'usd', lines: [{ sku: 'TOTE', quantity: 1, unit_price: 1000 }] }, 'currency'],
        [{ currency: 'USD', lines: [] }, 'lines'],
        [{ currency: 'USD', lines: Array.from({ length: 501 }, () => ({ sku: 'TOTE', quantity: 1, unit_price: 1 })) }, 'lines'],
        [{ currency: 'USD', ship_policy: 'ship_sometimes', lines: [{ sku: 'TOTE', quantity: 1, unit_price: 1 }] }, 'ship_policy'],
        [{ currency: 'USD', shipping_country: 'usa', lines: [{ sku: 'TOTE', quantity: 1, unit_price: 1 }] }, 'shipping_country'],
        [{ ...orderBody([{ sku: 'TOTE', quantity: 1 }]), customer: { email: 'not-an-address' } }, 'customer.email'],
      ];
      for (const [body, field] of cases) {
        assertInvalidField(await api.post('/v1/orders', body), field);
      }
    });
  });

  it('second line with a bad SKU code names lines[1].sku', async () => {
    await withApi(async (api) => {
      const body = { currency: 'USD', lines: [{ sku: 'TOTE', quantity: 1, unit_price: 1 }, { sku: 'two words', quantity: 1, unit_price: 1 }] };

      const response = await api.post('/v1/orders', body);

      assert.deepEqual(detailFields(response), ['lines[1].sku']);
    });
  });

  it('every bad field is listed at once', async () => {
    await withApi(async (api) => {
      const body = { currency: 'usd', lines: [{ sku: 'TOTE', quantity: 0, unit_price: -5 }] };

      const response = await api.post('/v1/orders', body);

      assert.deepEqual(detailFields(response).sort(), ['currency', 'lines[0].quantity', 'lines[0].unit_price']);
    });
  });

  it('details give a message for each field', async () => {
    await withApi(async (api) => {
      const response = await api.post('/v1/orders', orderWithQuantity(0));

      const detail = response.body.error.details[0];
      assert.equal(detail.field, 'lines[0].quantity');
      assert.equal(typeof detail.message, 'string');
      assert.notEqual(detail.message, '');
    });
  });

  it('unknown field is 400 naming it', async () => {
    await withApi(async (api) => {
      const topLevel = await api.post('/v1/orders', { ...orderWithQuantity(1), colour: 'navy' });
      const nested = await api.post('/v1/orders', { currency: 'USD', lines: [{ sku: 'TOTE', quantity: 1, unit_price: 1, size: 'L' }] });

      assert.deepEqual(detailFields(topLevel), ['colour']);
      assert.deepEqual(detailFields(nested), ['lines[0].size']);
    });
  });

  it('bad query and path values name the parameter', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 1 });

      assertInvalidField(await api.get('/v1/availability/TOTE?quantity=abc', { key: 'public' }), 'quantity');
      assertInvalidField(await api.get('/v1/availability/TOTE?quantity=0', { key: 'public' }), 'quantity');
      assertInvalidField(await api.get('/v1/availability/TOTE?quantity=1.5', { key: 'public' }), 'quantity');
      assertInvalidField(await api.get('/v1/availability/TOTE?quantity=1000001', { key: 'public' }), 'quantity');
      assertInvalidField(await api.get('/v1/availability/TOTE?country=us', { key: 'public' }), 'country');
      assertInvalidField(await api.get('/v1/availability/TOTE?country=USA', { key: 'public' }), 'country');
      assertInvalidField(await api.get('/v1/availability/TOTE?country=XX', { key: 'public' }), 'country');
      assertInvalidField(await api.put('/v1/skus/two%20words', { policy: 'stock_only' }), 'sku');
      assertInvalidField(await api.get(`/v1/skus/${'X'.repeat(65)}`), 'sku');
      assertInvalidField(await api.get('/v1/stock/levels'), 'sku');
      assertInvalidField(await api.get('/v1/orders?status=lost'), 'status');
    });
  });

  it('SKU and location bodies are checked field by field', async () => {
    await withApi(async (api) => {
      assertInvalidField(await api.put('/v1/skus/TOTE', { policy: 'sometimes' }), 'policy');
      assertInvalidField(await api.put('/v1/skus/TOTE', {}), 'policy');
      assertInvalidField(await api.put('/v1/skus/TOTE', { policy: 'backorder', backorder_limit: -1 }), 'backorder_limit');
      assertInvalidField(await api.put('/v1/skus/TOTE', { policy: 'backorder', restock_date: '2027-02-30' }), 'restock_date');
      assertInvalidField(await api.put('/v1/skus/TOTE', { policy: 'preorder', release_date: '20270301' }), 'release_date');
      assertInvalidField(await api.put('/v1/skus/TOTE', { policy: 'stock_only', handling_days: 1.5 }), 'handling_days');
      assertInvalidField(await api.put('/v1/locations/east', { time_zone: 'Mars/Olympus' }), 'time_zone');
      assertInvalidField(await api.put('/v1/locations/east', { working_days: [0, 8] }), 'working_days[0]');
      assertInvalidField(await api.put('/v1/locations/east', { ships_to: ['XX'] }), 'ships_to[0]');
    });
  });

  it('backorder limit on a stock_only SKU is 400', async () => {
    await withApi(async (api) => {
      const response = await api.put('/v1/skus/TOTE', { policy: 'stock_only', backorder_limit: 3 });
      const read = await api.get('/v1/skus/TOTE');

      assertInvalidField(response, 'backorder_limit');
      assertError(read, 404, 'not_found');
    });
  });

  it('adjustment needs exactly one of quantity_delta and on_hand', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });

      const both = await api.post('/v1/stock/adjustments', { sku: 'TOTE', quantity_delta: 1, on_hand: 6, reason: 'count' });
      const neither = await api.post('/v1/stock/adjustments', { sku: 'TOTE', reason: 'count' });
      const zero = await api.post('/v1/stock/adjustments', { sku: 'TOTE', quantity_delta: 0, reason: 'count' });
      const noReason = await api.post('/v1/stock/adjustments', { sku: 'TOTE', quantity_delta: 1 });

      assertInvalidField(both, 'quantity_delta');
      assertInvalidField(neither, 'quantity_delta');
      assertInvalidField(zero, 'quantity_delta');
      assertInvalidField(noReason, 'reason');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [5, 0, 5, 0]);
    });
  });

  it('purchase order dates must exist', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');

      const response = await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2027-02-30', lines: [{ sku: 'TOTE', quantity: 1 }] });

      assertInvalidField(response, 'expected_date');
    });
  });

  it('bad cursor is 400 naming cursor', async () => {
    await withApi(async (api) => {
      assertInvalidField(await api.get('/v1/skus?cursor=not-a-cursor'), 'cursor');
    });
  });

  it('Idempotency-Key over 255 characters is 400', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });

      const response = await api.post('/v1/orders', orderWithQuantity(1), { headers: { 'idempotency-key': 'k'.repeat(256) } });

      assertInvalidField(response, 'Idempotency-Key');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [5, 0, 5, 0]);
    });
  });

  it('invalid order stores nothing', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });

      await api.post('/v1/orders', { currency: 'USD', lines: [{ sku: 'TOTE', quantity: 2, unit_price: 1 }, { sku: 'TOTE', quantity: 0, unit_price: 1 }] });
      const orders = await api.get('/v1/orders');

      assert.deepEqual(orders.body.data, []);
      assert.deepEqual(await skuCounters(api, 'TOTE'), [5, 0, 5, 0]);
    });
  });
});

describe(`HTTP errors: 404 not_found (${testDatabase})`, () => {
  it('unknown SKU is 404 wherever a SKU is named', async () => {
    await withApi(async (api) => {
      assertError(await api.get('/v1/skus/NOPE'), 404, 'not_found');
      assertError(await api.get('/v1/skus/NOPE/backorders'), 404, 'not_found');
      assertError(await api.get('/v1/skus/NOPE/supply'), 404, 'not_found');
      assertError(await api.get('/v1/skus/NOPE/forecast'), 404, 'not_found');
      assertError(await api.get('/v1/availability/NOPE', { key: 'public' }), 404, 'not_found');
      assertError(await api.get('/v1/stock/levels?sku=NOPE'), 404, 'not_found');
      assertError(await api.get('/v1/stock/movements?sku=NOPE'), 404, 'not_found');
      assertError(await api.post('/v1/stock/adjustments', { sku: 'NOPE', quantity_delta: 1, reason: 'count' }), 404, 'not_found');
      assertError(
        await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: '2027-01-04', lines: [{ sku: 'NOPE', quantity: 1 }] }),
        404,
        'not_found',
      );
    });
  });

  it('unknown order is 404', async () => {
    await withApi(async (api) => {
      assertError(await api.get('/v1/orders/ord_unknown'), 404, 'not_found');
      assertError(await api.post('/v1/orders/ord_unknown/cancellations', { reason: 'customer asked' }), 404, 'not_found');
      assertError(await api.post('/v1/orders/ord_unknown/shipments', { lines: [{ line_id: 'line_unknown', quantity: 1 }] }), 404, 'not_found');
    });
  });

  it('unknown line of a known order is 404', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const order = (await api.post('/v1/orders', orderWithQuantity(2))).body;

      const ship = await api.post(`/v1/orders/${order.id}/shipments`, { lines: [{ line_id: 'line_unknown', quantity: 1 }] });
      const cancel = await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'x', lines: [{ line_id: 'line_unknown', quantity: 1 }] });

      assertError(ship, 404, 'not_found');
      assertError(cancel, 404, 'not_found');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [5, 2, 3, 0]);
    });
  });

  it('unknown purchase order is 404', async () => {
    await withApi(async (api) => {
      assertError(await api.get('/v1/purchase-orders/po_unknown'), 404, 'not_found');
      assertError(await api.patch('/v1/purchase-orders/po_unknown', { expected_date: '2027-01-04' }), 404, 'not_found');
      assertError(await api.post('/v1/purchase-orders/po_unknown/receipts', { lines: [{ sku: 'TOTE', quantity: 1 }] }), 404, 'not_found');
      assertError(await api.post('/v1/purchase-orders/po_unknown/close'), 404, 'not_found');
    });
  });

  it('unknown location is 404', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');

      assertError(await api.get('/v1/locations/nowhere'), 404, 'not_found');
      assertError(await api.post('/v1/stock/adjustments', { sku: 'TOTE', location: 'nowhere', quantity_delta: 1, reason: 'count' }), 404, 'not_found');
      assertError(
        await api.post('/v1/purchase-orders', { reference: 'PO-1', location: 'nowhere', expected_date: '2027-01-04', lines: [{ sku: 'TOTE', quantity: 1 }] }),
        404,
        'not_found',
      );
    });
  });

  it('unknown route is 404', async () => {
    await withApi(async (api) => {
      assertError(await api.get('/v1/nothing-here'), 404, 'not_found');
      assertError(await api.post('/v1/skus', {}), 404, 'not_found');
      assertError(await api.send('DELETE', '/v1/orders/ord_unknown'), 404, 'not_found');
      assertError(await api.get('/v2/skus'), 404, 'not_found');
    });
  });
});

describe(`HTTP errors: 413 and 5xx (${testDatabase})`, () => {
  it('body over 1 MiB is 413', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { onHand: 5 });
      const padding = 'x'.repeat(ONE_MIB);
      const body = JSON.stringify({ ...orderWithQuantity(1), external_id: padding });

      const response = await api.post('/v1/orders', undefined, { rawBody: body });

      assertError(response, 413, 'payload_too_large');
      assert.deepEqual(await skuCounters(api, 'TOTE'), [5, 0, 5, 0]);
    });
  });

  it('body just under 1 MiB is not 413', async () => {
    await withApi(async (api) => {
      const start = '{"currency":"USD","lines":[{"sku":"TOTE","quantity":1,"unit_price":1}],"external_id":"';
      const body = `${start}${'x'.repeat(ONE_MIB - start.length - 2)}"}`;
      assert.equal(Buffer.byteLength(body), ONE_MIB);

      const response = await api.post('/v1/orders', undefined, { rawBody: body });

      assertInvalidField(response, 'external_id');
    });
  });

  it('server error hides stack traces and SQL', async () => {
    await withApi(async (api) => {
      // A missing table makes the next read fail inside the database driver. The
      // table is renamed back afterwards, because test databases may be reused.
      await sql`alter table events rename to events_hidden`.execute(api.store.db);
      let response;
      try {
        response = await api.get('/v1/events');
      } finally {
        await sql`alter table events_hidden rename to events`.execute(api.store.db);
      }

      assertError(response, 500, 'internal_error');
      assertNoInternals(response.text);
      assert.equal(response.body.error.details, undefined);
      assert.match(response.body.error.message, /req_/);
    });
  });

  it('public endpoints over their rate are 429', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'TOTE', { onHand: 5 });

        const allowed = [];
        for (let i = 0; i < 3; i += 1) allowed.push(await api.get('/v1/availability/TOTE', { key: 'public' }));
        const limited = await api.get('/v1/availability/TOTE', { key: 'public' });
        const quote = await api.post('/v1/availability/quote', { lines: [{ sku: 'TOTE', quantity: 1 }] }, { key: 'public' });

        assert.deepEqual(allowed.map((response) => response.status), [200, 200, 200]);
        assertError(limited, 429, 'rate_limited');
        assert.ok(limited.headers['retry-after'] !== undefined, 'a 429 tells the client when to retry');
        assert.equal(quote.status, 200, 'each public endpoint has its own count');
      },
      { publicRateLimit: 3 },
    );
  });

  it('admin endpoints have no rate limit', async () => {
    await withApi(
      async (api) => {
        const statuses = [];
        for (let i = 0; i < 5; i += 1) statuses.push((await api.get('/v1/skus')).status);

        assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
      },
      { publicRateLimit: 1 },
    );
  });
});
