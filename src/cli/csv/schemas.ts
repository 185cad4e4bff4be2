import { z } from 'zod';
import { quote } from '../../app/import/issues.js';
import type { ImportKind } from '../../app/import/plan.js';
import type { ColumnSpec, TableSpec } from '../../app/import/table.js';
import { skuBody } from '../../http/routes/catalog.js';
import { orderBody } from '../../http/routes/orders.js';
import { createBody as purchaseOrderBody } from '../../http/routes/purchase-orders.js';
import { adjustmentBody } from '../../http/routes/stock.js';

/**
 * The columns of each CSV kind. Every field is checked by the same zod
 * schema as the matching field of the API, taken from the route's body
 * schema, so a value the API rejects is rejected here with the same rule.
 */

const sku = skuBody.shape;
const stock = adjustmentBody.shape;
const purchaseOrder = purchaseOrderBody.shape;
const purchaseOrderLine = purchaseOrderBody.shape.lines.element.shape;
const order = orderBody.shape;
const orderLine = orderBody.shape.lines.element.shape;
const customer = orderBody.shape.customer.unwrap().shape;

/** An RFC 3339 timestamp with a UTC offset; the API has no such input, since it stamps orders itself. */
const timestamp = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp with a time zone, such as 2026-03-02T12:00:00Z' });

function column(name: string, rules: Omit<ColumnSpec, 'name'>): ColumnSpec {
  return { name, ...rules };
}

const skuCodeColumn = column('sku', { required: true, empty: 'reject', type: 'text', schema: stock.sku, expects: 'a SKU code' });

const locationColumn = column('location', {
  required: false,
  empty: 'omit',
  type: 'text',
  schema: stock.location.unwrap(),
  expects: 'a location code',
  emptyHint: 'leave it empty for main',
});

const skus: TableSpec = {
  kind: 'skus',
  columns: [
    skuCodeColumn,
    column('name', { required: false, empty: 'omit', type: 'text', schema: sku.name.unwrap(), expects: 'a name' }),
    column('policy', { required: true, empty: 'reject', type: 'text', schema: sku.policy, expects: 'one of stock_only, backorder, preorder, discontinued' }),
    column('backorder_limit', {
      required: false, empty: 'null', type: 'integer', schema: sku.backorder_limit.unwrap().unwrap(), expects: 'a whole number', emptyHint: 'leave it empty for no limit',
    }),
    column('low_stock_threshold', {
      required: false, empty: 'omit', type: 'integer', schema: sku.low_stock_threshold.unwrap(), expects: 'a whole number', emptyHint: 'leave it empty for 0',
    }),
    column('lead_time_days', {
      required: false, empty: 'null', type: 'integer', schema: sku.lead_time_days.unwrap().unwrap(), expects: 'a number of days', emptyHint: 'leave it empty when unknown',
    }),
    column('handling_days', {
      required: false, empty: 'omit', type: 'integer', schema: sku.handling_days.unwrap(), expects: 'a number of business days', emptyHint: 'leave it empty for 0',
    }),
    column('restock_date', { required: false, empty: 'null', type: 'text', schema: sku.restock_date.unwrap().unwrap(), expects: 'a date as YYYY-MM-DD' }),
    column('release_date', { required: false, empty: 'null', type: 'text', schema: sku.release_date.unwrap().unwrap(), expects: 'a date as YYYY-MM-DD' }),
  ],
  // The rules across fields (a backorder limit only on backorder and preorder) are the API's.
  checkRow(values) {
    // The code is the path parameter of PUT /v1/skus/{sku}, not a field of the body.
    const { sku: _code, ...body } = values;
    const result = skuBody.safeParse(body);
    if (result.success) return [];
    return result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'sku');
      return { column: name, message: `${quote(String(values[name] ?? ''))} ${issue.message}.` };
    });
  },
};

