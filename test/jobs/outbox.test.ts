import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebhookEndpoint, EVENT_TYPES } from '../../src/app/webhook-endpoints.js';
import { retryDelayMillis } from '../../src/jobs/outbox/backoff.js';
import { Dispatcher, type DispatcherOptions } from '../../src/jobs/outbox/dispatcher.js';
import { planBatch } from '../../src/jobs/outbox/plan.js';
import { startDispatcher } from '../../src/jobs/outbox/runner.js';
import { webhookChannel } from '../../src/jobs/webhooks/channel.js';
import { signatureHeader, verifySignature } from '../../src/jobs/webhooks/signature.js';
import { Store } from '../../src/store/store.js';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const HOUR = 3_600_000;

/** Stores `count` order.placed events in one transaction and returns their ids in seq order. */
async function emitEvents(store: Store, count: number, type = 'order.placed'): Promise<string[]> {
  await store.transaction(async (work) => {
    for (let index = 0; index < count; index += 1) {
      work.emit({ type, orderId: `ord_test_${index}`, data: { index } });
    }
  });
  const rows = await store.db.selectFrom('events').select('id').where('type', '=', type).orderBy('seq').execute();
  return rows.map((row) => row.id);
}

async function addEndpoint(store: Store, url: string, events: string[] = ['*']) {
  return store.transaction((work) => createWebhookEndpoint(work, { url, events }));
}

function dispatcherFor(store: Store, options: Partial<DispatcherOptions> = {}): Dispatcher {
  return new Dispatcher(store, { channels: [webhookChannel({ clock: store.clock })], random: () => 0.5, ...options });
}

/** Runs passes, moving the clock an hour (the backoff cap) after each, until `done` or 20 passes. */
async function driveUntil(t: TestStore, dispatchers: Dispatcher[], done: () => boolean): Promise<number> {
  let passes = 0;
  while (!done() && passes < 20) {
    await Promise.all(dispatchers.map((dispatcher) => dispatcher.runPass()));
    t.clock.advance(HOUR);
    passes += 1;
  }
  return passes;
}

async function deliveryRows(store: Store) {
  return store.db.selectFrom('deliveries').selectAll().orderBy('event_id').execute();
}

