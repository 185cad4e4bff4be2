import { padInList, updateByKey } from './bulk.js';
import type { Work } from './store.js';
import type { LocationRules, SkuRules, StockPolicy } from '../domain/types.js';
import type { Selectable } from 'kysely';
import type { LocationTable, SkuTable as SkuColumns } from './schema.js';

type SkuTable = Selectable<SkuColumns>;

/** A SKU row without its stored promise curve, which only promise sweeps read. */
export type LockedSku = Omit<SkuTable, 'promise_curve'>;

const LOCKED_SKU_COLUMNS = [
  'code', 'name', 'policy', 'backorder_limit', 'low_stock_threshold', 'lead_time_days', 'handling_days',
  'restock_date', 'release_date', 'backordered', 'components', 'created_at', 'updated_at',
] as const satisfies readonly (keyof LockedSku)[];

/** Converts a stored SKU row to the rules the domain decides with. */
export function skuRules(row: LockedSku): SkuRules {
  return {
    code: row.code,
    policy: row.policy as StockPolicy,
    backorderLimit: row.backorder_limit,
    lowStockThreshold: row.low_stock_threshold,
    releaseDate: row.release_date,
    backordered: row.backordered,
  };
}

export function locationRules(row: LocationTable): LocationRules {
  return {
    code: row.code,
    priority: row.priority,
    shipsTo: row.ships_to === null ? null : (JSON.parse(row.ships_to) as string[]),
    timeZone: row.time_zone,
  };
}

/**
 * Reads the SKU rows, and on PostgreSQL locks them, in code order. Every
 * write that changes a SKU's stock or queue locks its row first, so writers
 * of one SKU take turns and writers of several SKUs cannot deadlock.
 */
export async function lockSkus(work: Work, codes: Iterable<string>): Promise<Map<string, LockedSku>> {
  const sorted = [...new Set(codes)].sort();
  const found = new Map<string, LockedSku>();
  if (sorted.length === 0) return found;

  let query = work.db.selectFrom('skus').select(LOCKED_SKU_COLUMNS).where('code', 'in', padInList(sorted)).orderBy('code');
  if (work.postgres) query = query.forUpdate();
  for (const row of await query.execute()) found.set(row.code, row);
  return found;
}

/** Reads every location, keyed by code. */
export async function loadLocations(work: Work): Promise<Map<string, LocationTable>> {
  const rows = await work.db.selectFrom('locations').selectAll().execute();
  return new Map(rows.map((row) => [row.code, row]));
}

/** A stock level with its location's rules. */
export interface LevelRow {
  sku: string;
  location: string;
  onHand: number;
  allocated: number;
}

/**
 * Reads the stock levels of the SKUs, and on PostgreSQL locks them in
 * SKU-then-location order (after the SKU rows, by the same rule).
 */
export async function lockLevels(work: Work, skus: Iterable<string>): Promise<LevelRow[]> {
  const sorted = [...new Set(skus)].sort();
  if (sorted.length === 0) return [];

  let query = work.db
    .selectFrom('stock_levels')
    .select(['sku', 'location', 'on_hand', 'allocated'])
    .where('sku', 'in', padInList(sorted))
    .orderBy('sku')
    .orderBy('location');
  if (work.postgres) query = query.forUpdate();
  const rows = await query.execute();
  return rows.map((row) => ({ sku: row.sku, location: row.location, onHand: row.on_hand, allocated: row.allocated }));
}

/** Creates an empty stock level when the SKU has none at the location. */
export async function ensureLevel(work: Work, sku: string, location: string): Promise<void> {
  await work.db
    .insertInto('stock_levels')
    .values({ sku, location, on_hand: 0, allocated: 0, updated_at: work.nowIso })
    .onConflict((oc) => oc.columns(['sku', 'location']).doNothing())
    .execute();
}

/** Adds `delta` to a SKU's queue total. */
export async function addBackordered(work: Work, sku: string, delta: number): Promise<void> {
  if (delta === 0) return;
  await work.db
    .updateTable('skus')
    .set((eb) => ({ backordered: eb('backordered', '+', delta) }))
    .where('code', '=', sku)
    .execute();
}

/** Adds each SKU's delta to its queue total, with one UPDATE per 500 SKUs. */
export async function addBackorderedMany(work: Work, deltas: ReadonlyMap<string, number>): Promise<void> {
  const rows = new Map<string, number[]>();
  for (const [sku, delta] of deltas) if (delta !== 0) rows.set(sku, [delta]);
  if (rows.size === 0) return;
  await updateByKey(work, { table: 'skus', key: 'code', columns: [{ name: 'backordered', type: 'integer', mode: 'add' }] }, rows);
}
