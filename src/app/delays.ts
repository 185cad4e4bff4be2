import { sql, type Kysely, type Selectable } from 'kysely';
import { dateAt } from '../domain/calendar.js';
import {
  decideLine, decideOrder, planNotices, type CancelDecision, type ConsentDecision, type DelayDecision, type DelayLine, type DelayState,
  type NoticePlan, type OpenNotice,
} from '../domain/delay-rule.js';
import { kitLineCounts } from '../domain/kits.js';
import { AT_RISK_PREDICATE, DATE_IN_FORCE, OPEN_LINE_PREDICATE } from '../store/migrations/0007-delays-refunds.js';
import type { Database, DelayNoticeTable } from '../store/schema.js';
import type { Store, Work } from '../store/store.js';
import { cancelOrder } from './cancel-order.js';
import { mainCalendar } from './refunds.js';

type Reader = Kysely<Database>;
type NoticeRow = Selectable<DelayNoticeTable>;

/** One line of a delay notice as stored and as `delay.notice_sent` carries it. */
export interface NoticeLine {
  line_id: string;
  sku: string;
  quantity: number;
  promised_date: string;
  revised_date: string | null;
}

/** The result of applying the delay rule to one order, for the caller to log. */
export interface DelayOutcome {
  orderId: string;
  notices: { noticeId: string; notice: string; consent: string; late: boolean; lineIds: string[] }[];
  /** Notices whose delay silence accepted. */
  consents: string[];
  cancellations: { noticeId: string; refund: { amount: number; currency: string } }[];
  /** Notices closed because their lines no longer slip. */
  resolutions: string[];
}

export interface DelayReviewReport {
  /** Orders the review opened a transaction for. */
  reviewed: number;
  outcomes: DelayOutcome[];
}

/**
 * Applies the delay rule to every order with something due at the store's
 * current instant, one transaction per order. It reads only lines at risk
 * (see migration 0007) and the orders with an open notice.
 */
export async function reviewDelays(store: Store): Promise<DelayReviewReport> {
  const orderIds = await ordersWithDelaysDue(store.db, store.clock());
  const outcomes: DelayOutcome[] = [];
  for (const orderId of orderIds) {
    const outcome = await store.transaction((work) => applyDelayRule(work, orderId));
    if (outcome.notices.length + outcome.consents.length + outcome.cancellations.length + outcome.resolutions.length > 0) outcomes.push(outcome);
  }
  return { reviewed: orderIds.length, outcomes };
}

/**
 * Lists the orders with a notice, a consent by silence, a cancellation or
 * the resolution of a notice due at `now`, in id order. At-risk lines are
 * read through partial indexes and judged without their order's policy,
 * then the orders whose only candidates are units in stock are checked for
 * `ship_complete`. Every order with an open notice is judged whole; open
 * notices last at most until their deadline, so there are few.
 */
export async function ordersWithDelaysDue(db: Reader, now: Date): Promise<string[]> {
  const timeZone = (await mainCalendar(db)).timeZone;
  const today = dateAt(now, timeZone);
  const orderIds = new Set<string>([
    ...(await ordersWithLinesAtRisk(db, today, timeZone)),
    ...(await ordersPastDateInForce(db, today)),
    ...(await ordersWithOpenNoticesDue(db, today, timeZone)),
  ]);
  return [...orderIds].sort();
}

