import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

/**
 * The core tables: catalog, stock ledger, inbound supply, orders with their
 * allocations, events and idempotency records. CHECK constraints repeat the
 * counting invariants so that a bug in the application cannot store an
 * oversold level or a line with more units than it has.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = isPostgres(db);
  const money = postgres ? 'bigint' : 'integer';

  await db.schema
    .createTable('skus')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('backorder_limit', 'integer')
    .addColumn('low_stock_threshold', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lead_time_days', 'integer')
    .addColumn('handling_days', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('restock_date', 'text')
    .addColumn('release_date', 'text')
    .addColumn('backordered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('skus_backordered_non_negative', sql`backordered >= 0`)
    .execute();

  await db.schema
    .createTable('locations')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('working_days', 'text', (c) => c.notNull())
    .addColumn('holidays', 'text', (c) => c.notNull())
    .addColumn('receiving_days', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ships_to', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(100))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('stock_levels')
    .addColumn('sku', 'text', (c) => c.notNull().references('skus.code'))
    .addColumn('location', 'text', (c) => c.notNull().references('locations.code'))
    .addColumn('on_hand', 'integer', (c) => c.notNull())
    .addColumn('allocated', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stock_levels_pk', ['sku', 'location'])
    .addCheckConstraint('stock_levels_counts', sql`allocated >= 0 and allocated <= on_hand`)
    .execute();

  await db.schema
    .createTable('stock_movements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('on_hand_delta', 'integer', (c) => c.notNull())
    .addColumn('allocated_delta', 'integer', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('line_id', 'text')
    .addColumn('purchase_order_id', 'text')
    .addColumn('receipt_id', 'text')
    .addColumn('shipment_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('stock_movements_level_fk', ['sku', 'location'], 'stock_levels', ['sku', 'location'])
    .execute();
  await db.schema.createIndex('stock_movements_by_sku').on('stock_movements').columns(['sku', 'id']).execute();

  await db.schema
    .createTable('purchase_orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull().references('locations.code'))
    .addColumn('expected_date', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('purchase_order_lines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purchase_order_id', 'text', (c) => c.notNull().references('purchase_orders.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull().references('skus.code'))
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('received', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('open', 'integer', (c) => c.notNull().defaultTo(1))
    .addCheckConstraint('purchase_order_lines_counts', sql`quantity > 0 and received >= 0`)
    .execute();
  await db.schema
    .createIndex('purchase_order_lines_by_po')
    .on('purchase_order_lines')
    .columns(['purchase_order_id', 'position'])
    .execute();
  await db.schema
    .createIndex('purchase_order_lines_open_by_sku')
    .on('purchase_order_lines')
    .columns(['sku'])
    .where(sql.ref('open'), '=', 1)
    .execute();

  await db.schema
    .createTable('receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purchase_order_id', 'text', (c) => c.notNull().references('purchase_orders.id'))
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('receipt_lines')
    .addColumn('receipt_id', 'text', (c) => c.notNull().references('receipts.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('purchase_order_line_id', 'text', (c) => c.notNull().references('purchase_order_lines.id'))
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('receipt_lines_pk', ['receipt_id', 'position'])
    .addCheckConstraint('receipt_lines_quantity', sql`quantity > 0`)
    .execute();

  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('external_id', 'text')
    .addColumn('customer_email', 'text')
    .addColumn('customer_name', 'text')
    .addColumn('customer_locale', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('ship_policy', 'text', (c) => c.notNull())
    .addColumn('shipping_country', 'text')
    .addColumn('capture', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('captured', money, (c) => c.notNull().defaultTo(0))
    .addColumn('refunded', money, (c) => c.notNull().defaultTo(0))
    .addColumn('ready_to_ship_at', 'text')
    .addColumn('placed_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addCheckConstraint('orders_money', sql`refunded >= 0 and refunded <= captured`)
    .execute();
  await db.schema.createIndex('orders_by_placed_at').on('orders').columns(['placed_at', 'id']).execute();
  await db.schema.createIndex('orders_by_email').on('orders').columns(['customer_email']).execute();

  await db.schema
    .createTable('order_lines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull().references('skus.code'))
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('unit_price', money, (c) => c.notNull())
    .addColumn('allocated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('backordered', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('shipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cancelled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('refunded_units', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('placed_at', 'text', (c) => c.notNull())
    .addColumn('shipping_country', 'text')
    .addColumn('promised_ship_date', 'text')
    .addColumn('estimated_ship_date', 'text')
    .addColumn('ship_date_basis', 'text')
    .addCheckConstraint(
      'order_lines_counts',
      sql`quantity > 0 and allocated >= 0 and backordered >= 0 and shipped >= 0 and cancelled >= 0
          and allocated + backordered + shipped + cancelled = quantity and unit_price >= 0`,
    )
    .execute();
  await db.schema.createIndex('order_lines_by_order').on('order_lines').columns(['order_id', 'position']).execute();
  // The backorder queue: only lines still waiting are in this index, in
  // allocation order, so serving k units reads k entries after one seek.
  await db.schema
    .createIndex('order_lines_queue')
    .on('order_lines')
    .columns(['sku', 'priority desc', 'placed_at', 'id'])
    .where(sql.ref('backordered'), '>', 0)
    .execute();
  await db.schema.createIndex('order_lines_by_sku').on('order_lines').columns(['sku', 'placed_at']).execute();

  await db.schema
    .createTable('line_allocations')
    .addColumn('line_id', 'text', (c) => c.notNull().references('order_lines.id'))
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('placed_at', 'text', (c) => c.notNull())
    .addColumn('allocated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('line_allocations_pk', ['line_id', 'location'])
    .addForeignKeyConstraint('line_allocations_level_fk', ['sku', 'location'], 'stock_levels', ['sku', 'location'])
    .addCheckConstraint('line_allocations_quantity', sql`quantity >= 0`)
    .execute();
  // Adjustments below allocated take back from the most recently placed lines.
  await db.schema
    .createIndex('line_allocations_newest_first')
    .on('line_allocations')
    .columns(['sku', 'location', 'placed_at'])
    .where(sql.ref('quantity'), '>', 0)
    .execute();

  await db.schema
    .createTable('shipments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('carrier', 'text')
    .addColumn('tracking_number', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('shipments_by_order').on('shipments').columns(['order_id']).execute();

  await db.schema
    .createTable('shipment_lines')
    .addColumn('shipment_id', 'text', (c) => c.notNull().references('shipments.id'))
    .addColumn('line_id', 'text', (c) => c.notNull().references('order_lines.id'))
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('shipment_lines_pk', ['shipment_id', 'line_id'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) =>
      postgres ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('line_id', 'text')
    .addColumn('sku', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_by_type').on('events').columns(['type', 'seq']).execute();
  await db.schema.createIndex('events_by_order').on('events').columns(['order_id', 'seq']).execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_by_age').on('idempotency_keys').columns(['created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  const tables = [
    'idempotency_keys', 'events', 'shipment_lines', 'shipments', 'line_allocations', 'order_lines',
    'orders', 'receipt_lines', 'receipts', 'purchase_order_lines', 'purchase_orders',
    'stock_movements', 'stock_levels', 'locations', 'skus',
  ];
  for (const table of tables) await db.schema.dropTable(table).execute();
}
