import type { Logger } from 'pino';
import { reviewDelays, type DelayReviewReport } from '../app/delays.js';
import type { Store } from '../store/store.js';

/**
 * How often the delay review runs. It reads only lines at risk through two
 * partial indexes, so running it often is cheap, and a slip found during the
 * day gets its notice within this interval rather than at the next daily run.
 */
export const DELAY_REVIEW_INTERVAL_MILLIS = 10 * 60_000;

/** Runs the delay review once and logs every notice, consent by silence and cancellation with its ids. */
export async function runDelayReview(store: Store, logger: Logger): Promise<DelayReviewReport> {
  const report = await reviewDelays(store);
  for (const outcome of report.outcomes) {
    for (const notice of outcome.notices) {
      logger.info(
        { orderId: outcome.orderId, noticeId: notice.noticeId, notice: notice.notice, consent: notice.consent, late: notice.late, lineIds: notice.lineIds },
        'delay notice sent',
      );
    }
    for (const noticeId of outcome.consents) logger.info({ orderId: outcome.orderId, noticeId }, 'delay accepted by silence');
    for (const cancellation of outcome.cancellations) {
      logger.info(
        { orderId: outcome.orderId, noticeId: cancellation.noticeId, refund: cancellation.refund.amount, currency: cancellation.refund.currency },
        'delayed items cancelled: no consent by the date in force',
      );
    }
  }
  return report;
}

/**
 * Runs the delay review at start and every 10 minutes until the returned
 * stop function is called. A run still going when the next is due is not
 * overlapped; the next run waits for the following interval.
 */
export function scheduleDelayReview(store: Store, logger: Logger, intervalMillis = DELAY_REVIEW_INTERVAL_MILLIS): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await runDelayReview(store, logger);
    } catch (error) {
      logger.error({ err: error }, `delay review failed; will retry in ${Math.round(intervalMillis / 60_000)} minutes`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), intervalMillis);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
