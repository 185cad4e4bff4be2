import type { CustomerPage, PageNotice } from '../../app/customer-self-service.js';
import type { OrderLineView } from '../../app/read-models.js';
import { formatDate } from '../../domain/messages.js';

/**
 * HTML of the customer's order page. Every value from the database or the
 * request goes through `escapeHtml`; the page has no script and works with
 * plain form posts.
 */

export interface PageOptions {
  /** The path the page's forms post to, such as `/c/<token>`, without a trailing slash. */
  actionBase: string;
  /** A sentence about what the last post did, shown above the order. */
  message?: string;
}

const STATUS_LABELS: Record<string, string> = {
  allocated: 'Ready to ship',
  partially_backordered: 'Partly waiting for stock',
  backordered: 'Waiting for stock',
  partially_shipped: 'Partly shipped',
  shipped: 'Shipped',
  cancelled: 'Cancelled',
};

export function renderOrderPage(page: CustomerPage, options: PageOptions): string {
  const { order } = page;
  const locale = usableLocale(order.customer.locale);
  const reference = order.external_id ?? order.id;
  const lines = order.lines.filter((line) => line.kit_line_id === null);

  const parts = [
    options.message ? `<p role="status"><strong>${escapeHtml(options.message)}</strong></p>` : '',
    `<p>Placed on ${dateText(order.placed_at.slice(0, 10), locale)}. Status: ${escapeHtml(STATUS_LABELS[order.status] ?? order.status)}.</p>`,
    linesTable(lines, page, locale),
    ...page.notices.map((notice) => noticeSection(notice, page.names, options.actionBase, locale)),
    cancelSection(page, options.actionBase),
    order.payment.refunded > 0 ? `<p>Refunded so far: ${escapeHtml(money(order.payment.refunded, order.currency, locale))}.</p>` : '',
  ];
  return document(`Your order ${reference}`, parts.filter((part) => part !== '').join('\n'));
}

/** Renders the one page every link that opens no order gets, whatever the reason, so it reveals nothing about the token. */
export function renderInvalidLink(): string {
  return document('Link not valid', '<p>This link is not valid or has expired. Open the link in the most recent e-mail about your order.</p>');
}

