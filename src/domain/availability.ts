import { backorderRoom } from './policy.js';
import type { AvailabilityStatus, SkuRules, StockPolicy } from './types.js';

export interface AvailabilityInput {
  sku: SkuRules;
  /** The policy in force now (see `effectivePolicy`). */
  policy: StockPolicy;
  /** On hand − allocated, summed over the locations counted. */
  available: number;
  quantity: number;
}

export interface Availability {
  status: AvailabilityStatus;
  orderable: boolean;
  available: number;
  /** Null when the policy has no limit. */
  maxOrderable: number | null;
}

/**
 * Decides what a product page may say for a requested quantity. A preorder
 * before its release is `preorder` even with stock on hand, since nothing
 * ships before the release date.
 */
export function availabilityFor(input: AvailabilityInput): Availability {
  const { sku, policy, quantity } = input;
  const available = Math.max(0, input.available);
  const room = backorderRoom(policy, sku);
  const maxOrderable = room === null ? null : available + room;
  const fits = maxOrderable === null || quantity <= maxOrderable;

  if (policy === 'preorder') {
    return { status: fits ? 'preorder' : 'out_of_stock', orderable: fits, available, maxOrderable };
  }

  if (available >= quantity) {
    const status = available > sku.lowStockThreshold ? 'in_stock' : 'low_stock';
    return { status, orderable: true, available, maxOrderable };
  }

  if (policy === 'backorder') {
    return { status: fits ? 'backorder' : 'out_of_stock', orderable: fits, available, maxOrderable };
  }
  if (policy === 'discontinued' && available === 0) {
    return { status: 'discontinued', orderable: false, available, maxOrderable };
  }
  return { status: 'out_of_stock', orderable: false, available, maxOrderable };
}
