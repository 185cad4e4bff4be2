import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reviewDelays } from '../../src/app/delays.js';
import { signToken } from '../../src/app/signed-tokens.js';
import { buildApp, type App } from '../../src/http/app.js';
import { openTestStore, type TestStore } from '../support/database.js';
import {
  ADMIN_KEY, assertError, givenSku, placeOrder, PUBLISHABLE_KEY, readAllPages, toApiResponse, type ApiResponse, type SendOptions,
} from '../support/http.js';

const LINKS = { secret: 'test-link-secret', baseUrl: 'https://shop.example/restock' };
const PROMISE = '2026-03-16';
const DAY = 24 * 3600_000;

interface PageApi {
  app: App;
  t: TestStore;
  get(path: string, options?: SendOptions): Promise<ApiResponse>;
  post(path: string, body?: unknown, options?: SendOptions): Promise<ApiResponse>;
  patch(path: string, body: unknown): Promise<ApiResponse>;
  put(path: string, body: unknown): Promise<ApiResponse>;
  /** Posts a browser form, without an API key. */
  form(path: string, fields: Record<string, string>): Promise<ApiResponse>;
}

/** Runs `body` against an app whose customer links are signed with `LINKS.secret`. */
async function withPages(body: (api: PageApi) => Promise<void>): Promise<void> {
  const t = await openTestStore();
  const app = await buildApp({ store: t.store, keys: { admin: ADMIN_KEY, publishable: PUBLISHABLE_KEY }, logger: false, customerLinks: LINKS });
  const send = async (method: string, path: string, payload: string | undefined, headers: Record<string, string>) => {
    const response = await app.inject({ method: method as 'GET', url: path, headers, payload });
    return toApiResponse(response.statusCode, response.headers, response.body);
  };
  const json = (options: SendOptions = {}, hasBody = true): Record<string, string> => ({
    authorization: `Bearer ${options.key === 'public' ? PUBLISHABLE_KEY : ADMIN_KEY}`,
    ...(hasBody ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  });
  const api: PageApi = {
    app,
    t,
    get: (path, options) => send('GET', path, undefined, json(options, false)),
    post: (path, payload, options) => send('POST', path, payload === undefined ? undefined : JSON.stringify(payload), json(options, payload !== undefined)),
    patch: (path, payload) => send('PATCH', path, JSON.stringify(payload), json()),
    put: (path, payload) => send('PUT', path, JSON.stringify(payload), json()),
    form: (path, fields) => send('POST', path, new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded' }),
  };
  try {
    await body(api);
  } finally {
    await app.close();
    await t.close();
  }
}

/** Places a backordered order of 2 units at 1,500 each, promised for PROMISE, slips its purchase order to `revised` and runs the review. */
async function givenDelayedOrder(api: PageApi, revised: string, name = 'Canvas tote'): Promise<{ orderId: string; token: string }> {
  const created = await api.put('/v1/skus/TOTE', { policy: 'backorder', name });
  assert.equal(created.status, 201, created.text);
  const po = await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: PROMISE, lines: [{ sku: 'TOTE', quantity: 10 }] });
  assert.equal(po.status, 201, po.text);
  const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2, unit_price: 1500 }], { external_id: '1042' });
  const redated = await api.patch(`/v1/purchase-orders/${po.body.id}`, { expected_date: revised });
  assert.equal(redated.status, 200, redated.text);
  await reviewDelays(api.t.store);
  return { orderId: order.id, token: orderToken(api, order.id) };
}

function orderToken(api: PageApi, orderId: string, secret = LINKS.secret): string {
  return signToken(secret, { kind: 'order', id: orderId, expiresAt: new Date(api.t.clock.now().getTime() + 30 * DAY) });
}

async function noticeIdOf(api: PageApi, orderId: string): Promise<string> {
  const row = await api.t.store.db.selectFrom('delay_notices').select('id').where('order_id', '=', orderId).executeTakeFirstOrThrow();
  return row.id;
}

