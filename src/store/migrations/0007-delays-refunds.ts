import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

/**
 * Delay notices and refunds under the US FTC Mail, Internet, or Telephone
 * Order Merchandise Rule (16 CFR 435).
 *
 * `refunds` keeps every refund requested from the payment system with the
 * date it is due by (7 working days after the request), so overdue ones can
 * be listed. `delay_notices` keeps every notice sent to a customer and its
 * answer. On `order_lines`, `ship_by_date` is the date in force once a delay
 * was accepted (null: the first promise still holds), `delay_state` is
 * `notified` while a notice waits for its answer and `indefinite` after the
 * customer accepted a delay with no date, and `delay_notices` counts the
 * notices sent for the line.
 *
 * Two partial indexes let the delay review read only lines at risk: unshipped
 * lines with no open notice whose estimate is unknown or later than the date
 * in force, and open lines by their date in force, for those that reach it
 * without shipping. The review repeats these predicates word for word,
 * because SQLite uses a partial index only when the query contains its terms.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const money = isPostgres(db) ? 'bigint' : 'integer';

  await db.schema
    .createTable('refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('amount', money, (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('due_by', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .addColumn('provider_reference', 'text')
    .addCheckConstraint('refunds_amount', sql`amount > 0`)
    .addCheckConstraint('refunds_status', sql`status in ('requested', 'completed')`)
    .execute();
  await db.schema.createIndex('refunds_by_order').on('refunds').columns(['order_id']).execute();
  await db.schema.createIndex('refunds_by_requested_at').on('refunds').columns(['requested_at', 'id']).execute();

  await db.schema
    .createTable('delay_notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('notice_number', 'integer', (c) => c.notNull())
    .addColumn('notice', 'text', (c) => c.notNull())
    .addColumn('consent', 'text', (c) => c.notNull())
    .addColumn('respond_by', 'text', (c) => c.notNull())
    .addColumn('revised_date', 'text')
    .addColumn('reason', 'text')
    .addColumn('late', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lines', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text', (c) => c.notNull())
    .addColumn('answer', 'text')
    .addColumn('answered_at', 'text')
    .addCheckConstraint('delay_notices_consent', sql`consent in ('silence', 'explicit')`)
    .addCheckConstraint('delay_notices_answer', sql`answer is null or answer in ('accepted', 'cancelled', 'lapsed')`)
    .addCheckConstraint('delay_notices_reason', sql`revised_date is not null or reason is not null`)
    .execute();
  await db.schema.createIndex('delay_notices_by_order').on('delay_notices').columns(['order_id', 'notice_number']).execute();
  await db.schema
    .createIndex('delay_notices_open_by_respond_by')
    .on('delay_notices')
    .columns(['respond_by'])
    .where(sql.ref('answer'), 'is', null)
    .execute();

  await db.schema.alterTable('order_lines').addColumn('ship_by_date', 'text').execute();
  await db.schema.alterTable('order_lines').addColumn('delay_state', 'text').execute();
  await db.schema.alterTable('order_lines').addColumn('delay_notices', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await sql`create index order_lines_delay_at_risk on order_lines (order_id) where ${sql.raw(AT_RISK_PREDICATE)}`.execute(db);
  await sql`create index order_lines_delay_by_date_in_force on order_lines (${sql.raw(DATE_IN_FORCE)}) where ${sql.raw(OPEN_LINE_PREDICATE)}`.execute(db);
}

/** The date in force of a line that has a promise; lines without one are at risk through their unknown estimate. */
export const DATE_IN_FORCE = 'coalesce(ship_by_date, promised_ship_date)';

/**
 * Lines with units not yet shipped or cancelled, kit lines included. It is
 * written unlike the at-risk predicate's first term on purpose: without
 * table statistics SQLite would otherwise scan this index for the at-risk
 * query, and with the column on the right of the comparison
 * (`shipped + cancelled < quantity`) it would not use this index at all.
 */
export const OPEN_LINE_PREDICATE = 'quantity - shipped - cancelled > 0';

/** Unshipped lines with no open notice whose estimate is unknown or later than the date in force. */
export const AT_RISK_PREDICATE =
  `backordered + allocated > 0 and delay_state is null and (estimated_ship_date is null or estimated_ship_date > ${DATE_IN_FORCE})`;

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('order_lines_delay_by_date_in_force').execute();
  await db.schema.dropIndex('order_lines_delay_at_risk').execute();
  await db.schema.alterTable('order_lines').dropColumn('delay_notices').execute();
  await db.schema.alterTable('order_lines').dropColumn('delay_state').execute();
  await db.schema.alterTable('order_lines').dropColumn('ship_by_date').execute();
  await db.schema.dropTable('delay_notices').execute();
  await db.schema.dropTable('refunds').execute();
}
