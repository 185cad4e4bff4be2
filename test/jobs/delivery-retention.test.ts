import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readSettings } from '../../src/cli/config.js';
import { createWebhookEndpoint } from '../../src/app/webhook-endpoints.js';
import { Dispatcher } from '../../src/jobs/outbox/dispatcher.js';
import { deleteOldDeliveries } from '../../src/jobs/outbox/retention.js';
import { webhookChannel } from '../../src/jobs/webhooks/channel.js';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

const DAY = 86_400_000;

describe(`delivery retention (${testDatabase})`, () => {
  let t: TestStore;
  let receiver: WebhookReceiver;
  let secret = '';

  before(async () => {
    t = await openTestStore();
    receiver = await startWebhookReceiver({ secret: () => secret, now: t.clock.now });
    secret = (await t.store.transaction((work) => createWebhookEndpoint(work, { url: receiver.url, events: ['*'] }))).secret;
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  it('old delivered posts deleted, not resent', async () => {
    await t.store.transaction(async (work) => {
      for (const index of [1, 2, 3]) work.emit({ type: 'order.placed', orderId: `ord_retained_${index}`, data: { index } });
    });
    const dispatcher = new Dispatcher(t.store, { channels: [webhookChannel({ clock: t.store.clock })], random: () => 0.5 });
    await dispatcher.runPass();
    assert.equal(receiver.handled.length, 3);

    t.clock.advance(31 * DAY);
    const deleted = await deleteOldDeliveries(t.store, 30);
    await dispatcher.runPass();

    assert.equal(deleted, 3);
    const left = await t.store.db.selectFrom('deliveries').select('id').execute();
    assert.equal(left.length, 0);
    assert.equal(receiver.posts.length, 3, 'no post after the deletion');
    const events = await t.store.db.selectFrom('events').select('id').where('type', '=', 'order.placed').execute();
    assert.equal(events.length, 3, 'the events stay');
  });

  it('pending, dead and recent stay', async () => {
    const now = t.clock.now().getTime();
    const old = new Date(now - 40 * DAY).toISOString();
    const recent = new Date(now - 10 * DAY).toISOString();
    const eventId = await storeEvent(t, 'ord_retention_mix');
    await insertDeliveries(t, eventId, [
      { id: 'dlv_old_delivered', status: 'delivered', created_at: old },
      { id: 'dlv_old_pending', status: 'pending', created_at: old },
      { id: 'dlv_old_dead', status: 'dead', created_at: old },
      { id: 'dlv_recent_delivered', status: 'delivered', created_at: recent },
    ]);

    const deleted = await deleteOldDeliveries(t.store, 30);

    assert.equal(deleted, 1);
    const left = await t.store.db.selectFrom('deliveries').select('id').orderBy('id').execute();
    assert.deepEqual(left.map((row) => row.id), ['dlv_old_dead', 'dlv_old_pending', 'dlv_recent_delivered']);
  });

  it('deletes beyond one batch', async () => {
    const old = new Date(t.clock.now().getTime() - 60 * DAY).toISOString();
    const eventId = await storeEvent(t, 'ord_retention_many');
    const rows = Array.from({ length: 2_500 }, (_, index) => ({
      id: `dlv_many_${String(index).padStart(4, '0')}`,
      status: 'delivered',
      created_at: old,
    }));
    await insertDeliveries(t, eventId, rows);

    const deleted = await deleteOldDeliveries(t.store, 30);

    assert.equal(deleted, 2_500);
    const left = await t.store.db.selectFrom('deliveries').select('id').where('id', 'like', 'dlv_many_%').execute();
    assert.equal(left.length, 0);
  });
});

describe('RESTOCK_DELIVERY_RETENTION_DAYS', () => {
  it('unset gives 30 days', () => {
    assert.equal(readSettings({}).deliveryRetentionDays, 30);
  });

  it('whole days are read', () => {
    assert.equal(readSettings({ RESTOCK_DELIVERY_RETENTION_DAYS: '7' }).deliveryRetentionDays, 7);
    assert.equal(readSettings({ RESTOCK_DELIVERY_RETENTION_DAYS: '0' }).deliveryRetentionDays, 0);
  });

  it('invalid values are rejected', () => {
    for (const text of ['-1', '2.5', 'a month']) {
      assert.throws(
        () => readSettings({ RESTOCK_DELIVERY_RETENTION_DAYS: text }),
        new RegExp(`RESTOCK_DELIVERY_RETENTION_DAYS must be a whole number of days.*"${text}"`),
      );
    }
  });
});

/** Stores one event and returns its id, for deliveries written directly. */
async function storeEvent(t: TestStore, orderId: string): Promise<string> {
  await t.store.transaction(async (work) => work.emit({ type: 'order.cancelled', orderId, data: {} }));
  const row = await t.store.db.selectFrom('events').select('id').where('order_id', '=', orderId).executeTakeFirstOrThrow();
  return row.id;
}

async function insertDeliveries(t: TestStore, eventId: string, rows: { id: string; status: string; created_at: string }[]): Promise<void> {
  // Each row names its own recipient, so the one-delivery-per-target index is met.
  const values = rows.map((row) => ({
    ...row,
    event_id: eventId,
    channel: 'email',
    endpoint_id: null,
    recipient: `${row.id}@example.com`,
    template: 'test',
    attempts: 1,
    next_attempt_at: row.created_at,
    delivered_at: row.status === 'delivered' ? row.created_at : null,
  }));
  for (let start = 0; start < values.length; start += 500) {
    await t.store.db.insertInto('deliveries').values(values.slice(start, start + 500)).execute();
  }
}
