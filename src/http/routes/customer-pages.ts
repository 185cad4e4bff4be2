import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  acceptDelay, cancelDelayedItems, cancelWaitingUnits, orderOfToken, readCustomerPage, type AnswerOutcome, type LineCancelOutcome,
} from '../../app/customer-self-service.js';
import type { Store } from '../../store/store.js';
import type { App, RouteContext } from '../app.js';
import { renderInvalidLink, renderOrderPage } from './customer-page-html.js';

const tokenParams = z.object({ token: z.string().max(512, 'must be at most 512 characters') });
const htmlPage = z.string().describe('An HTML page');
/** A form post carries one hidden field; anything much longer is not from the page. */
const FORM_BODY_LIMIT = 4096;

/**
 * Registers the customer's order page behind a signed link (`/c/{token}`,
 * token kind `order`). It shows each line's state and dates, and each open
 * delay notice with a form to accept the new date and one to cancel the
 * delayed units for a refund. A form per line cancels its units not yet
 * shipped. The forms post back and get the page again with what changed.
 * Every link that opens no order gets the same 404 page.
 */
export function registerCustomerPageRoutes(app: App, context: RouteContext): void {
  void app.register(async (scope: App) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    registerPageRoutes(scope, context);
  });
}

function registerPageRoutes(app: App, { store, publicRateLimit, customerLinks }: RouteContext): void {
  const basePath = new URL(customerLinks.baseUrl).pathname.replace(/\/+$/, '');
  const routeConfig = { access: 'none' as const, rateLimit: publicRateLimit };
  const schema = (summary: string) => ({
    tags: ['customer pages'],
    summary,
    // An HTML page for people, kept out of the API document like the other /c/ pages.
    hide: true,
    security: [],
    params: tokenParams,
    response: { 200: htmlPage, 400: htmlPage, 404: htmlPage },
  });
  const orderOf = (token: string) => orderOfToken(store.db, customerLinks.secret, token, store.clock());
  const actionBase = (token: string) => `${basePath}/c/${encodeURIComponent(token)}`;

  app.get('/c/:token', { config: routeConfig, schema: schema('Order page: line states, dates and open delay notices') }, async (request, reply) => {
    const orderId = await orderOf(request.params.token);
    if (orderId === null) return sendHtml(reply, 404, renderInvalidLink());
    return sendOrderPage(reply, store, orderId, actionBase(request.params.token));
  });

  for (const action of ['accept', 'cancel'] as const) {
    app.post(
      `/c/:token/${action}`,
      { config: routeConfig, schema: schema(action === 'accept' ? 'Accept a delay notice' : 'Cancel the delayed units of a notice for a refund') },
      async (request, reply) => {
        const orderId = await orderOf(request.params.token);
        if (orderId === null) return sendHtml(reply, 404, renderInvalidLink());

        const noticeId = noticeIdOf(request.body);
        if (noticeId === null) {
          return sendOrderPage(reply, store, orderId, actionBase(request.params.token), 400, 'Choose a delay notice on this page and use its button.');
        }
        const answer = action === 'accept' ? acceptDelay : cancelDelayedItems;
        const outcome = await store.transaction((work) => answer(work, orderId, noticeId));
        logOutcome(request.log, orderId, outcome);
        return sendOrderPage(reply, store, orderId, actionBase(request.params.token), 200, messageOf(outcome));
      },
    );
  }

  app.post(
    '/c/:token/cancel-items',
    { config: routeConfig, schema: schema('Cancel the units of a line that have not shipped, for a refund') },
    async (request, reply) => {
      const orderId = await orderOf(request.params.token);
      if (orderId === null) return sendHtml(reply, 404, renderInvalidLink());

      const lineId = formFieldOf(request.body, 'line_id');
      if (lineId === null) {
        return sendOrderPage(reply, store, orderId, actionBase(request.params.token), 400, 'Choose an item on this page and use its button.');
      }
      const outcome = await store.transaction((work) => cancelWaitingUnits(work, orderId, lineId));
      logLineCancel(request.log, orderId, outcome);
      return sendOrderPage(reply, store, orderId, actionBase(request.params.token), 200, lineCancelMessage(outcome));
    },
  );
}

function noticeIdOf(body: unknown): string | null {
  return formFieldOf(body, 'notice_id');
}

/** Returns a form field that contains an id of 1 to 64 characters, else null. */
function formFieldOf(body: unknown, field: string): string | null {
  const value = (body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' && value.length > 0 && value.length <= 64 ? value : null;
}

function lineCancelMessage(outcome: LineCancelOutcome): string {
  if (outcome.kind === 'nothing_to_cancel') return 'Nothing changed: these items have no units left that wait to ship.';
  return outcome.refund.amount > 0
    ? 'The items not yet shipped are cancelled, and a full refund is on its way.'
    : 'The items not yet shipped are cancelled; nothing was paid for them, so there is nothing to refund.';
}

function logLineCancel(log: FastifyBaseLogger, orderId: string, outcome: LineCancelOutcome): void {
  if (outcome.kind === 'nothing_to_cancel') {
    log.info({ orderId, lineId: outcome.lineId }, 'customer cancel not applied: no units of the line wait to ship');
    return;
  }
  log.info(
    { orderId, lineId: outcome.lineId, units: outcome.units, refund: outcome.refund.amount, resolvedNotices: outcome.resolvedNotices },
    'customer cancelled items not yet shipped',
  );
}

function messageOf(outcome: AnswerOutcome): string {
  if (outcome.kind === 'accepted') return 'Thank you: you accepted the new date.';
  if (outcome.kind === 'cancelled') {
    return outcome.refund.amount > 0
      ? 'The delayed items are cancelled, and a full refund is on its way.'
      : 'The delayed items are cancelled; nothing was paid for them, so there is nothing to refund.';
  }
  return 'Nothing changed: this delay notice was already answered or its time to answer has ended.';
}

function logOutcome(log: FastifyBaseLogger, orderId: string, outcome: AnswerOutcome): void {
  if (outcome.kind === 'cancelled') {
    log.info({ orderId, noticeId: outcome.noticeId, units: outcome.units, refund: outcome.refund.amount }, 'customer cancelled delayed items');
  } else if (outcome.kind === 'accepted') {
    log.info({ orderId, noticeId: outcome.noticeId }, 'customer accepted a delay');
  } else {
    log.info({ orderId, noticeId: outcome.noticeId }, 'customer answer not applied: the notice is not open');
  }
}

async function sendOrderPage(
  reply: FastifyReply,
  store: Store,
  orderId: string,
  actionBase: string,
  status = 200,
  message?: string,
): Promise<FastifyReply> {
  const page = await readCustomerPage(store.db, orderId, store.clock());
  return sendHtml(reply, status, renderOrderPage(page, { actionBase, message }));
}

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}
