import { z } from 'zod';
import type { App, RouteContext } from '../app.js';
import { decodeCursor, isWholeNumber, page } from '../pagination.js';
import { listOf, listQuery, resourceId, text } from '../schemas.js';

const eventView = z.object({
  id: z.string(),
  type: z.string(),
  order_id: z.string().nullable(),
  line_id: z.string().nullable(),
  sku: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});

export function registerEventRoutes(app: App, { store }: RouteContext): void {
  app.get(
    '/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Read the event log, oldest first',
        querystring: z.object({ type: text(100).optional(), order_id: resourceId.optional(), sku: text(64).optional(), ...listQuery }),
        response: { 200: listOf(eventView) },
      },
    },
    async (request) => {
      const { type, order_id: orderId, sku, limit, cursor } = request.query;
      const after = decodeCursor(cursor, isWholeNumber);
      let query = store.db.selectFrom('events').selectAll().orderBy('seq').limit(limit + 1);
      if (type) query = query.where('type', '=', type);
      if (orderId) query = query.where('order_id', '=', orderId);
      if (sku) query = query.where('sku', '=', sku);
      if (after !== undefined) query = query.where('seq', '>', after);
      const rows = await query.execute();
      const result = page(rows, limit, (row) => row.seq);
      return {
        ...result,
        data: result.data.map((row) => ({
          id: row.id,
          type: row.type,
          order_id: row.order_id,
          line_id: row.line_id,
          sku: row.sku,
          data: JSON.parse(row.data) as Record<string, unknown>,
          created_at: row.created_at,
        })),
      };
    },
  );
}
