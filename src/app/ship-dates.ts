import type { Kysely } from 'kysely';
import { dateAt, laterDate } from '../domain/calendar.js';
import { shipsTo } from '../domain/policy.js';
import { dateOfUnits, MAIN_LOCATION, supplyCurve, sweepPromises, type ShipDate } from '../domain/promise.js';
import type { Database } from '../store/schema.js';
import { latestShipDate, type KitComponent } from '../domain/kits.js';
import { loadPromiseLocations, loadQueue, loadSweepInput, type LoadedInput } from './promises.js';

export interface NewDemandDate {
  shipDate: ShipDate;
  /** Expected arrival of the next inbound units, or the manual restock date; null when unknown. */
  restockDate: string | null;
  /** Today at the location `main`, to tell "ships today" apart. */
  today: string;
}

/**
 * Returns when `quantity` new units of a SKU would ship if ordered now,
 * after the whole current queue and `ahead` units already quoted, counting
 * only the locations that ship to `country`. Without shipping limits on any
 * location this reads the supply only, not the queue.
 */
export async function shipDateForNewUnits(
  db: Kysely<Database>,
  now: Date,
  sku: string,
  quantity: number,
  country: string | null,
  ahead = 0,
): Promise<NewDemandDate | null> {
  const locations = await loadPromiseLocations(db);
  const input = await loadSweepInput(db, now, sku, locations);
  if (!input) return null;
  return shipDateOfLoaded(db, sku, input, quantity, country, ahead);
}

/**
 * Does what `shipDateForNewUnits` does, on a sweep input the caller has
 * already read with `loadSweepInput`, so that a caller that also needs the
 * SKU's stock levels reads them once.
 */
export async function shipDateOfLoaded(
  db: Kysely<Database>,
  sku: string,
  input: LoadedInput,
  quantity: number,
  country: string | null,
  ahead = 0,
): Promise<NewDemandDate> {
  const { now, locations } = input;
  const eligible = new Set([...locations.values()].filter((l) => shipsTo(l, country)).map((l) => l.code));
  const scoped = {
    ...input,
    stock: input.stock.filter((s) => eligible.has(s.location)),
    supply: input.supply.filter((s) => eligible.has(s.location)),
  };
  const restricted = [...locations.values()].some((location) => location.shipsTo !== null);

  let shipDate: ShipDate;
  if (restricted) {
    const queue = await loadQueue(db, sku);
    const swept = sweepPromises(
      { ...scoped, queue: queue.map((l) => ({ id: l.id, backordered: l.backordered, shippingCountry: l.shipping_country })) },
      { quantity: ahead + quantity, shippingCountry: country },
    );
    shipDate = swept.extra!;
  } else {
    const curve = supplyCurve(scoped);
    const date = dateOfUnits(curve, input.queueUnits + ahead, input.queueUnits + ahead + quantity);
    shipDate = { ...date, estimate: date.basis === 'restock_date' || date.basis === 'lead_time', inboundLineId: null };
  }

  const mainZone = locations.get(MAIN_LOCATION)?.calendar.timeZone ?? 'UTC';
  const today = dateAt(now, mainZone);
  return { shipDate, restockDate: restockDateOf(scoped, today), today };
}

/**
 * Returns when `kits` new kits would ship if ordered now: the latest of the
 * dates of their components' units (`kits × quantity` each), since a kit
 * ships whole. The restock date is that of the component with the latest
 * date. Null when a component is unknown.
 */
export async function shipDateForNewKits(
  db: Kysely<Database>,
  now: Date,
  components: readonly KitComponent[],
  kits: number,
  country: string | null,
): Promise<NewDemandDate | null> {
  const dates: NewDemandDate[] = [];
  for (const component of components) {
    const date = await shipDateForNewUnits(db, now, component.sku, kits * component.quantity, country);
    if (!date) return null;
    dates.push(date);
  }

  const latest = latestShipDate(dates.map((date) => date.shipDate));
  const binding = dates.find((date) => date.shipDate === latest)!;
  return { shipDate: latest, restockDate: binding.restockDate, today: binding.today };
}

function restockDateOf(input: { supply: { expectedDate: string; quantity: number }[]; sku: { restockDate: string | null } }, today: string): string | null {
  const expected = input.supply.filter((line) => line.quantity > 0).map((line) => line.expectedDate).sort()[0];
  if (expected !== undefined) return laterDate(expected, today);
  return input.sku.restockDate === null ? null : laterDate(input.sku.restockDate, today);
}
