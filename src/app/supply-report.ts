import type { Kysely } from 'kysely';
import { sweepPromises } from '../domain/promise.js';
import type { Database } from '../store/schema.js';
import { notFound } from './errors.js';
import { loadPromiseLocations, loadQueue, loadSweepInput } from './promises.js';

export interface SupplyEntry {
  purchase_order_id: string;
  reference: string;
  location: string;
  expected_date: string;
  quantity: number;
  received: number;
  ships_by: string | null;
  covers: { order_id: string; line_id: string; units: number; queue_position: number }[];
  /** Units of this line that no queued line needs: they become available on receipt. */
  uncommitted: number;
}

/**
 * Reads each open purchase-order line of a SKU, in expected-date order, with
 * the queue lines it is expected to serve, as the promise sweep assigns them.
 */
export async function readSupply(db: Kysely<Database>, now: Date, sku: string): Promise<SupplyEntry[]> {
  const locations = await loadPromiseLocations(db);
  const input = await loadSweepInput(db, now, sku, locations);
  if (!input) throw notFound(`SKU ${sku} was not found.`);

  const queue = await loadQueue(db, sku);
  const swept = sweepPromises({
    ...input,
    queue: queue.map((line) => ({ id: line.id, backordered: line.backordered, shippingCountry: line.shipping_country })),
  });
  const position = new Map(queue.map((line, index) => [line.id, { orderId: line.order_id, position: index + 1 }]));

  const lines = await db
    .selectFrom('purchase_order_lines')
    .innerJoin('purchase_orders', 'purchase_orders.id', 'purchase_order_lines.purchase_order_id')
    .select([
      'purchase_order_lines.id', 'purchase_orders.id as purchase_order_id', 'purchase_orders.reference', 'purchase_orders.location',
      'purchase_orders.expected_date', 'purchase_order_lines.quantity', 'purchase_order_lines.received',
    ])
    .where('purchase_order_lines.sku', '=', sku)
    .where('purchase_order_lines.open', '=', 1)
    .execute();
  const byId = new Map(lines.map((line) => [line.id, line]));

  const entries: SupplyEntry[] = [];
  for (const coverage of swept.coverage) {
    const line = byId.get(coverage.inboundLineId);
    if (!line) continue;
    const covered = coverage.lines.reduce((sum, c) => sum + c.units, 0);
    entries.push({
      purchase_order_id: line.purchase_order_id,
      reference: line.reference,
      location: line.location,
      expected_date: line.expected_date,
      quantity: line.quantity,
      received: line.received,
      ships_by: coverage.shipDate.date,
      covers: coverage.lines.map((c) => ({
        order_id: position.get(c.lineId)!.orderId,
        line_id: c.lineId,
        units: c.units,
        queue_position: position.get(c.lineId)!.position,
      })),
      uncommitted: Math.max(0, line.quantity - line.received - covered),
    });
  }
  return entries;
}
