import type { Selectable } from 'kysely';
import type { DeliveryTable } from '../../store/schema.js';
import type { Store } from '../../store/store.js';

export interface Claim {
  rows: Selectable<DeliveryTable>[];
  /** The lease's end, as stored in `locked_until`; a result is recorded only while the row still carries it. */
  lockedUntil: string;
}

/**
 * Claims up to `batchSize` due deliveries of the given channels: pending,
 * next attempt due, and no live lease. Each claimed row gets a lease until
 * now + `leaseMillis` and its attempt counted, in one short transaction, so
 * the send happens outside any transaction. On PostgreSQL the rows are read
 * with `FOR UPDATE SKIP LOCKED`, so workers claiming at once never take the
 * same row. On SQLite, write transactions run one at a time.
 */
export async function claimDue(store: Store, channels: readonly string[], batchSize: number, leaseMillis: number): Promise<Claim> {
  return store.transaction(async (work) => {
    const lockedUntil = new Date(work.now.getTime() + leaseMillis).toISOString();
    let query = work.db
      .selectFrom('deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', work.nowIso)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', work.nowIso)]))
      .where('channel', 'in', channels)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(batchSize);
    if (work.postgres) query = query.forUpdate().skipLocked();
    const ids = (await query.execute()).map((row) => row.id);
    if (ids.length === 0) return { rows: [], lockedUntil };

    const rows = await work.db
      .updateTable('deliveries')
      .set((eb) => ({ locked_until: lockedUntil, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', ids)
      .returningAll()
      .execute();
    return { rows, lockedUntil };
  });
}

export type Outcome =
  | { kind: 'delivered'; status: number | null }
  | { kind: 'retry'; status: number | null; error: string; nextAttemptAt: string }
  | { kind: 'dead'; status: number | null; error: string };

/**
 * Stores the outcome of one attempt and frees the lease. Returns false when
 * the row no longer carries this worker's lease (it expired and another
 * worker claimed the delivery), and then changes nothing.
 */
export async function recordOutcome(store: Store, id: string, lockedUntil: string, outcome: Outcome): Promise<boolean> {
  const nowIso = store.clock().toISOString();
  const common = { locked_until: null, last_status: outcome.status };
  const changes =
    outcome.kind === 'delivered'
      ? { ...common, status: 'delivered', delivered_at: nowIso, last_error: null }
      : outcome.kind === 'retry'
        ? { ...common, last_error: outcome.error, next_attempt_at: outcome.nextAttemptAt }
        : { ...common, status: 'dead', last_error: outcome.error };

  const result = await store.db
    .updateTable('deliveries')
    .set(changes)
    .where('id', '=', id)
    .where('locked_until', '=', lockedUntil)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
