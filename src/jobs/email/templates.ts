import { formatDate, formatMoney } from './format.js';
import { composeMail, link, list, paragraph, type Block, type MailContent } from './layout.js';

/** The parts of every customer e-mail about an order. */
export interface OrderHeader {
  /** The order number the customer sees: the shop's external id, else Restock's id. */
  reference: string;
  customerName: string | null;
  locale: string;
  currency: string;
  /** The signed self-service page of the order. */
  orderLink: string;
}

/** One line of an order as an e-mail describes it. */
export interface ItemState {
  name: string;
  quantity: number;
  /** Units with stock bound to them, not yet shipped. */
  allocated: number;
  backordered: number;
  estimatedShipDate: string | null;
}

/** Writes the order confirmation. Its subject counts the backordered units, not the lines, so 2 units of one line are "2 items". */
export function orderConfirmationMail(order: OrderHeader, items: ItemState[], charged: number): MailContent {
  const waiting = items.reduce((sum, item) => sum + item.backordered, 0);
  const subject =
    waiting > 0
      ? `Your order ${order.reference}: ${waiting} ${waiting === 1 ? 'item is' : 'items are'} on backorder`
      : `Your order ${order.reference} is confirmed`;

  const blocks: Block[] = [greeting(order), paragraph(`Thank you for your order ${order.reference}.`)];
  if (waiting > 0) {
    blocks.push(paragraph('Some items are not in stock yet. We will ship them as soon as stock arrives, by the dates below.'));
  }
  blocks.push(list(items.map((item) => `${units(item.quantity, item.name)}: ${stateOf(item, order.locale)}`)));
  if (charged > 0) blocks.push(paragraph(`Amount charged: ${formatMoney(charged, order.currency, order.locale)}.`));
  blocks.push(...selfService(order, 'You can follow your order, or cancel items that have not shipped, on its page:'));
  return composeMail(subject, blocks, order.locale);
}

/** Units of one line that just got stock. */
export interface ReservedItem {
  name: string;
  quantity: number;
}

/**
 * Writes the message sent when backordered units get stock: the units just
 * reserved, then every line of the order that still waits, with its estimate.
 */
export function unitsAllocatedMail(order: OrderHeader, reserved: ReservedItem[], waiting: ItemState[]): MailContent {
  const subject = `Your order ${order.reference}: backordered items are now reserved for you`;
  const blocks: Block[] = [
    greeting(order),
    paragraph(`Stock has arrived for items of your order ${order.reference} that were on backorder. These units are now reserved for you and will ship soon:`),
    list(reserved.map((item) => units(item.quantity, item.name))),
  ];
  if (waiting.length > 0) {
    blocks.push(paragraph('Still on backorder:'));
    blocks.push(list(waiting.map((item) => `${units(item.backordered, item.name)}: ${shipsBy(item.estimatedShipDate, order.locale)}`)));
  }
  blocks.push(...selfService(order, 'You can follow your order on its page:'));
  return composeMail(subject, blocks, order.locale);
}

export interface ShipmentDetails {
  carrier: string | null;
  trackingNumber: string | null;
  items: { name: string; quantity: number }[];
  /** Lines of the order with units still to ship after this parcel. */
  remaining: ItemState[];
}

export function shipmentMail(order: OrderHeader, shipment: ShipmentDetails): MailContent {
  const subject = `Your order ${order.reference} has shipped`;
  const blocks: Block[] = [
    greeting(order),
    paragraph(`A parcel with items of your order ${order.reference} is on its way:`),
    list(shipment.items.map((item) => units(item.quantity, item.name))),
    paragraph(shipment.carrier === null ? 'Carrier: not given.' : `Carrier: ${shipment.carrier}.`),
    paragraph(shipment.trackingNumber === null ? 'No tracking number was given for this parcel.' : `Tracking number: ${shipment.trackingNumber}.`),
  ];
  if (shipment.remaining.length > 0) {
    blocks.push(paragraph('Still to come:'));
    blocks.push(list(shipment.remaining.map((item) => `${units(item.allocated + item.backordered, item.name)}: ${stateOf(item, order.locale)}`)));
  }
  blocks.push(...selfService(order, 'You can follow your order on its page:'));
  return composeMail(subject, blocks, order.locale);
}

/** A delay notice as the `delay.notice_sent` event describes it, with SKU names added. */
export interface DelayNotice {
  notice: 'first' | 'renewed';
  /** With `silence`, no reply by `respondBy` accepts the delay. With `explicit`, no reply cancels the delayed units. */
  consent: 'silence' | 'explicit';
  respondBy: string;
  revisedDate: string | null;
  /** A sentence on why the items are late, shown as given. The emitter sets it whenever `revisedDate` is null. */
  reason: string | null;
  lines: { name: string; quantity: number; promisedDate: string | null; revisedDate: string | null }[];
}

/**
 * Writes a delay option notice. It gives the revised ship date or states that
 * none can be given, with the reason when the event has one. It states the
 * customer's right to cancel the delayed units for a full refund, the free
 * way to do it (the order's page), and what happens without a reply by
 * `respondBy`.
 */
