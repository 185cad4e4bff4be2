import { z } from 'zod';
import { cancelOrder } from '../../app/cancel-order.js';
import { placeOrders } from '../../app/place-order.js';
import { readOrder, readOrderAfterWrite } from '../../app/read-models.js';
import { shipOrder } from '../../app/ship-order.js';
import type { App, RouteContext } from '../app.js';
import { write } from '../idempotent.js';
import { decodeCursor, isTextPair, page } from '../pagination.js';
import {
  captureMode, country, currency, emailAddress, errorBody, listOf, listQuery, locationCode, MAX_LINES, quantity, resourceId, shipPolicy, skuCode, text, unitPrice,
} from '../schemas.js';
import { notOrderable } from './availability.js';

const LINE_STATUSES = ['allocated', 'partially_backordered', 'backordered', 'partially_shipped', 'shipped', 'cancelled'] as const;

export const orderBody = z
  .object({
    external_id: text(255).nullable().optional(),
    customer: z
      .object({
        email: emailAddress,
        name: text(200).optional(),
        locale: text(35).optional(),
      })
      .strict()
      .optional(),
    currency,
    ship_policy: shipPolicy.optional(),
    shipping_country: country.optional(),
    capture: captureMode.optional(),
    priority: z.number().int('must be a whole number').min(-1000).max(1000).optional(),
    lines: z
      .array(z.object({ sku: skuCode, quantity, unit_price: unitPrice }).strict())
      .min(1, 'must have at least one line')
      .max(MAX_LINES, 'must have at most 500 lines'),
  })
  .strict();

const lineView = z.object({
  id: z.string(),
  sku: z.string(),
  quantity: z.number(),
  unit_price: z.number(),
  allocated: z.number(),
  backordered: z.number(),
  shipped: z.number(),
  cancelled: z.number(),
  returned: z.number(),
  status: z.enum(LINE_STATUSES),
  promised_ship_date: z.string().nullable().describe('The first ship-by date told for this line'),
  ship_by_date: z
    .string()
    .nullable()
    .describe(
      'The date in force: the revised date accepted after a delay notice (by the customer or by silence), else promised_ship_date; null with neither, or after the customer accepted a delay that gave no date',
    ),
  estimated_ship_date: z.string().nullable().describe('The current estimate; later than the promise means a delay'),
  ship_date_basis: z.enum(['stock', 'inbound', 'restock_date', 'lead_time', 'release_date', 'unknown']).nullable(),
  queue_position: z.number().nullable(),
  kit_line_id: z.string().nullable().describe('For a component line of a kit: the kit line, which carries the price; null otherwise'),
});

export const orderView = z.object({
  id: z.string(),
  external_id: z.string().nullable(),
  status: z.enum(LINE_STATUSES),
  placed_at: z.string(),
  currency: z.string(),
  ship_policy: shipPolicy,
  lines: z.array(lineView),
  payment: z.object({ capture: captureMode, captured: z.number(), refunded: z.number() }),
});

const orderParams = z.object({ id: resourceId });
const unitsOfLines = z.array(z.object({ line_id: resourceId, quantity }).strict()).min(1).max(MAX_LINES);