function linesTable(lines: OrderLineView[], page: CustomerPage, locale: string): string {
  const rows = lines.map((line) => {
    const name = page.names.get(line.sku) || line.sku;
    const cells = [
      escapeHtml(name),
      String(line.quantity),
      escapeHtml(STATUS_LABELS[line.status] ?? line.status) + unitCounts(line),
      shipsByCell(line, page, locale),
      line.estimated_ship_date === null ? 'Not known yet' : dateText(line.estimated_ship_date, locale),
    ];
    return `<tr>${cells.map((cell, index) => (index === 0 ? `<th scope="row">${cell}</th>` : `<td>${cell}</td>`)).join('')}</tr>`;
  });
  return `<table>
<caption>Items</caption>
<thead><tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col">State</th><th scope="col">Ships by</th><th scope="col">Now expected to ship by</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** Shows the date in force: an accepted revised date, none after accepting a delay without one, else the first promise. */
function shipsByCell(line: OrderLineView, page: CustomerPage, locale: string): string {
  if (page.indefiniteLineIds.has(line.id)) return 'No date yet (you accepted the delay; it ships when stock arrives)';
  const accepted = page.acceptedDates.get(line.id);
  if (accepted !== undefined) return `${dateText(accepted, locale)} (new date you accepted)`;
  return line.promised_ship_date === null ? 'Not stated' : dateText(line.promised_ship_date, locale);
}

/**
 * Offers one form per line with units waiting for stock. Under
 * `ship_complete` every unshipped unit waits, since the order ships whole.
 */
function cancelSection(page: CustomerPage, actionBase: string): string {
  if (page.cancellable.length === 0) return '';
  const intro =
    page.order.ship_policy === 'ship_complete'
      ? 'Your order ships in one parcel once every item is in stock. You can cancel items that have not shipped at any time, for a full refund.'
      : 'You can cancel items that wait for stock at any time, for a full refund. Items already in stock ship as usual.';
  const forms = page.cancellable.map((line) => {
    const name = page.names.get(line.sku) || line.sku;
    return `<form method="post" action="${escapeHtml(`${actionBase}/cancel-items`)}">
<input type="hidden" name="line_id" value="${escapeHtml(line.lineId)}">
<button type="submit">${escapeHtml(`Cancel ${line.units} × ${name} not yet shipped`)}</button>
</form>`;
  });
  return `<section aria-labelledby="cancel-items">
<h2 id="cancel-items">Cancel items not yet shipped</h2>
<p>${escapeHtml(intro)}</p>
${forms.join('\n')}
</section>`;
}

function unitCounts(line: OrderLineView): string {
  const parts: string[] = [];
  if (line.shipped > 0 && line.status !== 'shipped') parts.push(`${line.shipped} shipped`);
  if (line.cancelled > 0 && line.status !== 'cancelled') parts.push(`${line.cancelled} cancelled`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function noticeSection(notice: PageNotice, names: Map<string, string>, actionBase: string, locale: string): string {
  const headingId = `delay-${escapeHtml(notice.id)}`;
  const items = notice.lines.map((line) => {
    const name = names.get(line.sku) || line.sku;
    const revised = line.revised_date === null ? 'new date not known yet' : `now expected by ${dateText(line.revised_date, locale)}`;
    return `<li>${line.quantity} × ${escapeHtml(name)}: promised by ${dateText(line.promised_date, locale)}, ${revised}</li>`;
  });
  const parts = [
    `<h2 id="${headingId}">${notice.open ? 'Delayed items: your choice' : 'Delayed items: no date yet'}</h2>`,
    `<ul>${items.join('')}</ul>`,
    notice.revisedDate === null
      ? `<p>We cannot give a new ship date yet. ${escapeHtml(notice.reason ?? '')}</p>`
      : `<p>We now expect to ship them by ${dateText(notice.revisedDate, locale)}.${notice.reason ? ` ${escapeHtml(notice.reason)}` : ''}</p>`,
    notice.open ? `<p>${escapeHtml(deadlineSentence(notice, locale))}</p>` : '<p>You accepted the delay. You may still cancel these items for a full refund until they ship.</p>',
  ];
  if (notice.canAccept) parts.push(form(actionBase, 'accept', notice.id, 'Accept the new date'));
  parts.push(form(actionBase, 'cancel', notice.id, 'Cancel unshipped items for a refund'));
  return `<section aria-labelledby="${headingId}">\n${parts.join('\n')}\n</section>`;
}

function deadlineSentence(notice: PageNotice, locale: string): string {
  const deadline = plainDate(notice.respondBy, locale);
  if (!notice.canAccept) return `The time to accept this delay ended on ${deadline}. You can still cancel the items for a full refund.`;
  if (notice.consent === 'silence') return `If you do nothing by ${deadline}, the delay is accepted. You can cancel for a full refund at no cost.`;
  return `Unless you accept the delay by ${deadline}, we will cancel these items and refund them in full.`;
}

function form(actionBase: string, action: 'accept' | 'cancel', noticeId: string, label: string): string {
  return `<form method="post" action="${escapeHtml(`${actionBase}/${action}`)}">
<input type="hidden" name="notice_id" value="${escapeHtml(noticeId)}">
<button type="submit">${escapeHtml(label)}</button>
</form>`;
}

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>
`;
}

function dateText(date: string, locale: string): string {
  return `<time datetime="${escapeHtml(date)}">${escapeHtml(plainDate(date, locale))}</time>`;
}

/**
 * Formats a `YYYY-MM-DD` date with `formatDate`, like the e-mail about the
 * order, so a locale gets one format in both. A date that cannot be parsed
 * is shown as is.
 */
function plainDate(date: string, locale: string): string {
  if (Number.isNaN(new Date(`${date}T00:00:00Z`).getTime())) return date;
  return formatDate(date, locale);
}

function money(minorUnits: number, currency: string, locale: string): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** digits);
}

/** Returns the customer's locale when Intl supports it, else en-US. */
function usableLocale(locale: string | null): string {
  if (locale === null) return 'en-US';
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([locale]).length > 0 ? locale : 'en-US';
  } catch {
    return 'en-US';
  }
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
