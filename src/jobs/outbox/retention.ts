import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import { runHourly } from '../hourly.js';

/** Days a delivered webhook post or e-mail stays in the delivery log by default. */
export const DEFAULT_DELIVERY_RETENTION_DAYS = 30;

/** Rows per DELETE, so each statement keeps its write lock briefly. */
const DELETE_BATCH = 1_000;

const DAY_MS = 86_400_000;

/**
 * Deletes delivered deliveries created more than `days` days ago, a batch
 * at a time, and returns the count deleted. Pending and dead deliveries
 * stay, since they still need a send or an operator. Events stay too. An
 * event is planned only once, so a deleted delivery is never sent again.
 */
export async function deleteOldDeliveries(store: Store, days: number): Promise<number> {
  const cutoff = new Date(store.clock().getTime() - days * DAY_MS).toISOString();
  let deleted = 0;

  for (;;) {
    const result = await store.db
      .deleteFrom('deliveries')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('deliveries')
          .select('id')
          .where('status', '=', 'delivered')
          .where('created_at', '<', cutoff)
          .orderBy('created_at')
          .limit(DELETE_BATCH),
      )
      .executeTakeFirst();
    const count = Number(result.numDeletedRows);
    deleted += count;
    if (count < DELETE_BATCH) return deleted;
  }
}

/**
 * Deletes old delivered deliveries now and then every hour, until the
 * returned stop function is called. A failed pass is logged and tried
 * again an hour later.
 */
export function scheduleDeliveryRetention(store: Store, days: number, logger: Logger): () => void {
  return runHourly(async () => {
    try {
      const deleted = await deleteOldDeliveries(store, days);
      if (deleted > 0) logger.info({ deleted, retentionDays: days }, 'deleted delivered deliveries past retention');
    } catch (error) {
      logger.error({ err: error, retentionDays: days }, 'failed to delete old deliveries; will retry in an hour');
    }
  });
}
