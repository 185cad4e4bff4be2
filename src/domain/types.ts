/** Vocabulary types shared by the domain functions. Quantities are whole units. */

export const STOCK_POLICIES = ['stock_only', 'backorder', 'preorder', 'discontinued'] as const;
export type StockPolicy = (typeof STOCK_POLICIES)[number];

export const SHIP_POLICIES = ['ship_partial', 'ship_complete'] as const;
export type ShipPolicy = (typeof SHIP_POLICIES)[number];

export const CAPTURE_MODES = ['upfront', 'on_ship'] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

export type LineStatus =
  | 'allocated'
  | 'partially_backordered'
  | 'backordered'
  | 'partially_shipped'
  | 'shipped'
  | 'cancelled';

export type AvailabilityStatus = 'in_stock' | 'low_stock' | 'backorder' | 'preorder' | 'out_of_stock' | 'discontinued';

export type RejectionReason = 'insufficient_stock' | 'backorder_limit_reached' | 'discontinued' | 'unknown_sku';

/** The rules of one SKU that decide what can be ordered. */
export interface SkuRules {
  code: string;
  policy: StockPolicy;
  /** Null means no limit. */
  backorderLimit: number | null;
  lowStockThreshold: number;
  releaseDate: string | null;
  /** Units in the SKU's backorder queue now. */
  backordered: number;
}

/** A location as allocation sees it. */
export interface LocationRules {
  code: string;
  priority: number;
  /** ISO 3166 country codes, or null for everywhere. */
  shipsTo: readonly string[] | null;
  timeZone: string;
}

/** Stock of one SKU at one location. */
export interface LevelState {
  location: LocationRules;
  onHand: number;
  allocated: number;
}

/** The unit counts of an order line. */
export interface LineCounts {
  quantity: number;
  allocated: number;
  backordered: number;
  shipped: number;
  cancelled: number;
}

export interface LocationQuantity {
  location: string;
  quantity: number;
}
