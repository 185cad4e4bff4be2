import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dispatcher } from '../../src/jobs/outbox/dispatcher.js';
import { webhookChannel } from '../../src/jobs/webhooks/channel.js';
import { testDatabase } from '../support/database.js';
import { assertError, assertInvalidField, givenSku, placeOrder, readAllPages, withApi, type TestApi } from '../support/http.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const HOUR = 3_600_000;

function dispatcherFor(api: TestApi, maxAttempts = 10): Dispatcher {
  return new Dispatcher(api.store, { channels: [webhookChannel({ clock: api.store.clock })], maxAttempts, random: () => 0.5 });
}

describe(`webhook endpoints API (${testDatabase})`, () => {
  it('create returns the secret once', async () => {
    await withApi(async (api) => {
      const created = await api.post('/v1/webhook-endpoints', { url: 'https://shop.example/hooks', events: ['order.placed', 'line.shipped'] });
      const read = await api.get(`/v1/webhook-endpoints/${created.body.id}`);
      const list = await api.get('/v1/webhook-endpoints');

      assert.equal(created.status, 201);
      assert.match(created.body.id, /^whe_/);
      assert.match(created.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(created.body.events, ['order.placed', 'line.shipped']);
      assert.equal(created.body.active, true);
      assert.equal(created.body.created_at, '2026-03-02T12:00:00.000Z');
      assert.equal(read.status, 200);
      const { secret: _secret, ...withoutSecret } = created.body;
      assert.deepEqual(read.body, withoutSecret);
      assert.deepEqual(list.body.data.map((endpoint: any) => endpoint.id), [created.body.id]);
      assert.equal(list.body.data[0].secret, undefined);
    });
  });

  it('create with an Idempotency-Key replays the first response', async () => {
    await withApi(async (api) => {
      const body = { url: 'https://shop.example/hooks', events: ['*'] };
      const headers = { 'idempotency-key': 'endpoint-1' };
      const first = await api.post('/v1/webhook-endpoints', body, { headers });
      const second = await api.post('/v1/webhook-endpoints', body, { headers });
      const other = await api.post('/v1/webhook-endpoints', { ...body, events: ['order.placed'] }, { headers });

      assert.equal(second.status, 201);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.body, first.body);
      assertError(other, 409, 'idempotency_key_reused');
      assert.equal((await api.get('/v1/webhook-endpoints')).body.data.length, 1);
    });
  });

  it('invalid endpoint names the field', async () => {
    await withApi(async (api) => {
      const cases: [unknown, string][] = [
        [{ url: 'ftp://shop.example/hooks', events: ['*'] }, 'url'],
        [{ url: 'not a url', events: ['*'] }, 'url'],
        [{ events: ['*'] }, 'url'],
        [{ url: 'https://shop.example/hooks', events: [] }, 'events'],
        [{ url: 'https://shop.example/hooks', events: 'order.placed' }, 'events'],
        [{ url: 'https://shop.example/hooks', events: ['order.placed', 'order.shipped'] }, 'events[1]'],
        [{ url: 'https://shop.example/hooks', events: ['*'], secret: 'mine' }, 'secret'],
      ];
      for (const [body, field] of cases) {
        assertInvalidField(await api.post('/v1/webhook-endpoints', body), field);
      }
      const unknownType = await api.post('/v1/webhook-endpoints', { url: 'https://shop.example/hooks', events: ['order.shipped'] });
      assert.match(unknownType.body.error.message, /events\[0\] must be a known event type/);
    });
  });

  it('unknown endpoint is 404', async () => {
    await withApi(async (api) => {
      assertError(await api.get('/v1/webhook-endpoints/whe_missing'), 404, 'not_found');
      assertError(await api.send('DELETE', '/v1/webhook-endpoints/whe_missing'), 404, 'not_found');
      assertError(await api.get('/v1/webhook-endpoints/whe_missing/deliveries'), 404, 'not_found');
    });
  });

  it('delete deactivates and keeps the endpoint', async () => {
    await withApi(async (api) => {
      const created = await api.post('/v1/webhook-endpoints', { url: 'https://shop.example/hooks', events: ['*'] });
      api.clock.advance(60_000);

      const deleted = await api.send('DELETE', `/v1/webhook-endpoints/${created.body.id}`);
      const again = await api.send('DELETE', `/v1/webhook-endpoints/${created.body.id}`);

      assert.equal(deleted.status, 200);
      assert.equal(deleted.body.active, false);
      assert.equal(deleted.body.updated_at, '2026-03-02T12:01:00.000Z');
      assert.deepEqual(again.body, deleted.body);
      assert.equal((await api.get(`/v1/webhook-endpoints/${created.body.id}`)).body.active, false);
    });
  });

  it('endpoint list pages with a cursor', async () => {
    await withApi(async (api) => {
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        ids.push((await api.post('/v1/webhook-endpoints', { url: `https://shop.example/hooks/${index}`, events: ['*'] })).body.id);
      }

      const { rows, pages } = await readAllPages(api, '/v1/webhook-endpoints', 2);

      assert.equal(pages, 3);
      assert.deepEqual(rows.map((row) => row.id), [...ids].reverse());
    });
  });

  it('only the admin key manages endpoints', async () => {
    await withApi(async (api) => {
      assertError(await api.post('/v1/webhook-endpoints', { url: 'https://shop.example/hooks', events: ['*'] }, { key: 'public' }), 403, 'forbidden');
      assertError(await api.get('/v1/deliveries', { key: 'none' }), 401, 'unauthorized');
    });
  });
});

