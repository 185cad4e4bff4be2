import { availabilityFor, type Availability } from '../domain/availability.js';
import { availableAt } from '../domain/allocation.js';
import { effectivePolicy, shipsTo } from '../domain/policy.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { locationRules, skuRules } from '../store/rows.js';
import { notFound } from './errors.js';
import { shipDateForNewUnits } from './ship-dates.js';
import type { ShipsByBasis } from '../domain/promise.js';

export interface AvailabilityQuery {
  sku: string;
  quantity?: number;
  /** Counts only the locations that ship to this ISO 3166 country. */
  country?: string | null;
}

export interface AvailabilityView extends Availability {
  sku: string;
  policy: string;
  shipsBy: string | null;
  shipsByBasis: ShipsByBasis;
  restockDate: string | null;
  /** Today at the location `main`. */
  today: string;
}

/**
 * Reads what a product page may say for a SKU and quantity now: summed over
 * the locations that may ship to the country, each counted once.
 */
export async function readAvailability(db: Kysely<Database>, query: AvailabilityQuery, now: Date): Promise<AvailabilityView> {
  const row = await db.selectFrom('skus').selectAll().where('code', '=', query.sku).executeTakeFirst();
  if (!row) throw notFound(`SKU ${query.sku} was not found.`);

  const locations = (await db.selectFrom('locations').selectAll().execute())
    .map(locationRules)
    .filter((location) => shipsTo(location, query.country));
  const counted = new Set(locations.map((l) => l.code));
  const levels = await db
    .selectFrom('stock_levels')
    .select(['location', 'on_hand', 'allocated'])
    .where('sku', '=', query.sku)
    .execute();
  const available = levels
    .filter((level) => counted.has(level.location))
    .reduce((sum, level) => sum + availableAt({ onHand: level.on_hand, allocated: level.allocated }), 0);

  const rules = skuRules(row);
  const policy = effectivePolicy(rules, now, locations);
  const quantity = query.quantity ?? 1;
  const result = availabilityFor({ sku: rules, policy, available, quantity });

  const dates = await shipDateForNewUnits(db, now, query.sku, quantity, query.country ?? null);
  const shipDate = result.orderable && dates ? dates.shipDate : null;
  return {
    sku: query.sku,
    policy,
    ...result,
    shipsBy: shipDate?.date ?? null,
    shipsByBasis: shipDate?.basis ?? 'unknown',
    restockDate: result.status === 'discontinued' ? null : (dates?.restockDate ?? null),
    today: dates?.today ?? now.toISOString().slice(0, 10),
  };
}
