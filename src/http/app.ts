import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyRateLimit from '@fastify/rate-limit';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { bearerToken, KeyChecker, type ApiKeys, type Scope } from './auth.js';
import { handleError, sendError } from './errors.js';
import { Metrics } from './metrics.js';
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

declare module 'fastify' {
  interface FastifyRequest {
    scope?: Scope;
  }
  interface FastifyContextConfig {
    /** The keys that may call the route: `admin` (default), `public` (publishable key too) or `none` (no key). */
    access?: 'admin' | 'public' | 'none';
  }
}

export interface AppOptions {
  store: Store;
  keys: ApiKeys;
  logger?: Logger | boolean;
  /** Requests per minute one client address may make to each public endpoint; default 600. */
  publicRateLimit?: number;
}

export type App = FastifyInstance<any, any, any, any, ZodTypeProvider>;

const ONE_MIB = 1024 * 1024;

/** Builds the HTTP application: validation, auth, OpenAPI, routes and error mapping. */
export async function buildApp(options: AppOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: typeof options.logger === 'object' ? options.logger : undefined,
    logger: typeof options.logger === 'boolean' ? options.logger : undefined,
    bodyLimit: ONE_MIB,
    // Request counts and latencies go to /metrics; the log keeps errors and lifecycle.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `req_${Math.random().toString(36).slice(2, 12)}`,
    // The router rejects some paths before any route or error handler runs; they get the contract's error body too.
    frameworkErrors: (error, _request, reply) => {
      const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'has a segment over 100 characters' : 'is not valid percent-encoding';
      return sendError(reply, 400, 'invalid_request', `Invalid request: the URL path ${message}.`, [{ field: 'path', message }]);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Responses are built by the use cases in the documented shape; the
  // response schemas feed the OpenAPI document, not a second validation.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}; see /docs for the API.`),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Restock API',
        version: '1.0.0',
        description: 'Inventory availability, backorders with honest ship dates, and an audited stock ledger.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Admin key, or the publishable key on public endpoints' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  // Only routes that opt in are limited: the public ones, which browsers call.
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: `Too many requests: at most ${context.max} a minute per client; retry in ${context.after}.`,
    }),
  });
  const publicRateLimit = { max: options.publicRateLimit ?? 600, timeWindow: 60_000 };

  const metrics = new Metrics(options.store);
  const checker = new KeyChecker(options.keys);

  app.addHook('onRequest', async (request, reply) => {
    metrics.startTimer(request);
    // An unknown path gets 404 with or without a key, because it reveals nothing a key protects.
    const matched = request.routeOptions.url !== undefined;
    const access = !matched ? 'none' : (request.routeOptions.config?.access ?? (request.url.startsWith('/docs') ? 'none' : 'admin'));
    if (access === 'none') return;

    const scope = checker.scopeOf(bearerToken(request.headers.authorization));
    if (scope === null) {
      return sendError(reply, 401, 'unauthorized', 'Missing or unknown API key; send Authorization: Bearer <key>.');
    }
    if (access === 'admin' && scope !== 'admin') {
      return sendError(reply, 403, 'forbidden', 'The publishable key cannot call this endpoint; use the admin key on the server side.');
    }
    request.scope = scope;
  });
  app.addHook('onResponse', async (request, reply) => metrics.observe(request, reply));

  const context = { store: options.store, metrics, publicRateLimit };
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

  return app;
}

export interface RouteContext {
  store: Store;
  metrics: Metrics;
  /** The rate limit of public endpoints, for their route config. */
  publicRateLimit: { max: number; timeWindow: number };
}
