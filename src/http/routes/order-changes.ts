import { z } from 'zod';
import { editOrderLine } from '../../app/edit-order.js';
import { readOrderAfterWrite } from '../../app/read-models.js';
import { returnOrder } from '../../app/return-order.js';
import type { App, RouteContext } from '../app.js';
import { write } from '../idempotent.js';
import { errorBody, MAX_LINES, quantity, resourceId, text, unitPrice } from '../schemas.js';
import { orderView } from './orders.js';

const lineParams = z.object({ id: resourceId, line_id: resourceId });
const orderParams = z.object({ id: resourceId });

const editBody = z
  .object({
    quantity: quantity
      .optional()
      .describe('Units the customer now wants on the line, shipped ones included and cancelled ones not; at least the units shipped'),
    unit_price: unitPrice.optional().describe('New price of one unit in minor units; applies to the unshipped units only'),
  })
  .strict()
  .refine((body) => body.quantity !== undefined || body.unit_price !== undefined, 'must set quantity, unit_price or both');

const returnBody = z
  .object({
    lines: z
      .array(z.object({ line_id: resourceId, quantity }).strict())
      .min(1, 'must have at least one line')
      .max(MAX_LINES, 'must have at most 500 lines'),
    restock: z.boolean({ error: 'must be true or false' }).describe('Put the units back on hand at the location they shipped from'),
    refund: z.boolean({ error: 'must be true or false' }).describe('Refund the units at the price they shipped at'),
    reason: text(500).optional(),
  })
  .strict();

const returnView = z.object({
  id: z.string(),
  restock: z.boolean(),
  refund: z.boolean(),
  lines: z.array(
    z.object({ line_id: z.string(), shipment_id: z.string(), location: z.string(), quantity: z.number(), refund_amount: z.number() }),
  ),
});

/** Order edits and returns: the changes to an order after it was placed, besides cancellations and shipments. */
export function registerOrderChangeRoutes(app: App, { store }: RouteContext): void {
  app.patch(
    '/v1/orders/:id/lines/:line_id',
    {
      schema: {
        tags: ['orders'],
        summary: 'Edit a line: change its quantity or the price of its unshipped units; the capture or refund follows',
        params: lineParams,
        body: editBody,
        response: { 200: orderView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request) =>
      store.transaction(async (work) => {
        await editOrderLine(work, request.params.id, request.params.line_id, {
          quantity: request.body.quantity,
          unitPrice: request.body.unit_price,
        });
        return readOrderAfterWrite(work, request.params.id);
      }),
  );

  app.post(
    '/v1/orders/:id/returns',
    {
      schema: {
        tags: ['orders'],
        summary: 'Take shipped units back, restocking and refunding them as asked; each unit comes back once',
        params: orderParams,
        body: returnBody,
        response: {
          201: z.object({ return: returnView, order: orderView, refund: z.object({ amount: z.number(), currency: z.string() }) }),
          400: errorBody,
          404: errorBody,
          409: errorBody,
        },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => {
        const body = request.body;
        const result = await returnOrder(work, request.params.id, {
          lines: body.lines.map((line) => ({ lineId: line.line_id, quantity: line.quantity })),
          restock: body.restock,
          refund: body.refund,
          reason: body.reason,
        });
        const view = {
          id: result.returnId,
          restock: body.restock,
          refund: body.refund,
          lines: result.lines.map((line) => ({
            line_id: line.lineId,
            shipment_id: line.shipmentId,
            location: line.location,
            quantity: line.quantity,
            refund_amount: line.refundAmount,
          })),
        };
        return { statusCode: 201, body: { return: view, order: await readOrderAfterWrite(work, request.params.id), refund: result.refund } };
      }),
  );
}
