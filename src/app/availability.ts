import { availabilityFor, type Availability } from '../domain/availability.js';
import { availableAt } from '../domain/allocation.js';
import { effectivePolicy, shipsTo } from '../domain/policy.js';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SkuTable } from '../store/schema.js';
import { skuRules } from '../store/rows.js';
import { notFound } from './errors.js';
import { loadPromiseLocations, sweepInputsOfRows } from './promises.js';
import type { PromiseLocation } from '../domain/promise.js';
import { shipDateForNewKits, shipDateOfLoaded, type NewDemandDate } from './ship-dates.js';
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

/** Sources of the inputs of `readAvailability` that change rarely; each defaults to reading the database. */
export interface AvailabilitySources {
  /** Returns every location with its calendar, such as from a cache that a write in this process clears. */
  locations?: () => Promise<Map<string, PromiseLocation>>;
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
export async function readAvailability(
  db: Kysely<Database>,
  query: AvailabilityQuery,
  now: Date,
  sources: AvailabilitySources = {},
): Promise<AvailabilityView> {
  const row = await db.selectFrom('skus').selectAll().where('code', '=', query.sku).executeTakeFirst();
  if (!row) throw notFound(`SKU ${query.sku} was not found.`);

  // The locations, stock levels and supply are read once, for both the counts and the ship date.
  const promiseLocations = await (sources.locations ?? (() => loadPromiseLocations(db)))();
  const locations: LocationRules[] = [...promiseLocations.values()]
    .map((location) => ({ code: location.code, priority: location.priority, shipsTo: location.shipsTo, timeZone: location.calendar.timeZone }))
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
      const stock = await readStock(db, component.sku);
      parts.push({ perKit: component.quantity, availability: judgeStock(componentRow, locations, stock, units, now).result });
    }
    policy = row.policy;
    result = kitAvailability(quantity, row.low_stock_threshold, parts);
    dates = await shipDateForNewKits(db, now, components, quantity, query.country ?? null);
  } else {
    const input = (await sweepInputsOfRows(db, now, [row], promiseLocations)).get(row.code)!;
    ({ policy, result } = judgeStock(row, locations, input.stock, quantity, now));
    dates = await shipDateOfLoaded(db, query.sku, input, quantity, query.country ?? null);
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

/** Reads what is available of a SKU at each location. */
async function readStock(db: Kysely<Database>, sku: string): Promise<{ location: string; available: number }[]> {
  const levels = await db.selectFrom('stock_levels').select(['location', 'on_hand', 'allocated']).where('sku', '=', sku).execute();
  return levels.map((level) => ({ location: level.location, available: availableAt({ onHand: level.on_hand, allocated: level.allocated }) }));
}

/** Judges `quantity` units of a SKU that holds stock, over the counted locations. */
function judgeStock(
  row: Selectable<SkuTable>,
  locations: LocationRules[],
  stock: readonly { location: string; available: number }[],
  quantity: number,
  now: Date,
): { policy: string; result: Availability } {
  const counted = new Set(locations.map((l) => l.code));
  const available = stock.filter((level) => counted.has(level.location)).reduce((sum, level) => sum + level.available, 0);

  const rules = skuRules(row);
  const policy = effectivePolicy(rules, now, locations);
  return { policy, result: availabilityFor({ sku: rules, policy, available, quantity }) };
}
