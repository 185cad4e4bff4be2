import type { Rejection, RequestedLine } from './allocation.js';
import type { Availability } from './availability.js';
import { statusOf } from './order-status.js';
import type { ShipDate } from './promise.js';
import type { LineCounts, LineStatus } from './types.js';

/**
 * Kits are SKUs made of other SKUs. A kit holds no stock: ordering one kit
 * takes `quantity` units of each of its components, and what a kit allows is
 * the least of what its components allow.
 */

/** One component of a kit: `quantity` units of `sku` go into each kit. */
export interface KitComponent {
  sku: string;
  quantity: number;
}

/** Kit definitions by kit SKU code. A SKU missing from the map is not a kit. */
export type KitCatalog = ReadonlyMap<string, readonly KitComponent[]>;

/** Where one requested line's demand sits in the expanded list that `decideOrder` judges. */
export type ExpandedLine =
  | { kind: 'ordinary'; index: number }
  | { kind: 'kit'; components: { sku: string; perKit: number; index: number }[] };

export interface ExpandedOrder {
  /** Ordinary lines as requested and one line per kit component, in request order. */
  demand: RequestedLine[];
  /** One entry per requested line, in the same order. */
  lines: ExpandedLine[];
}

/**
 * Replaces each kit line by its component demand: `quantity × perKit` units
 * of each component, in the kit's component order. Judging the result with
 * `decideOrder` counts a kit and its components, or two kits sharing a
 * component, by their combined demand.
 */
export function expandKits(lines: readonly RequestedLine[], kits: KitCatalog): ExpandedOrder {
  const demand: RequestedLine[] = [];
  const expanded: ExpandedLine[] = [];

  for (const line of lines) {
    const components = kits.get(line.sku);
    if (!components) {
      expanded.push({ kind: 'ordinary', index: demand.length });
      demand.push({ sku: line.sku, quantity: line.quantity });
      continue;
    }

    const parts = components.map((component) => {
      const index = demand.length;
      demand.push({ sku: component.sku, quantity: line.quantity * component.quantity });
      return { sku: component.sku, perKit: component.quantity, index };
    });
    expanded.push({ kind: 'kit', components: parts });
  }
  return { demand, lines: expanded };
}

/**
 * Turns rejections of the expanded demand into rejections of the requested
 * SKUs. Every requested SKU that draws on a rejected SKU is rejected, with
 * the most it could take while the rest of the order stays as it is: for a
 * kit, in kits, limited by its tightest rejected component. A SKU requested
 * only on ordinary lines keeps the rejection `decideOrder` gave it.
 */
export function mapKitRejections(rejections: readonly Rejection[], lines: readonly RequestedLine[], kits: KitCatalog): Rejection[] {
  const rejected = new Map(rejections.map((rejection) => [rejection.sku, rejection]));
  const total = new Map<string, number>();
  for (const unit of expandKits(lines, kits).demand) total.set(unit.sku, (total.get(unit.sku) ?? 0) + unit.quantity);

  const mapped: Rejection[] = [];
  for (const sku of new Set(lines.map((line) => line.sku))) {
    const draws = drawsOf(sku, lines, kits);
    let worst: Rejection | null = null;

    for (const draw of draws) {
      const rejection = rejected.get(draw.sku);
      if (!rejection || rejection.maxOrderable === null) continue;

      const others = total.get(draw.sku)! - draw.units;
      const room = Math.max(0, rejection.maxOrderable - others);
      const maxOrderable = Math.floor(room / draw.perUnit);
      if (worst === null || maxOrderable < worst.maxOrderable!) worst = { sku, reason: rejection.reason, maxOrderable };
    }
    if (worst) mapped.push(worst);
  }
  return mapped;
}

/** The SKUs whose stock the requested SKU's lines take: units per requested unit and units in all. */
function drawsOf(sku: string, lines: readonly RequestedLine[], kits: KitCatalog): { sku: string; perUnit: number; units: number }[] {
  const requested = lines.filter((line) => line.sku === sku).reduce((sum, line) => sum + line.quantity, 0);
  const components = kits.get(sku) ?? [{ sku, quantity: 1 }];
  return components.map((component) => ({ sku: component.sku, perUnit: component.quantity, units: requested * component.quantity }));
}

/** What one component allows for the units a requested number of kits needs. */
export interface ComponentAvailability {
  perKit: number;
  /** The component's availability for `kits × perKit` units. */
  availability: Availability;
}