/** Orders with an unnoticed line that slipped. */
async function ordersWithLinesAtRisk(db: Reader, today: string, timeZone: string): Promise<string[]> {
  // The predicates repeat the partial indexes' text so that SQLite uses them.
  const atRisk = await db
    .selectFrom('order_lines')
    .select(['order_id', 'id', 'sku', 'backordered', 'allocated', 'placed_at', 'promised_ship_date', 'estimated_ship_date', 'ship_by_date'])
    .where(sql<boolean>`${sql.raw(AT_RISK_PREDICATE)}`)
    .execute();

  const due = new Set<string>();
  const dueIfShipComplete = new Set<string>();
  for (const row of atRisk) {
    const line: DelayLine = {
      id: row.id,
      sku: row.sku,
      unshipped: row.backordered + row.allocated,
      placedDate: dateAt(new Date(row.placed_at), timeZone),
      promisedDate: row.promised_ship_date,
      estimatedDate: row.estimated_ship_date,
      shipByDate: row.ship_by_date,
      state: null,
      openNotice: null,
    };
    if (decideLine(line, today) === null) continue;
    if (decideLine({ ...line, unshipped: row.backordered }, today) !== null) due.add(row.order_id);
    else dueIfShipComplete.add(row.order_id);
  }
  return [...due, ...(await shipCompleteOrders(db, [...dueIfShipComplete].filter((id) => !due.has(id))))];
}

/**
 * Orders with an unnoticed open line past its date in force. Only lines with
 * units waiting for stock are due; a `ship_partial` line whose units are all
 * in stock is left to its own shipment.
 */
async function ordersPastDateInForce(db: Reader, today: string): Promise<string[]> {
  const rows = await db
    .selectFrom('order_lines')
    .select(['order_id', 'backordered', 'allocated', 'kit_line_id'])
    .where(sql<boolean>`${sql.raw(OPEN_LINE_PREDICATE)}`)
    .where(sql<boolean>`${sql.raw(DATE_IN_FORCE)} < ${today}`)
    .where('delay_state', 'is', null)
    .execute();

  const due = new Set<string>();
  const dueIfShipComplete = new Set<string>();
  for (const row of rows) {
    // A kit line keeps no counts of its own (its components do), so it is judged whole by the review.
    const kitLine = row.backordered === 0 && row.allocated === 0;
    if (row.backordered > 0 || kitLine) due.add(row.order_id);
    else dueIfShipComplete.add(row.order_id);
  }
  return [...due, ...(await shipCompleteOrders(db, [...dueIfShipComplete].filter((id) => !due.has(id))))];
}

/** Orders with an open notice that something is due for: its deadline passed, or its lines no longer slip. */
async function ordersWithOpenNoticesDue(db: Reader, today: string, timeZone: string): Promise<string[]> {
  const notices = await db.selectFrom('delay_notices').select('order_id').where('answer', 'is', null).execute();
  const candidates = [...new Set(notices.map((notice) => notice.order_id))];
  const due: string[] = [];
  for (const orderId of candidates) {
    const { lines } = await loadDelayLines(db, orderId, timeZone);
    const decisions = decideOrder(lines, today);
    const actionable = decisions.some((decision) => decision.kind !== 'resolve');
    if (actionable || resolvedNoticeIds(lines, decisions).length > 0) due.push(orderId);
  }
  return due;
}

async function shipCompleteOrders(db: Reader, orderIds: string[]): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await db.selectFrom('orders').select('id').where('id', 'in', orderIds).where('ship_policy', '=', 'ship_complete').execute();
  return rows.map((row) => row.id);
}

/**
 * Applies the delay rule to one order inside `work`. It sends the notices
 * due and lets silence accept the delays whose deadline passed. It cancels
 * and refunds the units whose delay needed consent that did not come, and
 * resolves the open notices whose lines no longer slip.
 */
export async function applyDelayRule(work: Work, orderId: string): Promise<DelayOutcome> {
  const outcome: DelayOutcome = { orderId, notices: [], consents: [], cancellations: [], resolutions: [] };
  const order = await lockOrder(work, orderId);
  if (!order) return outcome;

  const timeZone = (await mainCalendar(work.db)).timeZone;
  const today = dateAt(work.now, timeZone);
  const { lines, openNotices } = await loadDelayLines(work.db, orderId, timeZone);
  const decisions = decideOrder(lines, today);

  for (const plan of planNotices(decisions)) outcome.notices.push(await sendNotice(work, orderId, plan));
  for (const [noticeId, group] of groupByNotice(decisions.filter((d): d is ConsentDecision => d.kind === 'consent'))) {
    await acceptBySilence(work, openNotices.get(noticeId)!, group);
    outcome.consents.push(noticeId);
  }
  for (const [noticeId, group] of groupByNotice(decisions.filter((d): d is CancelDecision => d.kind === 'cancel'))) {
    const refund = await cancelForNoConsent(work, openNotices.get(noticeId)!, group);
    outcome.cancellations.push({ noticeId, refund });
  }
  outcome.resolutions.push(...(await resolveNotices(work, openNotices, resolvedNoticeIds(lines, decisions))));

  // A notice past its deadline with no decision (none of its lines is still notified) is closed, so the review stops finding it.
  const decided = new Set(decisions.map((d) => ('noticeId' in d ? d.noticeId : '')));
  for (const notice of openNotices.values()) {
    if (notice.respond_by < today && !decided.has(notice.id)) await closeNotice(work, notice, 'lapsed');
  }
  return outcome;
}

