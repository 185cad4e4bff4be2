import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { openTestStore, type TestStore } from '../support/database.js';
import { givenSku, placeAccepted } from '../support/builders.js';
import { createPurchaseOrder, receive } from '../../src/app/purchase-orders.js';
import { shipOrder } from '../../src/app/ship-order.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { editOrderLine } from '../../src/app/edit-order.js';
import { verifyToken } from '../../src/app/signed-tokens.js';
import { formatDate } from '../../src/domain/messages.js';
import { emailChannel } from '../../src/jobs/email/channel.js';
import { emlFileTransport, redactSmtpUrl, smtpTransport, type MailTransport } from '../../src/jobs/email/transport.js';
import { Dispatcher } from '../../src/jobs/outbox/dispatcher.js';
import type { Store } from '../../src/store/store.js';
import { LINKS, SMTP_PASSWORD, lastSeq, runChannel, startSmtpCapture, type SmtpCapture } from './support.js';

/*
 * E-mail through the channel's plan and send, on the real database, to an
 * SMTP server on 127.0.0.1. The clock starts on Monday 2 March 2026 at
 * noon UTC; the location `main` works Monday to Friday in UTC and receives
 * on the day goods arrive.
 */

const FROM = 'Shop <orders@shop.example>';

async function withStore(body: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await openTestStore();
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

async function withSmtp(body: (smtp: SmtpCapture, transport: MailTransport) => Promise<void>): Promise<void> {
  const smtp = await startSmtpCapture();
  const transport = smtpTransport(smtp.url);
  try {
    await body(smtp, transport);
  } finally {
    transport.close();
    await smtp.close();
  }
}

/** Creates a tote with 1 unit on hand and 10 more due on Monday 16 March 2026, and a mug with 5 on hand. */
async function givenCatalog(store: Store): Promise<string> {
  await givenSku(store, 'TOTE-NAVY', { name: 'Navy tote', policy: 'backorder', onHand: 1 });
  await givenSku(store, 'MUG', { name: 'Enamel mug', onHand: 5 });
  return store.transaction((work) =>
    createPurchaseOrder(work, { reference: 'PO-1', expectedDate: '2026-03-16', lines: [{ sku: 'TOTE-NAVY', quantity: 10 }] }),
  );
}

describe('e-mail over SMTP', () => {
  it('order confirmation names backordered lines and dates', () =>
    withStore(({ store }) =>
      withSmtp(async (smtp, transport) => {
        await givenCatalog(store);
        const channel = emailChannel({ transport, from: FROM, customerLinks: LINKS });
        const after = await lastSeq(store);
        const order = await placeAccepted(store, [['TOTE-NAVY', 3, 2400], ['MUG', 2, 1200]], {
          externalId: '1042',
          customer: { email: 'ada@example.com', name: 'Ada Lovelace', locale: 'en-GB' },
        });
        assert.equal(order.lines[0]!.estimated_ship_date, '2026-03-16');

        const attempts = await runChannel(store, channel, after);
        assert.deepEqual(attempts.map((a) => [a.event.type, a.delivery.template, a.result.ok]), [['order.placed', 'order_confirmation', true]]);
        assert.equal(smtp.received.length, 1);
        const { mail, to, user } = smtp.received[0]!;
        assert.deepEqual(to, ['ada@example.com']);
        assert.equal(user, 'restock');
        assert.equal(mail.from?.text, '"Shop" <orders@shop.example>');
        assert.equal(mail.subject, 'Your order 1042: 2 items are on backorder');
        assert.match(mail.text!, /^Hello Ada Lovelace,$/m);
        assert.match(mail.text!, /^- 3 × Navy tote: 1 ready to ship, 2 on backorder and estimated to ship by 16 March 2026$/m);
        assert.match(mail.text!, /^- 2 × Enamel mug: in stock, ready to ship$/m);
        assert.match(mail.text!, /^Amount charged: US\$96\.00\.$/m);
        assert.equal(mail.messageId, `<${attempts[0]!.delivery.id}@shop.example>`);

        const link = /https:\/\/shop\.example\/restock\/c\/(\S+)/.exec(mail.text!);
        assert.ok(link, 'the text carries the self-service link');
        const check = verifyToken(LINKS.secret, link[1]!, 'order', new Date('2026-05-30T00:00:00Z'));
        assert.deepEqual(check.ok && check.claims.id, order.id);
        assert.ok(String(mail.html).includes(`href="https://shop.example/restock/c/${link[1]}"`));
      }),
    ));

  it('allocation and shipment send one message each', () =>
    withStore(({ store }) =>
      withSmtp(async (smtp, transport) => {
        const purchaseOrder = await givenCatalog(store);
        const channel = emailChannel({ transport, from: FROM, customerLinks: LINKS });
        const order = await placeAccepted(store, [['TOTE-NAVY', 3, 2400], ['MUG', 2, 1200]], {
          externalId: '1043',
          customer: { email: 'ada@example.com', name: 'Ada', locale: 'en-US' },
        });

        let after = await lastSeq(store);
        await store.transaction((work) => receive(work, purchaseOrder, [{ sku: 'TOTE-NAVY', quantity: 10 }]));
        const allocated = await runChannel(store, channel, after);
        assert.deepEqual(allocated.map((a) => a.delivery.template), ['units_allocated']);
        assert.equal(smtp.received.length, 1);
        assert.equal(smtp.received[0]!.mail.subject, 'Your order 1043: backordered items are now reserved for you');
        assert.match(smtp.received[0]!.mail.text!, /now reserved for you and will ship soon:\n\n- 2 × Navy tote\n/);
        assert.doesNotMatch(smtp.received[0]!.mail.text!, /Still on backorder/);

        after = await lastSeq(store);
        await store.transaction((work) =>
          shipOrder(work, order.id, {
            lines: [
              { lineId: order.lines[0]!.id, quantity: 3 },
              { lineId: order.lines[1]!.id, quantity: 2 },
            ],
            carrier: 'UPS',
            trackingNumber: '1Z999AA10123456784',
          }),
        );
        const shipped = await runChannel(store, channel, after);
        assert.deepEqual(shipped.map((a) => a.delivery.template), ['shipment']);
        assert.equal(smtp.received.length, 2);
        const { mail, to } = smtp.received[1]!;
        assert.deepEqual(to, ['ada@example.com']);
        assert.equal(mail.subject, 'Your order 1043 has shipped');
        assert.match(mail.text!, /^- 3 × Navy tote\n- 2 × Enamel mug$/m);
        assert.match(mail.text!, /^Carrier: UPS\.$/m);
        assert.match(mail.text!, /^Tracking number: 1Z999AA10123456784\.$/m);
        assert.doesNotMatch(mail.text!, /Still to come/);
      }),
    ));

  it('customer locale sets dates and money', () =>
    withStore(({ store }) =>
      withSmtp(async (smtp, transport) => {
        await givenCatalog(store);
        const channel = emailChannel({ transport, customerLinks: LINKS });
        await placeAccepted(store, [['TOTE-NAVY', 1, 2400]]);
        const after = await lastSeq(store);
        const order = await placeAccepted(store, [['TOTE-NAVY', 2, 2400]], {
          currency: 'EUR',
          customer: { email: 'grete@example.de', name: 'Grete', locale: 'de-DE' },
        });

        await runChannel(store, channel, after);
        const confirmation = smtp.received[0]!.mail;
        assert.equal(confirmation.from?.text, '"Restock" <restock@localhost>');
        assert.equal(confirmation.subject, `Your order ${order.id}: 2 items are on backorder`);
        assert.match(confirmation.text!, /^- 2 × Navy tote: on backorder and estimated to ship by 16\. März 2026$/m);
        assert.match(confirmation.text!, /^Amount charged: 48,00\u00a0€\.$/m);
        assert.ok(String(confirmation.html).includes('<html lang="de-DE">'));
      }),
    ));

  it('cancellation mail states the refund', () =>
    withStore(({ store }) =>
      withSmtp(async (smtp, transport) => {
        await givenCatalog(store);
        const channel = emailChannel({ transport, customerLinks: LINKS });
        const order = await placeAccepted(store, [['TOTE-NAVY', 3, 2400], ['MUG', 2, 1200]], {
          externalId: '1044',
          customer: { email: 'ada@example.com', locale: 'en-US' },
        });

        const after = await lastSeq(store);
        await store.transaction((work) =>
          cancelOrder(work, order.id, { lines: [{ lineId: order.lines[0]!.id, quantity: 2 }], reason: 'customer request' }),
        );
        const attempts = await runChannel(store, channel, after);
        assert.deepEqual(attempts.map((a) => [a.event.type, a.delivery.template]), [['refund.requested', 'cancellation']]);
        const { mail } = smtp.received[0]!;
        assert.equal(mail.subject, 'Your order 1044: items cancelled');
        assert.match(mail.text!, /^Hello,$/m);
        assert.match(mail.text!, /^These items of your order 1044 are cancelled:\n\n- 2 × Navy tote$/m);
        // The refund's due date is the one `refund.requested` carries, when it carries one.
        const dueBy = attempts[0]!.event.data.due_by;
        const refundSentence =
          typeof dueBy === 'string'
            ? `We are refunding $48.00 to you in full, by ${formatDate(dueBy, 'en-US')} at the latest.`
            : 'We are refunding $48.00 to you in full.';
        assert.ok(mail.text!.includes(`\n${refundSentence}\n`), mail.text);
      }),
    ));

  it('cancellation without payment says no refund', () =>
    withStore(({ store }) =>
      withSmtp(async (smtp, transport) => {
        await givenCatalog(store);
        const channel = emailChannel({ transport, customerLinks: LINKS });
        const order = await placeAccepted(store, [['MUG', 2, 1200]], { capture: 'on_ship', customer: { email: 'ada@example.com' } });

        const after = await lastSeq(store);
        await store.transaction((work) => cancelOrder(work, order.id, { reason: 'customer request' }));
        const attempts = await runChannel(store, channel, after);
        assert.deepEqual(attempts.map((a) => [a.event.type, a.delivery.template]), [['line.cancelled', 'cancellation']]);
        assert.match(smtp.received[0]!.mail.text!, /^You were not charged for these items, so no refund is due\.$/m);
      }),
    ));
});

describe('e-mail through the outbox dispatcher', () => {
  it('dispatcher delivers order e-mail end to end', () =>
    withStore(({ store }) =>
      withSmtp(async (smtp, transport) => {
        await givenCatalog(store);
        const dispatcher = new Dispatcher(store, { channels: [emailChannel({ transport, from: FROM, customerLinks: LINKS })] });
        const order = await placeAccepted(store, [['TOTE-NAVY', 3, 2400]], {
          externalId: '3001',
          customer: { email: 'ada@example.com', locale: 'en-US' },
        });

        const pass = await dispatcher.runPass();
        assert.equal(pass.delivered, 1);
        assert.equal(pass.dead, 0);
        assert.equal(smtp.received.length, 1);
        assert.equal(smtp.received[0]!.mail.subject, 'Your order 3001: 2 items are on backorder');
        assert.match(smtp.received[0]!.mail.text!, /^- 3 × Navy tote: 1 ready to ship, 2 on backorder and estimated to ship by 16 March 2026$/m);

        const deliveries = await store.db.selectFrom('deliveries').select(['recipient', 'template', 'status']).where('channel', '=', 'email').execute();
        assert.deepEqual(deliveries, [{ recipient: 'ada@example.com', template: 'order_confirmation', status: 'delivered' }]);
        assert.equal((await dispatcher.runPass()).attempted, 0, 'a delivered message is not sent again');
        assert.equal(smtp.received.length, 1);
        assert.equal(order.customer.email, 'ada@example.com');
      }),
    ));
});

describe('e-mail planning', () => {
  it('order without e-mail gets none', () =>
    withStore(async ({ store }) => {
      await givenCatalog(store);
      const channel = emailChannel({ transport: emlFileTransport(tmpdir()), customerLinks: LINKS });
      const after = await lastSeq(store);
      await placeAccepted(store, [['TOTE-NAVY', 3, 2400]]);
      assert.deepEqual(await runChannel(store, channel, after), []);
    }));

  it('order edit sends no cancellation', () =>
    withStore(async ({ store }) => {
      await givenCatalog(store);
      const channel = emailChannel({ transport: emlFileTransport(tmpdir()), customerLinks: LINKS });
      const order = await placeAccepted(store, [['MUG', 3, 1200]], { customer: { email: 'ada@example.com' } });
      const after = await lastSeq(store);
      await store.transaction((work) => editOrderLine(work, order.id, order.lines[0]!.id, { quantity: 1 }));
      assert.deepEqual(await runChannel(store, channel, after), []);
    }));
});

describe('e-mail transport', () => {
  it('.eml fallback writes a parseable file', () =>
    withStore(async ({ store, clock }) => {
      const folder = mkdtempSync(join(tmpdir(), 'restock-mail-'));
      try {
        await givenCatalog(store);
        const channel = emailChannel({ transport: emlFileTransport(join(folder, 'mail'), clock.now), customerLinks: LINKS });
        const after = await lastSeq(store);
        await placeAccepted(store, [['TOTE-NAVY', 3, 2400]], { externalId: '2001', customer: { email: 'bo@example.com', locale: 'en-US' } });

        const [attempt] = await runChannel(store, channel, after);
        assert.equal(attempt!.result.ok, true);
        const files = readdirSync(join(folder, 'mail'));
        assert.deepEqual(files, [`2026-03-02T12-00-00.000Z-${attempt!.delivery.id}.eml`]);

        const mail = await simpleParser(readFileSync(join(folder, 'mail', files[0]!)));
        assert.equal(mail.subject, 'Your order 2001: 2 items are on backorder');
        assert.deepEqual(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : [], ['bo@example.com']);
        assert.match(mail.text!, /^- 3 × Navy tote: 1 ready to ship, 2 on backorder and estimated to ship by 16 March 2026$/m);
        assert.ok(String(mail.html).includes('<li>3 × Navy tote: 1 ready to ship, 2 on backorder and estimated to ship by 16 March 2026</li>'));
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }));

  it('SMTP failure is retryable', () =>
    withStore(async ({ store }) => {
      const smtp = await startSmtpCapture();
      await smtp.close();
      const transport = smtpTransport(smtp.url);
      try {
        await givenCatalog(store);
        const channel = emailChannel({ transport, customerLinks: LINKS });
        const after = await lastSeq(store);
        await placeAccepted(store, [['MUG', 1, 1200]], { customer: { email: 'ada@example.com' } });

        const [attempt] = await runChannel(store, channel, after);
        assert.equal(attempt!.result.ok, false);
        assert.notEqual(attempt!.result.permanent, true);
        assert.match(attempt!.result.error!, /ECONNREFUSED|connect/i);
        assert.ok(!attempt!.result.error!.includes(SMTP_PASSWORD), 'the error leaves out the password');
      } finally {
        transport.close();
      }
    }));

  it('unknown template is a permanent failure', () =>
    withStore(async ({ store }) => {
      await givenCatalog(store);
      const channel = emailChannel({ transport: emlFileTransport(tmpdir()), customerLinks: LINKS });
      const order = await placeAccepted(store, [['MUG', 1, 1200]], { customer: { email: 'ada@example.com' } });
      const event = { id: 'evt_x', seq: 1, type: 'order.placed', orderId: order.id, lineId: null, sku: null, data: {}, createdAt: '2026-03-02T12:00:00.000Z' };
      const delivery = { id: 'dlv_x', eventId: 'evt_x', channel: 'email' as const, endpointId: null, recipient: 'ada@example.com', template: 'welcome', attempts: 0 };

      const result = await channel.send(delivery, event, store.db);
      assert.equal(result.ok, false);
      assert.equal(result.permanent, true);
      assert.match(result.error!, /template "welcome" does not exist/);
    }));

  it('SMTP URL is redacted for logs', () => {
    assert.equal(redactSmtpUrl('smtp://mailer:s3cret@smtp.example.com:587'), 'smtp://mailer:***@smtp.example.com:587');
    assert.equal(redactSmtpUrl('smtps://smtp.example.com'), 'smtps://smtp.example.com');
    assert.throws(() => redactSmtpUrl('http://mailer:s3cret@smtp.example.com'), /must start with smtp:\/\/ or smtps:\/\//);
    assert.throws(() => redactSmtpUrl('mailer:s3cret@@@'), (error: Error) => !error.message.includes('s3cret'));
  });
});
