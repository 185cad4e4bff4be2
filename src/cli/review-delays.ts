import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { delayReviewView, runDelayReview, type DelayReviewView } from '../jobs/delay-review.js';
import { isPostgresUrl } from '../store/database.js';
import { Store } from '../store/store.js';
import { readSettings } from './config.js';

export const REVIEW_DELAYS_HELP = `Usage: restock review-delays [--db URL] [--json]

Runs the delay review once, now: sends the delay notices that are due
(US FTC mail-order rule), applies consent by silence and cancels and
refunds the units whose delay was not accepted in time, then closes the
notices whose items no longer slip. It prints what it did, with ids.
restock serve and restock worker also run it every 10 minutes. The
notices are e-mailed by the outbox of serve or worker.
  --db URL        SQLite file path or postgres:// URL (default RESTOCK_DB or ./data/restock.db)
  --json          print the report as JSON

Logs go to stderr at LOG_LEVEL (default warn).
`;

/** Runs one delay review on the database and prints its report; returns the exit code. */
export async function runReviewDelays(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { db: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const settings = readSettings({ ...process.env, ...(values.db ? { RESTOCK_DB: values.db } : {}) });
  if (!isPostgresUrl(settings.databaseUrl) && !existsSync(settings.databaseUrl)) {
    process.stderr.write(`No database file at ${settings.databaseUrl}; pass --db or set RESTOCK_DB to an existing database.\n`);
    return 2;
  }

  const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const store = await Store.open({ url: settings.databaseUrl });
  try {
    const view = delayReviewView(await runDelayReview(store, logger));
    process.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : describeReview(view, store.description));
    return 0;
  } finally {
    await store.close();
  }
}

/** Formats the report as a summary line and one line per action, with its ids. */
export function describeReview(view: DelayReviewView, database: string): string {
  const lines = [
    `Delay review on ${database}: ${view.reviewed_orders} orders reviewed, ${view.notices_sent.length} notices sent, ` +
      `${view.consents_by_silence.length} delays accepted by silence, ${view.cancellations.length} cancellations, ` +
      `${view.resolved_notices.length} notices resolved.`,
  ];
  for (const n of view.notices_sent) {
    const late = n.late ? ', late' : '';
    lines.push(`  notice sent     ${n.notice_id} order ${n.order_id} (${n.notice}, ${n.consent} consent${late}) lines ${n.line_ids.join(' ')}`);
  }
  for (const c of view.consents_by_silence) lines.push(`  accepted        ${c.notice_id} order ${c.order_id} (by silence)`);
  for (const c of view.cancellations) {
    lines.push(`  cancelled       ${c.notice_id} order ${c.order_id} (no consent; refund ${c.refund.amount} ${c.refund.currency} minor units)`);
  }
  for (const r of view.resolved_notices) lines.push(`  resolved        ${r.notice_id} order ${r.order_id} (its items no longer slip)`);
  return `${lines.join('\n')}\n`;
}
