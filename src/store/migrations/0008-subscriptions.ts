import { sql, type Kysely } from 'kysely';

/**
 * Back-in-stock subscriptions: a shopper's request to be e-mailed once when
 * a SKU can be ordered from stock again. One row per SKU and e-mail address
 * (stored in lower case), so signing up twice changes nothing. A row is
 * pending while `notified_at` and `unsubscribed_at` are both null; only
 * pending rows are indexed, in sign-up order, so a wave of n alerts reads n
 * index entries after one seek.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('back_in_stock_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull().references('skus.code'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('notified_at', 'text')
    .addColumn('unsubscribed_at', 'text')
    .addUniqueConstraint('back_in_stock_subscriptions_sku_email', ['sku', 'email'])
    .execute();

  await db.schema
    .createIndex('back_in_stock_subscriptions_pending')
    .on('back_in_stock_subscriptions')
    .columns(['sku', 'created_at', 'id'])
    .where(sql.ref('notified_at'), 'is', null)
    .where(sql.ref('unsubscribed_at'), 'is', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('back_in_stock_subscriptions_pending').execute();
  await db.schema.dropTable('back_in_stock_subscriptions').execute();
}
