import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants, givenSku, orderView, placeAccepted, placeOrder } from '../support/builders.js';
import { adjustStock } from '../../src/app/stock.js';
import { createPurchaseOrder, receive } from '../../src/app/purchase-orders.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { shipOrder } from '../../src/app/ship-order.js';
import { placeOrders, type PlaceOrderInput, type PlaceOrderOutcome } from '../../src/app/place-order.js';
import { readAvailability } from '../../src/app/availability.js';
import { quoteOrder } from '../../src/app/quote.js';
import { upsertLocation } from '../../src/app/catalog.js';
import { readLevels, readQueue } from '../../src/app/read-models.js';
import { fingerprintOf, runIdempotent } from '../../src/app/idempotency.js';
import type { Store } from '../../src/store/store.js';
import type { Database } from '../../src/store/schema.js';

// Each race runs this many times, each time on a fresh database.
const RACE_RUNS = 10;

async function levelOf(store: Store, sku: string) {
  const level = (await readLevels(store.db, sku)).find((l) => l.location === 'main');
  assert.ok(level, `no stock level for ${sku} at main`);
  return { on_hand: level.on_hand, allocated: level.allocated, available: level.available };
}

async function countRows(store: Store, table: keyof Database): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Counts the rows that a read or a rejected write must leave untouched. */
async function footprint(store: Store) {
  return {
    orders: await countRows(store, 'orders'),
    order_lines: await countRows(store, 'order_lines'),
    line_allocations: await countRows(store, 'line_allocations'),
    stock_movements: await countRows(store, 'stock_movements'),
    events: await countRows(store, 'events'),
    idempotency_keys: await countRows(store, 'idempotency_keys'),
  };
}

async function totalCaptured(store: Store): Promise<number> {
  const rows = await store.db.selectFrom('orders').select('captured').execute();
  return rows.reduce((sum, row) => sum + row.captured, 0);
}

function orderOf(sku: string, quantity: number, unitPrice: number): PlaceOrderInput {
  return { currency: 'USD', capture: 'upfront', lines: [{ sku, quantity, unitPrice }] };
}

/** Places each order in its own transaction, all started at once. */
async function placeInParallel(store: Store, inputs: PlaceOrderInput[]): Promise<PlaceOrderOutcome[]> {
  const outcomes = await Promise.all(inputs.map((input) => store.transaction((work) => placeOrders(work, [input]))));
  return outcomes.map(([outcome]) => outcome!);
}

async function receiveAt(store: Store, sku: string, quantity: number) {
  const purchaseOrderId = await store.transaction((work) =>
    createPurchaseOrder(work, { reference: `PO-${sku}`, expectedDate: '2026-03-20', lines: [{ sku, quantity }] }),
  );
  return store.transaction((work) => receive(work, purchaseOrderId, [{ sku, quantity }]));
}

async function repeatFresh(runs: number, body: (t: TestStore, run: number) => Promise<void>): Promise<void> {
  for (let run = 1; run <= runs; run += 1) {
    // maxConnections leaves a pool connection for every parallel transaction on PostgreSQL.
    const t = await openTestStore({ maxConnections: 8 });
    try {
      await body(t, run);
    } finally {
      await t.close();
    }
  }
}

