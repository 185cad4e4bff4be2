import { addCalendarDays, isBusinessDay, type BusinessCalendar } from './calendar.js';

/**
 * The delay rule of the US FTC Mail, Internet, or Telephone Order
 * Merchandise Rule (16 CFR 435), as Restock applies it to order lines. All
 * dates are `YYYY-MM-DD` in the main location's time zone, and `today` is
 * the date of the instant the rule is applied at.
 *
 * - A line's first promise is its first promised ship date or, when none
 *   was stated, 30 days after the order was placed. Its date in force is
 *   that promise until a delay is accepted, then the accepted revised date.
 * - A line slips when its estimate is later than the date in force, or is
 *   unknown with 3 days or less to go. A slip found before the date in force
 *   gets a notice at once, with the date in force as the last day to answer.
 * - Silence accepts the delay only for a first notice whose revised date is
 *   at most 30 days after the first promise. Every other notice needs the
 *   customer's explicit consent: without it, the unshipped units are
 *   cancelled and refunded once the last day to answer has passed.
 * - A slip found only on or after the date in force (the estimate jumped
 *   past a date already reached, or the units did not ship by it) gets a
 *   late notice at once. It needs explicit consent, because the customer was
 *   not told in time, and gives 7 days to answer.
 * - While a notice is open, a further slip waits for its answer or deadline.
 *   A notice whose lines no longer slip (their units got stock, shipped or
 *   were cancelled, or their estimate came back within the date in force)
 *   is resolved: it no longer asks for an answer. A delay accepted with no
 *   revised date holds until the units ship or the customer cancels them.
 */

/** Days after placing that a line without a stated promise must ship by. */
export const NO_PROMISE_DAYS = 30;
/** Silence accepts a delay whose revised date is at most this many days after the first promise. */
export const SILENCE_CONSENT_DAYS = 30;
/** A line with an unknown estimate gets its notice this many days before the date in force. */
export const UNKNOWN_ESTIMATE_NOTICE_DAYS = 3;
/** Days a customer has to answer a late notice. */
export const LATE_ANSWER_DAYS = 7;
/** Working days within which a refund is due. */
export const REFUND_WORKING_DAYS = 7;

export type Consent = 'silence' | 'explicit';
export type NoticeKind = 'first' | 'renewed';
export type DelayState = 'notified' | 'indefinite';

/** The open notice of a line, with the revised date it gave that line. */
export interface OpenNotice {
  id: string;
  consent: Consent;
  respondBy: string;
  revisedDate: string | null;
}

/** The fields of one order line that the rule reads. */
export interface DelayLine {
  id: string;
  sku: string;
  /**
   * Units that wait for stock: the backordered units under `ship_partial`,
   * and every unshipped unit under `ship_complete`, where nothing ships
   * until the whole order can. Units in stock under `ship_partial` can ship
   * and are not delayed.
   */
  unshipped: number;
  /** The date the order was placed. */
  placedDate: string;
  promisedDate: string | null;
  estimatedDate: string | null;
  /** The date in force after an accepted delay; null while the first promise holds. */
  shipByDate: string | null;
  state: DelayState | null;
  openNotice: OpenNotice | null;
}

export interface NoticeDecision {
  kind: 'notice';
  lineId: string;
  sku: string;
  quantity: number;
  notice: NoticeKind;
  consent: Consent;
  respondBy: string;
  /** The date in force that the line misses. */
  promisedDate: string;
  revisedDate: string | null;
  /** The reason no revised date can be given, or the notice is late; null otherwise. */
  reason: string | null;
  late: boolean;
}

/** Silence accepted the delay: the revised date becomes the date in force. */
export interface ConsentDecision {
  kind: 'consent';
  lineId: string;
  noticeId: string;
  shipByDate: string;
}

/** No consent came in time: the unshipped units are cancelled and refunded. */
export interface CancelDecision {
  kind: 'cancel';
  lineId: string;
  noticeId: string;
  quantity: number;
}

/** The line of an open notice no longer slips: the notice need not be answered for it. */
export interface ResolveDecision {
  kind: 'resolve';
  lineId: string;
  noticeId: string;
}

export type DelayDecision = NoticeDecision | ConsentDecision | CancelDecision | ResolveDecision;

export const UNKNOWN_DATE_REASON = 'No supply with a known arrival date covers these items yet.';
export const LATE_REASON = 'The items did not ship by the date we gave, and we did not write to you before it.';

export function firstPromise(line: Pick<DelayLine, 'promisedDate' | 'placedDate'>): string {
  return line.promisedDate ?? addCalendarDays(line.placedDate, NO_PROMISE_DAYS);
}

export function dateInForce(line: Pick<DelayLine, 'shipByDate' | 'promisedDate' | 'placedDate'>): string {
  return line.shipByDate ?? firstPromise(line);
}

/** Tells whether the line's estimate misses the date in force, as known on `today`. */
export function hasSlipped(line: DelayLine, today: string): boolean {
  const inForce = dateInForce(line);
  if (line.estimatedDate === null) return today >= addCalendarDays(inForce, -UNKNOWN_ESTIMATE_NOTICE_DAYS);
  return line.estimatedDate > inForce;
}

/**
 * Tells whether a notified line no longer needs its notice: no units wait,
 * or its estimate is known again and within the date in force, which has
 * not passed. An unknown estimate keeps the notice open, since the line
 * would get a new notice as soon as the date is 3 days away.
 */
