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
  webhook_endpoints: WebhookEndpointTable;
  deliveries: DeliveryTable;
  back_in_stock_subscriptions: BackInStockSubscriptionTable;
  refunds: RefundTable;
  delay_notices: DelayNoticeTable;
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
  /** The date in force once a delay was accepted; null while the first promise holds. */
  ship_by_date: Generated<string | null>;
  /** `notified` while a delay notice waits for its answer, `indefinite` after a delay with no date was accepted, else null. */
  delay_state: Generated<string | null>;
  /** Delay notices sent for the line so far. */
  delay_notices: Generated<number>;
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
  /** When the outbox planned the event's deliveries; null until then. */
  dispatched_at: Generated<string | null>;
  /** The error that stopped this event's deliveries from being planned, so it was set aside; null for every planned event. */
  plan_error: Generated<string | null>;
}

export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  fingerprint: string;
  status_code: number;
  response: string;
  created_at: string;
}

export interface WebhookEndpointTable {
  id: string;
  url: string;
  /** JSON array of event types, or `["*"]` for every type. */
  events: string;
  /** The HMAC-SHA256 key of the `Restock-Signature` header. */
  secret: string;
  /** The secret before the last rotation; deliveries carry its signature too until `previous_secret_expires_at`. */
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  /** 1 while the endpoint receives deliveries; 0 once deleted. */
  active: number;
  created_at: string;
  updated_at: string;
}

/** One message for one event: to a webhook endpoint, or one e-mail to one recipient from one template. */
export interface DeliveryTable {
  id: string;
  event_id: string;
  channel: string;
  endpoint_id: string | null;
  recipient: string | null;
  template: string | null;
  /** `pending`, `delivered` or `dead`. */
  status: string;
  /** Attempts started so far, counted when a worker claims the delivery. */
  attempts: number;
  next_attempt_at: string;
  /** The end of the lease of the worker sending it; null when no worker holds it. */
  locked_until: string | null;
  last_error: string | null;
  /** The HTTP status of the last webhook response, when there was one. */
  last_status: number | null;
  created_at: string;
  delivered_at: string | null;
}

/** A shopper's request to be e-mailed once when a SKU is back in stock; pending while both timestamps are null. */
export interface BackInStockSubscriptionTable {
  id: string;
  sku: string;
  /** Lower case, so one address subscribes once per SKU. */
  email: string;
  created_at: string;
  /** When the subscriber was included in a `sku.back_in_stock` wave. */
  notified_at: string | null;
  unsubscribed_at: string | null;
}

/** A refund requested from the payment system; due within 7 working days of the request. */
export interface RefundTable {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  reason: string;
  /** `requested` until the payment system confirms it, then `completed`. */
  status: string;
  requested_at: string;
  /** The last day it may be paid: 7 working days of the main location after the request. */
  due_by: string;
  completed_at: string | null;
  /** The payment system's id of the refund, when it gave one. */
  provider_reference: string | null;
}

/** A delay notice sent to a customer, and the customer's answer. */
export interface DelayNoticeTable {
  id: string;
  order_id: string;
  /** 1 for the order's first notice, then counting up. */
  notice_number: number;
  /** `first`, or `renewed` when a delay was already accepted for these lines. */
  notice: string;
  /** `silence`: no answer accepts the delay; `explicit`: no answer cancels the units. */
  consent: string;
  /** The last day to answer. */
  respond_by: string;
  /** The latest revised date of its lines; null when none can be given. */
  revised_date: string | null;
  /** The reason no revised date can be given, or the reason the notice is late. */
  reason: string | null;
  /** 1 when the slip was found only on or after the date in force. */
  late: number;
  /** JSON array of `{ line_id, sku, quantity, promised_date, revised_date }`. */
  lines: string;
  sent_at: string;
  /**
   * The notice's outcome, null while open. `accepted` or `cancelled` by the customer; `lapsed` when the deadline
   * passed without a reply; `resolved` when its lines stopped slipping before a reply was needed.
   */
  answer: string | null;
  answered_at: string | null;
}
