import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Store } from '../../src/store/store.js';
import type { Channel, Delivery, OutboxEvent } from '../../src/jobs/outbox/channel.js';
import { toOutboxEvent } from '../../src/jobs/outbox/rows.js';

export const LINKS = { secret: 'test-link-secret', baseUrl: 'https://shop.example/restock' };

/** A message the test SMTP server accepted, parsed, with the envelope it came in. */
export interface ReceivedMail {
  mail: ParsedMail;
  to: string[];
  user: string | undefined;
}

export interface SmtpCapture {
  /** `smtp://` URL with the test user name and password. */
  url: string;
  received: ReceivedMail[];
  close(): Promise<void>;
}

export const SMTP_USER = 'restock';
export const SMTP_PASSWORD = 'smtp-test-password';

/**
 * Starts an SMTP server on 127.0.0.1 on a free port that accepts the test
 * user's login and keeps every message, parsed with mailparser. A message
 * is stored before the server accepts it, so it is there when sending returns.
 */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('Invalid user name or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ mail, to: session.envelope.rcptTo.map((r) => r.address), user: session.user as string | undefined });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads the events after `afterSeq` in the outbox's form. */
export async function eventsAfter(store: Store, afterSeq: number): Promise<OutboxEvent[]> {
  const rows = await store.db.selectFrom('events').selectAll().where('seq', '>', afterSeq).orderBy('seq').execute();
  return rows.map(toOutboxEvent);
}

export async function lastSeq(store: Store): Promise<number> {
  const row = await store.db.selectFrom('events').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
  return Number(row?.seq ?? 0);
}

export interface Attempt {
  delivery: Delivery;
  event: OutboxEvent;
  result: Awaited<ReturnType<Channel['send']>>;
}

let deliveryCount = 0;

/**
 * Plays the outbox's part by hand: plans every event after `afterSeq` in a
 * transaction, then sends each planned delivery once. Returns the attempts
 * in order.
 */
export async function runChannel(store: Store, channel: Channel, afterSeq: number): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  for (const event of await eventsAfter(store, afterSeq)) {
    const plans = await store.transaction((work) => channel.plan(event, work.db));
    for (const plan of plans) {
      deliveryCount += 1;
      const delivery: Delivery = {
        id: `dlv_test${deliveryCount}`,
        eventId: event.id,
        channel: 'email',
        endpointId: null,
        recipient: plan.recipient ?? null,
        template: plan.template ?? null,
        attempts: 0,
      };
      attempts.push({ delivery, event, result: await channel.send(delivery, event, store.db) });
    }
  }
  return attempts;
}
