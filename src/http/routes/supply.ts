import { z } from 'zod';
import { readSupply } from '../../app/supply-report.js';
import type { App, RouteContext } from '../app.js';
import { errorBody, skuCode } from '../schemas.js';

const supplyEntry = z.object({
  purchase_order_id: z.string(),
  reference: z.string(),
  location: z.string(),
  expected_date: z.string(),
  quantity: z.number(),
  received: z.number(),
  ships_by: z.string().nullable(),
  covers: z.array(z.object({ order_id: z.string(), line_id: z.string(), units: z.number(), queue_position: z.number() })),
  uncommitted: z.number(),
});

export function registerSupplyRoutes(app: App, { store }: RouteContext): void {
  app.get(
    '/v1/skus/:sku/supply',
    {
      schema: {
        tags: ['queue'],
        summary: 'Open purchase-order lines of a SKU with the queue lines each is expected to cover',
        params: z.object({ sku: skuCode }),
        response: { 200: z.object({ data: z.array(supplyEntry), has_more: z.boolean(), next_cursor: z.string().nullable() }), 404: errorBody },
      },
    },
    // Every open line of one SKU fits on one page: purchase orders are few per SKU.
    async (request) => ({ data: await readSupply(store.db, store.clock(), request.params.sku), has_more: false, next_cursor: null }),
  );
}
