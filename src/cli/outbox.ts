import type { Logger } from 'pino';
import type { CustomerLinks } from '../http/app.js';
import { emailChannel } from '../jobs/email/channel.js';
import { createMailTransport } from '../jobs/email/transport.js';
import type { Channel } from '../jobs/outbox/channel.js';
import { Dispatcher } from '../jobs/outbox/dispatcher.js';
import { startDispatcher, type RunningDispatcher } from '../jobs/outbox/runner.js';
import { webhookChannel } from '../jobs/webhooks/channel.js';
import { scheduleDelayReview } from '../jobs/delay-review.js';
import { scheduleDeliveryRetention } from '../jobs/outbox/retention.js';
import type { Store } from '../store/store.js';
import type { Settings } from './config.js';
import { loadLinkSecret } from './link-secret.js';

/** Reads the customer link settings: the public URL and the link secret from the environment or the data folder. */
export function customerLinksOf(settings: Settings): CustomerLinks {
  return { secret: loadLinkSecret(settings.dataDir, settings.linkSecret ?? undefined).secret, baseUrl: settings.publicUrl };
}

/**
 * Starts the outbox dispatcher with every channel: webhooks, and e-mail over
 * SMTP or to `.eml` files. Beside it runs the delay review, whose notices
 * the dispatcher sends, so a process that delivers mail also decides the
 * delay notices, and the hourly deletion of delivered deliveries past their
 * retention. Stop them with the returned handle; stopping waits for the
 * dispatcher pass and the delay review in flight, then closes the mail
 * transport.
 */
export function startOutbox(store: Store, settings: Settings, customerLinks: CustomerLinks, logger: Logger): RunningDispatcher {
  const transport = createMailTransport({ smtpUrl: settings.smtpUrl, dataDir: settings.dataDir });
  const channels: Channel[] = [
    webhookChannel({ clock: store.clock }),
    emailChannel({
      transport,
      from: settings.mailFrom ?? undefined,
      merchantEmail: settings.merchantEmail,
      customerLinks,
      logger: logger.child({ channel: 'email' }),
    }),
  ];
  const dispatcherLogger = logger.child({ job: 'outbox' });
  const dispatcher = new Dispatcher(store, { channels, logger: dispatcherLogger });
  const running = startDispatcher(dispatcher, { logger: dispatcherLogger });
  const stopDelayReview = scheduleDelayReview(store, logger.child({ job: 'delay-review' }));
  const stopRetention =
    settings.deliveryRetentionDays > 0
      ? scheduleDeliveryRetention(store, settings.deliveryRetentionDays, logger.child({ job: 'delivery-retention' }))
      : () => {};
  logger.info({ mail: transport.description }, `Outbox dispatcher started: webhooks, and e-mail to ${transport.description}`);

  return {
    async stop() {
      stopRetention();
      await Promise.all([stopDelayReview(), running.stop()]);
      transport.close();
    },
  };
}