export function delayNoticeMail(order: OrderHeader, notice: DelayNotice): MailContent {
  const locale = order.locale;
  const renewed = notice.notice === 'renewed';
  const subject = renewed ? `Your order ${order.reference} is delayed again` : `Your order ${order.reference} is delayed`;
  const opening = renewed
    ? `We wrote to you about a delay to items of your order ${order.reference}, and we cannot ship them by the revised date either:`
    : `We cannot ship these items of your order ${order.reference} by the date we gave you:`;

  const blocks: Block[] = [
    greeting(order),
    paragraph(opening),
    list(notice.lines.map((line) => delayedLine(line, locale))),
    paragraph(
      notice.revisedDate === null
        ? 'We cannot give a new ship date yet.'
        : `We now expect to ship them by ${formatDate(notice.revisedDate, locale)}.`,
    ),
    ...(notice.reason === null ? [] : [paragraph(notice.reason)]),
    paragraph('You may accept the delay, or cancel these items and receive a full refund of what you paid for them.'),
    paragraph(
      notice.consent === 'silence'
        ? `If we do not hear from you by ${formatDate(notice.respondBy, locale)}, we will take that as your agreement to the delay.`
        : `Unless you accept the delay by ${formatDate(notice.respondBy, locale)}, we will cancel these items and refund them in full.`,
    ),
    paragraph('Answering costs nothing: use the link below, no account needed.'),
    link('Accept the delay or cancel for a refund', order.orderLink),
  ];
  return composeMail(subject, blocks, locale);
}

function delayedLine(line: DelayNotice['lines'][number], locale: string): string {
  const promised = line.promisedDate === null ? '' : `, promised by ${formatDate(line.promisedDate, locale)}`;
  const revised = line.revisedDate === null ? 'new date not yet known' : `now expected by ${formatDate(line.revisedDate, locale)}`;
  return `${units(line.quantity, line.name)}${promised}, ${revised}`;
}

export interface CancellationDetails {
  items: { name: string; quantity: number }[];
  /** The refund requested with the cancellation; null when nothing was paid for the units. */
  refund: { amount: number; currency: string; dueBy: string | null } | null;
}

export function cancellationMail(order: OrderHeader, cancellation: CancellationDetails): MailContent {
  const subject = `Your order ${order.reference}: items cancelled`;
  const blocks: Block[] = [
    greeting(order),
    paragraph(`These items of your order ${order.reference} are cancelled:`),
    list(cancellation.items.map((item) => units(item.quantity, item.name))),
    paragraph(refundSentence(cancellation.refund, order.locale)),
    ...selfService(order, 'You can see your order on its page:'),
  ];
  return composeMail(subject, blocks, order.locale);
}

function refundSentence(refund: CancellationDetails['refund'], locale: string): string {
  if (refund === null) return 'You were not charged for these items, so no refund is due.';
  const amount = formatMoney(refund.amount, refund.currency, locale);
  if (refund.dueBy === null) return `We are refunding ${amount} to you in full.`;
  return `We are refunding ${amount} to you in full, by ${formatDate(refund.dueBy, locale)} at the latest.`;
}

export interface BackInStockAlert {
  skuName: string;
  available: number;
  locale: string;
  unsubscribeLink: string;
}

export function backInStockMail(alert: BackInStockAlert): MailContent {
  const subject = `${alert.skuName} is back in stock`;
  const blocks: Block[] = [
    paragraph('Hello,'),
    paragraph(`${alert.skuName} is back in stock: ${alert.available} available now, for the first orders to come in.`),
    paragraph(`You receive this e-mail because you asked to hear when ${alert.skuName} was back in stock. We send this alert once.`),
    link('Unsubscribe from this alert', alert.unsubscribeLink),
  ];
  return composeMail(subject, blocks, alert.locale);
}

export interface StockAlert {
  sku: string;
  skuName: string;
  available: number;
  /** The SKU's low-stock threshold; absent for an out-of-stock alert. */
  threshold?: number;
  locale: string;
}

export function lowStockMail(alert: StockAlert): MailContent {
  const subject = `Low stock: ${alert.sku} has ${alert.available} available`;
  const blocks: Block[] = [
    paragraph(`${alert.skuName} (${alert.sku}) is down to ${alert.available} available, at or below its low-stock threshold of ${alert.threshold ?? 0}.`),
    paragraph('Order more from the supplier, or lower the threshold if this level is expected.'),
  ];
  return composeMail(subject, blocks, alert.locale);
}

export function outOfStockMail(alert: StockAlert): MailContent {
  const subject = `Out of stock: ${alert.sku}`;
  const blocks: Block[] = [
    paragraph(`${alert.skuName} (${alert.sku}) has no units available.`),
    paragraph('New orders for it now wait on backorder or are rejected, as its stock policy sets.'),
  ];
  return composeMail(subject, blocks, alert.locale);
}

function greeting(order: OrderHeader): Block {
  return paragraph(order.customerName ? `Hello ${order.customerName},` : 'Hello,');
}

function selfService(order: OrderHeader, sentence: string): Block[] {
  return [paragraph(sentence), link('View your order', order.orderLink)];
}

function units(quantity: number, name: string): string {
  return `${quantity} × ${name}`;
}

/** Describes what a line waits for: ready to ship, on backorder until a date, or both. */
function stateOf(item: ItemState, locale: string): string {
  if (item.backordered === 0) return 'in stock, ready to ship';
  const waiting = `on backorder and ${shipsBy(item.estimatedShipDate, locale)}`;
  if (item.allocated === 0) return waiting;
  return `${item.allocated} ready to ship, ${item.backordered} ${waiting}`;
}

function shipsBy(date: string | null, locale: string): string {
  return date === null ? 'its ship date is not yet known' : `estimated to ship by ${formatDate(date, locale)}`;
}
