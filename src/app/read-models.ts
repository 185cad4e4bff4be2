import { availableAt } from '../domain/allocation.js';
import type { Kysely, Selectable } from 'kysely';
import type { Database, OrderLineTable } from '../store/schema.js';
import { notFound } from './errors.js';
import type { Work } from '../store/store.js';
import type { CaptureMode, LineStatus, ShipPolicy, StockPolicy } from '../domain/types.js';
import type { ShipsByBasis } from '../domain/promise.js';
import { kitLineCounts, type KitComponent } from '../domain/kits.js';
import { parseComponents } from './kits.js';

type Reader = Kysely<Database>;

export interface OrderLineView {
  id: string;
  sku: string;
  quantity: number;
  unit_price: number;
  allocated: number;
  backordered: number;
  shipped: number;
  cancelled: number;
  /** Shipped units that came back; they still count in `shipped`. */
  returned: number;
  status: LineStatus;
  promised_ship_date: string | null;
  /**
   * The date in force: the revised date accepted after a delay notice (by the customer or by silence), else
   * `promised_ship_date`. Null with neither, and after the customer accepted a delay that gave no date.
   */
  ship_by_date: string | null;
  estimated_ship_date: string | null;
  ship_date_basis: ShipsByBasis | null;
  queue_position: number | null;
  /** For a component line of a kit: the kit's line. Null for every other line. */
  kit_line_id: string | null;
}

export interface OrderView {
  id: string;
  external_id: string | null;
  status: LineStatus;
  placed_at: string;
  currency: string;
  ship_policy: ShipPolicy;
  shipping_country: string | null;
  priority: number;
  ready_to_ship: boolean;
  customer: { email: string | null; name: string | null; locale: string | null };
  lines: OrderLineView[];
  payment: { capture: CaptureMode; captured: number; refunded: number };
}

/** Reads an order inside the transaction that just changed it, after its promise dates are written. */
export async function readOrderAfterWrite(work: Work, orderId: string): Promise<OrderView> {
  await work.settle();
  return readOrder(work.db, orderId);
}

/** Reads an order as the API shows it, with each waiting line's place in its queue. */
export async function readOrder(db: Reader, orderId: string): Promise<OrderView> {
  const order = await db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirst();
  if (!order) throw notFound(`Order ${orderId} was not found.`);

  const lines = await db.selectFrom('order_lines').selectAll().where('order_id', '=', orderId).orderBy('position').execute();
  const views: OrderLineView[] = [];
  for (const line of lines) {
    const components = lines.filter((other) => other.kit_line_id === line.id);
    if (components.length > 0) {
      views.push(kitLineView(line, components));
      continue;
    }
    views.push({
      id: line.id,
      sku: line.sku,
      quantity: line.quantity,
      unit_price: line.unit_price,
      allocated: line.allocated,
      backordered: line.backordered,
      shipped: line.shipped,
      cancelled: line.cancelled,
      returned: line.returned,
      status: line.status as LineStatus,
      promised_ship_date: line.promised_ship_date,
      ship_by_date: shipByDate(line, line.promised_ship_date),
      estimated_ship_date: line.estimated_ship_date,
      ship_date_basis: line.ship_date_basis as ShipsByBasis | null,
      queue_position: line.backordered > 0 ? await queuePosition(db, line) : null,
      kit_line_id: line.kit_line_id,
    });
  }

  return {
    id: order.id,
    external_id: order.external_id,
    status: order.status as LineStatus,
    placed_at: order.placed_at,
    currency: order.currency,
    ship_policy: order.ship_policy as ShipPolicy,
    shipping_country: order.shipping_country,
    priority: order.priority,
    ready_to_ship: order.ready_to_ship_at !== null,
    customer: { email: order.customer_email, name: order.customer_name, locale: order.customer_locale },
    lines: views,
    payment: { capture: order.capture as CaptureMode, captured: order.captured, refunded: order.refunded },
  };
}

type LineRow = Selectable<OrderLineTable>;

/**
 * Shows a kit line in kits: allocated when every component has the units
 * allocated, backordered otherwise. Its dates are the latest of its
 * components' (unknown when any is), since a kit ships whole. It is never
 * in a queue itself: its component lines are.
 */
function kitLineView(line: LineRow, components: LineRow[]): OrderLineView {
  const counts = kitLineCounts(line, components);
  const latest = (dates: (string | null)[]) => (dates.some((date) => date === null) ? null : dates.sort().at(-1)!);
  const estimated = latest(components.map((c) => c.estimated_ship_date));
  const basis = components.find((c) => c.estimated_ship_date === estimated)?.ship_date_basis ?? null;
  const promised = latest(components.map((c) => c.promised_ship_date));
  return {
    id: line.id,
    sku: line.sku,
    quantity: line.quantity,
    unit_price: line.unit_price,
    allocated: counts.allocated,
    backordered: counts.backordered,
    shipped: line.shipped,
    cancelled: line.cancelled,
    returned: line.returned,
    status: line.status as LineStatus,
    promised_ship_date: promised,
    ship_by_date: shipByDate(line, promised),
    estimated_ship_date: estimated,
    ship_date_basis: estimated === null ? null : (basis as ShipsByBasis | null),
    queue_position: null,
    kit_line_id: null,
  };
}

