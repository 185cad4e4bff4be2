import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifySchema, type RouteOptions } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { RateLimiter, rateLimitHook, type RateLimitConfig } from './rate-limit.js';
import { DEFAULT_AVAILABILITY_CACHE_MILLIS } from './response-cache.js';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { keyCheckHook, KeyChecker, type ApiKeys, type Scope } from './auth.js';
import { handleError, sendError } from './errors.js';
import { Metrics, observerHook } from './metrics.js';
import { registerCatalogRoutes } from './routes/catalog.js';
import { registerStockRoutes } from './routes/stock.js';
import { registerPurchaseOrderRoutes } from './routes/purchase-orders.js';
import { registerAvailabilityRoutes } from './routes/availability.js';
import { registerOrderRoutes } from './routes/orders.js';
import { registerOrderChangeRoutes } from './routes/order-changes.js';
import { registerEventRoutes } from './routes/events.js';
import { registerOperationsRoutes } from './routes/operations.js';
import { registerSupplyRoutes } from './routes/supply.js';
import { registerForecastRoutes } from './routes/forecasts.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import { registerBackInStockRoutes } from './routes/back-in-stock.js';
import { registerRefundRoutes } from './routes/refunds.js';
import { registerCustomerPageRoutes } from './routes/customer-pages.js';
import { registerDelayReviewRoutes } from './routes/delay-reviews.js';

declare module 'fastify' {
  interface FastifyRequest {
    scope?: Scope;
  }
  interface FastifyContextConfig {
    /** The keys that may call the route: `admin` (default), `public` (publishable key too) or `none` (no key). */
    access?: 'admin' | 'public' | 'none';
    /** A limit per client address; only routes that browsers call have one. */
    rateLimit?: RateLimitConfig;
  }
}

export interface AppOptions {
  store: Store;
  keys: ApiKeys;
  logger?: Logger | boolean;
  /** Requests per minute one client address may make to each public endpoint; default 600. */
  publicRateLimit?: number;
  /**
   * Time to live of cached availability responses in milliseconds; default 1000, 0 disables the cache.
   * A write in this process drops the cached responses at once, but a write by another process does not.
   */
  availabilityCacheMillis?: number;
  /** The secret that signs links in customer e-mail and the URL they point to; a random secret and a loopback URL when absent. */
  customerLinks?: CustomerLinks;
}

export interface CustomerLinks {
  /** The HMAC secret of signed tokens (see app/signed-tokens.ts). */
  secret: string;
  /** The server's public base URL, without a trailing slash, such as `https://shop.example/restock`. */
  baseUrl: string;
}

export type App = FastifyInstance<any, any, any, any, ZodTypeProvider>;

const ONE_MIB = 1024 * 1024;

