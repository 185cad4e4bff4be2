import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { Channel, DeliveryPlan, OutboxEvent } from './channel.js';
import { toOutboxEvent } from './rows.js';

export interface PlanResult {
  /** Events marked dispatched. */
  events: number;
  /** Delivery rows stored for them. */
  deliveries: number;
}

/**
 * Plans the deliveries of the oldest undispatched events, at most
 * `batchSize`, in one transaction: every channel plans each event, the
 * deliveries are stored and the events marked dispatched, so an event is
 * planned once or not at all. On PostgreSQL the events are locked with
 * `FOR UPDATE SKIP LOCKED`, so planners running at once take disjoint
 * batches. On SQLite, write transactions run one at a time. The unique key of
 * `deliveries` drops a plan that repeats an earlier one.
 */
export async function planBatch(store: Store, channels: readonly Channel[], batchSize: number): Promise<PlanResult> {
  return store.transaction(async (work) => {
    const events = await takeUndispatched(work.db, work.postgres, batchSize);
    if (events.length === 0) return { events: 0, deliveries: 0 };

    const rows = [];
    for (const event of events) {
      for (const plan of await planEvent(event, channels, work.db)) {
        rows.push(deliveryRow(work.newId('dlv'), event, plan, work.nowIso));
      }
    }

    // SQLite allows 32,766 bound parameters per statement; 9 per row.
    let stored = 0;
    for (let start = 0; start < rows.length; start += 500) {
      const result = await work.db
        .insertInto('deliveries')
        .values(rows.slice(start, start + 500))
        .onConflict((conflict) => conflict.doNothing())
        .executeTakeFirst();
      stored += Number(result.numInsertedOrUpdatedRows ?? 0);
    }

    await work.db
      .updateTable('events')
      .set({ dispatched_at: work.nowIso })
      .where('seq', 'in', events.map((event) => event.seq))
      .execute();
    return { events: events.length, deliveries: stored };
  });
}

async function takeUndispatched(tx: Transaction<Database>, postgres: boolean, batchSize: number): Promise<OutboxEvent[]> {
  let query = tx.selectFrom('events').selectAll().where('dispatched_at', 'is', null).orderBy('seq').limit(batchSize);
  if (postgres) query = query.forUpdate().skipLocked();
  const rows = await query.execute();
  return rows.map(toOutboxEvent);
}

async function planEvent(event: OutboxEvent, channels: readonly Channel[], tx: Transaction<Database>): Promise<DeliveryPlan[]> {
  const plans: DeliveryPlan[] = [];
  for (const channel of channels) {
    try {
      plans.push(...(await channel.plan(event, tx)));
    } catch (error) {
      throw new Error(`The ${channel.name} channel failed to plan event ${event.id} (${event.type}): ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return plans;
}

/**
 * Sets one event aside after its plan failed on its own: it is marked
 * dispatched with the error, so the events behind it go on. An operator
 * finds it with `plan_error` set and no deliveries.
 */
export async function setAsideEvent(store: Store, eventId: string, error: string): Promise<void> {
  await store.transaction(async (work) => {
    await work.db
      .updateTable('events')
      .set({ dispatched_at: work.nowIso, plan_error: error })
      .where('id', '=', eventId)
      .where('dispatched_at', 'is', null)
      .execute();
  });
}

/** Returns the oldest undispatched event's id, or undefined when none waits. */
export async function oldestUndispatched(store: Store): Promise<string | undefined> {
  const row = await store.db.selectFrom('events').select('id').where('dispatched_at', 'is', null).orderBy('seq').limit(1).executeTakeFirst();
  return row?.id;
}

function deliveryRow(id: string, event: OutboxEvent, plan: DeliveryPlan, nowIso: string) {
  return {
    id,
    event_id: event.id,
    channel: plan.channel,
    endpoint_id: plan.endpointId ?? null,
    recipient: plan.recipient ?? null,
    template: plan.template ?? null,
    status: 'pending',
    attempts: 0,
    next_attempt_at: nowIso,
    created_at: nowIso,
  };
}