export function registerOrderRoutes(app: App, { store, metrics }: RouteContext): void {
  app.post(
    '/v1/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'Place an order: each line is allocated or backordered, or the whole order is rejected',
        body: orderBody,
        response: { 201: orderView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const body = request.body;
      await write(store, request, reply, async (work) => {
        const [outcome] = await placeOrders(work, [
          {
            externalId: body.external_id,
            customer: body.customer,
            currency: body.currency,
            shipPolicy: body.ship_policy,
            shippingCountry: body.shipping_country,
            capture: body.capture,
            priority: body.priority,
            lines: body.lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPrice: line.unit_price })),
          },
        ]);
        if (!outcome!.accepted) {
          metrics.ordersRejected.inc();
          throw notOrderable(outcome!.rejections.map((r) => ({ sku: r.sku, reason: r.reason, max_orderable: r.maxOrderable })));
        }
        return { statusCode: 201, body: await readOrderAfterWrite(work, outcome!.orderId) };
      });
      // write() has sent the reply, and awaiting a reply resolves with no value once
      // the response is finished, so the outcome is read from the reply itself.
      if (reply.statusCode === 201 && reply.getHeader('idempotent-replayed') === undefined) metrics.ordersPlaced.inc();
      return reply;
    },
  );

  app.get(
    '/v1/orders/:id',
    { schema: { tags: ['orders'], summary: 'Read an order', params: orderParams, response: { 200: orderView, 404: errorBody } } },
    async (request) => readOrder(store.db, request.params.id),
  );

  app.get(
    '/v1/orders',
    {
      schema: {
        tags: ['orders'],
        summary: 'List orders, newest first, by status, SKU or customer e-mail',
        querystring: z.object({ status: z.enum(LINE_STATUSES, { error: `must be one of ${LINE_STATUSES.join(', ')}` }).optional(), sku: skuCode.optional(), email: text(254).optional(), ...listQuery }),
        response: { 200: listOf(orderView) },
      },
    },
    async (request) => {
      const { status, sku, email, limit, cursor } = request.query;
      const before = decodeCursor(cursor, isTextPair);
      let query = store.db.selectFrom('orders').select(['id', 'placed_at']).orderBy('placed_at', 'desc').orderBy('id', 'desc').limit(limit + 1);
      if (status) query = query.where('status', '=', status);
      if (email) query = query.where('customer_email', '=', email);
      if (sku) query = query.where('id', 'in', (eb) => eb.selectFrom('order_lines').select('order_id').where('sku', '=', sku));
      if (before) {
        const [placedAt, id] = before;
        query = query.where((eb) => eb.or([eb('placed_at', '<', placedAt), eb.and([eb('placed_at', '=', placedAt), eb('id', '<', id)])]));
      }
      const rows = await query.execute();
      const views = [];
      for (const row of rows) views.push({ view: await readOrder(store.db, row.id), key: [row.placed_at, row.id] });
      const result = page(views, limit, (entry) => entry.key);
      return { ...result, data: result.data.map((entry) => entry.view) };
    },
  );

  app.post(
    '/v1/orders/:id/cancellations',
    {
      schema: {
        tags: ['orders'],
        summary: 'Cancel units (backordered first) and refund what was paid for them',
        params: orderParams,
        body: z.object({ lines: unitsOfLines.optional(), reason: text(500).min(1, 'must say why') }).strict(),
        response: {
          200: z.object({ order: orderView, refund: z.object({ amount: z.number(), currency: z.string() }) }),
          400: errorBody,
          404: errorBody,
          409: errorBody,
        },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => {
        const { refund } = await cancelOrder(work, request.params.id, {
          lines: request.body.lines?.map((line) => ({ lineId: line.line_id, quantity: line.quantity })),
          reason: request.body.reason,
        });
        return { statusCode: 200, body: { order: await readOrderAfterWrite(work, request.params.id), refund } };
      }),
  );

  app.post(
    '/v1/orders/:id/shipments',
    {
      schema: {
        tags: ['orders'],
        summary: 'Ship allocated units from one location',
        params: orderParams,
        body: z
          .object({
            location: locationCode.optional(),
            lines: unitsOfLines,
            carrier: text(100).optional(),
            tracking_number: text(200).optional(),
          })
          .strict(),
        response: {
          201: z.object({
            shipment: z.object({ id: z.string(), location: z.string(), carrier: z.string().nullable(), tracking_number: z.string().nullable() }),
            order: orderView,
          }),
          400: errorBody,
          404: errorBody,
          409: errorBody,
        },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => {
        const body = request.body;
        const shipmentId = await shipOrder(work, request.params.id, {
          location: body.location,
          lines: body.lines.map((line) => ({ lineId: line.line_id, quantity: line.quantity })),
          carrier: body.carrier,
          trackingNumber: body.tracking_number,
        });
        const shipment = await work.db
          .selectFrom('shipments')
          .select(['id', 'location', 'carrier', 'tracking_number'])
          .where('id', '=', shipmentId)
          .executeTakeFirstOrThrow();
        return { statusCode: 201, body: { shipment, order: await readOrderAfterWrite(work, request.params.id) } };
      }),
  );
}
