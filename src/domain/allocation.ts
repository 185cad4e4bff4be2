import { backorderRoom } from './policy.js';
import type { LevelState, LocationQuantity, RejectionReason, SkuRules, StockPolicy } from './types.js';

export interface RequestedLine {
  sku: string;
  quantity: number;
}

/** What one SKU offers a new order: its rules, the policy in force, and the levels that may serve the order. */
export interface SkuSupply {
  rules: SkuRules;
  policy: StockPolicy;
  levels: readonly LevelState[];
}

export interface Rejection {
  sku: string;
  reason: RejectionReason;
  /** How many units of the SKU this order could take; null when unlimited. */
  maxOrderable: number | null;
}

export interface LinePlan {
  sku: string;
  quantity: number;
  allocations: LocationQuantity[];
  backordered: number;
}

export type OrderDecision =
  | { accepted: true; lines: LinePlan[] }
  | { accepted: false; rejections: Rejection[] };

/**
 * Decides a whole order: each line is allocated from stock or backordered,
 * or the order is rejected with a reason per SKU. All lines of one SKU are
 * judged by their combined demand, so two lines cannot each pass alone and
 * oversell together. Lines take stock in the order given.
 */
export function decideOrder(lines: readonly RequestedLine[], supply: ReadonlyMap<string, SkuSupply>): OrderDecision {
  const demand = combinedDemand(lines);

  const rejections: Rejection[] = [];
  for (const [sku, quantity] of demand) {
    const rejection = judgeDemand(sku, quantity, supply.get(sku));
    if (rejection) rejections.push(rejection);
  }
  if (rejections.length > 0) return { accepted: false, rejections };

  const remaining = new Map<string, { location: LevelState['location']; available: number }[]>();
  for (const [sku, entry] of supply) {
    remaining.set(sku, entry.levels.map((level) => ({ location: level.location, available: availableAt(level) })));
  }

  const plans = lines.map((line) => planLine(line, remaining.get(line.sku) ?? []));
  return { accepted: true, lines: plans };
}

/** On hand − allocated at one level, never below zero. */
export function availableAt(level: Pick<LevelState, 'onHand' | 'allocated'>): number {
  return Math.max(0, level.onHand - level.allocated);
}

function combinedDemand(lines: readonly RequestedLine[]): Map<string, number> {
  const demand = new Map<string, number>();
  for (const line of lines) demand.set(line.sku, (demand.get(line.sku) ?? 0) + line.quantity);
  return demand;
}

function judgeDemand(sku: string, quantity: number, supply: SkuSupply | undefined): Rejection | null {
  if (!supply) return { sku, reason: 'unknown_sku', maxOrderable: 0 };

  const available = supply.levels.reduce((sum, level) => sum + availableAt(level), 0);
  const { policy } = supply;

  if (policy === 'stock_only' || policy === 'discontinued') {
    if (quantity <= available) return null;
    const reason = policy === 'discontinued' ? 'discontinued' : 'insufficient_stock';
    return { sku, reason, maxOrderable: available };
  }

  const room = backorderRoom(policy, supply.rules);
  const wouldBackorder = Math.max(0, quantity - available);
  if (room === null || wouldBackorder <= room) return null;
  return { sku, reason: 'backorder_limit_reached', maxOrderable: available + room };
}

function planLine(
  line: RequestedLine,
  levels: { location: LevelState['location']; available: number }[],
): LinePlan {
  const total = levels.reduce((sum, level) => sum + level.available, 0);
  const fromStock = Math.min(line.quantity, total);
  const allocations = chooseLocations(fromStock, levels);

  for (const allocation of allocations) {
    const level = levels.find((l) => l.location.code === allocation.location)!;
    level.available -= allocation.quantity;
  }
  return { sku: line.sku, quantity: line.quantity, allocations, backordered: line.quantity - fromStock };
}

/**
 * Picks where `quantity` units come from. One location that covers them all
 * is preferred (one parcel); otherwise locations are drawn from in priority
 * order, lower first, then by code.
 */
export function chooseLocations(
  quantity: number,
  levels: readonly { location: { code: string; priority: number }; available: number }[],
): LocationQuantity[] {
  if (quantity <= 0) return [];

  const ordered = [...levels].sort(
    (a, b) => a.location.priority - b.location.priority || compareText(a.location.code, b.location.code),
  );
  const single = ordered.find((level) => level.available >= quantity);
  if (single) return [{ location: single.location.code, quantity }];

  const picks: LocationQuantity[] = [];
  let needed = quantity;
  for (const level of ordered) {
    if (needed === 0) break;
    const take = Math.min(needed, level.available);
    if (take > 0) picks.push({ location: level.location.code, quantity: take });
    needed -= take;
  }
  return picks;
}

export function compareText(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
