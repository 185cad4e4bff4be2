import { z } from 'zod';
import { invalidRequest, notFound } from '../../app/errors.js';
import { compareText } from '../../domain/allocation.js';
import { readLevels } from '../../app/read-models.js';
import { adjustStock } from '../../app/stock.js';
import type { App, RouteContext } from '../app.js';
import { write } from '../idempotent.js';
import { decodeCursor, isText, page } from '../pagination.js';
import { count, errorBody, listOf, listQuery, locationCode, MAX_QUANTITY, skuCode, text } from '../schemas.js';

export const adjustmentBody = z
  .object({
    sku: skuCode,
    location: locationCode.optional(),
    quantity_delta: z
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(-MAX_QUANTITY, 'must be at least -1,000,000')
      .max(MAX_QUANTITY, 'must be at most 1,000,000')
      .refine((n) => n !== 0, 'must not be 0')
      .optional(),
    on_hand: count(1_000_000_000).optional(),
    reason: text(500).min(1, 'must say why stock changed'),
  })
  .strict();

const levelView = z.object({ sku: z.string(), location: z.string(), on_hand: z.number(), allocated: z.number(), available: z.number() });

const movementView = z.object({
  id: z.string(),
  sku: z.string(),
  location: z.string(),
  kind: z.string(),
  on_hand_delta: z.number(),
  allocated_delta: z.number(),
  order_id: z.string().nullable(),
  line_id: z.string().nullable(),
  purchase_order_id: z.string().nullable(),
  receipt_id: z.string().nullable(),
  shipment_id: z.string().nullable(),
  reason: z.string().nullable(),
  created_at: z.string(),
});

export function registerStockRoutes(app: App, { store }: RouteContext): void {
  app.post(
    '/v1/stock/adjustments',
    {
      schema: {
        tags: ['stock'],
        summary: 'Change on hand by a delta or to a counted value',
        body: adjustmentBody,
        response: { 201: z.object({ movement: movementView.nullable(), level: levelView }), 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if ((body.quantity_delta === undefined) === (body.on_hand === undefined)) {
        throw invalidRequest('Give exactly one of quantity_delta and on_hand.', [
          { field: 'quantity_delta', message: 'give exactly one of quantity_delta and on_hand' },
        ]);
      }

      return write(store, request, reply, async (work) => {
        const result = await adjustStock(work, {
          sku: body.sku,
          location: body.location,
          quantityDelta: body.quantity_delta,
          onHand: body.on_hand,
          reason: body.reason,
        });
        const movement = result.movementId
          ? {
              id: result.movementId,
              sku: body.sku,
              location: result.level.location,
              kind: 'adjustment',
              on_hand_delta: result.delta,
              allocated_delta: 0,
              order_id: null,
              line_id: null,
              purchase_order_id: null,
              receipt_id: null,
              shipment_id: null,
              reason: body.reason,
              created_at: work.nowIso,
            }
          : null;
        const { onHand, allocated, available, sku, location } = result.level;
        return { statusCode: 201, body: { movement, level: { sku, location, on_hand: onHand, allocated, available } } };
      });
    },
  );

  app.get(
    '/v1/stock/levels',
    {
      schema: {
        tags: ['stock'],
        summary: 'Read stock levels per location, by location code',
        querystring: z.object({ sku: skuCode, ...listQuery }),
        response: { 200: listOf(levelView), 404: errorBody },
      },
    },
    async (request) => {
      const { sku, limit, cursor } = request.query;
      await assertSkuExists(store, sku);
      const after = decodeCursor(cursor, isText);
      // A SKU has one level per location, so the page is cut from the full list. Sorting
      // here makes the order agree with the cursor comparison on every database.
      const levels = (await readLevels(store.db, sku))
        .sort((a, b) => compareText(a.location, b.location))
        .filter((level) => after === undefined || level.location > after);
      return page(levels.slice(0, limit + 1), limit, (level) => level.location);
    },
  );

  app.get(
    '/v1/stock/movements',
    {
      schema: {
        tags: ['stock'],
        summary: 'Read the stock ledger, newest first',
        querystring: z.object({ sku: skuCode, ...listQuery }),
        response: { 200: listOf(movementView), 404: errorBody },
      },
    },
    async (request) => {
      const { sku, limit, cursor } = request.query;
      await assertSkuExists(store, sku);
      const before = decodeCursor(cursor, isText);
      let query = store.db.selectFrom('stock_movements').selectAll().where('sku', '=', sku).orderBy('id', 'desc').limit(limit + 1);
      if (before !== undefined) query = query.where('id', '<', before);
      return page(await query.execute(), limit, (row) => row.id);
    },
  );
}

async function assertSkuExists(store: RouteContext['store'], sku: string): Promise<void> {
  const row = await store.db.selectFrom('skus').select('code').where('code', '=', sku).executeTakeFirst();
  if (!row) throw notFound(`SKU ${sku} was not found.`);
}
