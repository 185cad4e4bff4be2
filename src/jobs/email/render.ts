import type { Kysely } from 'kysely';
import { readOrder, type OrderLineView, type OrderView } from '../../app/read-models.js';
import { RestockError } from '../../app/errors.js';
import type { CustomerLinks } from '../../http/app.js';
import type { Database } from '../../store/schema.js';
import type { Delivery, OutboxEvent } from '../outbox/channel.js';
import { DEFAULT_LOCALE } from '../../domain/messages.js';
import { mailLocale } from './format.js';
import type { MailContent } from './layout.js';
import { orderLink } from './links.js';
import { unsubscribeLink } from '../../app/back-in-stock.js';
import {
  backInStockMail,
  cancellationMail,
  delayNoticeMail,
  lowStockMail,
  orderConfirmationMail,
  outOfStockMail,
  shipmentMail,
  unitsAllocatedMail,
  type DelayNotice,
  type ItemState,
  type OrderHeader,
  type ReservedItem,
} from './templates.js';
import { allocationsToTell, cancellationIn, shipmentEvents, transactionEvents } from './triggers.js';

/** Names of the e-mail templates, as deliveries store them. */
export const TEMPLATES = {
  orderConfirmation: 'order_confirmation',
  unitsAllocated: 'units_allocated',
  shipment: 'shipment',
  delayNotice: 'delay_notice',
  delayNoticeRenewed: 'delay_notice_renewed',
  cancellation: 'cancellation',
  backInStock: 'back_in_stock',
  lowStock: 'low_stock',
  outOfStock: 'out_of_stock',
} as const;

/** An e-mail ready for a transport. */
export interface EmailMessage extends MailContent {
  to: string;
  /** The unsubscribe URL for the List-Unsubscribe header, on alerts that have one. */
  unsubscribe?: string;
}

/**
 * A delivery that can never be rendered, such as one naming a template that
 * does not exist or an order that is gone. Retrying cannot help.
 */
export class PermanentMailError extends Error {
  override readonly name = 'PermanentMailError';
}

export interface RenderOptions {
  links: CustomerLinks;
}

interface RenderInput {
  db: Kysely<Database>;
  event: OutboxEvent;
  recipient: string;
  links: CustomerLinks;
  template: string;
}

type Renderer = (input: RenderInput) => Promise<{ content: MailContent; unsubscribe?: string }>;

/**
 * Renders one delivery to the message it sends, from the event and a fresh
 * read of the order, shipment or SKU, without sending it. Throws
 * PermanentMailError for a delivery that cannot be rendered.
 */
export async function renderEmail(
  delivery: Pick<Delivery, 'recipient' | 'template'>,
  event: OutboxEvent,
  db: Kysely<Database>,
  options: RenderOptions,
): Promise<EmailMessage> {
  const template = delivery.template ?? '';
  const renderer = RENDERERS[template];
  if (!renderer) {
    throw new PermanentMailError(`E-mail template ${JSON.stringify(template)} does not exist; known templates: ${Object.keys(RENDERERS).join(', ')}.`);
  }
  if (!delivery.recipient) throw new PermanentMailError(`The ${template} delivery of event ${event.id} has no recipient.`);

  const { content, unsubscribe } = await renderer({ db, event, recipient: delivery.recipient, links: options.links, template });
  return { to: delivery.recipient, ...content, ...(unsubscribe ? { unsubscribe } : {}) };
}

const RENDERERS: Record<string, Renderer> = {
  [TEMPLATES.orderConfirmation]: renderOrderConfirmation,
  [TEMPLATES.unitsAllocated]: renderUnitsAllocated,
  [TEMPLATES.shipment]: renderShipment,
  [TEMPLATES.delayNotice]: renderDelayNotice,
  [TEMPLATES.delayNoticeRenewed]: renderDelayNotice,
  [TEMPLATES.cancellation]: renderCancellation,
  [TEMPLATES.backInStock]: renderBackInStock,
  [TEMPLATES.lowStock]: renderStockAlert,
  [TEMPLATES.outOfStock]: renderStockAlert,
};

async function renderOrderConfirmation(input: RenderInput) {
  const { header, order, names } = await loadOrder(input);
  const items = topLines(order).map((line) => itemState(line, names));
  return { content: orderConfirmationMail(header, items, order.payment.captured) };
}

