import { z } from 'zod';
import { DELIVERY_STATUSES, listDeliveries, retryDelivery } from '../../app/deliveries.js';
import {
  ALL_EVENTS,
  createWebhookEndpoint,
  deactivateWebhookEndpoint,
  EVENT_TYPES,
  listWebhookEndpoints,
  readWebhookEndpoint,
  rotateWebhookSecret,
  DEFAULT_ROTATION_GRACE_HOURS,
} from '../../app/webhook-endpoints.js';
import type { App, RouteContext } from '../app.js';
import { write } from '../idempotent.js';
import { decodeCursor, isText, isTextPair, page } from '../pagination.js';
import { errorBody, listOf, listQuery, resourceId, text } from '../schemas.js';

const endpointUrl = text(2048)
  .min(1, 'must be an http or https URL, such as https://shop.example/hooks/restock')
  .refine(isHttpUrl, 'must be an absolute http or https URL, such as https://shop.example/hooks/restock');

// An enum rather than a check, so that the OpenAPI document lists every type an endpoint may ask for.
const eventType = z.enum([...EVENT_TYPES, ALL_EVENTS], {
  error: `must be a known event type, such as order.placed, or "${ALL_EVENTS}" for every type`,
});

const createBody = z
  .object({
    url: endpointUrl,
    events: z
      .array(eventType, { error: 'must be a list of event types' })
      .min(1, `must name at least one event type, or "${ALL_EVENTS}"`)
      .max(EVENT_TYPES.length + 1, `must have at most ${EVENT_TYPES.length + 1} entries`),
  })
  .strict();

const endpointView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

