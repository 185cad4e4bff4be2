import type { BaseLogger } from 'pino';
import { reviewDelays, type DelayReviewReport } from '../app/delays.js';
import type { Store } from '../store/store.js';

/**
 * How often the delay review runs. It reads only lines at risk through two
 * partial indexes, so running it often is cheap, and a slip found during the
 * day gets its notice within this interval rather than at the next daily run.
 */
export const DELAY_REVIEW_INTERVAL_MILLIS = 10 * 60_000;

/** A delay review's report as the API returns it and the CLI prints it with --json. */
export interface DelayReviewView {
  reviewed_orders: number;
  notices_sent: { notice_id: string; order_id: string; notice: string; consent: string; late: boolean; line_ids: string[] }[];
  consents_by_silence: { notice_id: string; order_id: string }[];
  cancellations: { notice_id: string; order_id: string; refund: { amount: number; currency: string } }[];
  resolved_notices: { notice_id: string; order_id: string }[];
}

/** Converts a review report to the snake_case view with one list per kind of action. */
export function delayReviewView(report: DelayReviewReport): DelayReviewView {
  const view: DelayReviewView = { reviewed_orders: report.reviewed, notices_sent: [], consents_by_silence: [], cancellations: [], resolved_notices: [] };
  for (const { orderId, notices, consents, cancellations, resolutions } of report.outcomes) {
    for (const n of notices) {
      view.notices_sent.push({ notice_id: n.noticeId, order_id: orderId, notice: n.notice, consent: n.consent, late: n.late, line_ids: n.lineIds });
    }
    for (const noticeId of consents) view.consents_by_silence.push({ notice_id: noticeId, order_id: orderId });
    for (const c of cancellations) view.cancellations.push({ notice_id: c.noticeId, order_id: orderId, refund: c.refund });
    for (const noticeId of resolutions) view.resolved_notices.push({ notice_id: noticeId, order_id: orderId });
  }
  return view;
}

/**
 * Runs the delay review once. Logs every notice, consent by silence,
 * cancellation and resolved notice with its ids, then one summary line with
 * the counts, also when nothing was due.
 */
export async function runDelayReview(store: Store, logger: BaseLogger): Promise<DelayReviewReport> {
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
    for (const noticeId of outcome.resolutions) logger.info({ orderId: outcome.orderId, noticeId }, 'delay notice resolved: its lines no longer slip');
  }

  const view = delayReviewView(report);
  logger.info(
    {
      reviewedOrders: view.reviewed_orders,
      noticesSent: view.notices_sent.length,
      consentsBySilence: view.consents_by_silence.length,
      cancellations: view.cancellations.length,
      resolvedNotices: view.resolved_notices.length,
    },
    'delay review finished',
  );
  return report;
}

/** Stops a scheduled delay review: no new run starts, and the returned promise settles once the run in flight has ended. */
export type StopDelayReview = () => Promise<void>;

/**
 * Runs the delay review at start and every 10 minutes until the returned
 * stop function is called. A run still going when the next is due is not
 * overlapped; the next run waits for the following interval.
 */
export function scheduleDelayReview(store: Store, logger: BaseLogger, intervalMillis = DELAY_REVIEW_INTERVAL_MILLIS): StopDelayReview {
  let inFlight: Promise<void> | null = null;
  let stopped = false;
  const run = async () => {
    try {
      await runDelayReview(store, logger);
    } catch (error) {
      logger.error({ err: error }, `delay review failed; will retry in ${Math.round(intervalMillis / 60_000)} minutes`);
    }
  };
  const start = () => {
    if (stopped || inFlight !== null) return;
    inFlight = run().finally(() => {
      inFlight = null;
    });
  };

  const timer = setInterval(start, intervalMillis);
  timer.unref();
  start();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await inFlight;
  };
}
