import type { Kysely } from 'kysely';
import { availabilityFor } from '../domain/availability.js';
import { decideOrder } from '../domain/allocation.js';
import { shipsTo } from '../domain/policy.js';
import type { ShipPolicy } from '../domain/types.js';
import type { Database } from '../store/schema.js';
import { locationRules, skuRules } from '../store/rows.js';
import { supplyFor, type SkuState } from './place-order.js';
import { shipDateForNewUnits } from './ship-dates.js';
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
 * Answers what an order of these lines would get now, deciding it exactly
 * as placing it would, but writing and holding nothing.
 */
export async function quoteOrder(db: Kysely<Database>, input: QuoteInput, now: Date): Promise<Quote> {
  const codes = [...new Set(input.lines.map((line) => line.sku))];
  const skus = codes.length === 0 ? [] : await db.selectFrom('skus').selectAll().where('code', 'in', codes).execute();
  const levels = codes.length === 0 ? [] : await db.selectFrom('stock_levels').selectAll().where('sku', 'in', codes).execute();
  const locations = (await db.selectFrom('locations').selectAll().execute()).map(locationRules);

  const state = new Map<string, SkuState>();
  for (const row of skus) state.set(row.code, { rules: skuRules(row), levels: new Map() });
  for (const level of levels) {
    state.get(level.sku)?.levels.set(level.location, { onHand: level.on_hand, allocated: level.allocated });
  }

  const eligible = locations.filter((location) => shipsTo(location, input.shippingCountry));
  const supply = supplyFor({ currency: 'XXX', lines: input.lines.map((l) => ({ ...l, unitPrice: 0 })) }, state, eligible, now);
  const decision = decideOrder(input.lines, supply);
  const shipPolicy = input.shipPolicy ?? 'ship_partial';

  if (!decision.accepted) {
    return {
      orderable: false,
      ship_policy: shipPolicy,
      ships_by: null,
      lines: [],
      rejections: decision.rejections.map((r) => ({ sku: r.sku, reason: r.reason, max_orderable: r.maxOrderable })),
    };
  }

  const ahead = new Map<string, number>();
  const lines: QuoteLine[] = [];
  for (const plan of decision.lines) {
    const entry = supply.get(plan.sku)!;
    const fromStock = plan.quantity - plan.backordered;
    const available = entry.levels.reduce((sum, l) => sum + Math.max(0, l.onHand - l.allocated), 0);
    const status = availabilityFor({ sku: entry.rules, policy: entry.policy, available, quantity: plan.quantity }).status;

    const before = ahead.get(plan.sku) ?? 0;
    const dates = await shipDateForNewUnits(db, now, plan.sku, plan.quantity, input.shippingCountry ?? null, before);
    ahead.set(plan.sku, before + plan.quantity);
    lines.push({
      sku: plan.sku,
      quantity: plan.quantity,
      from_stock: fromStock,
      backordered: plan.backordered,
      status,
      orderable: true,
      ships_by: dates?.shipDate.date ?? null,
      ships_by_basis: dates?.shipDate.basis ?? 'unknown',
    });
  }
  return { orderable: true, ship_policy: shipPolicy, ships_by: latestShipDate(lines), lines, rejections: [] };
}

function latestShipDate(lines: QuoteLine[]): string | null {
  if (lines.some((line) => line.ships_by === null)) return null;
  return lines.map((line) => line.ships_by!).sort().at(-1) ?? null;
}
