import { sql, type Kysely } from 'kysely';

/**
 * The transactional outbox. Every event row waits with `dispatched_at` null
 * until the dispatcher plans its deliveries, in the same transaction that
 * stores them. Events written before this migration are marked dispatched,
 * so that upgrading a store does not mail customers about old orders. An
 * event that no channel could plan is set aside with its `plan_error`, so
 * that it does not hold up the events behind it.
 *
 * A delivery is one message for one event: to a webhook endpoint, or one
 * e-mail to one recipient from one template. It is `pending` until it is
 * `delivered`, or `dead` after its last attempt or a permanent failure.
 * `locked_until` is the lease of the worker that is sending it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('events').addColumn('dispatched_at', 'text').execute();
  await db.schema.alterTable('events').addColumn('plan_error', 'text').execute();
  await db.updateTable('events').set({ dispatched_at: sql`created_at` }).execute();
  await db.schema
    .createIndex('events_undispatched')
    .on('events')
    .columns(['seq'])
    .where(sql.ref('dispatched_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.references('webhook_endpoints.id'))
    .addColumn('recipient', 'text')
    .addColumn('template', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .addCheckConstraint('deliveries_status', sql`status in ('pending', 'delivered', 'dead')`)
    .addCheckConstraint('deliveries_attempts', sql`attempts >= 0`)
    .execute();

  // Workers claim due work from this index: pending rows by next attempt.
  await db.schema
    .createIndex('deliveries_due')
    .on('deliveries')
    .columns(['next_attempt_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.createIndex('deliveries_by_status').on('deliveries').columns(['status', 'created_at', 'id']).execute();
  await db.schema.createIndex('deliveries_by_endpoint').on('deliveries').columns(['endpoint_id', 'created_at', 'id']).execute();
  // One event is planned at most once to each target and template; absent parts count as empty.
  await sql`create unique index deliveries_once on deliveries
    (event_id, channel, coalesce(endpoint_id, ''), coalesce(recipient, ''), coalesce(template, ''))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('deliveries').execute();
  await db.schema.dropTable('webhook_endpoints').execute();
  await db.schema.dropIndex('events_undispatched').execute();
  await db.schema.alterTable('events').dropColumn('dispatched_at').execute();
}
