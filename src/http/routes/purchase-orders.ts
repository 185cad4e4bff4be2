import { z } from 'zod';
import { notFound } from '../../app/errors.js';
import { closePurchaseOrder, createPurchaseOrder, receive, redatePurchaseOrder } from '../../app/purchase-orders.js';
import type { App, RouteContext } from '../app.js';
import { write } from '../idempotent.js';
import { decodeCursor, isText, page } from '../pagination.js';
import { calendarDate, errorBody, listOf, listQuery, locationCode, MAX_LINES, quantity, resourceId, skuCode, text } from '../schemas.js';

const PURCHASE_ORDER_STATUSES = ['open', 'partially_received', 'received', 'closed'] as const;

const poLine = z.object({ sku: skuCode, quantity }).strict();

export const createBody = z
  .object({
    reference: text(200).min(1, 'must name the supplier reference'),
    location: locationCode.optional(),
    expected_date: calendarDate,
    lines: z.array(poLine).min(1, 'must have at least one line').max(MAX_LINES, 'must have at most 500 lines'),
  })
  .strict();

const poView = z.object({
  id: z.string(),
  reference: z.string(),
  location: z.string(),
  expected_date: z.string(),
  status: z.enum(PURCHASE_ORDER_STATUSES),
  created_at: z.string(),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number(), received: z.number() })),
});

const receiptView = z.object({
  receipt: z.object({
    id: z.string(),
    purchase_order_id: z.string(),
    location: z.string(),
    created_at: z.string(),
    lines: z.array(z.object({ sku: z.string(), quantity: z.number() })),
  }),
  allocations: z.array(z.object({ order_id: z.string(), line_id: z.string(), quantity: z.number() })),
});

const idParams = z.object({ id: resourceId });

export function registerPurchaseOrderRoutes(app: App, { store }: RouteContext): void {
  app.post(
    '/v1/purchase-orders',
    {
      schema: {
        tags: ['purchase orders'],
        summary: 'Create a purchase order: inbound supply with an expected date',
        body: createBody,
        response: { 201: poView, 400: errorBody, 404: errorBody },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => {
        const body = request.body;
        const id = await createPurchaseOrder(work, {
          reference: body.reference,
          location: body.location,
          expectedDate: body.expected_date,
          lines: body.lines,
        });
        return { statusCode: 201, body: await readPurchaseOrder(work.db, id) };
      }),
  );

  app.get(
    '/v1/purchase-orders/:id',
    { schema: { tags: ['purchase orders'], summary: 'Read a purchase order', params: idParams, response: { 200: poView, 404: errorBody } } },
    async (request) => readPurchaseOrder(store.db, request.params.id),
  );

  app.get(
    '/v1/purchase-orders',
    {
      schema: {
        tags: ['purchase orders'],
        summary: 'List purchase orders, newest first',
        querystring: z.object({ status: z.enum(PURCHASE_ORDER_STATUSES, { error: `must be one of ${PURCHASE_ORDER_STATUSES.join(', ')}` }).optional(), ...listQuery }),
        response: { 200: listOf(poView) },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const before = decodeCursor(cursor, isText);
      let query = store.db.selectFrom('purchase_orders').select('id').orderBy('id', 'desc').limit(limit + 1);
      if (status) query = query.where('status', '=', status);
      if (before !== undefined) query = query.where('id', '<', before);
      const views = [];
      for (const { id } of await query.execute()) views.push(await readPurchaseOrder(store.db, id));
      return page(views, limit, (view) => view.id);
    },
  );

  app.patch(
    '/v1/purchase-orders/:id',
    {
      schema: {
        tags: ['purchase orders'],
        summary: 'Move the expected date; every line it covers is re-promised',
        params: idParams,
        body: z.object({ expected_date: calendarDate }).strict(),
        response: { 200: poView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) =>
      store.transaction(async (work) => {
        await redatePurchaseOrder(work, request.params.id, request.body.expected_date);
        return readPurchaseOrder(work.db, request.params.id);
      }),
  );

  app.post(
    '/v1/purchase-orders/:id/receipts',
    {
      schema: {
        tags: ['purchase orders'],
        summary: 'Receive units; the backorder queue is served first',
        params: idParams,
        body: z.object({ lines: z.array(poLine).min(1).max(MAX_LINES) }).strict(),
        response: { 201: receiptView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => {
        const result = await receive(work, request.params.id, request.body.lines);
        const receipt = await work.db.selectFrom('receipts').selectAll().where('id', '=', result.receiptId).executeTakeFirstOrThrow();
        return {
          statusCode: 201,
          body: {
            receipt: { ...receipt, lines: request.body.lines },
            allocations: result.allocations.map((a) => ({ order_id: a.orderId, line_id: a.lineId, quantity: a.quantity })),
          },
        };
      }),
  );

  app.post(
    '/v1/purchase-orders/:id/close',
    {
      schema: {
        tags: ['purchase orders'],
        summary: 'Close a purchase order: no more units will come',
        params: idParams,
        response: { 200: poView, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => {
        await closePurchaseOrder(work, request.params.id);
        return { statusCode: 200, body: await readPurchaseOrder(work.db, request.params.id) };
      }),
  );
}

async function readPurchaseOrder(db: RouteContext['store']['db'], id: string) {
  const po = await db.selectFrom('purchase_orders').selectAll().where('id', '=', id).executeTakeFirst();
  if (!po) throw notFound(`Purchase order ${id} was not found.`);
  const lines = await db
    .selectFrom('purchase_order_lines')
    .select(['sku', 'quantity', 'received'])
    .where('purchase_order_id', '=', id)
    .orderBy('position')
    .execute();
  return {
    id: po.id,
    reference: po.reference,
    location: po.location,
    expected_date: po.expected_date,
    status: po.status as 'open',
    created_at: po.created_at,
    lines,
  };
}
