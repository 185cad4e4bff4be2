import type { LocationRules, SkuRules, StockPolicy } from './types.js';

/**
 * Returns the calendar date `YYYY-MM-DD` at `instant` in `timeZone`.
 */
export function localDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** Tells whether a preorder's release date has begun in the given time zone. */
export function isReleased(releaseDate: string | null, instant: Date, timeZone: string): boolean {
  if (releaseDate === null) return true;
  return localDate(instant, timeZone) >= releaseDate;
}

/**
 * Returns the policy that applies now. A preorder behaves as `backorder`
 * with the same limit from the start of its release date; it counts as
 * released once that date has begun at any of the given locations.
 */
export function effectivePolicy(sku: SkuRules, instant: Date, locations: readonly LocationRules[]): StockPolicy {
  if (sku.policy !== 'preorder') return sku.policy;
  if (sku.releaseDate === null) return 'backorder';

  const zones = locations.length > 0 ? locations.map((l) => l.timeZone) : ['UTC'];
  const released = zones.some((zone) => isReleased(sku.releaseDate, instant, zone));
  return released ? 'backorder' : 'preorder';
}

/**
 * Returns how many more units may be backordered under the policy: zero for
 * `stock_only` and `discontinued`, null when there is no limit.
 */
export function backorderRoom(policy: StockPolicy, sku: SkuRules): number | null {
  if (policy === 'stock_only' || policy === 'discontinued') return 0;
  if (sku.backorderLimit === null) return null;
  return Math.max(0, sku.backorderLimit - sku.backordered);
}

/** Tells whether a location may ship to the country; no country means any location. */
export function shipsTo(location: Pick<LocationRules, 'shipsTo'>, country: string | null | undefined): boolean {
  if (location.shipsTo === null || country === null || country === undefined) return true;
  return location.shipsTo.includes(country);
}
