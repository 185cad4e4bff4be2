import type { LineCounts, LineStatus, ShipPolicy } from './types.js';

/**
 * Derives a status from unit counts: `cancelled` when every unit is
 * cancelled; `shipped` when every unit not cancelled has shipped;
 * `partially_shipped` when some have; otherwise `backordered` (nothing
 * allocated), `partially_backordered`, or `allocated`.
 */
export function statusOf(counts: LineCounts): LineStatus {
  const live = counts.quantity - counts.cancelled;
  if (live === 0) return 'cancelled';
  if (counts.shipped === live) return 'shipped';
  if (counts.shipped > 0) return 'partially_shipped';
  if (counts.allocated === 0) return 'backordered';
  if (counts.backordered > 0) return 'partially_backordered';
  return 'allocated';
}

/** Derives an order's status from the sum of its lines' units. */
export function orderStatusOf(lines: readonly LineCounts[]): LineStatus {
  return statusOf(sumCounts(lines));
}

export function sumCounts(lines: readonly LineCounts[]): LineCounts {
  const total: LineCounts = { quantity: 0, allocated: 0, backordered: 0, shipped: 0, cancelled: 0 };
  for (const line of lines) {
    total.quantity += line.quantity;
    total.allocated += line.allocated;
    total.backordered += line.backordered;
    total.shipped += line.shipped;
    total.cancelled += line.cancelled;
  }
  return total;
}

/**
 * Tells whether an order may go to fulfillment. A `ship_complete` order is
 * held until nothing is backordered; a `ship_partial` order may ship whatever
 * is allocated.
 */
export function isReadyToShip(shipPolicy: ShipPolicy, lines: readonly LineCounts[]): boolean {
  const total = sumCounts(lines);
  if (total.allocated === 0) return false;
  return shipPolicy === 'ship_partial' || total.backordered === 0;
}
