import type { Kysely } from 'kysely';
import { availabilityFor } from '../domain/availability.js';
import { decideOrder, type LinePlan, type SkuSupply } from '../domain/allocation.js';
import { expandKits, kitAvailability, latestShipDate, mapKitRejections } from '../domain/kits.js';
import type { ShipDate } from '../domain/promise.js';
import { shipsTo } from '../domain/policy.js';
import type { ShipPolicy } from '../domain/types.js';
import type { Database } from '../store/schema.js';
import { locationRules, skuRules } from '../store/rows.js';
import { supplyFor, type SkuState } from './place-order.js';
import { shipDateForNewUnits } from './ship-dates.js';
import { loadKits } from './kits.js';
import type { ShipsByBasis } from '../domain/promise.js';

export interface QuoteInput {
  lines: { sku: string; quantity: number }[];
  shipPolicy?: ShipPolicy;
  shippingCountry?: string | null;
}

export interface QuoteLine {
  sku: string;
  quantity: number;
  from_stock: number;
  backordered: number;
  status: string;
  orderable: boolean;
  ships_by: string | null;
  ships_by_basis: ShipsByBasis;
}

export interface Quote {
  orderable: boolean;
  ship_policy: ShipPolicy;
  /** For `ship_complete`: the date the whole order ships, the latest line's; null when any is unknown. */
  ships_by: string | null;
  lines: QuoteLine[];
  rejections: { sku: string; reason: string; max_orderable: number | null }[];
}

/**
 * Quotes what an order of these lines would get now, deciding it exactly
 * as placing it would, but writing and holding nothing. A kit line is
 * quoted in kits: from stock are the kits whose every component comes from
 * stock, and it ships by the latest of its components' dates.
 */
export async function quoteOrder(db: Kysely<Database>, input: QuoteInput, now: Date): Promise<Quote> {
  const requested = [...new Set(input.lines.map((line) => line.sku))];
  const kits = await loadKits(db, requested);
  const codes = [...new Set([...requested, ...[...kits.values()].flat().map((component) => component.sku)])];
  const skus = codes.length === 0 ? [] : await db.selectFrom('skus').selectAll().where('code', 'in', codes).execute();
  const levels = codes.length === 0 ? [] : await db.selectFrom('stock_levels').selectAll().where('sku', 'in', codes).execute();
  const locations = (await db.selectFrom('locations').selectAll().execute()).map(locationRules);

  const state = new Map<string, SkuState>();
  for (const row of skus) state.set(row.code, { rules: skuRules(row), levels: new Map() });
  for (const level of levels) {
    state.get(level.sku)?.levels.set(level.location, { onHand: level.on_hand, allocated: level.allocated });
  }

  const eligible = locations.filter((location) => shipsTo(location, input.shippingCountry));
  const expanded = expandKits(input.lines, kits);
  const supply = supplyFor({ lines: expanded.demand }, state, eligible, now);
  const decision = decideOrder(expanded.demand, supply);
  const shipPolicy = input.shipPolicy ?? 'ship_partial';

  if (!decision.accepted) {
    return {
      orderable: false,
      ship_policy: shipPolicy,
      ships_by: null,
      lines: [],
      rejections: mapKitRejections(decision.rejections, input.lines, kits).map((r) => ({ sku: r.sku, reason: r.reason, max_orderable: r.maxOrderable })),
    };
  }

  // Units already quoted per SKU: a later line of the same SKU ships after them.
  const ahead = new Map<string, number>();
  const quoteUnits = async (plan: LinePlan): Promise<QuotedUnits> => {
    const before = ahead.get(plan.sku) ?? 0;
    ahead.set(plan.sku, before + plan.quantity);
    return quoteStockLine(db, now, plan, supply.get(plan.sku)!, input.shippingCountry ?? null, before);
  };

  const lines: QuoteLine[] = [];
  for (const [index, line] of input.lines.entries()) {
    const entry = expanded.lines[index]!;
    if (entry.kind === 'ordinary') {
      const units = await quoteUnits(decision.lines[entry.index]!);
      lines.push(quoteLine(line, units.fromStock, units.availability.status, units.shipDate));
      continue;
    }

    const components = [];
    for (const component of entry.components) components.push({ perKit: component.perKit, ...(await quoteUnits(decision.lines[component.index]!)) });
    const fromStock = Math.min(...components.map((c) => Math.floor(c.fromStock / c.perKit)));
    const status = kitAvailability(line.quantity, state.get(line.sku)!.rules.lowStockThreshold, components).status;
    lines.push(quoteLine(line, fromStock, status, latestShipDate(components.map((c) => c.shipDate))));
  }
  return { orderable: true, ship_policy: shipPolicy, ships_by: latestLineDate(lines), lines, rejections: [] };
}

interface QuotedUnits {
  fromStock: number;
  availability: ReturnType<typeof availabilityFor>;
  shipDate: ShipDate;
}

/** Quotes the units of one SKU that a line (or a kit's component) takes, after `ahead` units quoted before it. */
async function quoteStockLine(
  db: Kysely<Database>,
  now: Date,
  plan: LinePlan,
  entry: SkuSupply,
  country: string | null,
  ahead: number,
): Promise<QuotedUnits> {
  const available = entry.levels.reduce((sum, l) => sum + Math.max(0, l.onHand - l.allocated), 0);
  const availability = availabilityFor({ sku: entry.rules, policy: entry.policy, available, quantity: plan.quantity });
  const dates = await shipDateForNewUnits(db, now, plan.sku, plan.quantity, country, ahead);
  const shipDate = dates?.shipDate ?? { date: null, basis: 'unknown', estimate: false, inboundLineId: null };
  return { fromStock: plan.quantity - plan.backordered, availability, shipDate };
}

function quoteLine(line: { sku: string; quantity: number }, fromStock: number, status: string, shipDate: ShipDate): QuoteLine {
  return {
    sku: line.sku,
    quantity: line.quantity,
    from_stock: fromStock,
    backordered: line.quantity - fromStock,
    status,
    orderable: true,
    ships_by: shipDate.date,
    ships_by_basis: shipDate.basis,
  };
}

function latestLineDate(lines: QuoteLine[]): string | null {
  if (lines.some((line) => line.ships_by === null)) return null;
  return lines.map((line) => line.ships_by!).sort().at(-1) ?? null;
}