describe(`stock accounting cases (${testDatabase})`, () => {
  it('two parallel orders never oversell [C1]', async () => {
    await repeatFresh(RACE_RUNS, async (t, run) => {
      await givenSku(t.store, 'A', { policy: 'stock_only', onHand: 5 });

      const outcomes = await placeInParallel(t.store, [orderOf('A', 3, 1000), orderOf('A', 3, 1000)]);

      const accepted = outcomes.filter((o) => o.accepted);
      const rejected = outcomes.filter((o) => !o.accepted);
      assert.equal(accepted.length, 1, `run ${run}`);
      assert.deepEqual(rejected, [{ accepted: false, rejections: [{ sku: 'A', reason: 'insufficient_stock', maxOrderable: 2 }] }]);
      assert.deepEqual(await levelOf(t.store, 'A'), { on_hand: 5, allocated: 3, available: 2 });
      assert.equal(await countRows(t.store, 'orders'), 1);
      assert.equal(await totalCaptured(t.store), 3000);
      await assertInvariants(t.store);
    });
  });

  it('losers of a race are not charged [C2]', async () => {
    await repeatFresh(RACE_RUNS, async (t, run) => {
      await givenSku(t.store, 'B', { policy: 'stock_only', onHand: 1 });

      const outcomes = await placeInParallel(t.store, [orderOf('B', 1, 2500), orderOf('B', 1, 2500), orderOf('B', 1, 2500)]);

      const accepted = outcomes.filter((o) => o.accepted);
      assert.equal(accepted.length, 1, `run ${run}`);
      const rejection = { accepted: false, rejections: [{ sku: 'B', reason: 'insufficient_stock', maxOrderable: 0 }] };
      assert.deepEqual(outcomes.filter((o) => !o.accepted), [rejection, rejection]);

      const winner = accepted[0];
      assert.ok(winner?.accepted);
      const view = await orderView(t.store, winner.orderId);
      assert.equal(view.lines[0]!.allocated, 1);
      assert.equal(view.payment.captured, 2500);
      assert.equal(await countRows(t.store, 'orders'), 1);
      assert.equal(await totalCaptured(t.store), 2500);
      assert.deepEqual(await levelOf(t.store, 'B'), { on_hand: 1, allocated: 1, available: 0 });
      await assertInvariants(t.store);
    });
  });

  it('one cart submitted twice makes one order [C3]', async () => {
    const submit = (store: Store, quantity: number) => {
      const request = orderOf('C', quantity, 800);
      const fingerprint = fingerprintOf('POST', '/v1/orders', request);
      return store.transaction((work) =>
        runIdempotent(work, { scope: 'POST /v1/orders', key: 'X', fingerprint }, async () => {
          const [outcome] = await placeOrders(work, [request]);
          if (!outcome?.accepted) return { statusCode: 409, body: outcome };
          return { statusCode: 201, body: { id: outcome.orderId } };
        }),
      );
    };

    await repeatFresh(RACE_RUNS, async (t, run) => {
      await givenSku(t.store, 'C', { policy: 'stock_only', onHand: 10 });

      // The first submission and its duplicate race each other, and a later
      // retry comes in sequence.
      const racing = await Promise.all([submit(t.store, 2), submit(t.store, 2)]);
      const retried = await submit(t.store, 2);

      const responses = [...racing, retried];
      const orderId = (racing.find((r) => !r.replayed)?.body as { id: string } | undefined)?.id;
      assert.match(orderId ?? '', /^ord_/, `run ${run}: no first response among ${JSON.stringify(racing)}`);
      assert.deepEqual(responses.map((r) => r.replayed).sort(), [false, true, true]);
      assert.deepEqual(responses.map((r) => r.statusCode), [201, 201, 201]);
      assert.deepEqual(responses.map((r) => r.body), [{ id: orderId }, { id: orderId }, { id: orderId }]);
      assert.equal(await countRows(t.store, 'orders'), 1);
      assert.deepEqual(await levelOf(t.store, 'C'), { on_hand: 10, allocated: 2, available: 8 });

      const before = await footprint(t.store);
      await assert.rejects(submit(t.store, 3), { name: 'RestockError', code: 'idempotency_key_reused' });
      assert.deepEqual(await footprint(t.store), before);
      assert.deepEqual(await levelOf(t.store, 'C'), { on_hand: 10, allocated: 2, available: 8 });
      await assertInvariants(t.store);
    });
  });

  it('cancelling a backorder releases no stock [C4]', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'E', { policy: 'backorder' });
      const order = await placeAccepted(t.store, [['E', 2, 1200]], { capture: 'upfront' });
      assert.equal(order.status, 'backordered');

      const { refund } = await t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'changed mind' }));

      assert.deepEqual(refund, { amount: 2400, currency: 'USD' });
      assert.deepEqual(await levelOf(t.store, 'E'), { on_hand: 0, allocated: 0, available: 0 });
      assert.deepEqual(await readQueue(t.store.db, 'E'), []);
      const view = await orderView(t.store, order.id);
      assert.equal(view.status, 'cancelled');
      assert.deepEqual(view.payment, { capture: 'upfront', captured: 2400, refunded: 2400 });
      // Nothing was ever allocated, so the ledger of E stays empty.
      assert.equal(await countRows(t.store, 'stock_movements'), 0);
      assert.equal(await countRows(t.store, 'line_allocations'), 0);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('cancelling a shipped order is rejected [C7]', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'H', { policy: 'stock_only', onHand: 100 });
      const order = await placeAccepted(t.store, [['H', 5, 900]]);
      await t.store.transaction((work) => shipOrder(work, order.id, { lines: [{ lineId: order.lines[0]!.id, quantity: 5 }] }));
      assert.deepEqual(await levelOf(t.store, 'H'), { on_hand: 95, allocated: 0, available: 95 });
      const before = await footprint(t.store);

      await assert.rejects(
        t.store.transaction((work) => cancelOrder(work, order.id, { reason: 'changed mind' })),
        { name: 'RestockError', code: 'invalid_state' },
      );

      assert.deepEqual(await levelOf(t.store, 'H'), { on_hand: 95, allocated: 0, available: 95 });
      assert.deepEqual(await footprint(t.store), before);
      const view = await orderView(t.store, order.id);
      assert.equal(view.status, 'shipped');
      assert.equal(view.payment.refunded, 0);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`queue and status cases (${testDatabase})`, () => {
  it('queue follows placed time, quotes hold nothing [C9]', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'N', { policy: 'backorder' });
      const quoteTwo = () => quoteOrder(t.store.db, { lines: [{ sku: 'N', quantity: 2 }] }, t.clock.now());
      // With nothing on hand and no inbound or lead time, every quote of 2 N returns this.
      const backorderedQuote = {
        orderable: true,
        ship_policy: 'ship_partial',
        ships_by: null,
        lines: [
          { sku: 'N', quantity: 2, from_stock: 0, backordered: 2, status: 'backorder', orderable: true, ships_by: null, ships_by_basis: 'unknown' },
        ],
        rejections: [],
      };

      // The quote comes first in cart time, so a quote that held a place in
      // the queue would take the first receipt.
      const beforeQuote = await footprint(t.store);
      assert.deepEqual(await quoteTwo(), backorderedQuote);
      assert.deepEqual(await footprint(t.store), beforeQuote);
      assert.deepEqual(await readQueue(t.store.db, 'N'), []);

      t.clock.advance(60_000);
      const early = await placeAccepted(t.store, [['N', 2]]);
      t.clock.advance(60_000);
      const late = await placeAccepted(t.store, [['N', 2]]);
      assert.deepEqual((await readQueue(t.store.db, 'N')).map((e) => e.order_id), [early.id, late.id]);

      const first = await receiveAt(t.store, 'N', 2);
      assert.deepEqual(first.allocations, [{ orderId: early.id, lineId: early.lines[0]!.id, quantity: 2 }]);

      // A quote between the receipts still reserves nothing and leaves the queue as it was.
      const beforeSecondQuote = await footprint(t.store);
      assert.deepEqual(await quoteTwo(), backorderedQuote);
      assert.deepEqual(await footprint(t.store), beforeSecondQuote);
      assert.deepEqual((await readQueue(t.store.db, 'N')).map((e) => e.order_id), [late.id]);

      const second = await receiveAt(t.store, 'N', 2);
      assert.deepEqual(second.allocations, [{ orderId: late.id, lineId: late.lines[0]!.id, quantity: 2 }]);

      assert.deepEqual(await levelOf(t.store, 'N'), { on_hand: 4, allocated: 4, available: 0 });
      assert.deepEqual(await readQueue(t.store.db, 'N'), []);
      assert.equal(await countRows(t.store, 'orders'), 2);
      assert.equal((await orderView(t.store, early.id)).status, 'allocated');
      assert.equal((await orderView(t.store, late.id)).status, 'allocated');
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('stock_only status follows zero and restock [C10]', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'P', { policy: 'stock_only', lowStockThreshold: 0, onHand: 1 });
      await placeAccepted(t.store, [['P', 1]]);

      const atZero = await readAvailability(t.store.db, { sku: 'P' }, t.clock.now());
      assert.equal(atZero.status, 'out_of_stock');
      assert.equal(atZero.available, 0);

      await t.store.transaction((work) => adjustStock(work, { sku: 'P', quantityDelta: 1, reason: 'found one' }));

      const restocked = await readAvailability(t.store.db, { sku: 'P' }, t.clock.now());
      assert.equal(restocked.status, 'in_stock');
      assert.equal(restocked.available, 1);
    } finally {
      await t.close();
    }
  });

  it('backorder status follows zero and restock [C10]', async () => {
    const t = await openTestStore();
    try {
      // The lead time gives new backorders a date. 14 calendar days after
      // Monday 2 March 2026 is Monday 16 March, a working day at `main`.
      await givenSku(t.store, 'P', { policy: 'backorder', lowStockThreshold: 0, leadTimeDays: 14, onHand: 1 });
      await placeAccepted(t.store, [['P', 1]]);

      const atZero = await readAvailability(t.store.db, { sku: 'P' }, t.clock.now());
      assert.equal(atZero.status, 'backorder');
      assert.equal(atZero.available, 0);
      assert.equal(atZero.shipsBy, '2026-03-16');
      assert.equal(atZero.shipsByBasis, 'lead_time');

      await t.store.transaction((work) => adjustStock(work, { sku: 'P', quantityDelta: 1, reason: 'found one' }));

      const restocked = await readAvailability(t.store.db, { sku: 'P' }, t.clock.now());
      assert.equal(restocked.status, 'in_stock');
      assert.equal(restocked.available, 1);
      assert.equal(restocked.shipsBy, '2026-03-02');
      assert.equal(restocked.shipsByBasis, 'stock');
    } finally {
      await t.close();
    }
  });

  it('US availability counts each location once [C12]', async () => {
    const t = await openTestStore();
    try {
      await t.store.transaction((work) => upsertLocation(work, 'WG', { shipsTo: ['US'] }));
      await t.store.transaction((work) => upsertLocation(work, 'WUS', { shipsTo: ['US'] }));
      await givenSku(t.store, 'S', { policy: 'stock_only', onHand: 10, location: 'WG' });
      await t.store.transaction((work) => adjustStock(work, { sku: 'S', location: 'WUS', quantityDelta: 1, reason: 'initial count' }));

      const forUs = await readAvailability(t.store.db, { sku: 'S', country: 'US' }, t.clock.now());
      assert.equal(forUs.available, 11);
      assert.equal(forUs.maxOrderable, 11);

      const before = await footprint(t.store);
      const outcome = await placeOrder(t.store, [['S', 12]], { shippingCountry: 'US' });
      assert.deepEqual(outcome, { accepted: false, rejections: [{ sku: 'S', reason: 'insufficient_stock', maxOrderable: 11 }] });
      assert.deepEqual(await footprint(t.store), before);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});