const stockLevels: TableSpec = {
  kind: 'stock',
  columns: [
    skuCodeColumn,
    locationColumn,
    column('on_hand', { required: true, empty: 'reject', type: 'integer', schema: stock.on_hand.unwrap(), expects: 'the counted number of units on hand' }),
    column('allocated', { required: false, empty: 'omit', type: 'text', schema: z.string(), expects: '', informational: true }),
    column('available', { required: false, empty: 'omit', type: 'text', schema: z.string(), expects: '', informational: true }),
  ],
};

const purchaseOrders: TableSpec = {
  kind: 'purchase-orders',
  columns: [
    column('reference', { required: true, empty: 'reject', type: 'text', schema: purchaseOrder.reference, expects: "the supplier's reference" }),
    locationColumn,
    column('expected_date', { required: true, empty: 'reject', type: 'text', schema: purchaseOrder.expected_date, expects: 'a date as YYYY-MM-DD' }),
    { ...skuCodeColumn, schema: purchaseOrderLine.sku },
    column('quantity', { required: true, empty: 'reject', type: 'integer', schema: purchaseOrderLine.quantity, expects: 'a whole number from 1 to 1,000,000' }),
  ],
};

const backorders: TableSpec = {
  kind: 'backorders',
  columns: [
    column('external_id', {
      required: true, empty: 'null', type: 'text', schema: order.external_id.unwrap().unwrap(), expects: "the store's order number",
      emptyHint: 'leave it empty for an order of one line',
    }),
    column('customer_email', { required: false, empty: 'null', type: 'text', schema: customer.email, expects: 'an e-mail address' }),
    { ...skuCodeColumn, schema: orderLine.sku },
    column('quantity', { required: true, empty: 'reject', type: 'integer', schema: orderLine.quantity, expects: 'the units still waiting, from 1 to 1,000,000' }),
    column('unit_price', {
      required: true, empty: 'reject', type: 'integer', schema: orderLine.unit_price, expects: "the price of one unit in the currency's minor units (1999 for 19.99)",
    }),
    column('currency', { required: true, empty: 'reject', type: 'text', schema: order.currency, expects: 'an ISO 4217 currency code such as USD' }),
    column('placed_at', { required: true, empty: 'reject', type: 'text', schema: timestamp, expects: 'the time the order was placed, such as 2026-03-02T12:00:00Z' }),
    column('priority', {
      required: false, empty: 'omit', type: 'integer', schema: order.priority.unwrap(), expects: 'a whole number from -1000 to 1000', emptyHint: 'leave it empty for 0',
    }),
    column('queue_position', { required: false, empty: 'omit', type: 'text', schema: z.string(), expects: '', informational: true }),
    column('promised_ship_date', { required: false, empty: 'omit', type: 'text', schema: z.string(), expects: '', informational: true }),
    column('estimated_ship_date', { required: false, empty: 'omit', type: 'text', schema: z.string(), expects: '', informational: true }),
  ],
};

export const IMPORT_SPECS: Record<ImportKind, TableSpec> = {
  skus,
  stock: stockLevels,
  'purchase-orders': purchaseOrders,
  backorders,
};

export const EXPORT_KINDS = ['skus', 'stock', 'purchase-orders', 'backorders', 'ledger'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** The header of each export; those of the import kinds are their import columns, so an export re-imports as it is. */
export const EXPORT_COLUMNS: Record<ExportKind, readonly string[]> = {
  skus: skus.columns.map((c) => c.name),
  stock: stockLevels.columns.map((c) => c.name),
  'purchase-orders': purchaseOrders.columns.map((c) => c.name),
  backorders: backorders.columns.map((c) => c.name),
  ledger: [
    'id', 'created_at', 'sku', 'location', 'kind', 'on_hand_delta', 'allocated_delta', 'reason',
    'order_id', 'line_id', 'purchase_order_id', 'receipt_id', 'shipment_id', 'return_id',
  ],
};