describe('customer order page', () => {
  it('shows lines, dates and the notice', () =>
    withPages(async (api) => {
      const { orderId, token } = await givenDelayedOrder(api, '2026-04-01', 'Tote <b>"navy"</b>');

      const page = await api.get(`/c/${token}`);

      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(page.text, /<h1>Your order 1042<\/h1>/);
      assert.ok(page.text.includes('Tote &#60;b&#62;&#34;navy&#34;&#60;/b&#62;'), 'the SKU name is escaped');
      assert.ok(!page.text.includes('<b>"navy"</b>'));
      assert.match(page.text, /<time datetime="2026-03-16">16 March 2026<\/time>/);
      assert.match(page.text, /<time datetime="2026-04-01">1 April 2026<\/time>/);
      assert.ok(page.text.includes(`action="/restock/c/${token}/accept"`));
      assert.ok(page.text.includes(`action="/restock/c/${token}/cancel"`));
      assert.ok(page.text.includes(`name="notice_id" value="${await noticeIdOf(api, orderId)}"`));
      assert.match(page.text, /If you do nothing by 16 March 2026, the delay is accepted/);
    }));

  it('cancel posted twice refunds once', () =>
    withPages(async (api) => {
      const { orderId, token } = await givenDelayedOrder(api, '2026-04-01');
      const noticeId = await noticeIdOf(api, orderId);

      const first = await api.form(`/c/${token}/cancel`, { notice_id: noticeId });
      const second = await api.form(`/c/${token}/cancel`, { notice_id: noticeId });

      assert.equal(first.status, 200);
      assert.match(first.text, /The delayed items are cancelled, and a full refund is on its way/);
      assert.equal(second.status, 200);
      assert.match(second.text, /Nothing changed/);
      const order = await api.get(`/v1/orders/${orderId}`);
      assert.equal(order.body.payment.refunded, 3000);
      assert.equal(order.body.lines[0].cancelled, 2);
      const refunds = await api.get('/v1/events?type=refund.requested');
      assert.equal(refunds.body.data.length, 1);
      const notices = await api.t.store.db.selectFrom('delay_notices').select('answer').where('id', '=', noticeId).executeTakeFirstOrThrow();
      assert.equal(notices.answer, 'cancelled');
    }));

  it('accept removes the accept form', () =>
    withPages(async (api) => {
      const { orderId, token } = await givenDelayedOrder(api, '2026-05-04');

      const accepted = await api.form(`/c/${token}/accept`, { notice_id: await noticeIdOf(api, orderId) });

      assert.equal(accepted.status, 200);
      assert.match(accepted.text, /you accepted the new date/);
      assert.ok(!accepted.text.includes('/accept"'), 'no accept form after accepting');
      const accepts = await api.get('/v1/events?type=delay.accepted');
      assert.equal(accepts.body.data[0].data.by, 'customer');
    }));

  it('form without notice is a 400 page', () =>
    withPages(async (api) => {
      const { token } = await givenDelayedOrder(api, '2026-04-01');

      const response = await api.form(`/c/${token}/cancel`, {});

      assert.equal(response.status, 400);
      assert.match(response.text, /Choose a delay notice/);
    }));

  it('rejects bad tokens alike', () =>
    withPages(async (api) => {
      const { orderId, token } = await givenDelayedOrder(api, '2026-04-01');
      const [payload, signature] = token.split('.') as [string, string];
      const tamperedPayload = Buffer.from(Buffer.from(payload, 'base64url').toString().replace(orderId, `${orderId.slice(0, -1)}X`)).toString('base64url');
      const soon = new Date(api.t.clock.now().getTime() + 60_000);
      const tokens = {
        tampered: `${tamperedPayload}.${signature}`,
        'other secret': orderToken(api, orderId, 'another-secret'),
        'other kind': signToken(LINKS.secret, { kind: 'unsubscribe', id: orderId, expiresAt: soon }),
        'unknown order': signToken(LINKS.secret, { kind: 'order', id: 'ord_unknown', expiresAt: soon }),
        expired: signToken(LINKS.secret, { kind: 'order', id: orderId, expiresAt: new Date(api.t.clock.now().getTime() - 1000) }),
        malformed: 'not-a-token',
      };

      const bodies = new Set<string>();
      for (const [name, bad] of Object.entries(tokens)) {
        const page = await api.get(`/c/${bad}`);
        assert.equal(page.status, 404, `${name} token: ${page.status}`);
        bodies.add(page.text);
        const cancel = await api.form(`/c/${bad}/cancel`, { notice_id: await noticeIdOf(api, orderId) });
        assert.equal(cancel.status, 404, `${name} token on cancel: ${cancel.status}`);
        bodies.add(cancel.text);
      }
      assert.equal(bodies.size, 1, 'every rejected token gets the same page');
      assert.equal((await api.get(`/v1/orders/${orderId}`)).body.payment.refunded, 0);
    }));
});