describe(`webhook deliveries API (${testDatabase})`, () => {
  it('placed order reaches the endpoint signed', async () => {
    await withApi(async (api) => {
      let secret = '';
      const receiver = await startWebhookReceiver({ secret: () => secret, now: api.clock.now });
      try {
        const endpoint = await api.post('/v1/webhook-endpoints', { url: receiver.url, events: ['order.placed'] });
        secret = endpoint.body.secret;
        await givenSku(api, 'TOTE', { onHand: 5 });
        const order = await placeOrder(api, [{ sku: 'TOTE', quantity: 2 }]);

        await dispatcherFor(api).runPass();
        const log = await api.get(`/v1/webhook-endpoints/${endpoint.body.id}/deliveries`);

        assert.equal(receiver.posts.length, 1);
        assert.equal(receiver.posts[0]!.verified, true);
        assert.equal(receiver.posts[0]!.body.type, 'order.placed');
        assert.equal(receiver.posts[0]!.body.order_id, order.id);
        assert.equal(log.body.data.length, 1);
        assert.equal(log.body.data[0].event_id, receiver.posts[0]!.eventId);
        assert.equal(log.body.data[0].event_type, 'order.placed');
        assert.equal(log.body.data[0].status, 'delivered');
        assert.equal(log.body.data[0].last_status, 200);
        assert.equal(log.body.data[0].delivered_at, '2026-03-02T12:00:00.000Z');
      } finally {
        await receiver.close();
      }
    });
  });

  it('dead delivery is listed and retried by the operator', async () => {
    await withApi(async (api) => {
      let secret = '';
      const receiver = await startWebhookReceiver({ secret: () => secret, now: api.clock.now });
      try {
        receiver.respondWith(500);
        const endpoint = await api.post('/v1/webhook-endpoints', { url: receiver.url, events: ['stock.adjusted'] });
        secret = endpoint.body.secret;
        await givenSku(api, 'MUG', { onHand: 3 });
        const dispatcher = dispatcherFor(api, 3);
        for (let pass = 0; pass < 5; pass += 1) {
          await dispatcher.runPass();
          api.clock.advance(HOUR);
        }

        const dead = await api.get('/v1/deliveries?status=dead');
        const pending = await api.get('/v1/deliveries?status=pending');
        receiver.respondWith(200);
        const retried = await api.post(`/v1/deliveries/${dead.body.data[0].id}/retry`);
        const pass = await dispatcher.runPass();
        const delivered = await api.get('/v1/deliveries?status=delivered');

        assert.equal(dead.status, 200);
        assert.equal(dead.body.data.length, 1);
        const item = dead.body.data[0];
        assert.equal(item.event_type, 'stock.adjusted');
        assert.match(item.event_id, /^evt_/);
        assert.equal(item.channel, 'webhook');
        assert.equal(item.endpoint_id, endpoint.body.id);
        assert.equal(item.attempts, 3);
        assert.equal(item.last_status, 500);
        assert.match(item.last_error, /HTTP 500/);
        assert.deepEqual(pending.body.data, []);
        assert.equal(retried.status, 200);
        assert.equal(retried.body.status, 'pending');
        assert.equal(retried.body.attempts, 3);
        assert.equal(retried.body.next_attempt_at, api.clock.now().toISOString());
        assert.equal(pass.delivered, 1);
        assert.deepEqual(delivered.body.data.map((row: any) => row.id), [item.id]);
        assert.equal(delivered.body.data[0].attempts, 4);
        assert.equal(receiver.posts.length, 4);
        assert.deepEqual(receiver.handled, [item.event_id]);
      } finally {
        await receiver.close();
      }
    });
  });

  it('retry of a live or unknown delivery is rejected', async () => {
    await withApi(async (api) => {
      await api.post('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['*'] });
      await givenSku(api, 'CAP', { onHand: 1 });
      await dispatcherFor(api).planAll();
      const [pending] = (await api.get('/v1/deliveries')).body.data;

      assertError(await api.post(`/v1/deliveries/${pending.id}/retry`), 409, 'invalid_state');
      assertError(await api.post('/v1/deliveries/dlv_missing/retry'), 404, 'not_found');
    });
  });

  it('retry to a deleted endpoint is 409', async () => {
    await withApi(async (api) => {
      const endpoint = await api.post('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['stock.adjusted'] });
      await givenSku(api, 'CAP', { onHand: 1 });
      const dispatcher = dispatcherFor(api);
      await dispatcher.planAll();
      await api.send('DELETE', `/v1/webhook-endpoints/${endpoint.body.id}`);
      await dispatcher.runPass();
      const [dead] = (await api.get('/v1/deliveries?status=dead')).body.data;

      const retried = await api.post(`/v1/deliveries/${dead.id}/retry`);
      const after = await api.get('/v1/deliveries?status=dead');

      assert.equal(dead.endpoint_id, endpoint.body.id);
      assert.match(dead.last_error, /was deleted/);
      assertError(retried, 409, 'invalid_state');
      assert.match(retried.body.error.message, new RegExp(`endpoint ${endpoint.body.id} was deleted`));
      assert.match(retried.body.error.message, /POST \/v1\/webhook-endpoints/);
      assert.deepEqual(after.body.data.map((row: any) => row.id), [dead.id]);
    });
  });

  it('retry takes an empty JSON body', async () => {
    await withApi(async (api) => {
      await api.post('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['stock.adjusted'] });
      await givenSku(api, 'CAP', { onHand: 1 });
      await dispatcherFor(api, 1).runPass();
      const [dead] = (await api.get('/v1/deliveries?status=dead')).body.data;

      const retried = await api.post(`/v1/deliveries/${dead.id}/retry`, undefined, { rawBody: '', headers: { 'content-type': 'application/json' } });
      const emptyOrder = await api.post('/v1/orders', undefined, { rawBody: '', headers: { 'content-type': 'application/json' } });

      assert.equal(retried.status, 200, retried.text);
      assert.equal(retried.body.status, 'pending');
      assertInvalidField(emptyOrder, 'body');
    });
  });

  it('delivery list pages newest first', async () => {
    await withApi(async (api) => {
      await api.post('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hooks', events: ['stock.adjusted'] });
      await givenSku(api, 'PEN', { onHand: 1 });
      for (let index = 0; index < 4; index += 1) {
        api.clock.advance(1000);
        await api.post('/v1/stock/adjustments', { sku: 'PEN', quantity_delta: 1, reason: 'count' });
      }
      await dispatcherFor(api).planAll();

      const { rows, pages } = await readAllPages(api, '/v1/deliveries?status=pending', 2);
      const bad = await api.get('/v1/deliveries?status=lost');

      assert.equal(rows.length, 5);
      assert.equal(pages, 3);
      const times = rows.map((row) => row.created_at);
      assert.deepEqual(times, [...times].sort().reverse());
      assertInvalidField(bad, 'status');
      assert.match(bad.body.error.message, /status must be one of pending, delivered, dead/);
    });
  });
});

describe(`webhook secret rotation (${testDatabase})`, () => {
  it('rotation signs with both secrets until expiry', async () => {
    await withApi(async (api) => {
      let receiverSecret = '';
      const receiver = await startWebhookReceiver({ secret: () => receiverSecret, now: api.clock.now });
      try {
        const endpoint = await api.post('/v1/webhook-endpoints', { url: receiver.url, events: ['stock.adjusted'] });
        const oldSecret: string = endpoint.body.secret;
        const rotated = await api.post(`/v1/webhook-endpoints/${endpoint.body.id}/rotate-secret`);
        const newSecret: string = rotated.body.secret;

        assert.equal(rotated.status, 200, rotated.text);
        assert.match(newSecret, /^whsec_[A-Za-z0-9_-]{43}$/);
        assert.notEqual(newSecret, oldSecret);
        assert.equal(rotated.body.previous_secret_expires_at, '2026-03-03T12:00:00.000Z');
        assert.equal((await api.get(`/v1/webhook-endpoints/${endpoint.body.id}`)).body.secret, undefined);

        // Within the grace period, receivers with either secret accept the delivery.
        receiverSecret = oldSecret;
        await givenSku(api, 'CAP', { onHand: 1 });
        await dispatcherFor(api).runPass();
        receiverSecret = newSecret;
        await api.post('/v1/stock/adjustments', { sku: 'CAP', quantity_delta: 1, reason: 'recount' });
        await dispatcherFor(api).runPass();

        assert.equal(receiver.posts.length, 2);
        assert.deepEqual(receiver.posts.map((post) => post.verified), [true, true]);
        assert.equal(signatureCount(receiver.posts[0]!.headers['restock-signature']), 2);

        // After the grace period the old secret no longer signs.
        api.clock.advance(25 * HOUR);
        receiverSecret = oldSecret;
        await api.post('/v1/stock/adjustments', { sku: 'CAP', quantity_delta: 1, reason: 'recount' });
        await dispatcherFor(api).runPass();

        assert.equal(receiver.posts.length, 3);
        assert.equal(receiver.posts[2]!.verified, false);
        assert.equal(signatureCount(receiver.posts[2]!.headers['restock-signature']), 1);
      } finally {
        await receiver.close();
      }
    });
  });

  it('grace of 0 retires the old secret', async () => {
    await withApi(async (api) => {
      const endpoint = await api.post('/v1/webhook-endpoints', { url: 'https://shop.example/hooks', events: ['*'] });
      const rotated = await api.post(`/v1/webhook-endpoints/${endpoint.body.id}/rotate-secret`, { grace_hours: 0 });
      const row = await api.store.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', endpoint.body.id).executeTakeFirstOrThrow();

      assert.equal(rotated.status, 200, rotated.text);
      assert.equal(rotated.body.previous_secret_expires_at, null);
      assert.equal(row.secret, rotated.body.secret);
      assert.equal(row.previous_secret, null);
    });
  });

  it('rotation rejects bad requests', async () => {
    await withApi(async (api) => {
      const endpoint = await api.post('/v1/webhook-endpoints', { url: 'https://shop.example/hooks', events: ['*'] });
      const path = `/v1/webhook-endpoints/${endpoint.body.id}/rotate-secret`;

      for (const graceHours of [-1, 1.5, 169, 'a day']) {
        assertInvalidField(await api.post(path, { grace_hours: graceHours }), 'grace_hours');
      }
      assertError(await api.post('/v1/webhook-endpoints/whe_missing/rotate-secret'), 404, 'not_found');
      await api.send('DELETE', `/v1/webhook-endpoints/${endpoint.body.id}`);
      assertError(await api.post(path), 409, 'invalid_state');
    });
  });
});

/** Counts the v1 values of a Restock-Signature header. */
function signatureCount(header: string | string[] | undefined): number {
  return String(header).split(',').filter((part) => part.startsWith('v1=')).length;
}
