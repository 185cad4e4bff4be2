/**
 * Bench data written in bulk: consistent rows that pass the invariant check,
 * so that setting up 10,000 SKUs or a 100,000-line queue takes seconds
 * instead of one engine transaction each.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import { loadPromiseLocations, loadSweepInput } from '../src/app/promises.js';
import { createPurchaseOrder } from '../src/app/purchase-orders.js';
import { sweepPromises, type ShipDate } from '../src/domain/promise.js';
import type { Database } from '../src/store/schema.js';
import type { Store } from '../src/store/store.js';

const SEED_CHUNK = 1000;
const SEED_TIME = '2026-01-05T09:00:00.000Z';

async function insertChunked<T extends keyof Database & string>(
  db: Transaction<Database>,
  table: T,
  rows: Insertable<Database[T]>[],
): Promise<void> {
  // SQLite allows 32,766 bound parameters per statement, and the widest row here has 21.
  for (let start = 0; start < rows.length; start += SEED_CHUNK) {
    await db.insertInto(table).values(rows.slice(start, start + SEED_CHUNK) as never).execute();
  }
}

function skuRow(code: string, policy: string, backordered: number): Insertable<Database['skus']> {
  return {
    code,
    name: `Bench ${code}`,
    policy,
    backorder_limit: null,
    low_stock_threshold: 0,
    lead_time_days: null,
    handling_days: 0,
    restock_date: null,
    release_date: null,
    backordered,
    created_at: SEED_TIME,
    updated_at: SEED_TIME,
  };
}

/**
 * Creates `stock_only` SKUs with `onHand` units each at location `main`,
 * with the adjustment movements that the ledger invariant needs.
 */
export async function seedStockedSkus(db: Kysely<Database>, codes: readonly string[], onHand: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await insertChunked(tx, 'skus', codes.map((code) => skuRow(code, 'stock_only', 0)));
    await insertChunked(
      tx,
      'stock_levels',
      codes.map((sku) => ({ sku, location: 'main', on_hand: onHand, allocated: 0, updated_at: SEED_TIME })),
    );
    await insertChunked(
      tx,
      'stock_movements',
      codes.map((sku, index) => ({
        id: `mov_seed_${String(index).padStart(8, '0')}`,
        sku,
        location: 'main',
        kind: 'adjustment',
        on_hand_delta: onHand,
        allocated_delta: 0,
        order_id: null,
        line_id: null,
        purchase_order_id: null,
        receipt_id: null,
        shipment_id: null,
        reason: 'bench seed',
        created_at: SEED_TIME,
      })),
    );
  });
}

/**
 * Creates a `backorder` SKU with nothing on hand, an open purchase order for
 * `inbound` units of it, and `lines` one-unit orders waiting for it, placed
 * one second apart in queue order. Each order and its line are
 * `backordered` and paid up front, the SKU's queue total matches, and each
 * line carries the ship date the engine's promise sweep gives it, as if it
 * had been promised when placed. Returns the purchase order's id.
 */
export async function seedQueue(
  store: Store,
  sku: string,
  lines: number,
  inbound: { quantity: number; expectedDate: string },
): Promise<string> {
  await store.db.transaction().execute(async (tx) => {
    await insertChunked(tx, 'skus', [skuRow(sku, 'backorder', 0)]);
    await insertChunked(tx, 'stock_levels', [{ sku, location: 'main', on_hand: 0, allocated: 0, updated_at: SEED_TIME }]);
  });

  // The purchase order is created while the queue is still empty, because on
  // a full queue its promise sweep would rewrite every line, one statement each.
  const purchaseOrderId = await store.transaction((work) =>
    createPurchaseOrder(work, { reference: 'BENCH-RECEIPTS', expectedDate: inbound.expectedDate, lines: [{ sku, quantity: inbound.quantity }] }),
  );

  const start = Date.parse(SEED_TIME);
  const ids = Array.from({ length: lines }, (_, index) => String(index).padStart(8, '0'));
  const placedAt = (index: number) => new Date(start + index * 1000).toISOString();
  const dates = await promiseDates(store, sku, ids.map((id) => `line_seed_${id}`));

  await store.db.transaction().execute(async (tx) => {
    await insertChunked(tx, 'orders', ids.map((id, index) => queuedOrderRow(id, placedAt(index))));
    await insertChunked(
      tx,
      'order_lines',
      ids.map((id, index) => queuedLineRow(id, sku, placedAt(index), dates[index]!)),
    );
    await tx.updateTable('skus').set({ backordered: lines }).where('code', '=', sku).execute();
  });
  return purchaseOrderId;
}

/** Computes the dates the engine's promise sweep gives these one-unit lines, queued in this order. */
async function promiseDates(store: Store, sku: string, lineIds: string[]): Promise<ShipDate[]> {
  const locations = await loadPromiseLocations(store.db);
  const input = await loadSweepInput(store.db, store.clock(), sku, locations);
  if (!input) throw new Error(`SKU ${sku} was not found after seeding it.`);

  const queue = lineIds.map((id) => ({ id, backordered: 1, shippingCountry: null }));
  return sweepPromises({ ...input, queue }).lines;
}

function queuedOrderRow(id: string, placedAt: string): Insertable<Database['orders']> {
  return {
    id: `ord_seed_${id}`,
    external_id: null,
    customer_email: `buyer${id}@example.com`,
    customer_name: null,
    customer_locale: null,
    currency: 'USD',
    ship_policy: 'ship_partial',
    shipping_country: null,
    capture: 'upfront',
    priority: 0,
    status: 'backordered',
    captured: 1000,
    refunded: 0,
    ready_to_ship_at: null,
    placed_at: placedAt,
    updated_at: placedAt,
  };
}

function queuedLineRow(id: string, sku: string, placedAt: string, date: ShipDate): Insertable<Database['order_lines']> {
  return {
    id: `line_seed_${id}`,
    order_id: `ord_seed_${id}`,
    position: 0,
    sku,
    quantity: 1,
    unit_price: 1000,
    allocated: 0,
    backordered: 1,
    shipped: 0,
    cancelled: 0,
    refunded_units: 0,
    returned: 0,
    captured: 1000,
    refunded: 0,
    status: 'backordered',
    priority: 0,
    placed_at: placedAt,
    shipping_country: null,
    promised_ship_date: date.date,
    estimated_ship_date: date.date,
    ship_date_basis: date.basis,
  };
}
