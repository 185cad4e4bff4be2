import { signToken } from '../../app/signed-tokens.js';
import type { CustomerLinks } from '../../http/app.js';

/**
 * Days a link in an e-mail keeps working after the event that caused the e-mail. Long
 * enough to cover a backorder's wait and a delay notice's reply period.
 */
export const LINK_LIFETIME_DAYS = 90;

const DAY_MILLIS = 24 * 60 * 60 * 1000;

/**
 * Returns the self-service page link of an order, `<baseUrl>/c/<token>`.
 * The expiry counts from the event, so every attempt to send one delivery
 * carries the same link.
 */
export function orderLink(links: CustomerLinks, orderId: string, eventCreatedAt: string): string {
  const token = signToken(links.secret, { kind: 'order', id: orderId, expiresAt: expiryAfter(eventCreatedAt) });
  return `${baseOf(links)}/c/${token}`;
}

function expiryAfter(eventCreatedAt: string): Date {
  return new Date(new Date(eventCreatedAt).getTime() + LINK_LIFETIME_DAYS * DAY_MILLIS);
}

function baseOf(links: CustomerLinks): string {
  return links.baseUrl.replace(/\/+$/, '');
}
