import { addBusinessDays, addCalendarDays, dateAt, laterDate, type BusinessCalendar } from './calendar.js';
import { shipsTo } from './policy.js';

export type ShipsByBasis = 'stock' | 'inbound' | 'restock_date' | 'lead_time' | 'release_date' | 'unknown';

export interface PromiseLocation {
  code: string;
  priority: number;
  shipsTo: readonly string[] | null;
  calendar: BusinessCalendar;
  /** Business days from arrival to sellable. */
  receivingDays: number;
}

export interface PromiseSku {
  handlingDays: number;
  leadTimeDays: number | null;
  restockDate: string | null;
  /** Set for a preorder: nothing ships before this date. */
  releaseDate: string | null;
}

/** An open purchase-order line: units not yet received, expected at a location. */
export interface InboundLine {
  id: string;
  location: string;
  expectedDate: string;
  quantity: number;
}

export interface WaitingLine {
  id: string;
  backordered: number;
  shippingCountry: string | null;
}

export interface SweepInput {
  now: Date;
  sku: PromiseSku;
  locations: ReadonlyMap<string, PromiseLocation>;
  /** Units free now, per location. */
  stock: readonly { location: string; available: number }[];
  /** The SKU's queue, in queue order. */
  queue: readonly WaitingLine[];
  supply: readonly InboundLine[];
}

export interface ShipDate {
  date: string | null;
  basis: ShipsByBasis;
  /** True for dates beyond known supply (manual restock date, lead time). */
  estimate: boolean;
  /** The purchase-order line whose date the line gets, for `inbound`. */
  inboundLineId: string | null;
}

/** The calendar of the location `main`, used for estimates beyond known supply. */
export const MAIN_LOCATION = 'main';

interface Bucket {
  location: PromiseLocation;
  left: number;
  shipDate: ShipDate;
  inboundLineId: string | null;
  covers: { lineId: string; units: number }[];
}

/** One stretch of supply in sweep order: `units` units that ship on `shipDate`. */
export interface CurveStep {
  units: number;
  date: string | null;
  basis: ShipsByBasis;
}

/**
 * Returns the supply in sweep order as steps, followed by the fallback for
 * units beyond known supply. When no location limits the countries it ships
 * to, a line's date depends only on where its units fall on this curve (see
 * `dateOfUnits`), so two curves that agree mean unchanged dates.
 */
export function supplyCurve(input: Omit<SweepInput, 'queue'>): { steps: CurveStep[]; fallback: ShipDate } {
  const steps = supplyBuckets({ ...input, queue: [] }).map((bucket) => ({
    units: bucket.left,
    date: bucket.shipDate.date,
    basis: bucket.shipDate.basis,
  }));
  return { steps, fallback: fallbackDate({ ...input, queue: [] }) };
}

/**
 * Tells whether the units `[shift, shift + span)` of curve `before` ship on
 * the same dates as units `[0, span)` of curve `after`: what stays true for
 * lines that kept their place when `shift` units left the front of the queue.
 */
export function curvesAgree(
  before: { steps: readonly CurveStep[]; fallback: Pick<ShipDate, 'date' | 'basis'> },
  after: { steps: readonly CurveStep[]; fallback: Pick<ShipDate, 'date' | 'basis'> },
  shift: number,
  span: number,
): boolean {
  const boundaries = new Set<number>([0]);
  let end = 0;
  for (const step of after.steps) boundaries.add((end += step.units));
  end = -shift;
  for (const step of before.steps) boundaries.add((end += step.units));

  for (const unit of boundaries) {
    if (unit < 0 || unit >= span) continue;
    const a = dateOfUnit(before, unit + shift);
    const b = dateOfUnit(after, unit);
    if (a.date !== b.date || a.basis !== b.basis) return false;
  }
  return true;
}