async function renderUnitsAllocated(input: RenderInput) {
  const { header, order, names } = await loadOrder(input);
  const components = new Set(order.lines.filter((line) => line.kit_line_id !== null).map((line) => line.id));
  const allocations = allocationsToTell(await transactionEvents(input.db, input.event), components);

  const reserved: ReservedItem[] = [];
  for (const line of topLines(order)) {
    const quantity = allocations.filter((e) => e.lineId === line.id).reduce((sum, e) => sum + numberIn(e, 'quantity'), 0);
    if (quantity > 0) reserved.push({ name: nameOf(line.sku, names), quantity });
  }
  if (reserved.length === 0) throw new PermanentMailError(`Event ${input.event.id} allocated no backordered line of order ${header.reference}.`);
  const waiting = topLines(order)
    .filter((line) => line.backordered > 0)
    .map((line) => itemState(line, names));
  return { content: unitsAllocatedMail(header, reserved, waiting) };
}

async function renderShipment(input: RenderInput) {
  const shipmentId = input.event.data.shipment_id;
  if (typeof shipmentId !== 'string') throw new PermanentMailError(`Event ${input.event.id} has no shipment_id.`);
  const shipment = await input.db.selectFrom('shipments').selectAll().where('id', '=', shipmentId).executeTakeFirst();
  if (!shipment) throw new PermanentMailError(`Shipment ${shipmentId} of event ${input.event.id} was not found.`);

  const { header, order, names } = await loadOrder(input);
  const shipped = await input.db.selectFrom('shipment_lines').select(['line_id', 'quantity']).where('shipment_id', '=', shipmentId).execute();
  const items = topLines(order).flatMap((line) => {
    const quantity = shipped.filter((s) => s.line_id === line.id).reduce((sum, s) => sum + s.quantity, 0);
    return quantity > 0 ? [{ name: nameOf(line.sku, names), quantity }] : [];
  });
  const remaining = topLines(order)
    .filter((line) => line.allocated + line.backordered > 0)
    .map((line) => itemState(line, names));
  return {
    content: shipmentMail(header, { carrier: shipment.carrier, trackingNumber: shipment.tracking_number, items, remaining }),
  };
}

async function renderDelayNotice(input: RenderInput) {
  const { header, names } = await loadOrder(input);
  const data = input.event.data;
  if (data.consent !== 'silence' && data.consent !== 'explicit') {
    throw new PermanentMailError(`Event ${input.event.id} has consent ${JSON.stringify(data.consent)}; expected "silence" or "explicit".`);
  }
  const lines = Array.isArray(data.lines) ? (data.lines as Record<string, unknown>[]) : [];
  const notice: DelayNotice = {
    notice: input.template === TEMPLATES.delayNoticeRenewed ? 'renewed' : 'first',
    consent: data.consent,
    respondBy: requiredText(input.event, 'respond_by'),
    revisedDate: optionalText(data.revised_date),
    reason: optionalText(data.reason),
    lines: lines.map((line) => ({
      name: nameOf(String(line.sku), names),
      quantity: Number(line.quantity),
      promisedDate: optionalText(line.promised_date),
      revisedDate: optionalText(line.revised_date),
    })),
  };
  if (notice.lines.length === 0) throw new PermanentMailError(`Delay notice event ${input.event.id} lists no lines.`);
  return { content: delayNoticeMail(header, notice) };
}

async function renderCancellation(input: RenderInput) {
  const { header, order, names } = await loadOrder(input);
  const cancellation = cancellationIn(await transactionEvents(input.db, input.event));
  if (!cancellation) throw new PermanentMailError(`Event ${input.event.id} is not part of a cancellation of order ${header.reference}.`);

  const items = topLines(order).flatMap((line) => {
    const quantity = cancellation.cancelled.filter((e) => e.lineId === line.id).reduce((sum, e) => sum + numberIn(e, 'quantity'), 0);
    return quantity > 0 ? [{ name: nameOf(line.sku, names), quantity }] : [];
  });
  const refund = cancellation.refund;
  return {
    content: cancellationMail(header, {
      items,
      refund:
        refund === null
          ? null
          : { amount: numberIn(refund, 'amount'), currency: String(refund.data.currency ?? order.currency), dueBy: optionalText(refund.data.due_by) },
    }),
  };
}

