import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from '../http/app.js';
import { loadKeys } from '../http/auth.js';
import { Store } from '../store/store.js';
import { scheduleIdempotencyCleanup } from '../jobs/idempotency-cleanup.js';
import { loadDemo } from '../app/replay/demo.js';
import type { Settings } from './config.js';
import { stopOnSignal } from './signals.js';
import { customerLinksOf, startOutbox } from './outbox.js';

/**
 * Migrates the database, serves the API and, unless RESTOCK_DISPATCHER=off,
 * runs the outbox dispatcher, until SIGTERM or SIGINT. Then it stops
 * accepting connections, lets in-flight requests and the dispatcher pass
 * finish and closes the database. Resolves with the exit code once stopped.
 */
export async function runServe(settings: Settings): Promise<number> {
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', redact: ['req.headers.authorization'] });

  const store = await Store.open({ url: settings.databaseUrl });
  if (settings.demo) await loadDemoData(store, logger);
  const loaded = loadKeys(settings.dataDir);
  const customerLinks = customerLinksOf(settings);
  const app = await buildApp({ store, keys: loaded.keys, logger, publicRateLimit: settings.publicRateLimit, customerLinks, availabilityCacheMillis: settings.availabilityCacheMillis });

  const address = await listenOrClose(app, store, settings);
  const stopCleanup = scheduleIdempotencyCleanup(store, logger);
  const outbox = settings.dispatcher ? startOutbox(store, settings, customerLinks, logger) : null;
  if (!outbox) logger.info('Outbox dispatcher is off (RESTOCK_DISPATCHER=off); run restock worker to deliver webhooks and e-mail');
  logger.info({ url: address, database: store.description }, `Restock is serving ${address} on ${store.description}`);
  if (loaded.generated) {
    // Printed once, on the start that generated them; later starts only say where they are.
    process.stdout.write(
      `\nGenerated API keys (stored in ${loaded.file}):\n  admin key:       ${loaded.keys.admin}\n  publishable key: ${loaded.keys.publishable}\n\n`,
    );
  } else if (loaded.file) {
    logger.info({ keys: loaded.file }, `API keys are in ${loaded.file}`);
  } else {
    logger.info('API keys come from RESTOCK_ADMIN_KEY and RESTOCK_PUBLISHABLE_KEY');
  }
  logger.info(`API documentation: ${address}/docs`);

  return stopOnSignal(logger, 'stopping: finishing in-flight requests', async () => {
    stopCleanup();
    await app.close();
    await outbox?.stop();
    await store.close();
  });
}

/**
 * Starts listening before any background job starts, so a server that
 * cannot listen closes the database and exits instead of running its jobs
 * without an API.
 */
async function listenOrClose(app: FastifyInstance, store: Store, settings: Settings): Promise<string> {
  try {
    return await app.listen({ host: settings.host, port: settings.port });
  } catch (error) {
    await app.close();
    await store.close();
    const code = (error as { code?: unknown }).code;
    const hint = code === 'EADDRINUSE' ? ' Another process is using the port; stop it or set PORT to a free one.' : '';
    throw new Error(`Failed to listen on ${settings.host}:${settings.port}: ${(error as Error).message}.${hint}`);
  }
}

/** Loads the demo store before serving, when the database is empty, and logs what it loaded or why it did not. */
async function loadDemoData(store: Store, logger: Logger): Promise<void> {
  const started = performance.now();
  const demo = await loadDemo(store);
  if (!demo.loaded) {
    logger.info({ reason: demo.reason }, `Demo data not loaded: ${demo.reason}`);
    return;
  }
  logger.info(
    { ...demo, seconds: Math.round((performance.now() - started) / 100) / 10 },
    `Loaded the demo store: ${demo.skus} SKUs and ${demo.orders} orders from ${demo.firstDay} to ${demo.lastDay}, ` +
      `${demo.backorderedLines} lines waiting for stock, ${demo.openPurchaseOrders} purchase orders on the way`,
  );
}