/**
 * Lists the open notices none of whose lines slips any more. A notice with
 * some lines still slipping stays open: its answer or deadline applies to
 * those lines only, since the others get a `resolve` decision instead.
 */
export function resolvedNoticeIds(lines: readonly DelayLine[], decisions: readonly DelayDecision[]): string[] {
  const resolvedLines = new Set(decisions.filter((d) => d.kind === 'resolve').map((d) => d.lineId));
  const linesByNotice = new Map<string, string[]>();
  for (const line of lines) {
    if (line.state !== 'notified' || line.openNotice === null) continue;
    linesByNotice.set(line.openNotice.id, [...(linesByNotice.get(line.openNotice.id) ?? []), line.id]);
  }
  return [...linesByNotice].filter(([, lineIds]) => lineIds.every((id) => resolvedLines.has(id))).map(([noticeId]) => noticeId);
}

/** Closes each notice as `resolved` and writes `delay.resolved`; returns the ids of the notices it closed. */
export async function resolveNotices(work: Work, openNotices: Map<string, NoticeRow>, noticeIds: string[]): Promise<string[]> {
  const resolved: string[] = [];
  for (const noticeId of noticeIds) {
    const notice = openNotices.get(noticeId);
    if (!notice || !(await closeNotice(work, notice, 'resolved'))) continue;
    work.emit({
      type: 'delay.resolved',
      orderId: notice.order_id,
      data: { notice_id: notice.id, lines: noticeLines(notice).map((line) => ({ line_id: line.line_id, sku: line.sku })) },
    });
    resolved.push(noticeId);
  }
  return resolved;
}

/** Reads the order's currency and, on PostgreSQL, locks its row so that two reviews or answers of one order take turns. */
export async function lockOrder(work: Work, orderId: string) {
  let query = work.db.selectFrom('orders').select(['id', 'currency']).where('id', '=', orderId);
  if (work.postgres) query = query.forUpdate();
  return query.executeTakeFirst();
}

/**
 * Reads an order's lines as the delay rule sees them, with the open notice
 * of each. The units a line counts as waiting depend on the order's ship
 * policy (see `waitingUnits`). A kit line takes its dates from its component
 * lines (the latest of them, unknown when any is) and counts kits; component
 * lines are left out, since a kit ships and cancels whole.
 */
export async function loadDelayLines(
  db: Reader,
  orderId: string,
  timeZone: string,
): Promise<{ lines: DelayLine[]; openNotices: Map<string, NoticeRow> }> {
  const order = await db.selectFrom('orders').select('ship_policy').where('id', '=', orderId).executeTakeFirst();
  const shipComplete = order?.ship_policy === 'ship_complete';
  const rows = await db
    .selectFrom('order_lines')
    .select([
      'id', 'sku', 'quantity', 'allocated', 'backordered', 'shipped', 'cancelled', 'placed_at', 'promised_ship_date',
      'estimated_ship_date', 'ship_by_date', 'delay_state', 'kit_line_id',
    ])
    .where('order_id', '=', orderId)
    .orderBy('position')
    .execute();
  const notices = await db.selectFrom('delay_notices').selectAll().where('order_id', '=', orderId).where('answer', 'is', null).execute();
  const openByLine = openNoticesByLine(notices);

  const lines: DelayLine[] = [];
  for (const row of rows) {
    if (row.kit_line_id !== null) continue;
    const components = rows.filter((component) => component.kit_line_id === row.id);
    const kit = components.length > 0;
    lines.push({
      id: row.id,
      sku: row.sku,
      unshipped: waitingUnits(kit ? kitLineCounts(row, components) : row, shipComplete),
      placedDate: dateAt(new Date(row.placed_at), timeZone),
      promisedDate: kit ? latestDate(components.map((c) => c.promised_ship_date)) : row.promised_ship_date,
      estimatedDate: kit ? latestDate(components.map((c) => c.estimated_ship_date)) : row.estimated_ship_date,
      shipByDate: row.ship_by_date,
      state: row.delay_state as DelayState | null,
      openNotice: openByLine.get(row.id) ?? null,
    });
  }
  return { lines, openNotices: new Map(notices.map((notice) => [notice.id, notice])) };
}

