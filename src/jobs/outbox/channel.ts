import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';

/**
 * An event as the outbox reads it back from the `events` table, with its
 * JSON data parsed.
 */
export interface OutboxEvent {
  id: string;
  seq: number;
  type: string;
  orderId: string | null;
  lineId: string | null;
  sku: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

/**
 * One message to send for an event: to one webhook endpoint, or one e-mail
 * to one recipient made from one template. The dispatcher stores each plan
 * as a delivery row in the transaction that marks the event dispatched, so
 * every event is planned exactly once.
 */
export interface DeliveryPlan {
  channel: 'webhook' | 'email';
  /** The webhook endpoint's id, for the webhook channel. */
  endpointId?: string;
  /** The e-mail address, for the e-mail channel. */
  recipient?: string;
  /** The e-mail template's name, for the e-mail channel. */
  template?: string;
}

/** A stored delivery as a channel sends it. */
export interface Delivery {
  id: string;
  eventId: string;
  channel: 'webhook' | 'email';
  endpointId: string | null;
  recipient: string | null;
  template: string | null;
  /** Attempts made before this one. */
  attempts: number;
}

/** The outcome of one attempt as a channel reports it. A thrown error counts as a failed attempt too. */
export interface SendResult {
  ok: boolean;
  /** HTTP status of a webhook response, when there was one. */
  status?: number;
  /** The reason the attempt failed, for the delivery log. It never contains a secret. */
  error?: string;
  /** A failure that retrying cannot mend, such as a template that does not exist: the delivery goes dead at once. */
  permanent?: boolean;
}

/**
 * A way of telling someone about events. `plan` runs inside the
 * dispatcher's transaction and decides who hears of an event. `send` runs
 * outside any transaction, once per attempt, and may be retried after a
 * failure. So a receiver must tolerate a repeat, which the event id lets it
 * deduplicate.
 */
export interface Channel {
  readonly name: 'webhook' | 'email';
  plan(event: OutboxEvent, tx: Transaction<Database>): Promise<DeliveryPlan[]>;
  send(delivery: Delivery, event: OutboxEvent, db: Kysely<Database>): Promise<SendResult>;
}