describe(`outbox dispatcher with webhooks (${testDatabase})`, () => {
  let t: TestStore;
  let receiver: WebhookReceiver;
  let secret = '';

  before(async () => {
    t = await openTestStore();
  });
  after(async () => {
    await receiver?.close();
    await t.close();
  });

  it('retries failed posts until every event arrives once to the handler', async () => {
    receiver = await startWebhookReceiver({ secret: () => secret, now: t.clock.now, failFirst: 2 });
    secret = (await addEndpoint(t.store, receiver.url)).secret;
    const ids = await emitEvents(t.store, 5);
    const dispatcher = dispatcherFor(t.store);

    await driveUntil(t, [dispatcher], () => receiver.handled.length === ids.length);

    assert.deepEqual([...receiver.handled].sort(), [...ids].sort());
    assert.equal(receiver.posts.length, ids.length * 3, 'two failed posts and one accepted post per event');
    assert.ok(receiver.posts.every((post) => post.verified), 'every signature verifies');
    const rows = await deliveryRows(t.store);
    assert.equal(rows.length, ids.length);
    for (const row of rows) {
      assert.equal(row.status, 'delivered');
      assert.equal(row.attempts, 3);
      assert.equal(row.last_status, 200);
      assert.equal(row.locked_until, null);
    }
  });

  it('post carries the event body and headers', async () => {
    const post = receiver.posts.find((candidate) => candidate.status === 200)!;
    const event = await t.store.db.selectFrom('events').selectAll().where('id', '=', post.eventId).executeTakeFirstOrThrow();

    assert.deepEqual(post.body, {
      id: event.id,
      type: 'order.placed',
      created_at: event.created_at,
      order_id: event.order_id,
      line_id: null,
      sku: null,
      data: JSON.parse(event.data),
    });
    assert.equal(post.headers['content-type'], 'application/json');
    assert.equal(post.headers['restock-event-id'], event.id);
    assert.match(String(post.headers['restock-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('event is planned once, not again on later passes', async () => {
    const before = (await deliveryRows(t.store)).length;

    const pass = await dispatcherFor(t.store).runPass();

    assert.equal(pass.planned, 0);
    assert.equal(pass.attempted, 0);
    assert.equal((await deliveryRows(t.store)).length, before);
  });
});

describe(`outbox retries and dead deliveries (${testDatabase})`, () => {
  it('failing delivery goes dead after max attempts', async () => {
    const t = await openTestStore();
    let secret = '';
    const receiver = await startWebhookReceiver({ secret: () => secret, now: t.clock.now });
    try {
      receiver.respondWith(503);
      secret = (await addEndpoint(t.store, receiver.url)).secret;
      await emitEvents(t.store, 1);
      const dispatcher = dispatcherFor(t.store, { maxAttempts: 4 });

      const passes = await driveUntil(t, [dispatcher], () => receiver.posts.length >= 6);

      assert.equal(passes, 20, 'the passes ran out without a fifth post');
      assert.equal(receiver.posts.length, 4);
      const [row] = await deliveryRows(t.store);
      assert.equal(row!.status, 'dead');
      assert.equal(row!.attempts, 4);
      assert.equal(row!.last_status, 503);
      assert.match(row!.last_error!, /HTTP 503/);
    } finally {
      await receiver.close();
      await t.close();
    }
  });

  it('410 Gone makes the delivery dead at once', async () => {
    const t = await openTestStore();
    let secret = '';
    const receiver = await startWebhookReceiver({ secret: () => secret, now: t.clock.now });
    try {
      receiver.respondWith(410);
      secret = (await addEndpoint(t.store, receiver.url)).secret;
      await emitEvents(t.store, 1);

      const pass = await dispatcherFor(t.store).runPass();

      assert.equal(pass.dead, 1);
      const [row] = await deliveryRows(t.store);
      assert.equal(row!.status, 'dead');
      assert.equal(row!.attempts, 1);
      assert.equal(row!.last_status, 410);
      assert.match(row!.last_error!, /HTTP 410 Gone, which is treated as permanent/);
    } finally {
      await receiver.close();
      await t.close();
    }
  });

  it('retry waits until its backoff is due', async () => {
    const t = await openTestStore();
    let secret = '';
    const receiver = await startWebhookReceiver({ secret: () => secret, now: t.clock.now, failFirst: 1 });
    try {
      secret = (await addEndpoint(t.store, receiver.url)).secret;
      await emitEvents(t.store, 1);
      const dispatcher = dispatcherFor(t.store, { random: () => 0.5, backoff: { baseMillis: 30_000, capMillis: HOUR } });

      await dispatcher.runPass();
      const [failed] = await deliveryRows(t.store);
      t.clock.advance(14_000);
      const early = await dispatcher.runPass();
      t.clock.advance(1_000);
      const due = await dispatcher.runPass();

      assert.equal(failed!.next_attempt_at, new Date(Date.parse('2026-03-02T12:00:00.000Z') + 15_000).toISOString());
      assert.equal(early.attempted, 0);
      assert.equal(due.delivered, 1);
    } finally {
      await receiver.close();
      await t.close();
    }
  });

  it('deleted endpoint gets no new deliveries and drops pending ones', async () => {
    const t = await openTestStore();
    let secret = '';
    const receiver = await startWebhookReceiver({ secret: () => secret, now: t.clock.now });
    try {
      const endpoint = await addEndpoint(t.store, receiver.url);
      secret = endpoint.secret;
      await emitEvents(t.store, 1);
      const dispatcher = dispatcherFor(t.store);
      await dispatcher.planAll();
      await t.store.db.updateTable('webhook_endpoints').set({ active: 0 }).where('id', '=', endpoint.id).execute();
      await emitEvents(t.store, 1, 'line.shipped');

      const pass = await dispatcher.runPass();

      assert.equal(pass.planned, 1);
      assert.equal(pass.dead, 1);
      assert.equal(receiver.posts.length, 0);
      const rows = await deliveryRows(t.store);
      assert.equal(rows.length, 1);
      assert.match(rows[0]!.last_error!, /was deleted/);
    } finally {
      await receiver.close();
      await t.close();
    }
  });

  it('endpoint receives only its subscribed types', async () => {
    const t = await openTestStore();
    let secret = '';
    const receiver = await startWebhookReceiver({ secret: () => secret, now: t.clock.now });
    try {
      secret = (await addEndpoint(t.store, receiver.url, ['line.shipped'])).secret;
      await emitEvents(t.store, 2, 'order.placed');
      const shipped = await emitEvents(t.store, 1, 'line.shipped');

      await dispatcherFor(t.store).runPass();

      assert.deepEqual(receiver.handled, shipped);
    } finally {
      await receiver.close();
      await t.close();
    }
  });
});

describe(`outbox with two dispatchers (${testDatabase})`, () => {
  it('two planners at once plan each event once', async () => {
    const t = await openTestStore();
    const second = await openSecondStore(t);
    try {
      await addEndpoint(t.store, 'http://127.0.0.1:9/a');
      await addEndpoint(t.store, 'http://127.0.0.1:9/b');
      const ids = await emitEvents(t.store, 120);
      const channels = [webhookChannel({ clock: t.clock.now })];

      const planned = await Promise.all(
        [t.store, second.store, t.store, second.store].map(async (store) => {
          let events = 0;
          for (let batch = await planBatch(store, channels, 7); batch.events > 0; batch = await planBatch(store, channels, 7)) {
            events += batch.events;
          }
          return events;
        }),
      );

      assert.equal(planned.reduce((sum, count) => sum + count, 0), ids.length, `planners took ${planned.join(' + ')} events`);
      const rows = await deliveryRows(t.store);
      assert.equal(rows.length, ids.length * 2);
      const undispatched = await t.store.db.selectFrom('events').select('id').where('dispatched_at', 'is', null).execute();
      assert.deepEqual(undispatched, []);
    } finally {
      await second.close();
      await t.close();
    }
  });

  it('two dispatchers send 200 events once each', { timeout: 120_000 }, async () => {
    const t = await openTestStore();
    const second = await openSecondStore(t);
    let secret = '';
    const receiver = await startWebhookReceiver({ secret: () => secret, now: t.clock.now });
    try {
      secret = (await addEndpoint(t.store, receiver.url)).secret;
      const ids = await emitEvents(t.store, 200);
      const options = { planBatchSize: 15, sendBatchSize: 10, concurrency: 4 };
      const dispatchers = [dispatcherFor(t.store, options), dispatcherFor(second.store, options)];

      const results = await Promise.all(dispatchers.map((dispatcher) => dispatcher.runPass()));

      assert.equal(receiver.posts.length, ids.length, 'no event was posted twice');
      assert.deepEqual([...receiver.handled].sort(), [...ids].sort());
      assert.equal(results[0]!.planned + results[1]!.planned, ids.length);
      assert.equal(results[0]!.delivered + results[1]!.delivered, ids.length);
      const rows = await deliveryRows(t.store);
      assert.ok(rows.every((row) => row.status === 'delivered' && row.attempts === 1));
    } finally {
      await receiver.close();
      await second.close();
      await t.close();
    }
  });
});

describe('outbox runner', () => {
  it('stop waits for the pass in flight', async () => {
    const t = await openTestStore();
    try {
      await emitEvents(t.store, 3);
      const dispatcher = dispatcherFor(t.store);
      const running = startDispatcher(dispatcher, { pollMillis: 10 });

      await running.stop();

      const undispatched = await t.store.db.selectFrom('events').select('id').where('dispatched_at', 'is', null).execute();
      assert.deepEqual(undispatched, [], 'the first pass finished before stop resolved');
    } finally {
      await t.close();
    }
  });
});

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"id":"evt_1"}';
  const now = new Date('2026-03-02T12:00:00.000Z');
  const seconds = now.getTime() / 1000;

  it('signature verifies for its body and time', () => {
    assert.equal(verifySignature(secret, signatureHeader(secret, body, seconds), body, now), true);
  });

  it('signature fails for another body or secret', () => {
    const header = signatureHeader(secret, body, seconds);
    assert.equal(verifySignature(secret, header, '{"id":"evt_2"}', now), false);
    assert.equal(verifySignature('whsec_other', header, body, now), false);
  });

  it('signature fails outside the tolerance', () => {
    const header = signatureHeader(secret, body, seconds - 301);
    assert.equal(verifySignature(secret, header, body, now, 300), false);
    assert.equal(verifySignature(secret, header, body, now, 400), true);
  });

  it('malformed header fails', () => {
    for (const header of [undefined, '', 't=abc,v1=00', `t=${seconds}`, `v1=${'0'.repeat(64)}`, `t=${seconds},v1=zz`]) {
      assert.equal(verifySignature(secret, header, body, now), false, `header ${header}`);
    }
  });
});

