import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/http/app.js';
import { unsubscribeLink } from '../../src/app/back-in-stock.js';
import { signToken } from '../../src/app/signed-tokens.js';
import { openTestStore, testDatabase } from '../support/database.js';
import {
  ADMIN_KEY, adjust, assertError, assertInvalidField, authorizationHeader, givenSku, placeOrder, PUBLISHABLE_KEY, toApiResponse,
  withApi, type ApiResponse, type KeyChoice, type TestApi,
} from '../support/http.js';

const LINKS = { secret: 'test-link-secret', baseUrl: 'https://shop.example' };

interface LinkedApi extends Pick<TestApi, 'store' | 'clock'> {
  send(method: string, path: string, options?: { body?: unknown; key?: KeyChoice; form?: string }): Promise<ApiResponse>;
}

/** Runs `body` against an app whose customer links are signed with `LINKS.secret`. */
async function withLinkedApi(body: (api: LinkedApi) => Promise<void>): Promise<void> {
  const database = await openTestStore();
  const app = await buildApp({ store: database.store, keys: { admin: ADMIN_KEY, publishable: PUBLISHABLE_KEY }, logger: false, customerLinks: LINKS });
  const send: LinkedApi['send'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...authorizationHeader(options.key ?? 'none') };
    let payload: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(options.body);
    } else if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = options.form;
    }
    const response = await app.inject({ method: method as 'GET', url: path, headers, payload });
    return toApiResponse(response.statusCode, response.headers, response.body);
  };
  try {
    await body({ store: database.store, clock: database.clock, send });
  } finally {
    await app.close();
    await database.close();
  }
}

function subscribe(api: Pick<TestApi, 'post'>, sku: string, email: string): Promise<ApiResponse> {
  return api.post('/v1/back-in-stock-subscriptions', { sku, email }, { key: 'public' });
}

async function eventsOfTypes(api: Pick<TestApi, 'get'>, types: string[]): Promise<{ type: string; sku: string; data: any }[]> {
  const response = await api.get('/v1/events?limit=500');
  assert.equal(response.status, 200, response.text);
  return (response.body.data as { type: string; sku: string; data: any }[]).filter((event) => types.includes(event.type));
}

function pathOf(link: string): string {
  return link.slice(LINKS.baseUrl.length);
}

