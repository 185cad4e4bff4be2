import type { Kysely, Selectable } from 'kysely';
import { dateAt, type BusinessCalendar } from '../domain/calendar.js';
import { refundDueDate } from '../domain/delay-rule.js';
import type { Database, RefundTable } from '../store/schema.js';
import type { Work } from '../store/store.js';
import { invalidState, notFound } from './errors.js';

type Reader = Kysely<Database>;

export type RefundStatus = 'requested' | 'completed';

export interface RefundView {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  reason: string;
  status: RefundStatus;
  requested_at: string;
  due_by: string;
  completed_at: string | null;
  provider_reference: string | null;
  /** Still requested after its due date. */
  overdue: boolean;
}

/** Reads the calendar and time zone of the location `main`, which the refund and delay rules count days in. */
export async function mainCalendar(db: Reader): Promise<BusinessCalendar> {
  const row = await db.selectFrom('locations').select(['time_zone', 'working_days', 'holidays']).where('code', '=', 'main').executeTakeFirst();
  if (!row) throw new Error('The location main is missing; run `restock migrate` to create it.');
  return {
    timeZone: row.time_zone,
    workingDays: JSON.parse(row.working_days) as number[],
    holidays: JSON.parse(row.holidays) as string[],
  };
}

/**
 * Inserts a refund row for money going back to the customer, due 7 working
 * days of the main location after today. Returns its id and due date.
 */
export async function insertRefund(
  work: Work,
  order: { id: string; currency: string },
  amount: number,
  reason: string,
): Promise<{ id: string; dueBy: string }> {
  const calendar = await mainCalendar(work.db);
  const id = work.newId('rfd');
  const dueBy = refundDueDate(calendar, dateAt(work.now, calendar.timeZone));
  await work.db
    .insertInto('refunds')
    .values({
      id,
      order_id: order.id,
      amount,
      currency: order.currency,
      reason,
      status: 'requested',
      requested_at: work.nowIso,
      due_by: dueBy,
      completed_at: null,
      provider_reference: null,
    })
    .execute();
  return { id, dueBy };
}

/**
 * Marks a refund as paid back, with the payment system's reference, and
 * writes `refund.completed`. Completing a completed refund again with the
 * same reference (or none) changes nothing and returns it, so a retry is
 * safe. Another reference is `invalid_state`, and an unknown id `not_found`.
 */
export async function completeRefund(work: Work, id: string, providerReference: string | null): Promise<RefundView> {
  const refund = await work.db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirst();
  if (!refund) throw notFound(`Refund ${id} was not found.`);

  if (refund.status === 'completed') {
    if (providerReference === null || providerReference === refund.provider_reference) return refundView(refund, null);
    throw invalidState(
      `Refund ${id} was already completed with provider_reference ${JSON.stringify(refund.provider_reference)}; ` +
        'send the same reference or none to confirm it again.',
    );
  }

  // The status condition makes a parallel completion of the same refund update nothing.
  const updated = await work.db
    .updateTable('refunds')
    .set({ status: 'completed', completed_at: work.nowIso, provider_reference: providerReference })
    .where('id', '=', id)
    .where('status', '=', 'requested')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) throw invalidState(`Refund ${id} was completed by another request at the same time; read it again.`);

  work.emit({
    type: 'refund.completed',
    orderId: refund.order_id,
    data: { refund_id: id, amount: refund.amount, currency: refund.currency, provider_reference: providerReference },
  });
  const completed = { ...refund, status: 'completed', completed_at: work.nowIso, provider_reference: providerReference };
  return refundView(completed, null);
}

export interface RefundFilter {
  status?: RefundStatus;
  /** Only refunds still requested after their due date. */
  overdue?: boolean;
  /** The last `[requested_at, id]` of the previous page. */
  after?: [string, string];
  limit: number;
}

/** Lists refunds oldest first, by request time and id, fetching `limit + 1` rows so the caller can tell whether more follow. */
export async function listRefunds(db: Reader, now: Date, filter: RefundFilter): Promise<RefundView[]> {
  const today = dateAt(now, (await mainCalendar(db)).timeZone);
  let query = db.selectFrom('refunds').selectAll().orderBy('requested_at').orderBy('id').limit(filter.limit + 1);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.overdue === true) query = query.where('status', '=', 'requested').where('due_by', '<', today);
  if (filter.overdue === false) query = query.where((eb) => eb.or([eb('status', '=', 'completed'), eb('due_by', '>=', today)]));
  if (filter.after) {
    const [requestedAt, id] = filter.after;
    query = query.where((eb) => eb.or([eb('requested_at', '>', requestedAt), eb.and([eb('requested_at', '=', requestedAt), eb('id', '>', id)])]));
  }
  const rows = await query.execute();
  return rows.map((row) => refundView(row, today));
}

export async function readRefund(db: Reader, now: Date, id: string): Promise<RefundView> {
  const row = await db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Refund ${id} was not found.`);
  return refundView(row, dateAt(now, (await mainCalendar(db)).timeZone));
}

/** Builds the API view; `today` decides `overdue` and may be null for a completed refund, which is never overdue. */
function refundView(row: Selectable<RefundTable>, today: string | null): RefundView {
  return {
    id: row.id,
    order_id: row.order_id,
    amount: Number(row.amount),
    currency: row.currency,
    reason: row.reason,
    status: row.status as RefundStatus,
    requested_at: row.requested_at,
    due_by: row.due_by,
    completed_at: row.completed_at,
    provider_reference: row.provider_reference,
    overdue: row.status === 'requested' && today !== null && row.due_by < today,
  };
}