describe('customer page dates and cancels', () => {
  it('shows the accepted date in force', () =>
    withPages(async (api) => {
      const { orderId, token } = await givenDelayedOrder(api, '2026-05-04');
      const before = await api.get(`/v1/orders/${orderId}`);
      assert.equal(before.body.lines[0].ship_by_date, PROMISE);

      await api.form(`/c/${token}/accept`, { notice_id: await noticeIdOf(api, orderId) });
      const page = await api.get(`/c/${token}`);

      assert.ok(page.text.includes('<time datetime="2026-05-04">4 May 2026</time> (new date you accepted)'), page.text);
      assert.ok(!page.text.includes('<td><time datetime="2026-03-16">'), 'the first promise is no longer shown as the date in force');
      const after = await api.get(`/v1/orders/${orderId}`);
      assert.equal(after.body.lines[0].ship_by_date, '2026-05-04');
      assert.equal(after.body.lines[0].promised_ship_date, PROMISE);
    }));

  it('cancels waiting items without a notice', () =>
    withPages(async (api) => {
      await api.put('/v1/skus/TOTE', { policy: 'backorder', name: 'Canvas tote' });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2, unit_price: 1500 }]);
      const token = orderToken(api, order.id);
      const lineId = order.lines[0].id;

      const page = await api.get(`/c/${token}`);
      assert.ok(page.text.includes(`action="/restock/c/${token}/cancel-items"`), page.text);
      assert.ok(page.text.includes(`name="line_id" value="${lineId}"`));
      assert.ok(page.text.includes('Cancel 2 × Canvas tote not yet shipped'));
      assert.ok(!page.text.includes('name="notice_id"'), 'there is no delay notice');

      const first = await api.form(`/c/${token}/cancel-items`, { line_id: lineId });
      const second = await api.form(`/c/${token}/cancel-items`, { line_id: lineId });

      assert.equal(first.status, 200);
      assert.match(first.text, /The items not yet shipped are cancelled, and a full refund is on its way/);
      assert.ok(!first.text.includes('/cancel-items"'), 'nothing is left to cancel');
      assert.equal(second.status, 200);
      assert.match(second.text, /Nothing changed/);
      const after = await api.get(`/v1/orders/${order.id}`);
      assert.equal(after.body.lines[0].cancelled, 2);
      assert.equal(after.body.payment.refunded, 3000);
      assert.equal((await api.get('/v1/events?type=refund.requested')).body.data.length, 1);
    }));

  it('cancel-items without a line is a 400 page', () =>
    withPages(async (api) => {
      const { token } = await givenDelayedOrder(api, '2026-04-01');

      const response = await api.form(`/c/${token}/cancel-items`, {});

      assert.equal(response.status, 400);
      assert.match(response.text, /Choose an item/);
    }));

  it('resolved notice leaves the page', () =>
    withPages(async (api) => {
      const { orderId, token } = await givenDelayedOrder(api, '2026-04-01');
      const po = (await api.get('/v1/purchase-orders')).body.data[0];
      const redated = await api.patch(`/v1/purchase-orders/${po.id}`, { expected_date: '2026-03-12' });
      assert.equal(redated.status, 200, redated.text);

      await reviewDelays(api.t.store);
      const page = await api.get(`/c/${token}`);

      assert.ok(!page.text.includes('/accept"'), 'no accept form for a resolved notice');
      assert.ok(!page.text.includes('name="notice_id"'), 'no notice form at all');
      const resolved = await api.get('/v1/events?type=delay.resolved');
      assert.equal(resolved.body.data.length, 1);
      assert.equal(resolved.body.data[0].data.notice_id, await noticeIdOf(api, orderId));
    }));
});

