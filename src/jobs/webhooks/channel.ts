import type { Kysely, Selectable, Transaction } from 'kysely';
import { endpointEvents, signingSecrets, subscribes } from '../../app/webhook-endpoints.js';
import type { Clock } from '../../domain/clock.js';
import { systemClock } from '../../domain/clock.js';
import type { Database, WebhookEndpointTable } from '../../store/schema.js';
import type { Channel, Delivery, DeliveryPlan, OutboxEvent, SendResult } from '../outbox/channel.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

export interface WebhookChannelOptions {
  /** The source of the signature's timestamp; the store's clock in a running server. */
  clock?: Clock;
  /** How long one POST may take, in milliseconds, before it counts as failed; default 10 s. */
  timeoutMillis?: number;
}

/** The JSON body of a webhook delivery. */
export interface WebhookBody {
  id: string;
  type: string;
  created_at: string;
  order_id: string | null;
  line_id: string | null;
  sku: string | null;
  data: Record<string, unknown>;
}

/**
 * The webhook channel. It plans one delivery per active endpoint subscribed
 * to the event's type, and sends each as a signed JSON POST. A 2xx response
 * marks it delivered. 410 Gone is a permanent failure, because the receiver
 * reports the URL as gone for good. Any other status, a timeout or a network
 * error is retried.
 * Redirects are not followed, so a signed body goes only to the stored URL.
 */
export function webhookChannel(options: WebhookChannelOptions = {}): Channel {
  const clock = options.clock ?? systemClock;
  const timeoutMillis = options.timeoutMillis ?? 10_000;
  // The endpoints are read once per planning transaction, not once per event.
  const endpointsByTransaction = new WeakMap<object, Promise<Selectable<WebhookEndpointTable>[]>>();

  return {
    name: 'webhook',

    async plan(event: OutboxEvent, tx: Transaction<Database>): Promise<DeliveryPlan[]> {
      let endpoints = endpointsByTransaction.get(tx);
      if (!endpoints) {
        endpoints = tx.selectFrom('webhook_endpoints').selectAll().where('active', '=', 1).orderBy('id').execute();
        endpointsByTransaction.set(tx, endpoints);
      }
      return (await endpoints)
        .filter((endpoint) => subscribes(endpointEvents(endpoint), event.type))
        .map((endpoint) => ({ channel: 'webhook', endpointId: endpoint.id }));
    },

    async send(delivery: Delivery, event: OutboxEvent, db: Kysely<Database>): Promise<SendResult> {
      const endpoint = await db
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('id', '=', delivery.endpointId ?? '')
        .executeTakeFirst();
      if (!endpoint || endpoint.active !== 1) {
        return { ok: false, permanent: true, error: `Webhook endpoint ${delivery.endpointId} was deleted, so the delivery is not sent.` };
      }
      return post(endpoint, event, clock(), timeoutMillis);
    },
  };
}

/** Builds the body a receiver gets for an event. */
export function webhookBody(event: OutboxEvent): WebhookBody {
  return {
    id: event.id,
    type: event.type,
    created_at: event.createdAt,
    order_id: event.orderId,
    line_id: event.lineId,
    sku: event.sku,
    data: event.data,
  };
}

async function post(endpoint: Selectable<WebhookEndpointTable>, event: OutboxEvent, now: Date, timeoutMillis: number): Promise<SendResult> {
  const body = JSON.stringify(webhookBody(event));
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Restock-Webhooks/1',
    'restock-event-id': event.id,
    [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(signingSecrets(endpoint, now), body, Math.floor(now.getTime() / 1000)),
  };

  const shownUrl = withoutQuery(endpoint.url);
  let response: Response;
  try {
    response = await fetch(endpoint.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMillis) });
  } catch (error) {
    return { ok: false, error: describeFetchError(error, shownUrl, timeoutMillis) };
  }
  // The body is not used; reading it releases the connection for reuse.
  await response.arrayBuffer().catch(() => undefined);

  if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
  if (response.status === 410) {
    const error = `${shownUrl} answered HTTP 410 Gone, which is treated as permanent, so the delivery is not retried.`;
    return { ok: false, status: 410, error, permanent: true };
  }
  const error = `${shownUrl} answered HTTP ${response.status}; only a 2xx status acknowledges a delivery.`;
  return { ok: false, status: response.status, error };
}

function describeFetchError(error: unknown, url: string, timeoutMillis: number): string {
  const name = (error as { name?: unknown }).name;
  if (name === 'TimeoutError') return `POST ${url} timed out after ${timeoutMillis} ms.`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return `POST ${url} failed: ${String(reason)}.`;
}

/** Returns the URL without its query, user and password, which may carry a receiver's credentials, for errors and logs. */
function withoutQuery(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}
