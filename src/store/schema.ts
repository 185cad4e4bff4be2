import type { Generated } from 'kysely';

/**
 * Row types of every table, as Kysely sees them. Timestamps are RFC 3339 UTC
 * text with milliseconds, so they sort as text on both databases; calendar
 * dates are `YYYY-MM-DD` text; JSON columns are text; money is integer minor
 * units.
 */
export interface Database {
  skus: SkuTable;
  locations: LocationTable;
  stock_levels: StockLevelTable;
  stock_movements: StockMovementTable;
  purchase_orders: PurchaseOrderTable;
  purchase_order_lines: PurchaseOrderLineTable;
  receipts: ReceiptTable;
  receipt_lines: ReceiptLineTable;
  orders: OrderTable;
  order_lines: OrderLineTable;
  line_allocations: LineAllocationTable;
  shipments: ShipmentTable;
  shipment_lines: ShipmentLineTable;
  returns: ReturnTable;
  return_lines: ReturnLineTable;
  events: EventTable;
  idempotency_keys: IdempotencyKeyTable;
}

export interface SkuTable {
  code: string;
  name: string;
  policy: string;
  backorder_limit: number | null;
  low_stock_threshold: number;
  lead_time_days: number | null;
  handling_days: number;
  restock_date: string | null;
  release_date: string | null;
  /** Units waiting in the SKU's backorder queue: the sum of its lines' `backordered`. */
  backordered: number;
  /** JSON of the last promise sweep's supply curve; null until the first sweep. */
  promise_curve: Generated<string | null>;
  /** JSON array of `{ sku, quantity }`, the units of each component per kit; null for a SKU that is not a kit. */
  components: Generated<string | null>;
  created_at: string;
  updated_at: string;
}

export interface LocationTable {
  code: string;
  name: string;
  time_zone: string;
  /** JSON array of ISO weekday numbers, 1 = Monday. */
  working_days: string;
  /** JSON array of `YYYY-MM-DD` dates. */
  holidays: string;
  receiving_days: number;
  /** JSON array of ISO 3166 country codes, or null for everywhere. */
  ships_to: string | null;
  priority: number;
  created_at: string;
  updated_at: string;
}

export interface StockLevelTable {
  sku: string;
  location: string;
  on_hand: number;
  allocated: number;
  updated_at: string;
}

export interface StockMovementTable {
  id: string;
  sku: string;
  location: string;
  kind: string;
  on_hand_delta: number;
  allocated_delta: number;
  order_id: string | null;
  line_id: string | null;
  purchase_order_id: string | null;
  receipt_id: string | null;
  shipment_id: string | null;
  return_id: string | null;
  reason: string | null;
  created_at: string;
}

export interface PurchaseOrderTable {
  id: string;
  reference: string;
  location: string;
  expected_date: string;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface PurchaseOrderLineTable {
  id: string;
  purchase_order_id: string;
  position: number;
  sku: string;
  quantity: number;
  received: number;
  /** Copied from the purchase order so that inbound supply reads from one index. */
  open: number;
}

export interface ReceiptTable {
  id: string;
  purchase_order_id: string;
  location: string;
  created_at: string;
}

export interface ReceiptLineTable {
  receipt_id: string;
  position: number;
  purchase_order_line_id: string;
  sku: string;
  quantity: number;
}

export interface OrderTable {
  id: string;
  external_id: string | null;
  customer_email: string | null;
  customer_name: string | null;
  customer_locale: string | null;
  currency: string;
  ship_policy: string;
  shipping_country: string | null;
  capture: string;
  priority: number;
  status: string;
  captured: number;
  refunded: number;
  /** When the order was released for fulfillment; null while it is held. */
  ready_to_ship_at: string | null;
  placed_at: string;
  updated_at: string;
}

export interface OrderLineTable {
  id: string;
  order_id: string;
  position: number;
  sku: string;
  quantity: number;
  unit_price: number;
  allocated: number;
  /** Units no stock is bound to yet: quantity − allocated − shipped − cancelled. */
  backordered: number;
  shipped: number;
  cancelled: number;
  /** Cancelled or returned units whose payment went back to the customer. */
  refunded_units: number;
  /** Shipped units that came back; they still count as shipped. */
  returned: Generated<number>;
  /** Money captured for this line, in minor units; the order's `captured` is the sum over its lines. */
  captured: Generated<number>;
  /** Money refunded for this line, in minor units; the order's `refunded` is the sum over its lines. */
  refunded: Generated<number>;
  status: string;
  /** Queue keys copied from the order so that the queue reads from one index. */
  priority: number;
  placed_at: string;
  shipping_country: string | null;
  promised_ship_date: string | null;
  estimated_ship_date: string | null;
  ship_date_basis: string | null;
  /** For a component line of a kit: the kit's line, which carries the money. Null for every other line. */
  kit_line_id: Generated<string | null>;
}

export interface LineAllocationTable {
  line_id: string;
  location: string;
  order_id: string;
  sku: string;
  quantity: number;
  placed_at: string;
  /** Monotonic stamp of the latest allocation, so releases take the newest first. */
  allocated_at: string;
}

export interface ShipmentTable {
  id: string;
  order_id: string;
  location: string;
  carrier: string | null;
  tracking_number: string | null;
  created_at: string;
}

export interface ShipmentLineTable {
  shipment_id: string;
  line_id: string;
  sku: string;
  quantity: number;
  /** The line's unit price when these units shipped: what a return of them refunds. */
  unit_price: number;
  /** Units of this shipment that came back. */
  returned: number;
  /** Returned units of this shipment whose payment went back to the customer. */
  refunded_units: number;
}

export interface ReturnTable {
  id: string;
  order_id: string;
  /** 1 when the returned units went back on hand, else 0. */
  restock: number;
  /** 1 when the returned units were refunded, else 0. */
  refund: number;
  refund_amount: number;
  reason: string | null;
  created_at: string;
}

/** The units of one shipment line that a return brought back. */
export interface ReturnLineTable {
  return_id: string;
  shipment_id: string;
  line_id: string;
  sku: string;
  /** The location the units shipped from, where a restock puts them. */
  location: string;
  quantity: number;
  refund_amount: number;
}

export interface EventTable {
  id: string;
  seq: Generated<number>;
  type: string;
  order_id: string | null;
  line_id: string | null;
  sku: string | null;
  data: string;
  created_at: string;
}

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  fingerprint: string;
  status_code: number;
  response: string;
  created_at: string;
}