/** Returns the ship date of the unit at a 0-based position on a curve. */
export function dateOfUnit(
  curve: { steps: readonly CurveStep[]; fallback: Pick<ShipDate, 'date' | 'basis'> },
  unit: number,
): Pick<ShipDate, 'date' | 'basis'> {
  let end = 0;
  for (const step of curve.steps) {
    end += step.units;
    if (unit < end) return step;
  }
  return curve.fallback;
}

/**
 * Returns the date a line holding the units `[from, to)` of a curve ships
 * whole: the latest date of the steps those units fall on, counting the
 * fallback when they reach past known supply. The same rule as the sweep.
 */
export function dateOfUnits(
  curve: { steps: readonly CurveStep[]; fallback: Pick<ShipDate, 'date' | 'basis'> },
  from: number,
  to: number,
): Pick<ShipDate, 'date' | 'basis'> {
  let latest: Pick<ShipDate, 'date' | 'basis'> | null = null;
  let start = 0;
  for (const step of curve.steps) {
    const end = start + step.units;
    if (end > from && start < to) latest = laterShipDate(latest, step);
    if (latest !== null && end >= to) return latest;
    start = end;
  }
  return laterShipDate(latest, curve.fallback);
}

/**
 * Returns the later of two ship dates, where an unknown date is later than
 * any known one. On a tie `b`, the supply later in sweep order, wins.
 */
function laterShipDate<T extends { date: string | null }>(a: T | null, b: T): T {
  if (a === null || b.date === null) return b;
  if (a.date === null) return a;
  return b.date >= a.date ? b : a;
}

/**
 * Sweeps a SKU's queue against its supply in time order: stock free now
 * first, then each open purchase-order line by expected date. Each supply
 * ships on the shipping day for stock, or the expected date plus the
 * location's receiving days for inbound, then plus handling days, in the
 * location's business days. Units no known supply covers fall back to the
 * manual restock date, then to today plus the lead time (both estimates, on
 * the calendar of `main`), else the date is unknown. A line ships whole, so
 * it gets the latest date of the supplies that cover its units. That is the
 * date of its last unit's supply, unless a location with more receiving days
 * comes earlier in the sweep. A preorder never ships before its release date.
 *
 * Returns one date per queue line, in queue order, plus the date for `extra`
 * further units when given (a quote after the current queue). Linear in
 * queue length plus supply.
 */
export function sweepPromises(
  input: SweepInput,
  extra?: { quantity: number; shippingCountry: string | null },
): { lines: ShipDate[]; extra: ShipDate | null; coverage: Coverage[] } {
  const buckets = supplyBuckets(input);
  const fallback = fallbackDate(input);

  let first = 0;
  const lines: ShipDate[] = [];
  for (const line of input.queue) {
    while (first < buckets.length && buckets[first]!.left === 0) first += 1;
    lines.push(consume(buckets, fallback, line.backordered, line.shippingCountry, first, line.id));
  }
  const extraDate = extra ? consume(buckets, fallback, extra.quantity, extra.shippingCountry) : null;

  const coverage = buckets
    .filter((bucket) => bucket.inboundLineId !== null)
    .map((bucket) => ({ inboundLineId: bucket.inboundLineId!, shipDate: bucket.shipDate, lines: bucket.covers }));
  return { lines, extra: extraDate, coverage };
}

/** The queue lines an inbound purchase-order line is expected to serve, and how many units each. */
export interface Coverage {
  inboundLineId: string;
  shipDate: ShipDate;
  lines: { lineId: string; units: number }[];
}