describe('delay review endpoint', () => {
  it('runs the review and reports it', () =>
    withPages(async (api) => {
      await api.put('/v1/skus/TOTE', { policy: 'backorder' });
      const po = await api.post('/v1/purchase-orders', { reference: 'PO-1', expected_date: PROMISE, lines: [{ sku: 'TOTE', quantity: 10 }] });
      const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2, unit_price: 1500 }]);
      await api.patch(`/v1/purchase-orders/${po.body.id}`, { expected_date: '2026-04-01' });
      const keyed = { headers: { 'idempotency-key': 'review-1' } };

      const first = await api.post('/v1/delay-reviews', undefined, keyed);
      const replay = await api.post('/v1/delay-reviews', undefined, keyed);
      const fresh = await api.post('/v1/delay-reviews');

      assert.equal(first.status, 200, first.text);
      const noticeId = await noticeIdOf(api, order.id);
      assert.deepEqual(first.body, {
        reviewed_orders: 1,
        notices_sent: [{ notice_id: noticeId, order_id: order.id, notice: 'first', consent: 'silence', late: false, line_ids: [order.lines[0].id] }],
        consents_by_silence: [],
        cancellations: [],
        resolved_notices: [],
      });
      assert.equal(replay.status, 200);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.body, first.body);
      assert.equal(fresh.status, 200);
      assert.equal(fresh.body.notices_sent.length, 0, 'a repeat does only what is still due');
      assert.equal((await api.get('/v1/events?type=delay.notice_sent')).body.data.length, 1);
      assertError(await api.post('/v1/delay-reviews', undefined, { key: 'public' }), 403, 'forbidden');
    }));

  it('reports cancellations with refunds', () =>
    withPages(async (api) => {
      const { orderId } = await givenDelayedOrder(api, '2026-05-04');
      api.t.clock.set('2026-03-17T08:00:00.000Z');

      const response = await api.post('/v1/delay-reviews');

      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.cancellations, [
        { notice_id: await noticeIdOf(api, orderId), order_id: orderId, refund: { amount: 3000, currency: 'USD' } },
      ]);
    }));
});

describe('refunds API', () => {
  async function givenRefunds(api: PageApi): Promise<string[]> {
    await givenSku(api, 'MUG', { onHand: 10 });
    const ids: string[] = [];
    for (const day of ['2026-03-02', '2026-03-03', '2026-03-04']) {
      api.t.clock.set(`${day}T12:00:00.000Z`);
      const order = await placeOrder(api, [{ sku: 'MUG', quantity: 1, unit_price: 700 }]);
      const cancelled = await api.post(`/v1/orders/${order.id}/cancellations`, { reason: 'customer request' });
      assert.equal(cancelled.status, 200, cancelled.text);
      const row = await api.t.store.db.selectFrom('refunds').select('id').where('order_id', '=', order.id).executeTakeFirstOrThrow();
      ids.push(row.id);
    }
    return ids;
  }

  it('completes a refund idempotently', () =>
    withPages(async (api) => {
      const [id] = await givenRefunds(api);

      const done = await api.post(`/v1/refunds/${id}/complete`, { provider_reference: 're_123' });
      const again = await api.post(`/v1/refunds/${id}/complete`, { provider_reference: 're_123' });
      const bare = await api.post(`/v1/refunds/${id}/complete`);
      const other = await api.post(`/v1/refunds/${id}/complete`, { provider_reference: 're_999' });

      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.status, 'completed');
      assert.equal(done.body.provider_reference, 're_123');
      assert.equal(done.body.completed_at, '2026-03-04T12:00:00.000Z');
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, done.body);
      assert.equal(bare.status, 200, bare.text);
      assertError(other, 409, 'invalid_state');
      assertError(await api.post('/v1/refunds/rfd_unknown/complete', {}), 404, 'not_found');
      assertError(await api.post(`/v1/refunds/${id}/complete`, {}, { key: 'public' }), 403, 'forbidden');
      const completions = await api.get('/v1/events?type=refund.completed');
      assert.equal(completions.body.data.length, 1);
    }));

  it('lists overdue refunds', () =>
    withPages(async (api) => {
      const [first, second, third] = await givenRefunds(api);
      assert.equal((await api.post(`/v1/refunds/${second}/complete`, {})).status, 200);
      // Requested on 2 and 4 March: due by 11 and 13 March.
      api.t.clock.set('2026-03-12T12:00:00.000Z');

      const overdue = await api.get('/v1/refunds?overdue=true');
      const requested = await api.get('/v1/refunds?status=requested');
      const all = await readAllPages(api, '/v1/refunds', 1);

      assert.equal(overdue.status, 200, overdue.text);
      assert.deepEqual(overdue.body.data.map((r: any) => r.id), [first]);
      assert.equal(overdue.body.data[0].due_by, '2026-03-11');
      assert.equal(overdue.body.data[0].overdue, true);
      assert.deepEqual(requested.body.data.map((r: any) => [r.id, r.overdue]), [[first, true], [third, false]]);
      assert.deepEqual(all.rows.map((r) => r.id), [first, second, third]);
      assert.equal(all.pages, 3);
      assertError(await api.get('/v1/refunds?overdue=yes'), 400, 'invalid_request');
    }));
});
