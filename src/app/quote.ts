import type { Kysely } from 'kysely';
import { availabilityFor } from '../domain/availability.js';
import { decideOrder } from '../domain/allocation.js';
import { shipsTo } from '../domain/policy.js';
import type { ShipPolicy } from '../domain/types.js';
import type { Database } from '../store/schema.js';
import { locationRules, skuRules } from '../store/rows.js';
import { supplyFor, type SkuState } from './place-order.js';

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
}

export interface Quote {
  orderable: boolean;
  ship_policy: ShipPolicy;
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
      lines: [],
      rejections: decision.rejections.map((r) => ({ sku: r.sku, reason: r.reason, max_orderable: r.maxOrderable })),
    };
  }

  const lines = decision.lines.map((plan) => {
    const entry = supply.get(plan.sku)!;
    const fromStock = plan.quantity - plan.backordered;
    const available = entry.levels.reduce((sum, l) => sum + Math.max(0, l.onHand - l.allocated), 0);
    const status = availabilityFor({ sku: entry.rules, policy: entry.policy, available, quantity: plan.quantity }).status;
    return { sku: plan.sku, quantity: plan.quantity, from_stock: fromStock, backordered: plan.backordered, status, orderable: true };
  });
  return { orderable: true, ship_policy: shipPolicy, lines, rejections: [] };
}