/**
 * Returns the units of a line that wait for stock. Under `ship_partial`
 * allocated units can ship now, so only backordered units wait. Under
 * `ship_complete` nothing ships until the whole order can, so every
 * unshipped unit waits.
 */
export function waitingUnits(line: { backordered: number; allocated: number }, shipComplete: boolean): number {
  return shipComplete ? line.backordered + line.allocated : line.backordered;
}

function openNoticesByLine(notices: NoticeRow[]): Map<string, OpenNotice> {
  const byLine = new Map<string, OpenNotice>();
  for (const notice of notices) {
    for (const line of noticeLines(notice)) {
      byLine.set(line.line_id, {
        id: notice.id,
        consent: notice.consent as OpenNotice['consent'],
        respondBy: notice.respond_by,
        revisedDate: line.revised_date,
      });
    }
  }
  return byLine;
}

export function noticeLines(notice: Pick<NoticeRow, 'lines'>): NoticeLine[] {
  return JSON.parse(notice.lines) as NoticeLine[];
}

/** Returns the latest of the dates, or null when any is unknown. */
function latestDate(dates: (string | null)[]): string | null {
  if (dates.some((date) => date === null)) return null;
  return (dates as string[]).sort().at(-1) ?? null;
}

async function sendNotice(work: Work, orderId: string, plan: NoticePlan): Promise<DelayOutcome['notices'][number]> {
  const previous = await work.db
    .selectFrom('delay_notices')
    .select((eb) => eb.fn.max('notice_number').as('last'))
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  const id = work.newId('dly');
  const lines: NoticeLine[] = plan.lines.map((line) => ({
    line_id: line.lineId,
    sku: line.sku,
    quantity: line.quantity,
    promised_date: line.promisedDate,
    revised_date: line.revisedDate,
  }));

  await work.db
    .insertInto('delay_notices')
    .values({
      id,
      order_id: orderId,
      notice_number: Number(previous?.last ?? 0) + 1,
      notice: plan.notice,
      consent: plan.consent,
      respond_by: plan.respondBy,
      revised_date: plan.revisedDate,
      reason: plan.reason,
      late: plan.late ? 1 : 0,
      lines: JSON.stringify(lines),
      sent_at: work.nowIso,
      answer: null,
      answered_at: null,
    })
    .execute();
  const lineIds = lines.map((line) => line.line_id);
  await work.db
    .updateTable('order_lines')
    .set((eb) => ({ delay_state: 'notified', delay_notices: eb('delay_notices', '+', 1) }))
    .where((eb) => eb.or([eb('id', 'in', lineIds), eb('kit_line_id', 'in', lineIds)]))
    .execute();

  work.emit({
    type: 'delay.notice_sent',
    orderId,
    data: {
      notice_id: id,
      notice: plan.notice,
      consent: plan.consent,
      respond_by: plan.respondBy,
      revised_date: plan.revisedDate,
      reason: plan.reason,
      late: plan.late,
      lines,
    },
  });
  return { noticeId: id, notice: plan.notice, consent: plan.consent, late: plan.late, lineIds };
}

