import { z } from 'zod';
import { completeRefund, listRefunds, readRefund } from '../../app/refunds.js';
import type { App, RouteContext } from '../app.js';
import { write } from '../idempotent.js';
import { decodeCursor, isTextPair, page } from '../pagination.js';
import { errorBody, listOf, listQuery, resourceId, text } from '../schemas.js';

const refundView = z.object({
  id: z.string(),
  order_id: z.string(),
  amount: z.number().describe('In the currency\'s minor units'),
  currency: z.string(),
  reason: z.string(),
  status: z.enum(['requested', 'completed']),
  requested_at: z.string(),
  due_by: z.string().describe('The last day to pay it back: 7 working days of the main location after the request'),
  completed_at: z.string().nullable(),
  provider_reference: z.string().nullable(),
  overdue: z.boolean().describe('Still requested after due_by'),
});

const refundParams = z.object({ id: resourceId });

const completeBody = z
  .object({ provider_reference: text(255).optional().describe('The payment system\'s id of the refund') })
  .strict();

const listQuerystring = z.object({
  status: z
    .enum(['requested', 'completed'], { error: 'must be one of requested, completed' })
    .optional()
    .describe('Only refunds in this state: requested (not yet paid back) or completed'),
  overdue: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .describe('true: only refunds still requested after their due date; false: only the others'),
  ...listQuery,
});

/** Refunds requested from the payment system: the list with overdue ones, and their completion. */
export function registerRefundRoutes(app: App, { store }: RouteContext): void {
  app.get(
    '/v1/refunds',
    {
      schema: {
        tags: ['refunds'],
        summary: 'List refunds oldest first; overdue=true lists those still unpaid after their due date',
        querystring: listQuerystring,
        response: { 200: listOf(refundView), 400: errorBody },
      },
    },
    async (request) => {
      const { status, overdue, limit, cursor } = request.query;
      const after = decodeCursor(cursor, isTextPair);
      const rows = await listRefunds(store.db, store.clock(), {
        status,
        overdue: overdue === undefined ? undefined : overdue === 'true',
        after,
        limit,
      });
      return page(rows, limit, (row) => [row.requested_at, row.id]);
    },
  );

  app.get(
    '/v1/refunds/:id',
    {
      schema: {
        tags: ['refunds'],
        summary: 'Read a refund',
        params: refundParams,
        response: { 200: refundView, 404: errorBody },
      },
    },
    async (request) => readRefund(store.db, store.clock(), request.params.id),
  );

  app.post(
    '/v1/refunds/:id/complete',
    {
      schema: {
        tags: ['refunds'],
        summary: 'Record that the payment system paid a refund back; repeating it with the same reference changes nothing',
        params: refundParams,
        body: completeBody.nullish(),
        response: { 200: refundView, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => {
        const refund = await completeRefund(work, request.params.id, request.body?.provider_reference ?? null);
        request.log.info({ refundId: refund.id, orderId: refund.order_id }, 'refund completed');
        return { statusCode: 200, body: refund };
      }),
  );
}