const deliveryView = z.object({
  id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  channel: z.string(),
  endpoint_id: z.string().nullable(),
  recipient: z.string().nullable(),
  template: z.string().nullable(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  next_attempt_at: z.string(),
  last_error: z.string().nullable(),
  last_status: z.number().nullable(),
  created_at: z.string(),
  delivered_at: z.string().nullable(),
});

const idParams = z.object({ id: resourceId });

/** A week at most, so a replaced secret cannot keep signing for long. */
const MAX_GRACE_HOURS = 168;

const rotateBody = z
  .object({
    grace_hours: z
      .number({ error: `must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}` })
      .int(`must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}`)
      .min(0, `must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}`)
      .max(MAX_GRACE_HOURS, `must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}`)
      .optional()
      .describe(`Hours the old secret still signs deliveries beside the new one (default ${DEFAULT_ROTATION_GRACE_HOURS}); 0 retires it at once`),
  })
  .strict()
  .nullish();

const deliveryQuery = z.object({
  status: z
    .enum(DELIVERY_STATUSES, { error: `must be one of ${DELIVERY_STATUSES.join(', ')}` })
    .optional()
    .describe('Only deliveries in this state: pending (waiting for an attempt), delivered, or dead (needs an operator)'),
  ...listQuery,
});

const CREATE_DESCRIPTION = `The response carries the endpoint's signing secret, shown only this once.

Each delivery is a POST of one event as JSON: \`{ "id", "type", "created_at", "order_id", "line_id", "sku", "data" }\`, where \`id\` is the event id and \`data\` the event's fields. Its headers are \`Content-Type: application/json\`, \`Restock-Event-Id\` (the event id) and \`Restock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>\`, the HMAC computed with the secret over \`<t>.<raw body>\`.

A 2xx response within 10 seconds acknowledges a delivery. 410 Gone stops it for good. Any other status, a timeout or a network error is retried with backoff, up to 10 attempts. Redirects are not followed. Delivery is at least once and in no guaranteed order, so deduplicate by \`id\`.`;

/** Webhook endpoints, their delivery log, and the operator's view of every outbox delivery. */
export function registerWebhookRoutes(app: App, context: RouteContext): void {
  registerEndpointRoutes(app, context);
  registerDeliveryRoutes(app, context);
}

function registerEndpointRoutes(app: App, { store }: RouteContext): void {
  app.post(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Register a webhook endpoint; the response carries its signing secret, shown only this once',
        description: CREATE_DESCRIPTION,
        body: createBody,
        response: { 201: endpointView.extend({ secret: z.string() }), 400: errorBody },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => ({
        statusCode: 201,
        body: await createWebhookEndpoint(work, request.body),
      })),
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'List webhook endpoints, newest first, without their secrets',
        querystring: z.object(listQuery),
        response: { 200: listOf(endpointView) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const before = decodeCursor(cursor, isText);
      const rows = await listWebhookEndpoints(store.db, { limit: limit + 1, before });
      return page(rows, limit, (row) => row.id);
    },
  );

  app.get(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Read a webhook endpoint, without its secret',
        params: idParams,
        response: { 200: endpointView, 404: errorBody },
      },
    },
    async (request) => readWebhookEndpoint(store.db, request.params.id),
  );

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delete (deactivate) a webhook endpoint; its pending deliveries go dead when their turn comes, and its log is kept',
        description:
          'The endpoint gets no new deliveries. A pending delivery to it is not sent: it is marked dead at its next attempt, and a retry of it is 409 invalid_state.',
        params: idParams,
        response: { 200: endpointView, 404: errorBody },
      },
    },
    async (request) => store.transaction((work) => deactivateWebhookEndpoint(work, request.params.id)),
  );

  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Give an endpoint a new signing secret; the response shows it this once, and the old one signs deliveries too until it expires",
        description:
          'While the old secret is valid, each delivery carries two v1 values in Restock-Signature, one per secret, so a receiver that checks any v1 value keeps accepting deliveries while it switches. 409 invalid_state for a deleted endpoint.',
        params: idParams,
        body: rotateBody,
        response: {
          200: endpointView.extend({ secret: z.string(), previous_secret_expires_at: z.string().nullable() }),
          400: errorBody,
          404: errorBody,
          409: errorBody,
        },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => ({
        statusCode: 200,
        body: await rotateWebhookSecret(work, request.params.id, request.body?.grace_hours ?? DEFAULT_ROTATION_GRACE_HOURS),
      })),
  );

  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Read an endpoint's delivery log, newest first",
        params: idParams,
        querystring: deliveryQuery,
        response: { 200: listOf(deliveryView), 400: errorBody, 404: errorBody },
      },
    },
    async (request) => {
      await readWebhookEndpoint(store.db, request.params.id);
      const { status, limit, cursor } = request.query;
      const before = decodeCursor(cursor, isTextPair);
      const rows = await listDeliveries(store.db, { endpointId: request.params.id, status, limit: limit + 1, before });
      return page(rows, limit, (row) => [row.created_at, row.id]);
    },
  );
}

function registerDeliveryRoutes(app: App, { store }: RouteContext): void {
  app.get(
    '/v1/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'List outbox deliveries (webhook and e-mail), newest first; status=dead lists those that need an operator',
        querystring: deliveryQuery,
        response: { 200: listOf(deliveryView), 400: errorBody },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const before = decodeCursor(cursor, isTextPair);
      const rows = await listDeliveries(store.db, { status, limit: limit + 1, before });
      return page(rows, limit, (row) => [row.created_at, row.id]);
    },
  );

  app.post(
    '/v1/deliveries/:id/retry',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Put a dead delivery back in the queue, due now, with its attempts kept',
        description:
          'Takes no body. 409 invalid_state when the delivery is pending or delivered, or when it goes to a webhook endpoint that was deleted.',
        params: idParams,
        response: { 200: deliveryView, 404: errorBody, 409: errorBody },
      },
    },
    async (request, reply) =>
      write(store, request, reply, async (work) => ({ statusCode: 200, body: await retryDelivery(work, request.params.id) })),
  );
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol, hostname } = new URL(value);
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}