function shipByDate(line: Pick<LineRow, 'ship_by_date' | 'delay_state'>, promised: string | null): string | null {
  if (line.delay_state === 'indefinite') return null;
  return line.ship_by_date ?? promised;
}

/** Returns the 1-based place of a waiting line in its SKU's queue. */
export async function queuePosition(
  db: Reader,
  line: { id: string; sku: string; priority: number; placed_at: string },
): Promise<number> {
  const row = await db
    .selectFrom('order_lines')
    .select((eb) => eb.fn.countAll<number>().as('ahead'))
    .where('sku', '=', line.sku)
    .where('backordered', '>', 0)
    .where((eb) =>
      eb.or([
        eb('priority', '>', line.priority),
        eb.and([eb('priority', '=', line.priority), eb('placed_at', '<', line.placed_at)]),
        eb.and([eb('priority', '=', line.priority), eb('placed_at', '=', line.placed_at), eb('id', '<', line.id)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.ahead) + 1;
}

export interface QueueEntry {
  order_id: string;
  line_id: string;
  backordered: number;
  queue_position: number;
  promised_ship_date: string | null;
  estimated_ship_date: string | null;
  placed_at: string;
  priority: number;
}

/** Reads a SKU's backorder queue in allocation order. */
export async function readQueue(db: Reader, sku: string, limit = 1000, offset = 0): Promise<QueueEntry[]> {
  const rows = await db
    .selectFrom('order_lines')
    .select(['order_id', 'id', 'backordered', 'promised_ship_date', 'estimated_ship_date', 'placed_at', 'priority'])
    .where('sku', '=', sku)
    .where('backordered', '>', 0)
    .orderBy('priority', 'desc')
    .orderBy('placed_at')
    .orderBy('id')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((row, index) => ({
    order_id: row.order_id,
    line_id: row.id,
    backordered: row.backordered,
    queue_position: offset + index + 1,
    promised_ship_date: row.promised_ship_date,
    estimated_ship_date: row.estimated_ship_date,
    placed_at: row.placed_at,
    priority: row.priority,
  }));
}

export interface LevelView {
  sku: string;
  location: string;
  on_hand: number;
  allocated: number;
  available: number;
}

export async function readLevels(db: Reader, sku: string): Promise<LevelView[]> {
  const rows = await db
    .selectFrom('stock_levels')
    .select(['sku', 'location', 'on_hand', 'allocated'])
    .where('sku', '=', sku)
    .orderBy('location')
    .execute();
  return rows.map((row) => ({ ...row, available: availableAt({ onHand: row.on_hand, allocated: row.allocated }) }));
}

export interface SkuView {
  code: string;
  name: string;
  policy: StockPolicy;
  backorder_limit: number | null;
  low_stock_threshold: number;
  lead_time_days: number | null;
  handling_days: number;
  restock_date: string | null;
  release_date: string | null;
  /** The units of each component per kit; null for a SKU that is not a kit. */
  components: KitComponent[] | null;
  on_hand: number;
  allocated: number;
  available: number;
  backordered: number;
  inbound: number;
}

/**
 * Reads a SKU with its stock summed over locations and its open inbound
 * supply. A kit holds no stock, queue or inbound of its own, so for a kit
 * only `available` is non-zero: the kits its components' available units
 * make up.
 */
export async function readSku(db: Reader, code: string): Promise<SkuView> {
  const sku = await db.selectFrom('skus').selectAll().where('code', '=', code).executeTakeFirst();
  if (!sku) throw notFound(`SKU ${code} was not found.`);
  const components = parseComponents(sku.components);

  const levels = await readLevels(db, code);
  const inbound = await db
    .selectFrom('purchase_order_lines')
    .select(['quantity', 'received'])
    .where('sku', '=', code)
    .where('open', '=', 1)
    .execute();

  return {
    code: sku.code,
    name: sku.name,
    policy: sku.policy as StockPolicy,
    backorder_limit: sku.backorder_limit,
    low_stock_threshold: sku.low_stock_threshold,
    lead_time_days: sku.lead_time_days,
    handling_days: sku.handling_days,
    restock_date: sku.restock_date,
    release_date: sku.release_date,
    components,
    on_hand: levels.reduce((sum, l) => sum + l.on_hand, 0),
    allocated: levels.reduce((sum, l) => sum + l.allocated, 0),
    available: components ? await kitsAvailable(db, components) : levels.reduce((sum, l) => sum + l.available, 0),
    backordered: sku.backordered,
    inbound: inbound.reduce((sum, l) => sum + Math.max(0, l.quantity - l.received), 0),
  };
}

/** Counts the kits that the components' available units make up, summed over every location. */
async function kitsAvailable(db: Reader, components: readonly KitComponent[]): Promise<number> {
  let kits = Number.MAX_SAFE_INTEGER;
  for (const component of components) {
    const available = (await readLevels(db, component.sku)).reduce((sum, level) => sum + level.available, 0);
    kits = Math.min(kits, Math.floor(available / component.quantity));
  }
  return kits;
}
