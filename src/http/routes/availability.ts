import { z } from 'zod';
import { readAvailability, type AvailabilityQuery, type AvailabilitySources } from '../../app/availability.js';
import { loadPromiseLocations } from '../../app/promises.js';
import type { PromiseLocation } from '../../domain/promise.js';
import { RestockError } from '../../app/errors.js';
import { quoteOrder } from '../../app/quote.js';
import type { Kysely } from 'kysely';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../../store/schema.js';
import { write } from '../idempotent.js';
import { ResponseCache } from '../response-cache.js';
import { availabilityMessage, localeFrom } from '../../domain/messages.js';
import type { App, RouteContext } from '../app.js';
import { country, errorBody, MAX_LINES, quantity, shipPolicy, skuCode } from '../schemas.js';

const basis = z.enum(['stock', 'inbound', 'restock_date', 'lead_time', 'release_date', 'unknown']);

const availabilityView = z.object({
  sku: z.string(),
  status: z.enum(['in_stock', 'low_stock', 'backorder', 'preorder', 'out_of_stock', 'discontinued']),
  orderable: z.boolean(),
  available: z.number(),
  max_orderable: z.number().nullable(),
  ships_by: z.string().nullable().describe('Calendar date the requested quantity ships by; null when unknown'),
  ships_by_basis: basis,
  restock_date: z.string().nullable().describe('Expected arrival of more stock, when known'),
  message: z.string().describe('A sentence for the product page, with the date formatted for Accept-Language'),
});

const quoteView = z.object({
  orderable: z.boolean(),
  ship_policy: shipPolicy,
  ships_by: z.string().nullable().describe('For ship_complete: when the whole order ships'),
  lines: z.array(
    z.object({
      sku: z.string(),
      quantity: z.number(),
      from_stock: z.number(),
      backordered: z.number(),
      status: z.string(),
      orderable: z.boolean(),
      ships_by: z.string().nullable(),
      ships_by_basis: basis,
    }),
  ),
});

export function notOrderable(rejections: { sku: string; reason: string; max_orderable: number | null }[]): RestockError {
  const summary = rejections.map((r) => `${r.sku} (${r.reason}, at most ${r.max_orderable ?? 'unlimited'})`).join(', ');
  return new RestockError('not_orderable', 409, `Some lines cannot be taken: ${summary}. Nothing was stored.`, rejections);
}

/** Maximum number of availability responses one process keeps; about 4 MB at an estimated 400 bytes each. */
const AVAILABILITY_CACHE_ENTRIES = 10_000;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

type AvailabilityBody = z.infer<typeof availabilityView>;

/** An availability response as sent: the serialized body and the locale of its message. */
interface AvailabilityPage {
  json: string;
  locale: string;
}

/** Reads availability and renders the response body, with the message in the locale Accept-Language picks. */
async function renderAvailability(
  db: Kysely<Database>,
  query: AvailabilityQuery,
  acceptLanguage: string | undefined,
  now: Date,
  sources: AvailabilitySources,
): Promise<AvailabilityPage> {
  const view = await readAvailability(db, query, now, sources);
  const locale = localeFrom(acceptLanguage);
  const message = availabilityMessage({ status: view.status, shipsBy: view.shipsBy, restockDate: view.restockDate, today: view.today, locale });
  const body: AvailabilityBody = {
    sku: view.sku,
    status: view.status,
    orderable: view.orderable,
    available: view.available,
    max_orderable: view.maxOrderable,
    ships_by: view.shipsBy,
    ships_by_basis: view.shipsByBasis,
    restock_date: view.restockDate,
    message,
  };
  return { json: JSON.stringify(body), locale };
}

export function registerAvailabilityRoutes(app: App, { store, publicRateLimit, availabilityCacheMillis }: RouteContext): void {
  // Product pages request the same SKUs over and over. ResponseCache describes when a cached response is served.
  const generation = () => store.commitGeneration;
  const cache = new ResponseCache<AvailabilityPage>({ ttlMillis: availabilityCacheMillis, maxEntries: AVAILABILITY_CACHE_ENTRIES, generation });
  // The locations serve every SKU, so a request for a SKU not yet cached still skips reading them, under the same rule.
  const locationCache = new ResponseCache<Map<string, PromiseLocation>>({ ttlMillis: availabilityCacheMillis, maxEntries: 1, generation });
  const locations = async (now: number) => {
    const cached = locationCache.get('all', now);
    if (cached !== undefined) return cached;
    const readGeneration = store.commitGeneration;
    const read = await loadPromiseLocations(store.db);
    locationCache.set('all', read, readGeneration, now);
    return read;
  };

  // A request that repeats a cached one to the letter (same URL and Accept-Language) is served before
  // validation, because the first such request passed it. The key check and rate limit still run first.
  const rawKey = (request: FastifyRequest) => `${request.url}\u0000${request.headers['accept-language'] ?? ''}`;
  const send = (reply: FastifyReply, page: AvailabilityPage) => reply.header('Content-Language', page.locale).type(JSON_CONTENT_TYPE);

  app.get(
    '/v1/availability/:sku',
    {
      config: { access: 'public', rateLimit: publicRateLimit },
      preValidation: (request, reply, done) => {
        const page = cache.get(rawKey(request), store.clock().getTime());
        if (page === undefined) return done();
        send(reply, page).send(page.json);
      },
      schema: {
        tags: ['availability'],
        summary: 'What a product page may say for a SKU and quantity',
        params: z.object({ sku: skuCode }),
        querystring: z.object({ quantity: z.coerce.number().pipe(quantity).default(1), country: country.optional() }),
        response: { 200: availabilityView, 400: errorBody, 404: errorBody },
      },
    },
    async (request, reply) => {
      const now = store.clock();
      const query = { sku: request.params.sku, quantity: request.query.quantity, country: request.query.country ?? null };

      const readGeneration = store.commitGeneration;
      const page = await renderAvailability(store.db, query, request.headers['accept-language'], now, { locations: () => locations(now.getTime()) });
      cache.set(rawKey(request), page, readGeneration, now.getTime());
      // Fastify sends a string with a JSON content type as it is, so a cached body is serialized once, not per request.
      send(reply, page);
      return page.json as unknown as AvailabilityBody;
    },
  );

  app.post(
    '/v1/availability/quote',
    {
      config: { access: 'public', rateLimit: publicRateLimit },
      schema: {
        tags: ['availability'],
        summary: 'Quote an order without placing it; holds no stock',
        body: z
          .object({
            lines: z.array(z.object({ sku: skuCode, quantity }).strict()).min(1).max(MAX_LINES),
            ship_policy: shipPolicy.optional(),
            shipping_country: country.optional(),
          })
          .strict(),
        response: { 200: quoteView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const respond = async (db: Kysely<Database>) => {
        const quote = await quoteOrder(db, { lines: body.lines, shipPolicy: body.ship_policy, shippingCountry: body.shipping_country }, store.clock());
        if (!quote.orderable) throw notOrderable(quote.rejections);
        const view = {
          orderable: true,
          ship_policy: quote.ship_policy,
          ships_by: quote.ship_policy === 'ship_complete' ? quote.ships_by : null,
          lines: quote.lines,
        };
        return { statusCode: 200, body: view };
      };

      // A quote writes nothing, so only a request with an Idempotency-Key
      // needs a transaction: to store the first response for its replays.
      if (request.headers['idempotency-key'] !== undefined) return write(store, request, reply, (work) => respond(work.db));
      const { body: view } = await respond(store.db);
      return view;
    }
  );
}
