import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { openTestStore, type TestStore } from '../support/database.js';
import { givenSku, placeAccepted } from '../support/builders.js';
import { createPurchaseOrder, receive, redatePurchaseOrder } from '../../src/app/purchase-orders.js';
import { shipOrder } from '../../src/app/ship-order.js';
import { reviewDelays } from '../../src/app/delays.js';
import { subscribe } from '../../src/app/back-in-stock.js';
import { adjustStock } from '../../src/app/stock.js';
import { verifyToken } from '../../src/app/signed-tokens.js';
import { formatDate } from '../../src/domain/messages.js';
import { escapeHtml, html } from '../../src/jobs/email/html.js';
import { renderEmail, type EmailMessage } from '../../src/jobs/email/render.js';
import { emailChannel } from '../../src/jobs/email/channel.js';
import { emlFileTransport } from '../../src/jobs/email/transport.js';
import type { OutboxEvent } from '../../src/jobs/outbox/channel.js';
import type { Store } from '../../src/store/store.js';
import { LINKS, eventsAfter, lastSeq, runChannel } from './support.js';

/*
 * Templates rendered from events, without sending. Delay notices and
 * back-in-stock alerts are rendered from hand-built events in the shape
 * their emitters write, and once more from the real emitters. The clock
 * starts on Monday 2 March 2026 at noon UTC.
 */

// Tests that run the channel write their messages here; the folder is removed after the file's tests.
const MAIL_DIR = mkdtempSync(join(tmpdir(), 'restock-templates-'));
after(() => rmSync(MAIL_DIR, { recursive: true, force: true }));

const channel = emailChannel({ transport: emlFileTransport(MAIL_DIR), customerLinks: LINKS, merchantEmail: 'buyer@shop.example' });

