import { compareText } from './allocation.js';
import { shipsTo } from './policy.js';
import type { LocationRules } from './types.js';

/** A line waiting in a SKU's backorder queue. */
export interface QueuedLine {
  id: string;
  priority: number;
  placedAt: string;
  backordered: number;
  shippingCountry: string | null;
}

export interface ServedLine {
  lineId: string;
  quantity: number;
}

/**
 * Queue order: priority (higher first), then the time the order was placed,
 * then line id.
 */
export function compareQueueOrder(a: QueuedLine, b: QueuedLine): number {
  return b.priority - a.priority || compareText(a.placedAt, b.placedAt) || compareText(a.id, b.id);
}

/**
 * Serves `units` from `location` to the queue, in queue order: each line the
 * location may ship to takes as much as it waits for, until the units or the
 * lines run out. `queue` must already be in queue order. Returns the lines
 * served and the units left over, which become available.
 */
export function serveQueue(
  units: number,
  queue: readonly QueuedLine[],
  location: Pick<LocationRules, 'shipsTo'>,
): { served: ServedLine[]; remaining: number } {
  const served: ServedLine[] = [];
  let remaining = units;

  for (const line of queue) {
    if (remaining === 0) break;
    if (!shipsTo(location, line.shippingCountry)) continue;

    const quantity = Math.min(remaining, line.backordered);
    served.push({ lineId: line.id, quantity });
    remaining -= quantity;
  }
  return { served, remaining };
}
