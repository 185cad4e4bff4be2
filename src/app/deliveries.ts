import type { Kysely, Selectable } from 'kysely';
import type { Database, DeliveryTable } from '../store/schema.js';
import type { Work } from '../store/store.js';
import { invalidState, notFound } from './errors.js';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery as the operator API shows it. */
export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  channel: string;
  endpoint_id: string | null;
  recipient: string | null;
  template: string | null;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  last_status: number | null;
  created_at: string;
  delivered_at: string | null;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  endpointId?: string;
  limit: number;
  /** The `[created_at, id]` of the last row of the previous page. */
  before?: [string, string];
}

/** Lists deliveries newest first, optionally of one status or one webhook endpoint. */
export async function listDeliveries(db: Kysely<Database>, filter: DeliveryFilter): Promise<DeliveryView[]> {
  let query = db
    .selectFrom('deliveries')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .selectAll('deliveries')
    .select('events.type as event_type')
    .orderBy('deliveries.created_at', 'desc')
    .orderBy('deliveries.id', 'desc')
    .limit(filter.limit);
  if (filter.status) query = query.where('deliveries.status', '=', filter.status);
  if (filter.endpointId) query = query.where('deliveries.endpoint_id', '=', filter.endpointId);
  if (filter.before) {
    const [createdAt, id] = filter.before;
    query = query.where((eb) =>
      eb.or([
        eb('deliveries.created_at', '<', createdAt),
        eb.and([eb('deliveries.created_at', '=', createdAt), eb('deliveries.id', '<', id)]),
      ]),
    );
  }
  return (await query.execute()).map(deliveryView);
}

/**
 * Puts a dead delivery back in the queue, due now. Its attempts are kept, so
 * after a delivery that died of too many attempts fails once more, it is dead
 * again: each operator retry buys one attempt. A delivery that is pending or
 * delivered is an invalid_state, and so is a webhook delivery whose endpoint
 * was deleted, because the channel drops every send to a deleted endpoint.
 */
export async function retryDelivery(work: Work, id: string): Promise<DeliveryView> {
  const before = await readDelivery(work.db, id);
  if (before.status !== 'dead') {
    throw invalidState(`Delivery ${id} is ${before.status}; only a dead delivery can be retried.`);
  }
  await assertEndpointActive(work.db, before);

  const result = await work.db
    .updateTable('deliveries')
    .set({ status: 'pending', next_attempt_at: work.nowIso, locked_until: null })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  const view = await readDelivery(work.db, id);
  // Another request may have retried it between the read and the update.
  if (Number(result.numUpdatedRows) === 0) {
    throw invalidState(`Delivery ${id} is ${view.status}; only a dead delivery can be retried.`);
  }
  return view;
}

async function assertEndpointActive(db: Kysely<Database>, delivery: DeliveryView): Promise<void> {
  if (delivery.endpoint_id === null) return;
  const endpoint = await db.selectFrom('webhook_endpoints').select('active').where('id', '=', delivery.endpoint_id).executeTakeFirst();
  if (endpoint?.active === 1) return;
  throw invalidState(
    `Delivery ${delivery.id} cannot be retried: its webhook endpoint ${delivery.endpoint_id} was deleted. ` +
      'Register the URL again with POST /v1/webhook-endpoints to receive later events.',
  );
}

/** Reads one delivery; throws not_found for an unknown id. */
export async function readDelivery(db: Kysely<Database>, id: string): Promise<DeliveryView> {
  const row = await db
    .selectFrom('deliveries')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .selectAll('deliveries')
    .select('events.type as event_type')
    .where('deliveries.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(`Delivery ${id} was not found; list deliveries with GET /v1/deliveries.`);
  return deliveryView(row);
}

function deliveryView(row: Selectable<DeliveryTable> & { event_type: string }): DeliveryView {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    channel: row.channel,
    endpoint_id: row.endpoint_id,
    recipient: row.recipient,
    template: row.template,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    next_attempt_at: row.next_attempt_at,
    last_error: row.last_error,
    last_status: row.last_status,
    created_at: row.created_at,
    delivered_at: row.delivered_at,
  };
}