export function isBackOnTime(line: DelayLine, today: string): boolean {
  if (line.unshipped <= 0) return true;
  const inForce = dateInForce(line);
  return line.estimatedDate !== null && line.estimatedDate <= inForce && today <= inForce;
}

/**
 * Decides what is due for one line on `today`: a notice, consent by silence,
 * a cancellation, the resolution of an open notice it no longer needs, or
 * nothing (null).
 */
export function decideLine(line: DelayLine, today: string): DelayDecision | null {
  if (line.state === 'indefinite') return null;
  if (line.state === 'notified' && line.openNotice !== null) {
    if (isBackOnTime(line, today)) return { kind: 'resolve', lineId: line.id, noticeId: line.openNotice.id };
    return decideOpenNotice(line, line.openNotice, today);
  }
  if (line.unshipped <= 0) return null;

  const inForce = dateInForce(line);
  const slipped = hasSlipped(line, today);
  if (today < inForce) return slipped ? noticeFor(line, today, false) : null;
  // On the date in force itself the units may still ship that day.
  if (today === inForce && !slipped) return null;
  return noticeFor(line, today, true);
}

/** Decides every line of an order; lines with nothing due are left out. */
export function decideOrder(lines: readonly DelayLine[], today: string): DelayDecision[] {
  const decisions: DelayDecision[] = [];
  for (const line of lines) {
    const decision = decideLine(line, today);
    if (decision !== null) decisions.push(decision);
  }
  return decisions;
}

function decideOpenNotice(line: DelayLine, notice: OpenNotice, today: string): DelayDecision | null {
  if (today <= notice.respondBy) return null;
  if (notice.consent === 'silence' && notice.revisedDate !== null) {
    return { kind: 'consent', lineId: line.id, noticeId: notice.id, shipByDate: notice.revisedDate };
  }
  return { kind: 'cancel', lineId: line.id, noticeId: notice.id, quantity: line.unshipped };
}

function noticeFor(line: DelayLine, today: string, late: boolean): NoticeDecision {
  const notice: NoticeKind = line.shipByDate === null ? 'first' : 'renewed';
  const revisedDate = line.estimatedDate !== null && line.estimatedDate >= today ? line.estimatedDate : null;
  const silenceAllowed =
    notice === 'first' && !late && revisedDate !== null && revisedDate <= addCalendarDays(firstPromise(line), SILENCE_CONSENT_DAYS);

  return {
    kind: 'notice',
    lineId: line.id,
    sku: line.sku,
    quantity: line.unshipped,
    notice,
    consent: silenceAllowed ? 'silence' : 'explicit',
    respondBy: late ? addCalendarDays(today, LATE_ANSWER_DAYS) : dateInForce(line),
    promisedDate: dateInForce(line),
    revisedDate,
    reason: reasonOf(late, revisedDate),
    late,
  };
}

/** One notice to send: the lines of an order that share its kind, consent and deadline. */
export interface NoticePlan {
  notice: NoticeKind;
  consent: Consent;
  respondBy: string;
  late: boolean;
  /** The latest revised date of its lines; null when any line has none. */
  revisedDate: string | null;
  reason: string | null;
  lines: NoticeDecision[];
}

/** Groups an order's notice decisions into notices, one per kind, consent, deadline and lateness. */
export function planNotices(decisions: readonly DelayDecision[]): NoticePlan[] {
  const plans = new Map<string, NoticePlan>();
  for (const decision of decisions) {
    if (decision.kind !== 'notice') continue;
    const key = `${decision.notice}|${decision.consent}|${decision.respondBy}|${decision.late}`;
    const plan = plans.get(key) ?? {
      notice: decision.notice,
      consent: decision.consent,
      respondBy: decision.respondBy,
      late: decision.late,
      revisedDate: decision.revisedDate,
      reason: null,
      lines: [],
    };
    plan.lines.push(decision);
    plans.set(key, plan);
  }
  for (const plan of plans.values()) finishPlan(plan);
  return [...plans.values()];
}

function finishPlan(plan: NoticePlan): void {
  const dates = plan.lines.map((line) => line.revisedDate);
  plan.revisedDate = dates.includes(null) ? null : (dates as string[]).sort().at(-1)!;
  plan.reason = reasonOf(plan.late, plan.revisedDate);
}

/** Returns the reason a notice states: why it is late, why it has no revised date, or null when it needs none. */
function reasonOf(late: boolean, revisedDate: string | null): string | null {
  if (late) return LATE_REASON;
  if (revisedDate === null) return UNKNOWN_DATE_REASON;
  return null;
}

/**
 * Returns the date a refund requested on `today` is due by: the 7th working
 * day after it, counting the days of the calendar that are working days and
 * not holidays. Under a Monday-to-Friday calendar without holidays, a
 * request on Friday 6 March 2026 (or on the weekend after it) is due by
 * Tuesday 17 March.
 */
export function refundDueDate(calendar: BusinessCalendar, today: string): string {
  if (calendar.workingDays.length === 0) throw new RangeError('A business calendar needs at least one working day.');

  let date = today;
  for (let left = REFUND_WORKING_DAYS; left > 0; ) {
    date = addCalendarDays(date, 1);
    if (isBusinessDay(calendar, date)) left -= 1;
  }
  return date;
}
