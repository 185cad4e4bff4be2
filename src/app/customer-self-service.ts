import type { Kysely } from 'kysely';
import { dateAt } from '../domain/calendar.js';
import type { Database } from '../store/schema.js';
import type { Work } from '../store/store.js';
import { cancelOrder } from './cancel-order.js';
import { closeNotice, emitAccepted, emitCancelled, loadDelayLines, noticeLines, setIndefinite, setShipByDate, type NoticeLine } from './delays.js';
import { readOrder, type OrderView } from './read-models.js';
import { mainCalendar } from './refunds.js';
import { verifyToken } from './signed-tokens.js';

type Reader = Kysely<Database>;

/**
 * The customer's side of delay notices, behind the signed `/c/{token}`
 * links: the order page, accepting a delay and cancelling the delayed units
 * for a refund. Each answer applies to one notice and takes effect at most
 * once, however often the form is posted.
 */

/** A delay notice the customer can still act on. */
export interface PageNotice {
  id: string;
  consent: 'silence' | 'explicit';
  respondBy: string;
  revisedDate: string | null;
  reason: string | null;
  lines: NoticeLine[];
  /** True while the notice waits for an answer; false after a delay with no date was accepted (cancelling stays possible). */
  open: boolean;
  /** True while accepting is still possible: the notice is open and its last day to answer has not passed. */
  canAccept: boolean;
}

export interface CustomerPage {
  order: OrderView;
  notices: PageNotice[];
  /** SKU names by code, for the order's SKUs. */
  names: Map<string, string>;
}

/**
 * Returns the order id a self-service token grants, or null for a token that
 * is malformed, forged, expired, of another kind, or names no stored order.
 * The caller shows every null the same way, so the page reveals nothing about
 * which check failed.
 */
export async function orderOfToken(db: Reader, secret: string, token: string, now: Date): Promise<string | null> {
  const check = verifyToken(secret, token, 'order', now);
  if (!check.ok) return null;
  const order = await db.selectFrom('orders').select('id').where('id', '=', check.claims.id).executeTakeFirst();
  return order?.id ?? null;
}

/** Reads what the order page shows: the order and the delay notices the customer can act on. */
export async function readCustomerPage(db: Reader, orderId: string, now: Date): Promise<CustomerPage> {
  const order = await readOrder(db, orderId);
  const today = dateAt(now, (await mainCalendar(db)).timeZone);
  const indefinite = await db
    .selectFrom('order_lines')
    .select('id')
    .where('order_id', '=', orderId)
    .where('delay_state', '=', 'indefinite')
    .where('kit_line_id', 'is', null)
    .execute();
  const indefiniteIds = new Set(indefinite.map((line) => line.id));

  const rows = await db
    .selectFrom('delay_notices')
    .selectAll()
    .where('order_id', '=', orderId)
    .where((eb) => eb.or([eb('answer', 'is', null), eb('answer', '=', 'accepted')]))
    .orderBy('notice_number')
    .execute();
  const notices: PageNotice[] = [];
  for (const row of rows) {
    const lines = noticeLines(row);
    const open = row.answer === null;
    if (!open && !lines.some((line) => indefiniteIds.has(line.line_id))) continue;
    notices.push({
      id: row.id,
      consent: row.consent as PageNotice['consent'],
      respondBy: row.respond_by,
      revisedDate: row.revised_date,
      reason: row.reason,
      lines,
      open,
      canAccept: open && today <= row.respond_by,
    });
  }
  const skus = await db.selectFrom('skus').select(['code', 'name']).where('code', 'in', order.lines.map((line) => line.sku)).execute();
  return { order, notices, names: new Map(skus.map((sku) => [sku.code, sku.name])) };
}

export type AnswerOutcome =
  | { kind: 'accepted'; noticeId: string }
  | { kind: 'cancelled'; noticeId: string; units: number; refund: { amount: number; currency: string } }
  /** The notice is unknown on this order, already answered, or past its last day to answer. */
  | { kind: 'not_open'; noticeId: string };

/**
 * Accepts the delay of an open notice on or before its last day to answer:
 * each line's revised date becomes its date in force, or, with no revised
 * date, the line waits until it ships or the customer cancels it. Writes
 * `delay.accepted`.
 */
export async function acceptDelay(work: Work, orderId: string, noticeId: string): Promise<AnswerOutcome> {
  const notice = await readNotice(work, orderId, noticeId);
  const today = dateAt(work.now, (await mainCalendar(work.db)).timeZone);
  if (!notice || notice.answer !== null || today > notice.respond_by) return { kind: 'not_open', noticeId };
  if (!(await closeNotice(work, notice, 'accepted'))) return { kind: 'not_open', noticeId };

  for (const line of noticeLines(notice)) {
    if (line.revised_date === null) await setIndefinite(work, line.line_id);
    else await setShipByDate(work, line.line_id, line.revised_date);
  }
  emitAccepted(work, notice, 'customer', noticeLines(notice).map((line) => line.line_id));
  return { kind: 'accepted', noticeId };
}

/**
 * Cancels the unshipped units of a notice's lines and refunds them: while
 * the notice is open (also after its last day to answer, until the review
 * acts on it), or after the customer accepted a delay with no revised date.
 * The notice's answer becomes `cancelled` in the same conditional update
 * that checks it, so a second post cancels and refunds nothing. Writes
 * `delay.cancelled` with the usual `line.cancelled` and `refund.requested`.
 */
export async function cancelDelayedItems(work: Work, orderId: string, noticeId: string): Promise<AnswerOutcome> {
  const notice = await readNotice(work, orderId, noticeId);
  if (!notice) return { kind: 'not_open', noticeId };

  const claimed = await work.db
    .updateTable('delay_notices')
    .set({ answer: 'cancelled', answered_at: work.nowIso })
    .where('id', '=', notice.id)
    .where((eb) => eb.or([eb('answer', 'is', null), eb.and([eb('answer', '=', 'accepted'), eb('revised_date', 'is', null)])]))
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) return { kind: 'not_open', noticeId };

  const noticeLineIds = new Set(noticeLines(notice).map((line) => line.line_id));
  const { lines } = await loadDelayLines(work.db, orderId, (await mainCalendar(work.db)).timeZone);
  const open = lines.filter((line) => noticeLineIds.has(line.id) && line.unshipped > 0);
  await clearDelayState(work, [...noticeLineIds]);

  const requests = open.map((line) => ({ lineId: line.id, quantity: line.unshipped }));
  const currency = (await work.db.selectFrom('orders').select('currency').where('id', '=', orderId).executeTakeFirstOrThrow()).currency;
  let refund = { amount: 0, currency };
  if (requests.length > 0) {
    ({ refund } = await cancelOrder(work, orderId, { lines: requests, reason: `customer cancelled after delay notice ${notice.id}` }));
  }
  emitCancelled(work, notice, 'customer', requests, refund);
  return { kind: 'cancelled', noticeId, units: requests.reduce((sum, r) => sum + r.quantity, 0), refund };
}

async function readNotice(work: Work, orderId: string, noticeId: string) {
  let query = work.db.selectFrom('delay_notices').selectAll().where('id', '=', noticeId).where('order_id', '=', orderId);
  if (work.postgres) query = query.forUpdate();
  return query.executeTakeFirst();
}

async function clearDelayState(work: Work, lineIds: string[]): Promise<void> {
  if (lineIds.length === 0) return;
  await work.db
    .updateTable('order_lines')
    .set({ delay_state: null })
    .where((eb) => eb.or([eb('id', 'in', lineIds), eb('kit_line_id', 'in', lineIds)]))
    .execute();
}