describe('webhook event types', () => {
  it('list covers every emitted type', () => {
    const sourceRoot = fileURLToPath(new URL('../../src/', import.meta.url));
    const emitted = new Set<string>();
    for (const file of readdirSync(sourceRoot, { recursive: true }) as string[]) {
      if (!file.endsWith('.ts')) continue;
      const source = readFileSync(join(sourceRoot, file), 'utf8');
      // The type of each emit({ type: ... }) call: a literal, or a choice between literals.
      for (const match of source.matchAll(/emit\(\{\s*type: ([^,}]+)/g)) {
        for (const literal of match[1]!.matchAll(/'([a-z_]+\.[a-z_.]+)'/g)) emitted.add(literal[1]!);
      }
    }

    const known = new Set<string>(EVENT_TYPES);
    assert.ok(emitted.size >= 15, `found only ${emitted.size} emitted types; the pattern may have stopped matching`);
    assert.deepEqual([...emitted].filter((type) => !known.has(type)).sort(), []);
  });
});

describe('retry backoff', () => {
  it('ceiling doubles from the base up to the cap', () => {
    const ceilings = [1, 2, 3, 4, 10, 20].map((failures) => retryDelayMillis(failures, { baseMillis: 30_000, capMillis: HOUR }, () => 0.999_999));
    assert.deepEqual(ceilings, [29_999, 59_999, 119_999, 239_999, 3_599_996, 3_599_996]);
  });

  it('jitter stays at least one second', () => {
    assert.equal(retryDelayMillis(1, {}, () => 0), 1_000);
  });
});

interface SecondStore {
  store: Store;
  close(): Promise<void>;
}

/**
 * Opens a second store on the test store's database, as a second worker
 * process would: its own connection pool on PostgreSQL. On SQLite both
 * dispatchers share the store's one connection, because better-sqlite3
 * waits for a lock synchronously, so a second connection in the same
 * process would block the first one's transaction until the busy timeout.
 */
async function openSecondStore(t: TestStore): Promise<SecondStore> {
  if (t.schema === undefined) return { store: t.store, close: async () => {} };
  const store = await Store.open({ url: t.url, schema: t.schema, clock: t.clock.now, migrate: false });
  return { store, close: () => store.close() };
}

describe(`outbox with an event no channel can plan (${testDatabase})`, () => {
  let t: TestStore;

  before(async () => {
    t = await openTestStore();
  });
  after(async () => {
    await t.close();
  });

  it('sets that event aside with its error and plans the events behind it', async () => {
    const first = await emitEvents(t.store, 2, 'order.placed');
    const broken = await emitEvents(t.store, 1, 'line.shipped');
    const last = await emitEvents(t.store, 1, 'line.cancelled');
    const planned: string[] = [];
    const picky = {
      name: 'webhook' as const,
      async plan(event: { id: string; type: string }) {
        if (event.type === 'line.shipped') throw new Error('no template for line.shipped');
        planned.push(event.id);
        return [];
      },
      async send() {
        return { ok: true };
      },
    };

    const pass = await new Dispatcher(t.store, { channels: [picky] }).runPass();

    assert.equal(pass.planned, 4);
    assert.deepEqual(planned.filter((id, index) => planned.indexOf(id) === index), [...first, ...last]);
    const events = await t.store.db.selectFrom('events').select(['id', 'dispatched_at', 'plan_error']).orderBy('seq').execute();
    assert.ok(events.every((event) => event.dispatched_at !== null), 'no event waits any longer');
    const setAside = events.filter((event) => event.plan_error !== null);
    assert.deepEqual(setAside.map((event) => event.id), broken);
    assert.match(setAside[0]!.plan_error!, /failed to plan event .*no template for line\.shipped/);
  });
});
