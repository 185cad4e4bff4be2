import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

/**
 * Order edits and returns. Once a line's unit price can change, its money can
 * no longer be derived from units × price, so each line keeps the amounts
 * captured and refunded for it, and each shipment line keeps the price its
 * units were paid at. Returns are counted per shipment line, so that a unit
 * comes back to the location it left from and is returned and refunded once.
 * Existing rows are filled from the rules that held before: every unit of a
 * line was paid at its one unit price.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const money = isPostgres(db) ? 'bigint' : 'integer';

  // SQLite adds one column per ALTER TABLE statement.
  await db.schema
    .alterTable('order_lines')
    .addColumn('returned', 'integer', (c) => c.notNull().defaultTo(0).check(sql`returned >= 0 and returned <= shipped`))
    .execute();
  await db.schema.alterTable('order_lines').addColumn('captured', money, (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .alterTable('order_lines')
    .addColumn('refunded', money, (c) => c.notNull().defaultTo(0).check(sql`refunded >= 0 and refunded <= captured`))
    .execute();
  await db
    .updateTable('order_lines')
    .set({
      captured: sql`unit_price * case
        when (select capture from orders where orders.id = order_lines.order_id) = 'upfront' then quantity
        else shipped end`,
      refunded: sql`unit_price * refunded_units`,
    })
    .execute();

  await db.schema.alterTable('shipment_lines').addColumn('unit_price', money, (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .alterTable('shipment_lines')
    .addColumn('returned', 'integer', (c) => c.notNull().defaultTo(0).check(sql`returned >= 0 and returned <= quantity`))
    .execute();
  await db.schema
    .alterTable('shipment_lines')
    .addColumn('refunded_units', 'integer', (c) =>
      c.notNull().defaultTo(0).check(sql`refunded_units >= 0 and refunded_units <= returned`),
    )
    .execute();
  await db
    .updateTable('shipment_lines')
    .set({ unit_price: sql`(select unit_price from order_lines where order_lines.id = shipment_lines.line_id)` })
    .execute();

  await db.schema.alterTable('stock_movements').addColumn('return_id', 'text').execute();

  await db.schema
    .createTable('returns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('restock', 'integer', (c) => c.notNull())
    .addColumn('refund', 'integer', (c) => c.notNull())
    .addColumn('refund_amount', money, (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('returns_by_order').on('returns').columns(['order_id']).execute();

  await db.schema
    .createTable('return_lines')
    .addColumn('return_id', 'text', (c) => c.notNull().references('returns.id'))
    .addColumn('shipment_id', 'text', (c) => c.notNull().references('shipments.id'))
    .addColumn('line_id', 'text', (c) => c.notNull().references('order_lines.id'))
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('refund_amount', money, (c) => c.notNull())
    .addPrimaryKeyConstraint('return_lines_pk', ['return_id', 'shipment_id', 'line_id'])
    .addCheckConstraint('return_lines_counts', sql`quantity > 0 and refund_amount >= 0`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('return_lines').execute();
  await db.schema.dropTable('returns').execute();
  await db.schema.alterTable('stock_movements').dropColumn('return_id').execute();
  for (const column of ['refunded_units', 'returned', 'unit_price']) {
    await db.schema.alterTable('shipment_lines').dropColumn(column).execute();
  }
  for (const column of ['refunded', 'captured', 'returned']) {
    await db.schema.alterTable('order_lines').dropColumn(column).execute();
  }
}
