import type { Kysely } from 'kysely';
import { dateAt } from '../domain/calendar.js';
import type { Database } from '../store/schema.js';
import type { Work } from '../store/store.js';
import { cancelOrder } from './cancel-order.js';
import { decideOrder } from '../domain/delay-rule.js';
import {
  closeNotice, emitAccepted, emitCancelled, loadDelayLines, lockOrder, noticeLines, resolvedNoticeIds, resolveNotices, setIndefinite,
  setShipByDate, type NoticeLine,
} from './delays.js';
import { readOrder, type OrderView } from './read-models.js';
import { mainCalendar } from './refunds.js';
import { verifyToken } from './signed-tokens.js';

type Reader = Kysely<Database>;

/**
 * The customer's side of an order, behind the signed `/c/{token}` links:
 * the order page, accepting a delay, cancelling the delayed units of a
 * notice for a refund, and cancelling a line's units that wait for stock at
 * any time. A repeated post changes nothing more: an answer is a conditional
 * update of the open notice, and a cancel counts the waiting units when it
 * runs, after locking the order.
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

/** A line whose waiting units the customer can cancel. */
export interface CancellableLine {
  lineId: string;
  sku: string;
  /** Units that wait for stock: see `waitingUnits`. */
  units: number;
}

export interface CustomerPage {
  order: OrderView;
  notices: PageNotice[];
  /** Lines with units waiting for stock, which the customer may cancel for a refund. */
  cancellable: CancellableLine[];
  /** Top-level lines whose accepted delay gave no date: they ship when stock comes. */
  indefiniteLineIds: Set<string>;
  /** The revised ship-by date accepted for a line, by the customer or by silence, by line id. */
  acceptedDates: Map<string, string>;
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

/** Reads what the order page shows: the order, the delay notices the customer can act on and the units they can cancel. */
export async function readCustomerPage(db: Reader, orderId: string, now: Date): Promise<CustomerPage> {
  const order = await readOrder(db, orderId);
  const timeZone = (await mainCalendar(db)).timeZone;
  const today = dateAt(now, timeZone);
  const { lines } = await loadDelayLines(db, orderId, timeZone);
  const waiting = new Map(lines.map((line) => [line.id, line.unshipped]));
  const indefiniteLineIds = new Set(lines.filter((line) => line.state === 'indefinite').map((line) => line.id));

  const rows = await db
    .selectFrom('delay_notices')
    .selectAll()
    .where('order_id', '=', orderId)
    .where((eb) => eb.or([eb('answer', 'is', null), eb('answer', '=', 'accepted')]))
    .orderBy('notice_number')
    .execute();
  const notices: PageNotice[] = [];
  for (const row of rows) {
    const listed = noticeLines(row);
    const open = row.answer === null;
    // An accepted delay without a date stays on the page while its units still wait, so they can be cancelled.
    const stillWaiting = listed.some((line) => indefiniteLineIds.has(line.line_id) && (waiting.get(line.line_id) ?? 0) > 0);
    if (!open && !stillWaiting) continue;
    notices.push({
      id: row.id,
      consent: row.consent as PageNotice['consent'],
      respondBy: row.respond_by,
      revisedDate: row.revised_date,
      reason: row.reason,
      lines: listed,
      open,
      canAccept: open && today <= row.respond_by,
    });
  }
  const cancellable = lines.filter((line) => line.unshipped > 0).map((line) => ({ lineId: line.id, sku: line.sku, units: line.unshipped }));
  const skus = await db.selectFrom('skus').select(['code', 'name']).where('code', 'in', order.lines.map((line) => line.sku)).execute();
  const acceptedDates = new Map(lines.flatMap((line) => (line.shipByDate === null ? [] : [[line.id, line.shipByDate] as const])));
  return { order, notices, cancellable, indefiniteLineIds, acceptedDates, names: new Map(skus.map((sku) => [sku.code, sku.name])) };
}

export type AnswerOutcome =
  | { kind: 'accepted'; noticeId: string }
  | { kind: 'cancelled'; noticeId: string; units: number; refund: { amount: number; currency: string } }
  /** The notice is unknown on this order, already answered, or past its last day to answer. */
  | { kind: 'not_open'; noticeId: string };

export type LineCancelOutcome =
  | { kind: 'cancelled'; lineId: string; units: number; refund: { amount: number; currency: string }; resolvedNotices: string[] }
  /** The line is not a top-level line of this order, or none of its units waits for stock any more. */
  | { kind: 'nothing_to_cancel'; lineId: string };

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

/**
 * Cancels the units of one line that wait for stock and refunds them, at any
 * time: the backordered units under `ship_partial`, every unshipped unit
 * under `ship_complete` (see `waitingUnits`). A kit line cancels whole kits.
 * The order row is locked first on PostgreSQL and the units are counted
 * after that, so a repeated or concurrent post finds nothing left to cancel
 * and refunds nothing more. An open notice whose lines no longer slip after
 * the cancellation is resolved in the same transaction, and a delay accepted
 * without a date ends for the line.
 */
export async function cancelWaitingUnits(work: Work, orderId: string, lineId: string): Promise<LineCancelOutcome> {
  if (!(await lockOrder(work, orderId))) return { kind: 'nothing_to_cancel', lineId };
  const timeZone = (await mainCalendar(work.db)).timeZone;
  const { lines } = await loadDelayLines(work.db, orderId, timeZone);
  const line = lines.find((candidate) => candidate.id === lineId);
  if (!line || line.unshipped <= 0) return { kind: 'nothing_to_cancel', lineId };

  const { refund } = await cancelOrder(work, orderId, {
    lines: [{ lineId, quantity: line.unshipped }],
    reason: 'customer cancelled items not yet shipped from the order page',
  });
  await work.db
    .updateTable('order_lines')
    .set({ delay_state: null })
    .where((eb) => eb.or([eb('id', '=', lineId), eb('kit_line_id', '=', lineId)]))
    .where('delay_state', '=', 'indefinite')
    .execute();
  const resolvedNotices = await resolveMootNotices(work, orderId, timeZone);
  return { kind: 'cancelled', lineId, units: line.unshipped, refund, resolvedNotices };
}

/** Resolves the order's open notices that no longer apply to any unit. */
async function resolveMootNotices(work: Work, orderId: string, timeZone: string): Promise<string[]> {
  const { lines, openNotices } = await loadDelayLines(work.db, orderId, timeZone);
  const decisions = decideOrder(lines, dateAt(work.now, timeZone));
  return resolveNotices(work, openNotices, resolvedNoticeIds(lines, decisions));
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