async function withStore(body: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await openTestStore();
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

/** Places an order of 3 navy totes: 1 in stock and 2 on backorder until Monday 16 March 2026. */
async function givenBackorder(store: Store, customer: { email: string; name?: string; locale?: string }, externalId = '1042') {
  await givenSku(store, 'TOTE-NAVY', { name: 'Navy tote', policy: 'backorder', onHand: 1 });
  const purchaseOrder = await store.transaction((work) =>
    createPurchaseOrder(work, { reference: 'PO-1', expectedDate: '2026-03-16', lines: [{ sku: 'TOTE-NAVY', quantity: 10 }] }),
  );
  const order = await placeAccepted(store, [['TOTE-NAVY', 3, 2400]], { externalId, customer });
  return { order, purchaseOrder };
}

function handBuiltEvent(type: string, fields: Partial<OutboxEvent>): OutboxEvent {
  return { id: 'evt_hand', seq: 1, type, orderId: null, lineId: null, sku: null, data: {}, createdAt: '2026-03-17T12:00:00.000Z', ...fields };
}

async function render(store: Store, template: string, recipient: string, event: OutboxEvent): Promise<EmailMessage> {
  return renderEmail({ template, recipient }, event, store.db, { links: LINKS });
}

function delayNoticeData(lineId: string, changes: Record<string, unknown>): Record<string, unknown> {
  return {
    notice_id: 'dly_1',
    notice: 'first',
    consent: 'silence',
    respond_by: '2026-03-16',
    revised_date: '2026-03-30',
    reason: null,
    lines: [{ line_id: lineId, sku: 'TOTE-NAVY', quantity: 2, promised_date: '2026-03-16', revised_date: '2026-03-30' }],
    ...changes,
  };
}

describe('HTML escaping', () => {
  it('html tag escapes values', () => {
    assert.equal(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
    assert.equal(html`<p>${'<b>bold</b>'}</p>`.markup, '<p>&lt;b&gt;bold&lt;/b&gt;</p>');
    assert.equal(html`<ul>${['a<', 'b>'].map((item) => html`<li>${item}</li>`)}</ul>`.markup, '<ul><li>a&lt;</li><li>b&gt;</li></ul>');
    assert.equal(html`<p>${null}${undefined}${3}</p>`.markup, '<p>3</p>');
  });

  it('customer name is escaped in HTML', () =>
    withStore(async ({ store }) => {
      const name = '<script>alert("hi")</script>';
      const { order } = await givenBackorder(store, { email: 'eve@example.com', name }, 'A&B');
      const [placed] = (await eventsAfter(store, 0)).filter((event) => event.type === 'order.placed');

      const message = await render(store, 'order_confirmation', 'eve@example.com', placed!);
      assert.equal(message.subject, 'Your order A&B: 2 items are on backorder');
      assert.ok(message.html.includes('<p>Hello &lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;,</p>'), message.html);
      assert.ok(message.html.includes('<title>Your order A&amp;B: 2 items are on backorder</title>'));
      assert.ok(!message.html.includes('<script'), 'no script element reaches the HTML');
      assert.match(message.text, /^Hello <script>alert\("hi"\)<\/script>,$/m);
      assert.equal(order.customer.name, name);
    }));
});

describe('delay notices', () => {
  it('first notice with silence as consent', () =>
    withStore(async ({ store }) => {
      const { order } = await givenBackorder(store, { email: 'ada@example.com', name: 'Ada' });
      const event = handBuiltEvent('delay.notice_sent', { orderId: order.id, data: delayNoticeData(order.lines[0]!.id, {}) });

      assert.deepEqual(await store.transaction((work) => channel.plan(event, work.db)), [
        { channel: 'email', recipient: 'ada@example.com', template: 'delay_notice' },
      ]);
      const message = await render(store, 'delay_notice', 'ada@example.com', event);
      assert.equal(message.subject, 'Your order 1042 is delayed');
      assert.match(message.text, /^We cannot ship these items of your order 1042 by the date we gave you:\n\n- 2 × Navy tote, promised by 16 March 2026, now expected by 30 March 2026$/m);
      assert.match(message.text, /^We now expect to ship them by 30 March 2026\.$/m);
      assert.match(message.text, /^You may accept the delay, or cancel these items and receive a full refund of what you paid for them\.$/m);
      assert.match(message.text, /^If we do not hear from you by 16 March 2026, we will take that as your agreement to the delay\.$/m);
      assert.match(message.text, /^Answering costs nothing: use the link below, no account needed\.$/m);
      const token = /\/c\/(\S+)$/m.exec(message.text)![1]!;
      const check = verifyToken(LINKS.secret, token, 'order', new Date('2026-06-01T00:00:00Z'));
      assert.equal(check.ok && check.claims.id, order.id);
    }));

  it('explicit consent without revised date', () =>
    withStore(async ({ store }) => {
      const { order } = await givenBackorder(store, { email: 'ada@example.com' });
      const data = delayNoticeData(order.lines[0]!.id, {
        consent: 'explicit',
        revised_date: null,
        reason: 'Our supplier has stopped making this colour.',
        lines: [{ line_id: order.lines[0]!.id, sku: 'TOTE-NAVY', quantity: 2, promised_date: '2026-03-16', revised_date: null }],
      });
      const message = await render(store, 'delay_notice', 'ada@example.com', handBuiltEvent('delay.notice_sent', { orderId: order.id, data }));

      assert.match(message.text, /^- 2 × Navy tote, promised by 16 March 2026, new date not yet known$/m);
      assert.match(message.text, /^We cannot give a new ship date yet\.\n\nOur supplier has stopped making this colour\.$/m);
      assert.match(message.text, /^Unless you accept the delay by 16 March 2026, we will cancel these items and refund them in full\.$/m);
      assert.doesNotMatch(message.text, /take that as your agreement/);
    }));

  it('renewed notice has its own subject', () =>
    withStore(async ({ store }) => {
      const { order } = await givenBackorder(store, { email: 'ada@example.com' });
      const data = delayNoticeData(order.lines[0]!.id, { notice: 'renewed', consent: 'explicit', respond_by: '2026-03-30', revised_date: '2026-04-27' });
      const event = handBuiltEvent('delay.notice_sent', { orderId: order.id, data });

      const [plan] = await store.transaction((work) => channel.plan(event, work.db));
      assert.equal(plan!.template, 'delay_notice_renewed');
      const message = await render(store, plan!.template!, 'ada@example.com', event);
      assert.equal(message.subject, 'Your order 1042 is delayed again');
      assert.match(message.text, /^We wrote to you about a delay to items of your order 1042, and we cannot ship them by the revised date either:$/m);
      assert.match(message.text, /^Unless you accept the delay by 30 March 2026, we will cancel these items and refund them in full\.$/m);
    }));

  it('notice from the delay review', () =>
    withStore(async ({ store, clock }) => {
      const { order, purchaseOrder } = await givenBackorder(store, { email: 'ada@example.com' });
      await store.transaction((work) => redatePurchaseOrder(work, purchaseOrder, '2026-04-20'));
      clock.set('2026-03-17T12:00:00Z');
      const after = await lastSeq(store);
      await reviewDelays(store);

      const attempts = await runChannel(store, channel, after);
      const notices = attempts.filter((a) => a.event.type === 'delay.notice_sent');
      assert.equal(notices.length, 1);
      const { event, delivery } = notices[0]!;
      assert.equal(event.orderId, order.id);
      assert.equal(delivery.recipient, 'ada@example.com');
      assert.equal(delivery.template, event.data.notice === 'renewed' ? 'delay_notice_renewed' : 'delay_notice');

      const message = await render(store, delivery.template!, 'ada@example.com', event);
      assert.equal(event.data.revised_date, '2026-04-20');
      assert.match(message.text, /^We now expect to ship them by 20 April 2026\.$/m);
      assert.match(message.text, /^- 2 × Navy tote, promised by 16 March 2026, now expected by 20 April 2026$/m);
      // The review decides the consent and the reply date; the mail must state whichever it chose.
      const respondBy = formatDate(String(event.data.respond_by), 'en-US');
      const consentSentence =
        event.data.consent === 'explicit'
          ? `Unless you accept the delay by ${respondBy}, we will cancel these items and refund them in full.`
          : `If we do not hear from you by ${respondBy}, we will take that as your agreement to the delay.`;
      assert.ok(message.text.includes(`\n${consentSentence}\n`), message.text);
    }));
});

describe('allocation mail', () => {
  it('allocation mail lists what still waits', () =>
    withStore(async ({ store }) => {
      const { order, purchaseOrder } = await givenBackorder(store, { email: 'ada@example.com' });
      const after = await lastSeq(store);
      await store.transaction((work) => receive(work, purchaseOrder, [{ sku: 'TOTE-NAVY', quantity: 1 }]));
      const allocations = (await eventsAfter(store, after)).filter((event) => event.type === 'line.allocated');

      assert.deepEqual(allocations.map((event) => event.orderId), [order.id]);
      const message = await render(store, 'units_allocated', 'ada@example.com', allocations[0]!);
      assert.equal(message.subject, 'Your order 1042: backordered items are now reserved for you');
      assert.match(message.text, /will ship soon:\n\n- 1 × Navy tote\n\nStill on backorder:\n\n- 1 × Navy tote: estimated to ship by 16 March 2026\n/);
      assert.ok(message.html.includes('<li>1 × Navy tote: estimated to ship by 16 March 2026</li>'), message.html);
    }));

  it('waiting line without a date says so', () =>
    withStore(async ({ store }) => {
      const { purchaseOrder } = await givenBackorder(store, { email: 'ada@example.com' });
      await givenSku(store, 'LAMP', { name: 'Desk lamp', policy: 'backorder' });
      const order = await placeAccepted(store, [['LAMP', 2, 3000], ['TOTE-NAVY', 2, 2400]], {
        externalId: '1044',
        customer: { email: 'ada@example.com' },
      });
      const after = await lastSeq(store);
      await store.transaction((work) => receive(work, purchaseOrder, [{ sku: 'TOTE-NAVY', quantity: 10 }]));
      const allocations = (await eventsAfter(store, after)).filter((event) => event.type === 'line.allocated' && event.orderId === order.id);

      assert.equal(order.lines[0]!.estimated_ship_date, null, 'the lamp has no supply, so no estimate');
      const message = await render(store, 'units_allocated', 'ada@example.com', allocations[0]!);
      assert.match(message.text, /will ship soon:\n\n- 2 × Navy tote\n\nStill on backorder:\n\n- 2 × Desk lamp: its ship date is not yet known\n/);
    }));
});

describe('shipment mail', () => {
  it('partial shipment lists what is still to come', () =>
    withStore(async ({ store }) => {
      const { order } = await givenBackorder(store, { email: 'ada@example.com' });
      const after = await lastSeq(store);
      await store.transaction((work) =>
        shipOrder(work, order.id, { lines: [{ lineId: order.lines[0]!.id, quantity: 1 }], carrier: 'DHL', trackingNumber: null }),
      );
      const [shipped] = (await eventsAfter(store, after)).filter((event) => event.type === 'line.shipped');

      const message = await render(store, 'shipment', 'ada@example.com', shipped!);
      assert.match(message.text, /^A parcel with items of your order 1042 is on its way:\n\n- 1 × Navy tote$/m);
      assert.match(message.text, /^Carrier: DHL\.$/m);
      assert.match(message.text, /^No tracking number was given for this parcel\.$/m);
      assert.match(message.text, /^Still to come:\n\n- 2 × Navy tote: on backorder and estimated to ship by 16 March 2026$/m);
    }));
});

describe('back-in-stock and merchant alerts', () => {
  it('one alert per subscriber with unsubscribe link', () =>
    withStore(async ({ store }) => {
      await givenSku(store, 'CAP', { name: 'Wool cap' });
      const event = handBuiltEvent('sku.back_in_stock', {
        sku: 'CAP',
        data: {
          available: 4,
          subscribers: [
            { subscription_id: 'bis_1', email: 'first@example.com' },
            { subscription_id: 'bis_2', email: 'second@example.com' },
          ],
        },
      });

      const plans = await store.transaction((work) => channel.plan(event, work.db));
      assert.deepEqual(plans.map((plan) => [plan.recipient, plan.template]), [
        ['first@example.com', 'back_in_stock'],
        ['second@example.com', 'back_in_stock'],
      ]);
      const message = await render(store, 'back_in_stock', 'second@example.com', event);
      assert.equal(message.to, 'second@example.com');
      assert.equal(message.subject, 'Wool cap is back in stock');
      assert.match(message.text, /^Wool cap is back in stock: 4 available now, for the first orders to come in\.$/m);
      const url = /^(https:\/\/shop\.example\/restock\/c\/unsubscribe\/\S+)$/m.exec(message.text)![1]!;
      assert.equal(message.unsubscribe, url);
      const check = verifyToken(LINKS.secret, url.split('/').at(-1)!, 'unsubscribe', new Date('2026-04-01T00:00:00Z'));
      assert.equal(check.ok && check.claims.id, 'bis_2');
      assert.ok(message.html.includes(`<a href="${url}">Unsubscribe from this alert</a>`));
    }));

  it('alert from a real stock arrival', () =>
    withStore(async ({ store }) => {
      const folder = mkdtempSync(join(tmpdir(), 'restock-mail-'));
      try {
        const files = emailChannel({ transport: emlFileTransport(folder), customerLinks: LINKS });
        await givenSku(store, 'CAP', { name: 'Wool cap' });
        const { subscription } = await store.transaction((work) => subscribe(work, { sku: 'CAP', email: 'cap@example.com' }));
        const after = await lastSeq(store);
        await store.transaction((work) => adjustStock(work, { sku: 'CAP', quantityDelta: 5, reason: 'delivery' }));

        const attempts = await runChannel(store, files, after);
        assert.deepEqual(attempts.map((a) => [a.delivery.recipient, a.delivery.template, a.result.ok]), [['cap@example.com', 'back_in_stock', true]]);
        const [file] = readdirSync(folder);
        const mail = await simpleParser(readFileSync(join(folder, file!)));
        assert.match(mail.text!, /^Wool cap is back in stock: 5 available now/m);
        const unsubscribe = (mail.headers.get('list') as { unsubscribe?: { url?: string } }).unsubscribe?.url;
        assert.match(unsubscribe ?? '', /^https:\/\/shop\.example\/restock\/c\/unsubscribe\//);
        const check = verifyToken(LINKS.secret, unsubscribe!.split('/').at(-1)!, 'unsubscribe', new Date('2026-04-01T00:00:00Z'));
        assert.equal(check.ok && check.claims.id, subscription.id);
        assert.equal(mail.headerLines.find((header) => header.key === 'list-unsubscribe-post')?.line, 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }));

  it('merchant alerts need a merchant address', () =>
    withStore(async ({ store }) => {
      await givenSku(store, 'CAP', { name: 'Wool cap' });
      const low = handBuiltEvent('sku.low_stock', { sku: 'CAP', data: { available: 2, threshold: 3 } });
      const out = handBuiltEvent('sku.out_of_stock', { sku: 'CAP', data: { available: 0 } });
      const silent = emailChannel({ transport: emlFileTransport(MAIL_DIR), customerLinks: LINKS });

      assert.deepEqual(await store.transaction((work) => silent.plan(low, work.db)), []);
      assert.deepEqual(await store.transaction((work) => channel.plan(out, work.db)), [
        { channel: 'email', recipient: 'buyer@shop.example', template: 'out_of_stock' },
      ]);
      const lowMessage = await render(store, 'low_stock', 'buyer@shop.example', low);
      assert.equal(lowMessage.subject, 'Low stock: CAP has 2 available');
      assert.match(lowMessage.text, /^Wool cap \(CAP\) is down to 2 available, at or below its low-stock threshold of 3\.$/m);
      const outMessage = await render(store, 'out_of_stock', 'buyer@shop.example', out);
      assert.equal(outMessage.subject, 'Out of stock: CAP');
    }));
});