/** Stock first (by location priority), then inbound lines by expected date. */
function supplyBuckets(input: SweepInput): Bucket[] {
  const stock: Bucket[] = [];
  for (const { location: code, available } of input.stock) {
    const location = input.locations.get(code);
    if (!location || available <= 0) continue;
    stock.push({ location, left: available, shipDate: stockShipDate(input, location), inboundLineId: null, covers: [] });
  }
  stock.sort((a, b) => a.location.priority - b.location.priority || (a.location.code < b.location.code ? -1 : 1));

  const inbound: (Bucket & { expected: string; id: string })[] = [];
  for (const line of input.supply) {
    const location = input.locations.get(line.location);
    if (!location || line.quantity <= 0) continue;
    inbound.push({
      location,
      left: line.quantity,
      expected: line.expectedDate,
      id: line.id,
      shipDate: inboundShipDate(input, location, line),
      inboundLineId: line.id,
      covers: [],
    });
  }
  inbound.sort((a, b) => {
    if (a.expected !== b.expected) return a.expected < b.expected ? -1 : 1;
    return a.location.priority - b.location.priority || (a.id < b.id ? -1 : 1);
  });

  return [...stock, ...inbound];
}

/**
 * Takes units for one line from the earliest buckets that may ship to it and
 * returns the latest of their dates, with the fallback's when supply runs out.
 */
function consume(
  buckets: Bucket[],
  fallback: ShipDate,
  units: number,
  country: string | null,
  from = 0,
  lineId?: string,
): ShipDate {
  let needed = units;
  let latest: ShipDate | null = null;
  for (let i = from; i < buckets.length && needed > 0; i += 1) {
    const bucket = buckets[i]!;
    if (bucket.left === 0 || !shipsTo(bucket.location, country)) continue;

    const taken = Math.min(needed, bucket.left);
    bucket.left -= taken;
    needed -= taken;
    if (lineId !== undefined) bucket.covers.push({ lineId, units: taken });
    latest = laterShipDate(latest, bucket.shipDate);
  }
  if (needed === 0 && latest !== null) return latest;
  return laterShipDate(latest, fallback);
}

/** Returns the date units on hand at a location ship: today's shipping day plus handling days. */
export function stockShipDate(input: Pick<SweepInput, 'now' | 'sku'>, location: PromiseLocation): ShipDate {
  const today = dateAt(input.now, location.calendar.timeZone);
  return handled(input, location, today, 'stock', null);
}

function inboundShipDate(input: SweepInput, location: PromiseLocation, line: InboundLine): ShipDate {
  const today = dateAt(input.now, location.calendar.timeZone);
  const sellable = addBusinessDays(location.calendar, laterDate(line.expectedDate, today), location.receivingDays);
  return handled(input, location, sellable, 'inbound', line.id);
}

/** Adds handling days to the day units are sellable, never starting before a preorder's release date. */
function handled(
  input: Pick<SweepInput, 'now' | 'sku'>,
  location: PromiseLocation,
  sellable: string,
  basis: ShipsByBasis,
  inboundLineId: string | null,
): ShipDate {
  const release = input.sku.releaseDate;
  const held = release !== null && release > sellable;
  const start = held ? release : sellable;
  const date = addBusinessDays(location.calendar, start, input.sku.handlingDays);
  return { date, basis: held ? 'release_date' : basis, estimate: basis === 'restock_date' || basis === 'lead_time', inboundLineId };
}

function fallbackDate(input: SweepInput): ShipDate {
  const main = input.locations.get(MAIN_LOCATION);
  if (!main) return { date: null, basis: 'unknown', estimate: false, inboundLineId: null };

  const today = dateAt(input.now, main.calendar.timeZone);
  let arrival: string | null = null;
  let basis: ShipsByBasis = 'unknown';
  if (input.sku.restockDate !== null) {
    arrival = laterDate(input.sku.restockDate, today);
    basis = 'restock_date';
  } else if (input.sku.leadTimeDays !== null) {
    arrival = addCalendarDays(today, input.sku.leadTimeDays);
    basis = 'lead_time';
  }
  if (arrival === null) return { date: null, basis: 'unknown', estimate: false, inboundLineId: null };

  const sellable = addBusinessDays(main.calendar, arrival, main.receivingDays);
  const result = handled(input, main, sellable, basis, null);
  return { ...result, estimate: true };
}