function groupByNotice<T extends { noticeId: string }>(decisions: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const decision of decisions) groups.set(decision.noticeId, [...(groups.get(decision.noticeId) ?? []), decision]);
  return groups;
}

async function acceptBySilence(work: Work, notice: NoticeRow, decisions: ConsentDecision[]): Promise<void> {
  await closeNotice(work, notice, 'lapsed');
  for (const decision of decisions) await setShipByDate(work, decision.lineId, decision.shipByDate);
  emitAccepted(work, notice, 'silence', decisions.map((d) => d.lineId));
}

async function cancelForNoConsent(work: Work, notice: NoticeRow, decisions: CancelDecision[]): Promise<{ amount: number; currency: string }> {
  await closeNotice(work, notice, 'lapsed');
  const lines = decisions.map((d) => ({ lineId: d.lineId, quantity: d.quantity }));
  const reason = `delay not accepted by ${notice.respond_by} (notice ${notice.id})`;
  const { refund } = await cancelOrder(work, notice.order_id, { lines, reason });
  emitCancelled(work, notice, 'no_consent', lines, refund);
  return refund;
}

/**
 * Records the answer of an open notice and clears the notice state of its
 * lines. The answer is written only while the notice is open, so of two
 * answers racing for one notice exactly one returns true.
 */
export async function closeNotice(work: Work, notice: NoticeRow, answer: 'accepted' | 'cancelled' | 'lapsed' | 'resolved'): Promise<boolean> {
  const closed = await work.db
    .updateTable('delay_notices')
    .set({ answer, answered_at: work.nowIso })
    .where('id', '=', notice.id)
    .where('answer', 'is', null)
    .executeTakeFirst();
  if (Number(closed.numUpdatedRows) === 0) return false;

  const lineIds = noticeLines(notice).map((line) => line.line_id);
  await work.db
    .updateTable('order_lines')
    .set({ delay_state: null })
    .where((eb) => eb.or([eb('id', 'in', lineIds), eb('kit_line_id', 'in', lineIds)]))
    .where('delay_state', '=', 'notified')
    .execute();
  return true;
}

/** Makes an accepted revised date the date in force of a line and its kit components. */
export async function setShipByDate(work: Work, lineId: string, shipByDate: string): Promise<void> {
  await work.db
    .updateTable('order_lines')
    .set({ ship_by_date: shipByDate })
    .where((eb) => eb.or([eb('id', '=', lineId), eb('kit_line_id', '=', lineId)]))
    .execute();
}

/** Marks a line whose delay with no revised date was accepted: it waits until it ships or the customer cancels. */
export async function setIndefinite(work: Work, lineId: string): Promise<void> {
  await work.db
    .updateTable('order_lines')
    .set({ delay_state: 'indefinite' })
    .where((eb) => eb.or([eb('id', '=', lineId), eb('kit_line_id', '=', lineId)]))
    .execute();
}

export function emitAccepted(work: Work, notice: NoticeRow, by: 'customer' | 'silence', lineIds: string[]): void {
  const lines = noticeLines(notice).filter((line) => lineIds.includes(line.line_id));
  work.emit({
    type: 'delay.accepted',
    orderId: notice.order_id,
    data: {
      notice_id: notice.id,
      by,
      revised_date: notice.revised_date,
      lines: lines.map((line) => ({ line_id: line.line_id, sku: line.sku, revised_date: line.revised_date })),
    },
  });
}

export function emitCancelled(
  work: Work,
  notice: NoticeRow,
  cause: 'no_consent' | 'customer',
  cancelled: { lineId: string; quantity: number }[],
  refund: { amount: number; currency: string },
): void {
  const skus = new Map(noticeLines(notice).map((line) => [line.line_id, line.sku]));
  work.emit({
    type: 'delay.cancelled',
    orderId: notice.order_id,
    data: {
      notice_id: notice.id,
      cause,
      lines: cancelled.map((line) => ({ line_id: line.lineId, sku: skus.get(line.lineId) ?? null, quantity: line.quantity })),
      refund,
    },
  });
}