describe(`back-in-stock subscriptions over HTTP (${testDatabase})`, () => {
  it('sign-up with the publishable key is 201', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });

      const response = await subscribe(api, 'TOTE', 'A.Buyer@Example.com');

      assert.equal(response.status, 201, response.text);
      assert.match(response.body.id, /^bis_/);
      assert.equal(response.body.sku, 'TOTE');
      assert.equal(response.body.email, 'a.buyer@example.com');
      assert.equal(response.body.status, 'pending');
      assert.equal(response.body.created_at, '2026-03-02T12:00:00.000Z');
      assert.equal(response.body.notified_at, null);
      assert.equal(response.body.unsubscribed_at, null);
    });
  });

  it('repeat sign-up is 200 with the same one', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'stock_only' });

      const first = await subscribe(api, 'TOTE', 'a@example.com');
      const repeat = await subscribe(api, 'TOTE', 'A@EXAMPLE.COM');
      const otherSku = await givenSku(api, 'MUG').then(() => subscribe(api, 'MUG', 'a@example.com'));

      assert.equal(first.status, 201);
      assert.equal(repeat.status, 200, repeat.text);
      assert.deepEqual(repeat.body, first.body);
      assert.equal(otherSku.status, 201, 'one subscription per SKU and address');
      assert.notEqual(otherSku.body.id, first.body.id);
    });
  });

  it('padded address is trimmed and lower-cased', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });

      const padded = await subscribe(api, 'TOTE', '  Carol@Example.com ');
      const plain = await subscribe(api, 'TOTE', 'carol@example.com');

      assert.equal(padded.status, 201, padded.text);
      assert.equal(padded.body.email, 'carol@example.com');
      assert.equal(plain.status, 200, plain.text);
      assert.equal(plain.body.id, padded.body.id);
      assertInvalidField(await subscribe(api, 'TOTE', '   '), 'email');
    });
  });

  it('discontinued SKU is 409 invalid_state', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'OLD', { policy: 'discontinued', onHand: 2 });

      const response = await subscribe(api, 'OLD', 'a@example.com');

      assertError(response, 409, 'invalid_state');
      assert.match(response.body.error.message, /OLD is discontinued/);
    });
  });

  it('unknown SKU is 404', async () => {
    await withApi(async (api) => {
      assertError(await subscribe(api, 'NOPE', 'a@example.com'), 404, 'not_found');
    });
  });

  it('invalid e-mail or SKU is 400', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');

      assertInvalidField(await subscribe(api, 'TOTE', 'not-an-address'), 'email');
      assertInvalidField(await subscribe(api, 'TOTE', `${'a'.repeat(250)}@example.com`), 'email');
      assertInvalidField(await subscribe(api, 'bad sku', 'a@example.com'), 'sku');
      assertInvalidField(await api.post('/v1/back-in-stock-subscriptions', { sku: 'TOTE' }, { key: 'public' }), 'email');
    });
  });

  it('sign-up needs a key', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE');

      const response = await api.post('/v1/back-in-stock-subscriptions', { sku: 'TOTE', email: 'a@example.com' }, { key: 'none' });

      assertError(response, 401, 'unauthorized');
    });
  });

  it('sign-up over its rate is 429', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'TOTE');

        const allowed = [];
        for (let i = 0; i < 3; i += 1) allowed.push(await subscribe(api, 'TOTE', `shopper${i}@example.com`));
        const limited = await subscribe(api, 'TOTE', 'late@example.com');

        assert.deepEqual(allowed.map((response) => response.status), [201, 201, 201]);
        assertError(limited, 429, 'rate_limited');
        assert.ok(limited.headers['retry-after'] !== undefined, 'a 429 tells the client when to retry');
        const rows = await api.store.db.selectFrom('back_in_stock_subscriptions').select('email').execute();
        assert.equal(rows.length, 3, 'the limited request stored nothing');
      },
      { publicRateLimit: 3 },
    );
  });

  it('waves reach the event log in order', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'TOTE', { policy: 'backorder' });
      const ids: string[] = [];
      for (let i = 0; i < 4; i += 1) ids.push((await subscribe(api, 'TOTE', `shopper${i}@example.com`)).body.id);
      await placeOrder(api, [{ sku: 'TOTE', quantity: 1 }]);

      await adjust(api, 'TOTE', 3);

      const events = await eventsOfTypes(api, ['sku.back_in_stock']);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.sku, 'TOTE');
      assert.deepEqual(events[0]!.data, {
        available: 2,
        subscribers: [
          { subscription_id: ids[0], email: 'shopper0@example.com' },
          { subscription_id: ids[1], email: 'shopper1@example.com' },
        ],
      });
    });
  });
});

