import { availabilityFor, type Availability } from '../domain/availability.js';
import { availableAt } from '../domain/allocation.js';
import { effectivePolicy, shipsTo } from '../domain/policy.js';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SkuTable } from '../store/schema.js';
import { locationRules, skuRules } from '../store/rows.js';
import { notFound } from './errors.js';
import { shipDateForNewKits, shipDateForNewUnits, type NewDemandDate } from './ship-dates.js';
import type { ShipsByBasis } from '../domain/promise.js';
import { kitAvailability } from '../domain/kits.js';
import type { LocationRules } from '../domain/types.js';
import { parseComponents } from './kits.js';

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
 * the locations that may ship to the country, each counted once. For a kit,
 * counts are in kits and each component is judged for the units that many
 * kits take (see `kitAvailability`); it ships by the latest of their dates.
 */
export async function readAvailability(db: Kysely<Database>, query: AvailabilityQuery, now: Date): Promise<AvailabilityView> {
  const row = await db.selectFrom('skus').selectAll().where('code', '=', query.sku).executeTakeFirst();
  if (!row) throw notFound(`SKU ${query.sku} was not found.`);

  const locations = (await db.selectFrom('locations').selectAll().execute())
    .map(locationRules)
    .filter((location) => shipsTo(location, query.country));
  const quantity = query.quantity ?? 1;
  const components = parseComponents(row.components);

  let policy: string;
  let result: Availability;
  let dates: NewDemandDate | null;
  if (components) {
    const parts = [];
    for (const component of components) {
      const componentRow = await db.selectFrom('skus').selectAll().where('code', '=', component.sku).executeTakeFirstOrThrow();
      const units = quantity * component.quantity;
      parts.push({ perKit: component.quantity, availability: (await judgeStock(db, componentRow, locations, units, now)).result });
    }
    policy = row.policy;
    result = kitAvailability(quantity, row.low_stock_threshold, parts);
    dates = await shipDateForNewKits(db, now, components, quantity, query.country ?? null);
  } else {
    ({ policy, result } = await judgeStock(db, row, locations, quantity, now));
    dates = await shipDateForNewUnits(db, now, query.sku, quantity, query.country ?? null);
  }

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

/** Judges `quantity` units of a SKU that holds stock, over the counted locations. */
async function judgeStock(
  db: Kysely<Database>,
  row: Selectable<SkuTable>,
  locations: LocationRules[],
  quantity: number,
  now: Date,
): Promise<{ policy: string; result: Availability }> {
  const counted = new Set(locations.map((l) => l.code));
  const levels = await db
    .selectFrom('stock_levels')
    .select(['location', 'on_hand', 'allocated'])
    .where('sku', '=', row.code)
    .execute();
  const available = levels
    .filter((level) => counted.has(level.location))
    .reduce((sum, level) => sum + availableAt({ onHand: level.on_hand, allocated: level.allocated }), 0);

  const rules = skuRules(row);
  const policy = effectivePolicy(rules, now, locations);
  return { policy, result: availabilityFor({ sku: rules, policy, available, quantity }) };
}
