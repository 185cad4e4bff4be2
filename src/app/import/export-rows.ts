import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

type Reader = Kysely<Database>;

/** One CSV record: column name to cell value; null is written as an empty cell. */
export type ExportRecord = Record<string, string | number | null>;

const PAGE = 1000;

/** Yields every SKU with its rules, by code: the columns of a skus import. */
export async function* skuRecords(db: Reader): AsyncGenerator<ExportRecord> {
  let after: string | undefined;
  for (;;) {
    let query = db.selectFrom('skus').selectAll().orderBy('code').limit(PAGE);
    if (after !== undefined) query = query.where('code', '>', after);
    const rows = await query.execute();
    for (const row of rows) {
      yield {
        sku: row.code,
        name: row.name,
        policy: row.policy,
        backorder_limit: row.backorder_limit,
        low_stock_threshold: row.low_stock_threshold,
        lead_time_days: row.lead_time_days,
        handling_days: row.handling_days,
        restock_date: row.restock_date,
        release_date: row.release_date,
      };
    }
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.code;
  }
}

/** Yields every stock level by SKU and location, with what is allocated and available there. */
export async function* stockRecords(db: Reader): AsyncGenerator<ExportRecord> {
  let after: { sku: string; location: string } | undefined;
  for (;;) {
    let query = db
      .selectFrom('stock_levels')
      .select(['sku', 'location', 'on_hand', 'allocated'])
      .orderBy('sku')
      .orderBy('location')
      .limit(PAGE);
    if (after !== undefined) {
      const { sku, location } = after;
      query = query.where((eb) => eb.or([eb('sku', '>', sku), eb.and([eb('sku', '=', sku), eb('location', '>', location)])]));
    }
    const rows = await query.execute();
    for (const row of rows) {
      yield { sku: row.sku, location: row.location, on_hand: row.on_hand, allocated: row.allocated, available: Math.max(0, row.on_hand - row.allocated) };
    }
    if (rows.length < PAGE) return;
    after = rows.at(-1)!;
  }
}

/**
 * Yields one record per open purchase-order line with units still to come,
 * by expected date and reference. `quantity` is the outstanding quantity
 * (ordered − received), so a re-import restores the same inbound supply.
 */
export async function* purchaseOrderRecords(db: Reader): AsyncGenerator<ExportRecord> {
  const rows = await db
    .selectFrom('purchase_order_lines')
    .innerJoin('purchase_orders', 'purchase_orders.id', 'purchase_order_lines.purchase_order_id')
    .select([
      'purchase_orders.reference',
      'purchase_orders.location',
      'purchase_orders.expected_date',
      'purchase_order_lines.sku',
      'purchase_order_lines.quantity',
      'purchase_order_lines.received',
    ])
    .where('purchase_order_lines.open', '=', 1)
    .whereRef('purchase_order_lines.quantity', '>', 'purchase_order_lines.received')
    .orderBy('purchase_orders.expected_date')
    .orderBy('purchase_orders.reference')
    .orderBy('purchase_orders.id')
    .orderBy('purchase_order_lines.position')
    .execute();
  for (const row of rows) {
    yield { reference: row.reference, location: row.location, expected_date: row.expected_date, sku: row.sku, quantity: row.quantity - row.received };
  }
}

/**
 * Yields every open backorder line, SKU by SKU, each SKU's queue in queue
 * order with its 1-based queue position. `quantity` is the units still
 * waiting, so a re-import on an empty database rebuilds the same queues.
 */
export async function* backorderRecords(db: Reader): AsyncGenerator<ExportRecord> {
  const skus = await db.selectFrom('skus').select('code').where('backordered', '>', 0).orderBy('code').execute();
  for (const { code } of skus) {
    const lines = await db
      .selectFrom('order_lines')
      .innerJoin('orders', 'orders.id', 'order_lines.order_id')
      .select([
        'orders.external_id',
        'orders.customer_email',
        'order_lines.sku',
        'order_lines.backordered',
        'order_lines.unit_price',
        'orders.currency',
        'order_lines.placed_at',
        'order_lines.priority',
        'order_lines.promised_ship_date',
        'order_lines.estimated_ship_date',
      ])
      .where('order_lines.sku', '=', code)
      .where('order_lines.backordered', '>', 0)
      .orderBy('order_lines.priority', 'desc')
      .orderBy('order_lines.placed_at')
      .orderBy('order_lines.id')
      .execute();
    for (const [index, line] of lines.entries()) {
      yield {
        external_id: line.external_id,
        customer_email: line.customer_email,
        sku: line.sku,
        quantity: line.backordered,
        unit_price: line.unit_price,
        currency: line.currency,
        placed_at: line.placed_at,
        priority: line.priority,
        queue_position: index + 1,
        promised_ship_date: line.promised_ship_date,
        estimated_ship_date: line.estimated_ship_date,
      };
    }
  }
}

/** Yields the stock ledger in the order it was recorded (movement ids are time-ordered), for one SKU or all. */
export async function* ledgerRecords(db: Reader, sku?: string): AsyncGenerator<ExportRecord> {
  let after: string | undefined;
  for (;;) {
    let query = db.selectFrom('stock_movements').selectAll().orderBy('id').limit(PAGE);
    if (sku !== undefined) query = query.where('sku', '=', sku);
    if (after !== undefined) query = query.where('id', '>', after);
    const rows = await query.execute();
    for (const row of rows) {
      yield {
        id: row.id,
        created_at: row.created_at,
        sku: row.sku,
        location: row.location,
        kind: row.kind,
        on_hand_delta: row.on_hand_delta,
        allocated_delta: row.allocated_delta,
        reason: row.reason,
        order_id: row.order_id,
        line_id: row.line_id,
        purchase_order_id: row.purchase_order_id,
        receipt_id: row.receipt_id,
        shipment_id: row.shipment_id,
        return_id: row.return_id,
      };
    }
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.id;
  }
}