async function renderBackInStock(input: RenderInput) {
  const subscribers = Array.isArray(input.event.data.subscribers) ? (input.event.data.subscribers as Record<string, unknown>[]) : [];
  const subscriber = subscribers.find((s) => s.email === input.recipient);
  if (!subscriber || typeof subscriber.subscription_id !== 'string') {
    throw new PermanentMailError(`Event ${input.event.id} lists no subscription for the delivery's recipient.`);
  }
  const sku = await loadSku(input);
  // Dated from the event, so every attempt of a delivery carries the same link.
  const unsubscribe = unsubscribeLink(input.links, subscriber.subscription_id, new Date(input.event.createdAt));
  const content = backInStockMail({ skuName: sku.name, available: numberIn(input.event, 'available'), locale: DEFAULT_LOCALE, unsubscribeLink: unsubscribe });
  return { content, unsubscribe };
}

async function renderStockAlert(input: RenderInput) {
  const sku = await loadSku(input);
  const alert = { sku: sku.code, skuName: sku.name, available: numberIn(input.event, 'available'), locale: DEFAULT_LOCALE };
  if (input.template === TEMPLATES.outOfStock) return { content: outOfStockMail(alert) };
  return { content: lowStockMail({ ...alert, threshold: numberIn(input.event, 'threshold') }) };
}

/** Reads the event's order as the API shows it, with the names of its SKUs and the e-mail's header. */
async function loadOrder(input: RenderInput): Promise<{ header: OrderHeader; order: OrderView; names: Map<string, string> }> {
  const orderId = input.event.orderId;
  if (orderId === null) throw new PermanentMailError(`Event ${input.event.id} (${input.event.type}) names no order.`);

  let order: OrderView;
  try {
    order = await readOrder(input.db, orderId);
  } catch (error) {
    if (error instanceof RestockError && error.code === 'not_found') throw new PermanentMailError(error.message);
    throw error;
  }

  const skus = [...new Set(order.lines.map((line) => line.sku))];
  const rows = skus.length === 0 ? [] : await input.db.selectFrom('skus').select(['code', 'name']).where('code', 'in', skus).execute();
  const header: OrderHeader = {
    reference: order.external_id ?? order.id,
    customerName: order.customer.name,
    locale: mailLocale(order.customer.locale),
    currency: order.currency,
    orderLink: orderLink(input.links, order.id, input.event.createdAt),
  };
  return { header, order, names: new Map(rows.map((row) => [row.code, row.name])) };
}

async function loadSku(input: RenderInput): Promise<{ code: string; name: string }> {
  const code = input.event.sku;
  if (code === null) throw new PermanentMailError(`Event ${input.event.id} (${input.event.type}) names no SKU.`);
  const row = await input.db.selectFrom('skus').select(['code', 'name']).where('code', '=', code).executeTakeFirst();
  if (!row) throw new PermanentMailError(`SKU ${code} of event ${input.event.id} was not found.`);
  return row;
}

/** Lines the customer ordered: every line but the component lines of kits. */
function topLines(order: OrderView): OrderLineView[] {
  return order.lines.filter((line) => line.kit_line_id === null);
}

function itemState(line: OrderLineView, names: Map<string, string>): ItemState {
  return {
    name: nameOf(line.sku, names),
    quantity: line.quantity - line.cancelled,
    allocated: line.allocated,
    backordered: line.backordered,
    estimatedShipDate: line.estimated_ship_date,
  };
}

function nameOf(sku: string, names: Map<string, string>): string {
  return names.get(sku) ?? sku;
}

function numberIn(event: OutboxEvent, field: string): number {
  const value = event.data[field];
  if (typeof value !== 'number') throw new PermanentMailError(`Event ${event.id} (${event.type}) has no number in data.${field}.`);
  return value;
}

function requiredText(event: OutboxEvent, field: string): string {
  const value = event.data[field];
  if (typeof value !== 'string') throw new PermanentMailError(`Event ${event.id} (${event.type}) has no text in data.${field}.`);
  return value;
}

function optionalText(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