/**
 * Combines the availability of a kit's components, each judged for the
 * units that `quantity` kits need. Counts are in kits: available and
 * max_orderable are the least over the components of what each allows,
 * and max_orderable is null only when no component has a limit. The status
 * follows the usual rules: `in_stock` or `low_stock` (by the kit's own
 * threshold) when every component covers the kits from stock; otherwise
 * `preorder` or `backorder` when every component can be ordered, and
 * `discontinued` or `out_of_stock` when one cannot.
 */
export function kitAvailability(quantity: number, lowStockThreshold: number, components: readonly ComponentAvailability[]): Availability {
  const available = Math.min(...components.map((c) => Math.floor(c.availability.available / c.perKit)));
  const limits = components
    .filter((c) => c.availability.maxOrderable !== null)
    .map((c) => Math.floor(c.availability.maxOrderable! / c.perKit));
  const maxOrderable = limits.length === 0 ? null : Math.min(...limits);
  const blocked = components.filter((c) => !c.availability.orderable);

  if (blocked.length > 0) {
    const status = blocked.some((c) => c.availability.status === 'discontinued') ? 'discontinued' : 'out_of_stock';
    return { status, orderable: false, available, maxOrderable };
  }
  if (components.some((c) => c.availability.status === 'preorder')) {
    return { status: 'preorder', orderable: true, available, maxOrderable };
  }
  if (available >= quantity) {
    return { status: available > lowStockThreshold ? 'in_stock' : 'low_stock', orderable: true, available, maxOrderable };
  }
  return { status: 'backorder', orderable: true, available, maxOrderable };
}

/**
 * Returns the date a kit ships by: the latest of its components' dates,
 * since a kit ships whole. An unknown component date makes it unknown.
 */
export function latestShipDate(dates: readonly ShipDate[]): ShipDate {
  const unknown = dates.find((date) => date.date === null);
  if (unknown) return unknown;

  let latest = dates[0]!;
  for (const date of dates) if (date.date! > latest.date!) latest = date;
  return latest;
}

/** The stored counts of a kit line: its units are kits. */
export type KitLineCounts = Pick<LineCounts, 'quantity' | 'shipped' | 'cancelled'>;

/**
 * Derives a kit line's counts in kits from its component lines. A kit
 * counts as allocated when every component has the units for it allocated;
 * the other open kits count as backordered. Shipped and cancelled kits are
 * the kit line's own, since kits ship and cancel whole.
 */
export function kitLineCounts(kit: KitLineCounts, components: readonly LineCounts[]): LineCounts {
  const open = kit.quantity - kit.shipped - kit.cancelled;
  const ready = components.map((component) => Math.floor(component.allocated / perKitOf(kit, component)));
  const allocated = Math.max(0, Math.min(open, ...ready));
  return { quantity: kit.quantity, allocated, backordered: open - allocated, shipped: kit.shipped, cancelled: kit.cancelled };
}

/** Derives a kit line's status from its component lines, by the rule every line follows. */
export function kitLineStatus(kit: KitLineCounts, components: readonly LineCounts[]): LineStatus {
  return statusOf(kitLineCounts(kit, components));
}

/** Returns the units of a component line that go into one kit of its kit line. */
export function perKitOf(kit: Pick<LineCounts, 'quantity'>, component: Pick<LineCounts, 'quantity'>): number {
  return component.quantity / kit.quantity;
}

/**
 * Lists what is wrong with a kit line and its component lines: a kit line
 * waits for nothing itself, has at least one component, and each component
 * line has a whole number of units per kit and has shipped and cancelled
 * exactly that many units per kit shipped or cancelled. Empty when all hold.
 */
export function kitLineProblems(kit: KitLineCounts & Pick<LineCounts, 'backordered'>, components: readonly LineCounts[]): string[] {
  const problems: string[] = [];
  if (kit.backordered !== 0) problems.push(`kit line has ${kit.backordered} units backordered; its components wait instead`);
  if (components.length === 0) problems.push('kit line has no component lines');

  components.forEach((component, index) => {
    const perKit = perKitOf(kit, component);
    if (!Number.isInteger(perKit)) {
      problems.push(`component ${index}: ${component.quantity} units is not a whole multiple of ${kit.quantity} kits`);
      return;
    }
    if (component.shipped !== kit.shipped * perKit) {
      problems.push(`component ${index}: shipped ${component.shipped}, but ${kit.shipped} kits × ${perKit} shipped`);
    }
    if (component.cancelled !== kit.cancelled * perKit) {
      problems.push(`component ${index}: cancelled ${component.cancelled}, but ${kit.cancelled} kits × ${perKit} cancelled`);
    }
  });
  return problems;
}
