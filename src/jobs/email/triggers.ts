import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { OutboxEvent } from '../outbox/channel.js';
import { toOutboxEvent } from '../outbox/rows.js';

/**
 * Rules that turn a business transaction's events into one e-mail. One use
 * case writes several events in one transaction (a receipt allocates many
 * lines, a shipment ships many lines), and the customer gets one message
 * for all of them. Events of one transaction share `created_at`, because a
 * Work stamps every event with its one instant.
 *
 * NOTE: two transactions on the same order at the same millisecond read as
 * one here. Their events then share a message, which lists them all.
 */

/** Reads the events written with `event` for the same order, in order. */
export async function transactionEvents(db: Kysely<Database>, event: OutboxEvent): Promise<OutboxEvent[]> {
  if (event.orderId === null) return [event];
  const rows = await db
    .selectFrom('events')
    .selectAll()
    .where('order_id', '=', event.orderId)
    .where('created_at', '=', event.createdAt)
    .orderBy('seq')
    .execute();
  return rows.map(toOutboxEvent);
}

/**
 * Picks the allocations a customer hears of: units that reached a line
 * waiting on backorder. Left out are allocations made when the order was
 * placed (the confirmation lists those), the units an order edit added
 * and found in stock, and component lines of kits.
 *
 * NOTE: a kit's customer therefore hears nothing when its components get
 * stock, only when the kit ships.
 */
export function allocationsToTell(events: OutboxEvent[], componentLineIds: ReadonlySet<string>): OutboxEvent[] {
  const edited = new Set(events.filter((e) => e.type === 'line.edited').map((e) => e.lineId));
  return events.filter((e) => {
    if (e.type !== 'line.allocated' || e.lineId === null || componentLineIds.has(e.lineId)) return false;
    if (e.data.cause === 'order_placed') return false;
    return !(e.data.cause === 'order_edited' && edited.has(e.lineId));
  });
}

/** Picks the `line.shipped` events of one shipment. */
export function shipmentEvents(events: OutboxEvent[], shipmentId: unknown): OutboxEvent[] {
  return events.filter((e) => e.type === 'line.shipped' && e.data.shipment_id === shipmentId);
}

export interface Cancellation {
  cancelled: OutboxEvent[];
  refund: OutboxEvent | null;
}

/**
 * Finds a cancellation among a transaction's events: `line.cancelled`
 * events, with the `refund.requested` of their refund when one was due.
 * An order edit also cancels units, with a `line.edited` beside them, and
 * is not a cancellation here.
 */
export function cancellationIn(events: OutboxEvent[]): Cancellation | null {
  if (events.some((e) => e.type === 'line.edited')) return null;
  const cancelled = events.filter((e) => e.type === 'line.cancelled');
  if (cancelled.length === 0) return null;
  return { cancelled, refund: events.find((e) => e.type === 'refund.requested') ?? null };
}
