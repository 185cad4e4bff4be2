import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { runHourly } from './hourly.js';

/** Idempotency keys are kept at least 24 hours; they are deleted after 48. */
export const IDEMPOTENCY_RETENTION_HOURS = 48;

/** Deletes idempotency records older than the retention and returns how many went. */
export async function deleteExpiredIdempotencyKeys(store: Store): Promise<number> {
  const cutoff = new Date(store.clock().getTime() - IDEMPOTENCY_RETENTION_HOURS * 3600_000).toISOString();
  const result = await store.db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Runs the cleanup every hour until the returned stop function is called. */
export function scheduleIdempotencyCleanup(store: Store, logger: Logger): () => void {
  return runHourly(async () => {
    try {
      const deleted = await deleteExpiredIdempotencyKeys(store);
      if (deleted > 0) logger.info({ deleted }, 'deleted expired idempotency keys');
    } catch (error) {
      logger.error({ err: error }, 'failed to delete expired idempotency keys; will retry in an hour');
    }
  });
}
