import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Store } from '../store/store.js';
import { readSettings } from './config.js';
import { customerLinksOf, startOutbox } from './outbox.js';
import { DELAY_REVIEW_HELP, OUTBOX_SETTINGS_HELP } from './outbox-help.js';
import { stopOnSignal } from './signals.js';

export const WORKER_HELP = `Usage: restock worker [--db URL]

Runs the outbox dispatcher without the HTTP API: plans each new event's
webhook and e-mail deliveries and sends them, retrying failures with
backoff, until SIGTERM or SIGINT, then finishes the pass in flight and
exits. It runs the delay review as well. Any number of workers may
share one PostgreSQL database; on SQLite run one process. Run the API
with RESTOCK_DISPATCHER=off when workers do this job.
  --db URL        SQLite file path or postgres:// URL
                  (default RESTOCK_DB or ./data/restock.db)

${DELAY_REVIEW_HELP}

Settings (environment):
${OUTBOX_SETTINGS_HELP}`;

/** Runs the dispatcher until SIGTERM or SIGINT; resolves with the exit code once stopped. */
export async function runWorker(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { db: { type: 'string' } }, strict: true });
  const settings = readSettings({ ...process.env, ...(values.db ? { RESTOCK_DB: values.db } : {}) });
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });

  const store = await Store.open({ url: settings.databaseUrl });
  const outbox = startOutbox(store, settings, customerLinksOf(settings), logger);
  logger.info({ database: store.description }, `Restock worker is running on ${store.description}`);

  return stopOnSignal(logger, 'stopping: finishing the dispatcher pass in flight', async () => {
    await outbox.stop();
    await store.close();
  });
}
