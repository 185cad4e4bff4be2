import type { FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { readSubscription, subscribe, unsubscribe, type SubscriptionView } from '../../app/back-in-stock.js';
import { verifyToken, type TokenCheck } from '../../app/signed-tokens.js';
import type { Database } from '../../store/schema.js';
import type { App, RouteContext } from '../app.js';
import { write } from '../idempotent.js';
import { emailAddress, errorBody, skuCode } from '../schemas.js';

const subscriptionView = z.object({
  id: z.string(),
  sku: z.string(),
  email: z.string().describe('The address in lower case'),
  status: z.enum(['pending', 'notified', 'unsubscribed']),
  created_at: z.string().describe('When the subscriber signed up; subscribers are notified in this order'),
  notified_at: z.string().nullable().describe('When the subscriber was included in a sku.back_in_stock alert'),
  unsubscribed_at: z.string().nullable(),
});

const tokenParams = z.object({ token: z.string().max(512, 'must be at most 512 characters') });
const htmlPage = z.string().describe('An HTML page');

/**
 * Back-in-stock alerts: the public sign-up that product pages call with the
 * publishable key, and the unsubscribe page that every alert links to.
 */
export function registerBackInStockRoutes(app: App, context: RouteContext): void {
  registerSubscriptionRoute(app, context);
  // A browser form and a one-click unsubscribe (RFC 8058) both post
  // application/x-www-form-urlencoded. The body is not used, so a parser
  // that keeps the text is registered in this scope only.
  void app.register(async (scope: App) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    registerUnsubscribeRoutes(scope, context);
  });
}

function registerSubscriptionRoute(app: App, { store, publicRateLimit }: RouteContext): void {
  app.post(
    '/v1/back-in-stock-subscriptions',
    {
      config: { access: 'public', rateLimit: publicRateLimit },
      schema: {
        tags: ['back-in-stock'],
        summary: 'Ask to be e-mailed once when a SKU is back in stock',
        description:
          '201 with a new subscription; 200 with the existing one when the address already subscribed to the SKU (renewed when it was notified or unsubscribed). A discontinued SKU is 409 invalid_state.',
        body: z
          .object({
            sku: skuCode,
            email: emailAddress.describe('An e-mail address such as a@example.com; stored trimmed and in lower case'),
          })
          .strict(),
        response: { 200: subscriptionView, 201: subscriptionView, 400: errorBody, 404: errorBody, 409: errorBody, 429: errorBody },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => {
        const { subscription, created } = await subscribe(work, request.body);
        request.log.info({ subscriptionId: subscription.id, sku: subscription.sku, created }, 'back-in-stock subscription recorded');
        return { statusCode: created ? 201 : 200, body: subscription };
      }),
  );
}

function registerUnsubscribeRoutes(app: App, { store, publicRateLimit, customerLinks }: RouteContext): void {
  const check = (token: string): TokenCheck => verifyToken(customerLinks.secret, token, 'unsubscribe', store.clock());
  const pageOptions = (summary: string) => ({
    config: { access: 'none' as const, rateLimit: publicRateLimit },
    schema: {
      tags: ['customer pages'],
      summary,
      // An HTML page for people, outside the API document like the other /c/ pages.
      hide: true,
      security: [],
      params: tokenParams,
      response: { 200: htmlPage, 404: htmlPage, 410: htmlPage },
    },
  });

  app.get(
    '/c/unsubscribe/:token',
    pageOptions('Unsubscribe page: asks to confirm, since mail scanners open links'),
    async (request, reply) => {
      const result = check(request.params.token);
      if (!result.ok) return sendInvalidLink(reply, result.reason);

      const subscription = await readSubscription(store.db, result.claims.id);
      const product = await productName(store.db, subscription.sku);
      if (subscription.status === 'unsubscribed') return sendPage(reply, 200, 'Unsubscribed', unsubscribedText(subscription, product));
      const action = `/c/unsubscribe/${encodeURIComponent(request.params.token)}`;
      return sendPage(
        reply,
        200,
        'Unsubscribe',
        `<p>Stop back-in-stock alerts for ${escapeHtml(product)} to ${escapeHtml(subscription.email)}?</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">Unsubscribe</button></form>`,
      );
    },
  );

  app.post(
    '/c/unsubscribe/:token',
    pageOptions('Unsubscribe from a back-in-stock alert; also serves one-click unsubscribe (RFC 8058)'),
    async (request, reply) => {
      const result = check(request.params.token);
      if (!result.ok) return sendInvalidLink(reply, result.reason);

      const subscription = await store.transaction((work) => unsubscribe(work, result.claims.id));
      request.log.info({ subscriptionId: subscription.id, sku: subscription.sku }, 'back-in-stock subscription unsubscribed');
      return sendPage(reply, 200, 'Unsubscribed', unsubscribedText(subscription, await productName(store.db, subscription.sku)));
    },
  );
}

function unsubscribedText(subscription: SubscriptionView, product: string): string {
  return `<p>${escapeHtml(subscription.email)} will get no more back-in-stock alerts for ${escapeHtml(product)}.</p>`;
}

/** Returns the SKU's name, as the alert e-mail writes it, or its code when the name is empty. */
async function productName(db: Kysely<Database>, sku: string): Promise<string> {
  const row = await db.selectFrom('skus').select('name').where('code', '=', sku).executeTakeFirst();
  return row?.name || sku;
}

/** Sends 410 for an expired link, because it was valid once, and 404 for any other failure, so a forged token learns nothing. */
function sendInvalidLink(reply: FastifyReply, reason: Exclude<TokenCheck, { ok: true }>['reason']): FastifyReply {
  if (reason === 'expired') {
    return sendPage(reply, 410, 'Link expired', '<p>This unsubscribe link has expired. Use the link in a more recent alert.</p>');
  }
  return sendPage(reply, 404, 'Link not valid', '<p>This unsubscribe link is not valid. Copy the whole link from the alert e-mail.</p>');
}

function sendPage(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`;
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
