import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Store } from '../store/store.js';
import { readSettings } from './config.js';
import { customerLinksOf, startOutbox } from './outbox.js';
import { stopOnSignal } from './signals.js';

export const WORKER_HELP = `Usage: restock worker [--db URL]

Runs the outbox dispatcher without the HTTP API: plans each new event's
webhook and e-mail deliveries and sends them, retrying failures with
backoff, until SIGTERM or SIGINT, then finishes the pass in flight and
exits. It also runs the delay review every 10 minutes, which sends the
delay notices of the US FTC mail-order rule and cancels what lapsed. Any number of workers may share one PostgreSQL database; on SQLite
run one process. Run the API with RESTOCK_DISPATCHER=off when workers
do this job.
  --db URL        SQLite file path or postgres:// URL (default RESTOCK_DB or ./data/restock.db)

Settings (environment):
  RESTOCK_SMTP_URL        smtp:// or smtps:// mail server; unset writes .eml
                          files under <data folder>/mail
  RESTOCK_MAIL_FROM       From header of e-mail
  RESTOCK_MERCHANT_EMAIL  where merchant alerts go; unset sends none
  RESTOCK_PUBLIC_URL      base URL of links in e-mail (default http://HOST:PORT)
  RESTOCK_LINK_SECRET     secret that signs those links (default: generated
                          once in <data folder>/secrets.json)
  RESTOCK_DATA_DIR        data folder (default ./data)
`;

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