describe(`unsubscribe pages (${testDatabase})`, () => {
  it('GET confirms and POST unsubscribes', async () => {
    await withLinkedApi(async (api) => {
      await api.send('PUT', '/v1/skus/TOTE', { body: { policy: 'stock_only' }, key: 'admin' });
      const created = await api.send('POST', '/v1/back-in-stock-subscriptions', { body: { sku: 'TOTE', email: 'a<b>@example.com' }, key: 'public' });
      assert.equal(created.status, 400, 'an address with angle brackets is not valid');
      const subscription = (await api.send('POST', '/v1/back-in-stock-subscriptions', { body: { sku: 'TOTE', email: 'a@example.com' }, key: 'public' })).body;
      const path = pathOf(unsubscribeLink(LINKS, subscription.id, api.clock.now()));

      const page = await api.send('GET', path);
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(page.text, /<form method="post"/);
      assert.match(page.text, /a@example\.com/);
      const stillPending = await api.store.db.selectFrom('back_in_stock_subscriptions').select('unsubscribed_at').executeTakeFirstOrThrow();
      assert.equal(stillPending.unsubscribed_at, null, 'opening the link changes nothing');

      const done = await api.send('POST', path, { form: 'List-Unsubscribe=One-Click' });
      assert.equal(done.status, 200, done.text);
      assert.match(done.text, /no more back-in-stock alerts for TOTE\./, 'a SKU without a name is named by its code');
      const row = await api.store.db.selectFrom('back_in_stock_subscriptions').select('unsubscribed_at').executeTakeFirstOrThrow();
      assert.equal(row.unsubscribed_at, '2026-03-02T12:00:00.000Z');

      const again = await api.send('POST', path);
      assert.equal(again.status, 200);
      const reopened = await api.send('GET', path);
      assert.match(reopened.text, /no more back-in-stock alerts/);
    });
  });

  it('pages name the SKU by its name', async () => {
    await withLinkedApi(async (api) => {
      await api.send('PUT', '/v1/skus/TOTE', { body: { name: 'Navy tote & bag', policy: 'stock_only' }, key: 'admin' });
      await api.send('PUT', '/v1/skus/MUG', { body: { name: '', policy: 'stock_only' }, key: 'admin' });
      const tote = (await api.send('POST', '/v1/back-in-stock-subscriptions', { body: { sku: 'TOTE', email: 'a@example.com' }, key: 'public' })).body;
      const mug = (await api.send('POST', '/v1/back-in-stock-subscriptions', { body: { sku: 'MUG', email: 'a@example.com' }, key: 'public' })).body;
      const totePath = pathOf(unsubscribeLink(LINKS, tote.id, api.clock.now()));
      const mugPath = pathOf(unsubscribeLink(LINKS, mug.id, api.clock.now()));

      const confirm = await api.send('GET', totePath);
      const done = await api.send('POST', totePath);
      const unnamed = await api.send('GET', mugPath);

      assert.match(confirm.text, /Stop back-in-stock alerts for Navy tote &#38; bag to a@example\.com\?/);
      assert.match(done.text, /no more back-in-stock alerts for Navy tote &#38; bag\./);
      assert.match(unnamed.text, /Stop back-in-stock alerts for MUG to a@example\.com\?/);
    });
  });

  it('tampered or foreign tokens are 404', async () => {
    await withLinkedApi(async (api) => {
      await api.send('PUT', '/v1/skus/TOTE', { body: { policy: 'stock_only' }, key: 'admin' });
      const subscription = (await api.send('POST', '/v1/back-in-stock-subscriptions', { body: { sku: 'TOTE', email: 'a@example.com' }, key: 'public' })).body;
      const now = api.clock.now();
      const path = pathOf(unsubscribeLink(LINKS, subscription.id, now));
      const [payload, signature] = path.slice('/c/unsubscribe/'.length).split('.') as [string, string];
      const otherPayload = signToken(LINKS.secret, { kind: 'unsubscribe', id: 'bis_other', expiresAt: new Date(now.getTime() + 60_000) }).split('.')[0]!;
      const orderToken = signToken(LINKS.secret, { kind: 'order', id: subscription.id, expiresAt: new Date(now.getTime() + 60_000) });
      const foreignSecret = signToken('another-secret', { kind: 'unsubscribe', id: subscription.id, expiresAt: new Date(now.getTime() + 60_000) });

      const tampered = [
        `${otherPayload}.${signature}`,
        `${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
        orderToken,
        foreignSecret,
        'not-a-token',
      ];
      for (const token of tampered) {
        const post = await api.send('POST', `/c/unsubscribe/${token}`);
        assert.equal(post.status, 404, `token ${token}: ${post.text}`);
        assert.match(post.text, /not valid/);
        assert.equal((await api.send('GET', `/c/unsubscribe/${token}`)).status, 404);
      }
      const row = await api.store.db.selectFrom('back_in_stock_subscriptions').select('unsubscribed_at').executeTakeFirstOrThrow();
      assert.equal(row.unsubscribed_at, null);
    });
  });

  it('expired link is 410', async () => {
    await withLinkedApi(async (api) => {
      await api.send('PUT', '/v1/skus/TOTE', { body: { policy: 'stock_only' }, key: 'admin' });
      const subscription = (await api.send('POST', '/v1/back-in-stock-subscriptions', { body: { sku: 'TOTE', email: 'a@example.com' }, key: 'public' })).body;
      const path = pathOf(unsubscribeLink(LINKS, subscription.id, api.clock.now()));

      api.clock.advance(366 * 24 * 60 * 60 * 1000);
      const response = await api.send('POST', path);

      assert.equal(response.status, 410);
      assert.match(response.text, /expired/);
    });
  });
});

describe(`stock alerts over HTTP (${testDatabase})`, () => {
  it('renames between orders alert nothing [C11]', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'R', { policy: 'stock_only', low_stock_threshold: 1, onHand: 15 });

      await placeOrder(api, [{ sku: 'R', quantity: 14 }]);
      for (const name of ['Ribbon, red', 'Ribbon, scarlet']) {
        const renamed = await api.put('/v1/skus/R', { name, policy: 'stock_only', low_stock_threshold: 1 });
        assert.equal(renamed.status, 200, renamed.text);
      }
      await placeOrder(api, [{ sku: 'R', quantity: 1 }]);

      const alerts = await eventsOfTypes(api, ['sku.low_stock', 'sku.out_of_stock']);
      assert.deepEqual(
        alerts.map((event) => ({ type: event.type, sku: event.sku, data: event.data })),
        [
          { type: 'sku.low_stock', sku: 'R', data: { available: 1, threshold: 1 } },
          { type: 'sku.out_of_stock', sku: 'R', data: { available: 0 } },
        ],
      );
    });
  });
});
