import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { DeliveryPlan, OutboxEvent } from '../outbox/channel.js';
import { TEMPLATES } from './render.js';
import { allocationsToTell, cancellationIn, shipmentEvents, transactionEvents } from './triggers.js';

export interface PlanOptions {
  /** The address of low-stock and out-of-stock alerts; without it they are not sent. */
  merchantEmail?: string | null;
}

/**
 * Decides which e-mails an event causes: who receives each and from which
 * template. Customer e-mail about an order goes to the order's address, and
 * an order without one gets none. An event that is one of several of the
 * same transaction (lines of one shipment, of one receipt, of one
 * cancellation) is planned on the first of them only, so one message covers
 * them all.
 */
export async function planEmails(event: OutboxEvent, db: Kysely<Database>, options: PlanOptions): Promise<DeliveryPlan[]> {
  switch (event.type) {
    case 'order.placed':
      return toCustomer(db, event, TEMPLATES.orderConfirmation);
    case 'line.allocated':
      return planAllocation(db, event);
    case 'line.shipped':
      return planShipment(db, event);
    case 'line.cancelled':
    case 'refund.requested':
      return planCancellation(db, event);
    case 'delay.notice_sent':
      return toCustomer(db, event, event.data.notice === 'renewed' ? TEMPLATES.delayNoticeRenewed : TEMPLATES.delayNotice);
    case 'sku.back_in_stock':
      return planBackInStock(event);
    case 'sku.low_stock':
      return toMerchant(options, TEMPLATES.lowStock);
    case 'sku.out_of_stock':
      return toMerchant(options, TEMPLATES.outOfStock);
    default:
      return [];
  }
}

async function planAllocation(db: Kysely<Database>, event: OutboxEvent): Promise<DeliveryPlan[]> {
  if (event.data.cause === 'order_placed') return [];
  const email = await customerEmail(db, event);
  if (email === null) return [];

  const components = await db
    .selectFrom('order_lines')
    .select('id')
    .where('order_id', '=', event.orderId!)
    .where('kit_line_id', 'is not', null)
    .execute();
  const allocations = allocationsToTell(await transactionEvents(db, event), new Set(components.map((row) => row.id)));
  return allocations[0]?.id === event.id ? [emailTo(email, TEMPLATES.unitsAllocated)] : [];
}

async function planShipment(db: Kysely<Database>, event: OutboxEvent): Promise<DeliveryPlan[]> {
  const email = await customerEmail(db, event);
  if (email === null) return [];

  const lines = shipmentEvents(await transactionEvents(db, event), event.data.shipment_id);
  return lines[0]?.id === event.id ? [emailTo(email, TEMPLATES.shipment)] : [];
}

/**
 * Plans one cancellation message per cancelling transaction: on its
 * `refund.requested` when a refund was due, else on its first
 * `line.cancelled` (units that were never paid for).
 */
async function planCancellation(db: Kysely<Database>, event: OutboxEvent): Promise<DeliveryPlan[]> {
  const email = await customerEmail(db, event);
  if (email === null) return [];

  const cancellation = cancellationIn(await transactionEvents(db, event));
  if (cancellation === null) return [];
  const carrier = cancellation.refund ?? cancellation.cancelled[0]!;
  return carrier.id === event.id ? [emailTo(email, TEMPLATES.cancellation)] : [];
}

function planBackInStock(event: OutboxEvent): DeliveryPlan[] {
  const subscribers = Array.isArray(event.data.subscribers) ? (event.data.subscribers as { email?: unknown }[]) : [];
  const emails = new Set(subscribers.map((s) => s.email).filter((email): email is string => typeof email === 'string' && email !== ''));
  return [...emails].map((email) => emailTo(email, TEMPLATES.backInStock));
}

function toMerchant(options: PlanOptions, template: string): DeliveryPlan[] {
  return options.merchantEmail ? [emailTo(options.merchantEmail, template)] : [];
}

async function toCustomer(db: Kysely<Database>, event: OutboxEvent, template: string): Promise<DeliveryPlan[]> {
  const email = await customerEmail(db, event);
  return email === null ? [] : [emailTo(email, template)];
}

async function customerEmail(db: Kysely<Database>, event: OutboxEvent): Promise<string | null> {
  if (event.orderId === null) return null;
  const order = await db.selectFrom('orders').select('customer_email').where('id', '=', event.orderId).executeTakeFirst();
  const email = order?.customer_email?.trim();
  return email ? email : null;
}

function emailTo(recipient: string, template: string): DeliveryPlan {
  return { channel: 'email', recipient, template };
}
