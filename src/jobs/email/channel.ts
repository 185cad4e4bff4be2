import type { Logger } from 'pino';
import type { CustomerLinks } from '../../http/app.js';
import type { Channel } from '../outbox/channel.js';
import { planEmails } from './plan.js';
import { PermanentMailError, renderEmail } from './render.js';
import type { MailTransport } from './transport.js';

export const DEFAULT_MAIL_FROM = 'Restock <restock@localhost>';

export interface EmailChannelOptions {
  transport: MailTransport;
  /** The From header, such as `Shop <orders@shop.example>`; default `Restock <restock@localhost>`. */
  from?: string;
  /** The address of merchant alerts (low stock, out of stock); without it they are not planned. */
  merchantEmail?: string | null;
  /** The secret that signs self-service and unsubscribe links, and the base URL they point at. */
  customerLinks: CustomerLinks;
  logger?: Logger;
}

/**
 * The e-mail channel of the outbox. `plan` picks recipients and templates
 * (see plan.ts). `send` renders the message from the event and a fresh read
 * of the database, then hands it to the transport. A delivery that cannot be
 * rendered fails for good, and a transport failure is returned for a retry.
 * Each sent message is logged here. The dispatcher logs failures and stores
 * them with the delivery.
 */
export function emailChannel(options: EmailChannelOptions): Channel {
  const from = options.from ?? DEFAULT_MAIL_FROM;
  const domain = domainOf(from);
  const logger = options.logger;

  return {
    name: 'email',

    plan(event, tx) {
      return planEmails(event, tx, { merchantEmail: options.merchantEmail ?? null });
    },

    async send(delivery, event, db) {
      const ids = { deliveryId: delivery.id, eventId: event.id, orderId: event.orderId, template: delivery.template };
      let message;
      try {
        message = await renderEmail(delivery, event, db, { links: options.customerLinks });
      } catch (error) {
        if (!(error instanceof PermanentMailError)) throw error;
        return { ok: false, permanent: true, error: error.message };
      }

      try {
        const sent = await options.transport.send({ ...message, from, messageId: `<${delivery.id}@${domain}>` }, delivery.id);
        logger?.info({ ...ids, messageId: sent.messageId, file: sent.file }, 'e-mail sent');
        return { ok: true };
      } catch (error) {
        return { ok: false, error: `${options.transport.description}: ${(error as Error).message}` };
      }
    },
  };
}

/** Returns the domain of the From address, for Message-IDs; `localhost` when it has none. */
function domainOf(from: string): string {
  const address = /<([^>]*)>/.exec(from)?.[1] ?? from;
  const domain = address.split('@')[1]?.trim();
  return domain ? domain : 'localhost';
}
