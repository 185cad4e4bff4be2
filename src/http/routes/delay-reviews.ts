import { z } from 'zod';
import { delayReviewView, runDelayReview } from '../../jobs/delay-review.js';
import type { App, RouteContext } from '../app.js';
import { writeThenStore } from '../idempotent.js';
import { errorBody } from '../schemas.js';

const noticeRef = z.object({ notice_id: z.string(), order_id: z.string() });

const reviewView = z.object({
  reviewed_orders: z.number().describe('Orders the review opened a transaction for'),
  notices_sent: z.array(
    noticeRef.extend({
      notice: z.enum(['first', 'renewed']),
      consent: z.enum(['silence', 'explicit']),
      late: z.boolean(),
      line_ids: z.array(z.string()),
    }),
  ),
  consents_by_silence: z.array(noticeRef).describe('Notices whose revised date took effect because the customer did not answer'),
  cancellations: z
    .array(noticeRef.extend({ refund: z.object({ amount: z.number(), currency: z.string() }) }))
    .describe('Notices whose delayed units were cancelled and refunded: the delay needed consent that did not come'),
  resolved_notices: z.array(noticeRef).describe('Open notices closed because their lines no longer slip'),
});

/** Registers `POST /v1/delay-reviews`, which runs the delay review now instead of at the next scheduled run. */
export function registerDelayReviewRoutes(app: App, { store }: RouteContext): void {
  app.post(
    '/v1/delay-reviews',
    {
      schema: {
        tags: ['delays'],
        summary: 'Run the delay review now and return what it did',
        description:
          'Takes no body. Sends the delay notices due, applies consent by silence, cancels and refunds the units whose delay ' +
          'was not accepted in time, and resolves notices whose lines no longer slip; serve and worker also run it every 10 minutes. ' +
          'A repeat does only what is still due. With an Idempotency-Key, a retry returns the first report without running again.',
        response: { 200: reviewView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      writeThenStore(store, request, reply, async () => {
        const report = await runDelayReview(store, request.log);
        return { statusCode: 200, body: delayReviewView(report) };
      }),
  );
}
