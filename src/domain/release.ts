import type { LineCounts, LocationQuantity } from './types.js';

/** An allocation of one line at one location. */
export interface LineAllocation {
  lineId: string;
  location: string;
  quantity: number;
  placedAt: string;
  /** Monotonic stamp of the latest allocation at this location. */
  allocatedAt: string;
}

/**
 * Splits a cancellation of `quantity` units of a line: backordered units
 * first, then allocated ones. Returns null when the line has fewer
 * unshipped, uncancelled units than that.
 */
export function splitCancellation(
  line: LineCounts,
  quantity: number,
): { fromBackordered: number; fromAllocated: number } | null {
  if (quantity > line.backordered + line.allocated) return null;

  const fromBackordered = Math.min(quantity, line.backordered);
  return { fromBackordered, fromAllocated: quantity - fromBackordered };
}

/**
 * Picks which of a line's allocations give back `quantity` units: the most
 * recently allocated first, each at the location it came from.
 */
export function pickReleases(allocations: readonly LineAllocation[], quantity: number): LocationQuantity[] {
  const newestFirst = [...allocations].sort((a, b) => (a.allocatedAt < b.allocatedAt ? 1 : -1));
  return drawDown(newestFirst, quantity).map(({ item, quantity: taken }) => ({ location: item.location, quantity: taken }));
}

/**
 * Picks the allocations an adjustment below allocated takes back at one
 * location: from the most recently placed lines first. `allocations` are
 * those at the location, in any order.
 */
export function pickTakeBacks(
  allocations: readonly LineAllocation[],
  excess: number,
): { lineId: string; quantity: number }[] {
  const newestFirst = [...allocations].sort((a, b) => {
    if (a.placedAt !== b.placedAt) return a.placedAt < b.placedAt ? 1 : -1;
    return a.lineId < b.lineId ? 1 : -1;
  });
  return drawDown(newestFirst, excess).map(({ item, quantity }) => ({ lineId: item.lineId, quantity }));
}

function drawDown<T extends { quantity: number }>(items: readonly T[], wanted: number): { item: T; quantity: number }[] {
  const picks: { item: T; quantity: number }[] = [];
  let needed = wanted;
  for (const item of items) {
    if (needed === 0) break;
    const take = Math.min(needed, item.quantity);
    if (take > 0) picks.push({ item, quantity: take });
    needed -= take;
  }
  if (needed > 0) throw new Error(`Allocations hold ${wanted - needed} units, fewer than the ${wanted} to give back.`);
  return picks;
}
