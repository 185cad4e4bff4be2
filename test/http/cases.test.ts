import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import {
  assertError, fetchJson, givenSku, orderBody, skuCounters, withApi, type ApiResponse, type TestApi,
} from '../support/http.js';

/** Each race runs this many times, each on a SKU and idempotency key of its own. */
const RUNS = 10;

interface Server {
  api: TestApi;
  call(method: string, path: string, body?: unknown, options?: { headers?: Record<string, string>; rawBody?: string }): Promise<ApiResponse>;
}

/** Serves a fresh API on a free 127.0.0.1 port, so requests really run in parallel through the network stack. */
async function withServer(body: (server: Server) => Promise<void>): Promise<void> {
  await withApi(async (api) => {
    const baseUrl = await api.app.listen({ port: 0, host: '127.0.0.1' });
    await body({ api, call: (method, path, payload, options) => fetchJson(baseUrl, method, path, payload, options) });
  });
}

async function allOrders(api: TestApi, sku?: string): Promise<any[]> {
  const response = await api.get(`/v1/orders?limit=500${sku ? `&sku=${sku}` : ''}`);
  assert.equal(response.status, 200, response.text);
  return response.body.data;
}

function totalCaptured(orders: any[]): number {
  return orders.reduce((sum, order) => sum + order.payment.captured, 0);
}

async function countEvents(api: TestApi, type: string): Promise<number> {
  const response = await api.get(`/v1/events?type=${type}&limit=500`);
  return response.body.data.length;
}

function statuses(responses: ApiResponse[]): number[] {
  return responses.map((response) => response.status).sort();
}

describe(`HTTP cases from public reports (${testDatabase})`, () => {
  it('two parallel orders that each fit alone never oversell [C1]', async () => {
    await withServer(async ({ api, call }) => {
      for (let run = 1; run <= RUNS; run += 1) {
        const sku = `A-${run}`;
        await givenSku(api, sku, { onHand: 5 });
        const body = orderBody([{ sku, quantity: 3, unit_price: 1000 }]);

        const responses = await Promise.all([call('POST', '/v1/orders', body), call('POST', '/v1/orders', body)]);

        assert.deepEqual(statuses(responses), [201, 409], `run ${run}`);
        const rejected = responses.find((response) => response.status === 409)!;
        assertError(rejected, 409, 'not_orderable');
        assert.deepEqual(rejected.body.error.details, [{ sku, reason: 'insufficient_stock', max_orderable: 2 }], `run ${run}`);
        assert.deepEqual(await skuCounters(api, sku), [5, 3, 2, 0], `run ${run}: on hand, allocated, available, backordered`);
        const orders = await allOrders(api, sku);
        assert.equal(orders.length, 1, `run ${run}: orders stored`);
        assert.equal(totalCaptured(orders), 3000, `run ${run}: money captured`);
        assert.equal(await countEvents(api, 'order.placed'), run, `run ${run}: order.placed events of all runs`);
      }
    });
  });

  it('losers of a race for the last unit are not charged [C2]', async () => {
    await withServer(async ({ api, call }) => {
      for (let run = 1; run <= RUNS; run += 1) {
        const sku = `B-${run}`;
        await givenSku(api, sku, { onHand: 1 });
        const body = orderBody([{ sku, quantity: 1, unit_price: 1500 }], { capture: 'upfront' });

        const responses = await Promise.all([1, 2, 3].map(() => call('POST', '/v1/orders', body)));

        assert.deepEqual(statuses(responses), [201, 409, 409], `run ${run}`);
        for (const rejected of responses.filter((response) => response.status === 409)) {
          assertError(rejected, 409, 'not_orderable');
          assert.deepEqual(rejected.body.error.details, [{ sku, reason: 'insufficient_stock', max_orderable: 0 }], `run ${run}`);
        }
        const accepted = responses.find((response) => response.status === 201)!;
        assert.equal(accepted.body.lines[0].allocated, 1, `run ${run}`);
        assert.deepEqual(accepted.body.payment, { capture: 'upfront', captured: 1500, refunded: 0 }, `run ${run}`);
        const orders = await allOrders(api, sku);
        assert.equal(orders.length, 1, `run ${run}: orders stored`);
        assert.equal(totalCaptured(orders), 1500, `run ${run}: money captured`);
        assert.deepEqual(await skuCounters(api, sku), [1, 1, 0, 0], `run ${run}`);
      }
      assert.equal(totalCaptured(await allOrders(api)), RUNS * 1500, 'money captured over all runs');
    });
  });

  it('one cart submitted twice makes one order [C3]', async () => {
    await withServer(async ({ api, call }) => {
      for (let run = 1; run <= RUNS; run += 1) {
        const sku = `C-${run}`;
        await givenSku(api, sku, { onHand: 10 });
        const body = orderBody([{ sku, quantity: 2, unit_price: 1000 }]);
        const withKeyX = { headers: { 'idempotency-key': `X-${run}` } };

        const parallel = await Promise.all([call('POST', '/v1/orders', body, withKeyX), call('POST', '/v1/orders', body, withKeyX)]);
        const sequential = await call('POST', '/v1/orders', body, withKeyX);
        const answers = [...parallel, sequential];

        assert.deepEqual(statuses(answers), [201, 201, 201], `run ${run}`);
        const orderId = answers[0]!.body.id;
        for (const answer of answers) assert.equal(answer.body.id, orderId, `run ${run}: every answer names one order`);
        const fresh = answers.filter((answer) => answer.headers['idempotent-replayed'] === undefined);
        assert.equal(fresh.length, 1, `run ${run}: exactly one answer is not a replay`);
        assert.equal(sequential.headers['idempotent-replayed'], 'true', `run ${run}`);

        const reused = await call('POST', '/v1/orders', orderBody([{ sku, quantity: 3, unit_price: 1000 }]), withKeyX);

        assertError(reused, 409, 'idempotency_key_reused');
        const orders = await allOrders(api, sku);
        assert.deepEqual(orders.map((order) => order.id), [orderId], `run ${run}: orders stored`);
        assert.equal(totalCaptured(orders), 2000, `run ${run}: money captured`);
        assert.deepEqual(await skuCounters(api, sku), [10, 2, 8, 0], `run ${run}`);
        assert.equal(await countEvents(api, 'order.placed'), run, `run ${run}: order.placed events of all runs`);
      }
    });
  });

  it('fractional and huge quantities are 400 and store nothing [C16]', async () => {
    await withServer(async ({ api, call }) => {
      await givenSku(api, 'Z', { policy: 'backorder', onHand: 10 });

      for (const quantity of ['1.34', '1e12']) {
        const rawBody = `{"currency":"USD","lines":[{"sku":"Z","quantity":${quantity},"unit_price":1000}]}`;

        const response = await call('POST', '/v1/orders', undefined, { rawBody });

        assertError(response, 400, 'invalid_request');
        assert.deepEqual(
          response.body.error.details.map((detail: { field: string }) => detail.field),
          ['lines[0].quantity'],
          `quantity ${quantity}`,
        );
      }
      assert.deepEqual(await skuCounters(api, 'Z'), [10, 0, 10, 0]);
      const orders = await allOrders(api);
      assert.equal(orders.length, 0);
      assert.equal(totalCaptured(orders), 0);
      assert.equal(await countEvents(api, 'order.placed'), 0);
    });
  });
});