/** Builds the HTTP application: validation, auth, OpenAPI, routes and error mapping. */
export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: typeof options.logger === 'object' ? options.logger : undefined,
    logger: typeof options.logger === 'boolean' ? options.logger : undefined,
    bodyLimit: ONE_MIB,
    // A signed customer-link token (about 150 characters) is one path segment.
    routerOptions: { maxParamLength: 512 },
    // Request counts and latencies go to /metrics; the log keeps errors and lifecycle.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `req_${Math.random().toString(36).slice(2, 12)}`,
    // The router rejects some paths before any route or error handler runs; they get the contract's error body too.
    frameworkErrors: (error, _request, reply) => {
      const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'has a segment over 512 characters' : 'is not valid percent-encoding';
      return sendError(reply, 400, 'invalid_request', `Invalid request: the URL path ${message}.`, [{ field: 'path', message }]);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Responses are built by the use cases in the documented shape; the
  // response schemas feed the OpenAPI document, not a second validation.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(handleError);
  acceptEmptyBodyWithoutSchema(app);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}; see /docs for the API.`),
  );

  const metrics = new Metrics(options.store);
  const checker = new KeyChecker(options.keys);
  // Declared up front, so that setting it per request keeps one object shape for every request.
  app.decorateRequest('scope', undefined);
  // Rate limit windows follow the store's clock, which tests and demos control.
  const now = () => options.store.clock().getTime();
  // Added before any plugin, so that the routes that plugins add get the hooks too.
  app.addHook('onRoute', (route) => addRouteHooks(route, { checker, metrics, now }));
  app.addHook('onResponse', (request, reply, done) => {
    // Matched routes record their own responses (see addRouteHooks); this records the rest under one label.
    if (request.is404) metrics.observerFor(request.method, 'unmatched')(reply.statusCode, reply.elapsedTime);
    done();
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Restock API',
        version: '1.0.0',
        description: 'Inventory availability, backorders with honest ship dates, and an audited stock ledger.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The admin key; the publishable key on operations whose description says they accept it' } },
      },
      security: [{ bearer: [] }],
    },
    transform: (input) => notePublicAccess(jsonSchemaTransform(input), input.route),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const publicRateLimit = { max: options.publicRateLimit ?? 600, timeWindow: 60_000 };

  const customerLinks = options.customerLinks ?? { secret: randomBytes(32).toString('base64url'), baseUrl: 'http://127.0.0.1:4000' };
  const availabilityCacheMillis = options.availabilityCacheMillis ?? DEFAULT_AVAILABILITY_CACHE_MILLIS;
  const context = { store: options.store, metrics, publicRateLimit, customerLinks, availabilityCacheMillis };
  registerOperationsRoutes(app, context);
  registerCatalogRoutes(app, context);
  registerStockRoutes(app, context);
  registerPurchaseOrderRoutes(app, context);
  registerAvailabilityRoutes(app, context);
  registerOrderRoutes(app, context);
  registerOrderChangeRoutes(app, context);
  registerEventRoutes(app, context);
  registerSupplyRoutes(app, context);
  registerForecastRoutes(app, context);
  registerWebhookRoutes(app, context);
  registerBackInStockRoutes(app, context);
  registerRefundRoutes(app, context);
  registerDelayReviewRoutes(app, context);
  registerCustomerPageRoutes(app, context);

  return app;
}

const PUBLIC_ACCESS_NOTE = 'Accepts the publishable key as well as the admin key.';

/** Adds to the description of each operation that the publishable key may call a sentence saying so, taken from the route's `access`. */
function notePublicAccess(output: { schema: FastifySchema; url: string }, route: RouteOptions): { schema: FastifySchema; url: string } {
  if (route.config?.access !== 'public') return output;
  const schema = output.schema as FastifySchema & { description?: string };
  const description = schema.description ? `${schema.description}\n\n${PUBLIC_ACCESS_NOTE}` : PUBLIC_ACCESS_NOTE;
  return { ...output, schema: { ...schema, description } as FastifySchema };
}

/**
 * Replaces Fastify's JSON parser with one that reads an empty body as no body
 * on routes that take none, such as POST /v1/deliveries/{id}/retry. HTTP
 * clients set up once for the whole API send Content-Type: application/json
 * on every request, and Fastify's own parser rejects an empty body with that
 * header. Routes with a body schema still reject an empty body as invalid
 * JSON, and every other body goes through Fastify's parser unchanged.
 */
function acceptEmptyBodyWithoutSchema(app: App): void {
  // The same protection against prototype poisoning as Fastify's defaults.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' && request.routeOptions.schema?.body === undefined) {
      done(null, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
}

/**
 * Gives a route its own hooks when it is added: the key check its access
 * needs, its rate limit and the recording of its responses. The key check
 * runs first, so a request without a valid key never counts against the
 * limit. Doing this once per route spares every request a lookup of its
 * route's options.
 */
function addRouteHooks(route: RouteOptions, { checker, metrics, now }: { checker: KeyChecker; metrics: Metrics; now: () => number }): void {
  // An unknown path never reaches here: it gets 404 with or without a key, because it reveals nothing a key protects.
  const access = route.config?.access ?? (route.url.startsWith('/docs') ? 'none' : 'admin');
  const onRequest = [];
  if (access !== 'none') onRequest.push(keyCheckHook(checker, access));
  if (route.config?.rateLimit) onRequest.push(rateLimitHook(new RateLimiter(route.config.rateLimit, now)));
  route.onRequest = [...onRequest, ...hookList(route.onRequest)];

  route.onResponse = [...hookList(route.onResponse), observerHook(metrics, route.method, route.url)];
}

/** Copies a route's hooks into a new list, because the route's own list may be shared with the HEAD route Fastify derives from it. */
function hookList<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? [...hooks] : [hooks];
}

export interface RouteContext {
  store: Store;
  metrics: Metrics;
  /** The rate limit of public endpoints, for their route config. */
  publicRateLimit: RateLimitConfig;
  /** Time to live of cached availability responses in milliseconds; 0 disables the cache. */
  availabilityCacheMillis: number;
  customerLinks: CustomerLinks;
}
