import type { Selectable } from 'kysely';
import type { DeliveryTable, EventTable } from '../../store/schema.js';
import type { Delivery, OutboxEvent } from './channel.js';

/** Reads an event row as the channels see it, with its JSON data parsed. */
export function toOutboxEvent(row: Selectable<EventTable>): OutboxEvent {
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    orderId: row.order_id,
    lineId: row.line_id,
    sku: row.sku,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

/**
 * Reads a claimed delivery row as a channel sends it. The claim counted the
 * attempt it started, so the attempts made before it are one fewer.
 */
export function toClaimedDelivery(row: Selectable<DeliveryTable>): Delivery {
  return {
    id: row.id,
    eventId: row.event_id,
    channel: row.channel as Delivery['channel'],
    endpointId: row.endpoint_id,
    recipient: row.recipient,
    template: row.template,
    attempts: row.attempts - 1,
  };
}
