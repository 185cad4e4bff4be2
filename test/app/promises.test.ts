import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants, givenSku, placeAccepted } from '../support/builders.js';
import { upsertLocation, upsertSku, type SkuInput } from '../../src/app/catalog.js';
import { adjustStock } from '../../src/app/stock.js';
import { closePurchaseOrder, createPurchaseOrder, receive, redatePurchaseOrder } from '../../src/app/purchase-orders.js';
import { placeOrders } from '../../src/app/place-order.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { shipOrder } from '../../src/app/ship-order.js';
import { editOrderLine } from '../../src/app/edit-order.js';
import { readAvailability } from '../../src/app/availability.js';
import { RestockError } from '../../src/app/errors.js';
import { availabilityMessage } from '../../src/domain/messages.js';
import { loadPromiseLocations, loadQueue, loadSweepInput } from '../../src/app/promises.js';
import { shipDateForNewUnits } from '../../src/app/ship-dates.js';
import { sweepPromises, type ShipDate } from '../../src/domain/promise.js';
import type { Database } from '../../src/store/schema.js';
import type { Store } from '../../src/store/store.js';

/*
 * Promise dates through the engine. The clock starts on Monday 2 March 2026
 * at noon UTC. The location `main` is in UTC and works Monday to Friday.
 */

const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];

async function withStore(body: (t: TestStore) => Promise<void>, start?: string): Promise<void> {
  const t = await openTestStore(start === undefined ? {} : { start });
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

async function givenPurchaseOrder(store: Store, sku: string, quantity: number, expectedDate: string, location = 'main'): Promise<string> {
  return store.transaction((work) =>
    createPurchaseOrder(work, { reference: `PO-${expectedDate}`, location, expectedDate, lines: [{ sku, quantity }] }),
  );
}

/** Places one order of `quantity` units and returns its single line's id and the order's id. */
async function order(store: Store, sku: string, quantity: number): Promise<{ orderId: string; lineId: string }> {
  const view = await placeAccepted(store, [[sku, quantity]]);
  return { orderId: view.id, lineId: view.lines[0]!.id };
}

/** A line's dates as `[estimated, promised, basis]`. */
async function datesOf(store: Store, lineId: string): Promise<[string | null, string | null, string | null]> {
  const row = await store.db
    .selectFrom('order_lines')
    .select(['estimated_ship_date', 'promised_ship_date', 'ship_date_basis'])
    .where('id', '=', lineId)
    .executeTakeFirstOrThrow();
  return [row.estimated_ship_date, row.promised_ship_date, row.ship_date_basis];
}

async function lastEventSeq(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('events').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? 0 : Number(row.seq);
}

interface PromiseChanged {
  lineId: string;
  data: {
    previous_estimated_ship_date: string | null;
    estimated_ship_date: string | null;
    basis: string;
    promised_ship_date: string | null;
    delayed: boolean;
  };
}

async function promiseEventsAfter(db: Kysely<Database>, seq: number): Promise<PromiseChanged[]> {
  const rows = await db
    .selectFrom('events')
    .select(['line_id', 'data'])
    .where('type', '=', 'promise.changed')
    .where('seq', '>', seq)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ lineId: row.line_id!, data: JSON.parse(row.data) }));
}

/** Sweeps a SKU's current queue from scratch, as the engine's full sweep does, keyed by line id. */
async function freshSweep(db: Kysely<Database>, now: Date, sku: string): Promise<Map<string, ShipDate>> {
  const locations = await loadPromiseLocations(db);
  const input = (await loadSweepInput(db, now, sku, locations))!;
  const queue = await loadQueue(db, sku);
  const { lines } = sweepPromises({
    ...input,
    queue: queue.map((line) => ({ id: line.id, backordered: line.backordered, shippingCountry: line.shipping_country })),
  });
  return new Map(queue.map((line, index) => [line.id, lines[index]!]));
}

/** Asserts that every queue line's stored estimate and basis equal a fresh sweep's. */
async function assertQueueMatchesSweep(t: TestStore, sku: string, context = ''): Promise<void> {
  const fresh = await freshSweep(t.store.db, t.clock.now(), sku);
  const queue = await loadQueue(t.store.db, sku);
  for (const [position, line] of queue.entries()) {
    const expected = fresh.get(line.id)!;
    assert.deepEqual(
      [line.estimated_ship_date, line.ship_date_basis],
      [expected.date, expected.basis],
      `queue line ${position + 1} of ${queue.length} (${line.id}) differs from a full sweep ${context}`,
    );
  }
}

describe(`promise dates (${testDatabase})`, () => {
  it('backordered line promised its inbound date', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder' });
      await givenPurchaseOrder(t.store, 'T', 5, '2026-03-10');

      const { lineId } = await order(t.store, 'T', 3);

      assert.deepEqual(await datesOf(t.store, lineId), ['2026-03-10', '2026-03-10', 'inbound']);
    }));

  it('allocated line promised its shipping day', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder', handlingDays: 1, onHand: 5 });

      const { lineId } = await order(t.store, 'T', 2);

      assert.deepEqual(await datesOf(t.store, lineId), ['2026-03-03', '2026-03-03', 'stock']);
    }));

  it('unknown date until supply appears', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder' });
      const { lineId } = await order(t.store, 'T', 1);
      assert.deepEqual(await datesOf(t.store, lineId), [null, null, 'unknown']);

      const seq = await lastEventSeq(t.store.db);
      await givenPurchaseOrder(t.store, 'T', 5, '2026-03-10');

      assert.deepEqual(await datesOf(t.store, lineId), ['2026-03-10', '2026-03-10', 'inbound']);
      const events = await promiseEventsAfter(t.store.db, seq);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.data.previous_estimated_ship_date, null);
      assert.equal(events[0]!.data.estimated_ship_date, '2026-03-10');
    }));

  it('lead-time estimate at placement', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder', leadTimeDays: 10 });

      const { lineId } = await order(t.store, 'T', 1);

      assert.deepEqual(await datesOf(t.store, lineId), ['2026-03-12', '2026-03-12', 'lead_time']);
    }));

  it('receipt dates served line by stock', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder' });
      const first = await givenPurchaseOrder(t.store, 'T', 3, '2026-03-10');
      await givenPurchaseOrder(t.store, 'T', 5, '2026-03-20');
      const a = await order(t.store, 'T', 2);
      const b = await order(t.store, 'T', 2);
      const c = await order(t.store, 'T', 2);
      assert.deepEqual(await datesOf(t.store, b.lineId), ['2026-03-20', '2026-03-20', 'inbound']);

      const seq = await lastEventSeq(t.store.db);
      await t.store.transaction((work) => receive(work, first, [{ sku: 'T', quantity: 3 }]));

      assert.deepEqual(await datesOf(t.store, a.lineId), ['2026-03-02', '2026-03-10', 'stock']);
      assert.deepEqual(await datesOf(t.store, b.lineId), ['2026-03-20', '2026-03-20', 'inbound']);
      assert.deepEqual(await datesOf(t.store, c.lineId), ['2026-03-20', '2026-03-20', 'inbound']);
      assert.deepEqual((await promiseEventsAfter(t.store.db, seq)).map((e) => e.lineId), [a.lineId]);
      await assertQueueMatchesSweep(t, 'T');
      await assertInvariants(t.store);
    }));

  it('short receipt moves later lines', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder', leadTimeDays: 30 });
      const first = await givenPurchaseOrder(t.store, 'T', 5, '2026-03-10');
      await givenPurchaseOrder(t.store, 'T', 3, '2026-03-20');
      const lines = [];
      for (let i = 0; i < 4; i += 1) lines.push(await order(t.store, 'T', 2));
      const [, b, c, d] = lines;
      assert.deepEqual(await datesOf(t.store, c!.lineId), ['2026-03-20', '2026-03-20', 'inbound']);

      // Two of five units arrive and the supplier sends no more.
      await t.store.transaction((work) => receive(work, first, [{ sku: 'T', quantity: 2 }]));
      assert.deepEqual(await datesOf(t.store, b!.lineId), ['2026-03-10', '2026-03-10', 'inbound']);
      await t.store.transaction((work) => closePurchaseOrder(work, first));

      assert.deepEqual(await datesOf(t.store, b!.lineId), ['2026-03-20', '2026-03-10', 'inbound']);
      assert.deepEqual(await datesOf(t.store, c!.lineId), ['2026-04-01', '2026-03-20', 'lead_time']);
      assert.deepEqual(await datesOf(t.store, d!.lineId), ['2026-04-01', '2026-03-20', 'lead_time']);
      await assertQueueMatchesSweep(t, 'T');
    }));

  it('re-date moves estimates, keeps promises', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder' });
      const first = await givenPurchaseOrder(t.store, 'T', 2, '2026-03-10');
      await givenPurchaseOrder(t.store, 'T', 2, '2026-03-20');
      const a = await order(t.store, 'T', 2);
      const b = await order(t.store, 'T', 2);

      const seq = await lastEventSeq(t.store.db);
      await t.store.transaction((work) => redatePurchaseOrder(work, first, '2026-03-27'));

      assert.deepEqual(await datesOf(t.store, a.lineId), ['2026-03-20', '2026-03-10', 'inbound']);
      assert.deepEqual(await datesOf(t.store, b.lineId), ['2026-03-27', '2026-03-20', 'inbound']);
      const events = await promiseEventsAfter(t.store.db, seq);
      assert.deepEqual(events, [
        {
          lineId: a.lineId,
          data: {
            previous_estimated_ship_date: '2026-03-10',
            estimated_ship_date: '2026-03-20',
            basis: 'inbound',
            promised_ship_date: '2026-03-10',
            delayed: true,
          },
        },
        {
          lineId: b.lineId,
          data: {
            previous_estimated_ship_date: '2026-03-20',
            estimated_ship_date: '2026-03-27',
            basis: 'inbound',
            promised_ship_date: '2026-03-20',
            delayed: true,
          },
        },
      ]);
    }));

  it('re-dating back to the first date ends the delay', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder' });
      const po = await givenPurchaseOrder(t.store, 'T', 2, '2026-03-10');
      const a = await order(t.store, 'T', 2);
      await t.store.transaction((work) => redatePurchaseOrder(work, po, '2026-03-24'));

      const seq = await lastEventSeq(t.store.db);
      await t.store.transaction((work) => redatePurchaseOrder(work, po, '2026-03-10'));

      assert.deepEqual(await datesOf(t.store, a.lineId), ['2026-03-10', '2026-03-10', 'inbound']);
      const events = await promiseEventsAfter(t.store.db, seq);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.data.delayed, false);
    }));

  it('cancellation moves later lines earlier', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder' });
      await givenPurchaseOrder(t.store, 'T', 4, '2026-03-10');
      await givenPurchaseOrder(t.store, 'T', 4, '2026-03-20');
      const a = await order(t.store, 'T', 2);
      await order(t.store, 'T', 2);
      const c = await order(t.store, 'T', 2);
      assert.deepEqual(await datesOf(t.store, c.lineId), ['2026-03-20', '2026-03-20', 'inbound']);

      const seq = await lastEventSeq(t.store.db);
      await t.store.transaction((work) => cancelOrder(work, a.orderId, { reason: 'changed mind' }));

      assert.deepEqual(await datesOf(t.store, c.lineId), ['2026-03-10', '2026-03-20', 'inbound']);
      const events = await promiseEventsAfter(t.store.db, seq);
      assert.deepEqual(events.map((e) => [e.lineId, e.data.previous_estimated_ship_date, e.data.estimated_ship_date, e.data.delayed]), [
        [c.lineId, '2026-03-20', '2026-03-10', false],
      ]);
      await assertQueueMatchesSweep(t, 'T');
    }));

  it('adjustment down delays the newest line', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder', onHand: 4 });
      await givenPurchaseOrder(t.store, 'T', 5, '2026-03-10');
      const a = await order(t.store, 'T', 2);
      const b = await order(t.store, 'T', 2);
      assert.deepEqual(await datesOf(t.store, b.lineId), ['2026-03-02', '2026-03-02', 'stock']);

      await t.store.transaction((work) => adjustStock(work, { sku: 'T', onHand: 2, reason: 'damaged' }));

      assert.deepEqual(await datesOf(t.store, a.lineId), ['2026-03-02', '2026-03-02', 'stock']);
      assert.deepEqual(await datesOf(t.store, b.lineId), ['2026-03-10', '2026-03-02', 'inbound']);
      await assertQueueMatchesSweep(t, 'T');
      await assertInvariants(t.store);
    }));

  it('adjustment up dates served line by stock', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder' });
      await givenPurchaseOrder(t.store, 'T', 5, '2026-03-10');
      const a = await order(t.store, 'T', 2);
      const b = await order(t.store, 'T', 2);

      await t.store.transaction((work) => adjustStock(work, { sku: 'T', quantityDelta: 2, reason: 'found' }));

      assert.deepEqual(await datesOf(t.store, a.lineId), ['2026-03-02', '2026-03-10', 'stock']);
      assert.deepEqual(await datesOf(t.store, b.lineId), ['2026-03-10', '2026-03-10', 'inbound']);
      await assertQueueMatchesSweep(t, 'T');
    }));

  it('line spanning two locations waits for both', () =>
    withStore(async (t) => {
      await t.store.transaction((work) => upsertLocation(work, 'far', { receivingDays: 10 }));
      await givenSku(t.store, 'T', { policy: 'backorder' });
      const far = await givenPurchaseOrder(t.store, 'T', 2, '2026-03-09', 'far');
      await givenPurchaseOrder(t.store, 'T', 2, '2026-03-10');
      const a = await order(t.store, 'T', 3);
      assert.deepEqual(await datesOf(t.store, a.lineId), ['2026-03-23', '2026-03-23', 'inbound']);

      await t.store.transaction((work) => receive(work, far, [{ sku: 'T', quantity: 2 }]));

      assert.deepEqual(await datesOf(t.store, a.lineId), ['2026-03-10', '2026-03-23', 'inbound']);
      await assertQueueMatchesSweep(t, 'T');
    }));

  it('incremental dates equal a full sweep', async () => {
    await fc.assert(fc.asyncProperty(scenarioArbitrary, runScenario), {
      numRuns: Number(process.env.RESTOCK_PROPERTY_RUNS ?? 15),
      ...(process.env.RESTOCK_PROPERTY_SEED ? { seed: Number(process.env.RESTOCK_PROPERTY_SEED) } : {}),
    });
  });

  it('preorder in stock ships after release [C14]', () =>
    withStore(async (t) => {
      await t.store.transaction((work) => upsertLocation(work, 'main', { workingDays: EVERY_DAY }));
      await givenSku(t.store, 'V', { policy: 'preorder', releaseDate: '2025-03-20', handlingDays: 2, onHand: 10 });

      const availability = await readAvailability(t.store.db, { sku: 'V' }, t.clock.now());
      assert.equal(availability.status, 'preorder');
      assert.equal(availability.shipsBy, '2025-03-22');
      assert.equal(availability.shipsByBasis, 'release_date');

      const placed = await placeAccepted(t.store, [['V', 1]]);
      assert.equal(placed.lines[0]!.allocated, 1);
      assert.deepEqual(await datesOf(t.store, placed.lines[0]!.id), ['2025-03-22', '2025-03-22', 'release_date']);
    }, '2025-03-10T12:00:00.000Z'));

  it('inbound preorder ships after release [C14]', () =>
    withStore(async (t) => {
      await t.store.transaction((work) => upsertLocation(work, 'main', { workingDays: EVERY_DAY }));
      await givenSku(t.store, 'V', { policy: 'preorder', releaseDate: '2025-03-20', handlingDays: 2 });
      await givenPurchaseOrder(t.store, 'V', 5, '2025-03-15');

      const availability = await readAvailability(t.store.db, { sku: 'V' }, t.clock.now());
      assert.equal(availability.shipsBy, '2025-03-22');

      const placed = await placeAccepted(t.store, [['V', 1]]);
      assert.equal(placed.lines[0]!.backordered, 1);
      assert.deepEqual(await datesOf(t.store, placed.lines[0]!.id), ['2025-03-22', '2025-03-22', 'release_date']);
    }, '2025-03-10T12:00:00.000Z'));

  it('preorder releases at New York midnight [C15]', () =>
    withStore(async (t) => {
      await t.store.transaction((work) => upsertLocation(work, 'main', { timeZone: 'America/New_York', workingDays: EVERY_DAY }));
      await givenSku(t.store, 'W', { policy: 'preorder', releaseDate: '2025-06-01', onHand: 20 });

      // 03:59 UTC is 23:59 on 31 May in New York.
      const before = await readAvailability(t.store.db, { sku: 'W' }, t.clock.now());
      assert.equal(before.status, 'preorder');
      assert.equal(before.shipsBy, '2025-06-01');
      assert.equal(before.shipsByBasis, 'release_date');
      const early = await placeAccepted(t.store, [['W', 1]]);
      assert.deepEqual(await datesOf(t.store, early.lines[0]!.id), ['2025-06-01', '2025-06-01', 'release_date']);
      await assert.rejects(
        t.store.transaction((work) => shipOrder(work, early.id, { lines: [{ lineId: early.lines[0]!.id, quantity: 1 }] })),
        (error: unknown) => error instanceof RestockError && error.code === 'invalid_state',
      );

      t.clock.set('2025-06-01T04:00:00.000Z');
      const after = await readAvailability(t.store.db, { sku: 'W' }, t.clock.now());
      assert.equal(after.status, 'in_stock');
      assert.equal(after.policy, 'backorder');
      assert.equal(after.available, 19);
      assert.equal(after.shipsBy, '2025-06-01');
      assert.equal(after.today, '2025-06-01');
      // Released: the availability refers to no release date, neither as the
      // basis of the date nor in the product page's message.
      assert.equal(after.shipsByBasis, 'stock');
      assert.equal(after.restockDate, null);
      const message = availabilityMessage({ status: after.status, shipsBy: after.shipsBy, restockDate: after.restockDate, today: after.today, locale: 'en-US' });
      assert.equal(message, 'In stock: ships today');

      const late = await placeAccepted(t.store, [['W', 1]]);
      assert.equal(late.lines[0]!.status, 'allocated');
      assert.equal(late.lines[0]!.allocated, 1);
      assert.equal(late.lines[0]!.backordered, 0);
      assert.deepEqual(await datesOf(t.store, late.lines[0]!.id), ['2025-06-01', '2025-06-01', 'stock']);
      await t.store.transaction((work) => shipOrder(work, late.id, { lines: [{ lineId: late.lines[0]!.id, quantity: 1 }] }));
      await assertInvariants(t.store);
    }, '2025-06-01T03:59:00.000Z'));

  it('new units are dated after the whole queue', () =>
    withStore(async (t) => {
      await givenSku(t.store, 'T', { policy: 'backorder', leadTimeDays: 30 });
      await givenPurchaseOrder(t.store, 'T', 3, '2026-03-10');
      await order(t.store, 'T', 2);

      const one = await shipDateForNewUnits(t.store.db, t.clock.now(), 'T', 1, null);
      const two = await shipDateForNewUnits(t.store.db, t.clock.now(), 'T', 2, null);

      assert.deepEqual([one!.shipDate.date, one!.shipDate.basis, one!.restockDate], ['2026-03-10', 'inbound', '2026-03-10']);
      assert.deepEqual([two!.shipDate.date, two!.shipDate.basis, two!.shipDate.estimate], ['2026-04-01', 'lead_time', true]);
    }));
});

// The property: random operations on one SKU, checked after every step.

type Operation =
  | { kind: 'place'; quantities: number[]; priority: number; country: 'US' | 'GB' | null }
  | { kind: 'createPurchaseOrder'; location: 'main' | 'far'; expectedDate: string; quantity: number }
  | { kind: 'receive'; pick: number; quantity: number }
  | { kind: 'redate'; pick: number; expectedDate: string }
  | { kind: 'close'; pick: number }
  | { kind: 'cancel'; pick: number; quantity: number | null }
  | { kind: 'edit'; pick: number; quantity: number }
  | { kind: 'adjust'; location: 'main' | 'far'; delta: number }
  | { kind: 'ship'; pick: number }
  | { kind: 'rules'; leadTimeDays: number | null; restockDate: string | null; handlingDays: number }
  | { kind: 'advanceClock'; hours: number };

interface Scenario {
  /** Whether the second location ships only to the US, which makes every re-promise a full sweep. */
  restricted: boolean;
  rules: SkuInput;
  operations: Operation[];
}

const expectedDate = fc.constantFrom('2026-02-27', '2026-03-04', '2026-03-06', '2026-03-09', '2026-03-13', '2026-03-20');
const pick = fc.nat({ max: 100 });
const rulesOf = fc.record({
  leadTimeDays: fc.constantFrom(null, 5, 30),
  restockDate: fc.constantFrom(null, null, '2026-03-05', '2026-03-25'),
  handlingDays: fc.constantFrom(0, 1, 2),
});

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      quantities: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
      priority: fc.constantFrom(0, 0, 0, 1),
      country: fc.constantFrom<'US' | 'GB' | null>('US', 'GB', null),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('createPurchaseOrder' as const),
      location: fc.constantFrom<'main' | 'far'>('main', 'main', 'far'),
      expectedDate,
      quantity: fc.integer({ min: 1, max: 6 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('receive' as const), pick, quantity: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redate' as const), pick, expectedDate }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), pick }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick, quantity: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('edit' as const), pick, quantity: fc.integer({ min: 1, max: 5 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('adjust' as const),
      location: fc.constantFrom<'main' | 'far'>('main', 'far'),
      delta: fc.integer({ min: -3, max: 4 }).filter((n) => n !== 0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ship' as const), pick }) },
  { weight: 1, arbitrary: rulesOf.map((rules): Operation => ({ kind: 'rules', ...rules })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advanceClock' as const), hours: fc.constantFrom(6, 24, 48) }) },
);

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  restricted: fc.nat({ max: 3 }).map((n) => n === 0),
  rules: fc.record({
    policy: fc.constantFrom<'backorder' | 'preorder'>('backorder', 'backorder', 'preorder'),
    releaseDate: fc.constant<string | null>('2026-03-04'),
    leadTimeDays: fc.constantFrom(null, 5, 30),
    restockDate: fc.constantFrom(null, '2026-03-05'),
    handlingDays: fc.constantFrom(0, 1),
  }).map((rules): SkuInput => ({ ...rules, releaseDate: rules.policy === 'preorder' ? rules.releaseDate : null })),
  operations: fc.array(operation, { minLength: 4, maxLength: Number(process.env.RESTOCK_PROPERTY_STEPS ?? 20) }),
});

const SKU = 'P';

async function runScenario(scenario: Scenario): Promise<void> {
  const t = await openTestStore();
  try {
    const { store } = t;
    let rules = scenario.rules;
    await store.transaction((work) =>
      upsertLocation(work, 'far', {
        timeZone: 'Pacific/Auckland',
        workingDays: [1, 2, 3, 4, 5, 6],
        receivingDays: 2,
        priority: 50,
        shipsTo: scenario.restricted ? ['US'] : null,
      }),
    );
    await store.transaction((work) => upsertSku(work, SKU, rules));

    const promised = new Map<string, string>();
    for (const [step, op] of scenario.operations.entries()) {
      const before = await lineDates(store.db);
      const seq = await lastEventSeq(store.db);

      if (op.kind === 'rules') rules = { ...rules, leadTimeDays: op.leadTimeDays, restockDate: op.restockDate, handlingDays: op.handlingDays };
      await apply(t, op, rules);

      const context = `after step ${step + 1} (${JSON.stringify(op)})`;
      await assertQueueMatchesSweep(t, SKU, context);
      await assertOneEventPerMovedLine(store.db, before, seq, context);

      for (const [id, line] of await lineDates(store.db)) {
        if (line.promised === null) {
          assert.equal(line.estimated, null, `line ${id} has an estimate but no promise ${context}`);
          continue;
        }
        const first = promised.get(id);
        if (first === undefined) promised.set(id, line.promised);
        else assert.equal(line.promised, first, `promise of line ${id} changed ${context}`);
      }
    }
  } finally {
    await t.close();
  }
}

async function lineDates(db: Kysely<Database>) {
  const rows = await db.selectFrom('order_lines').select(['id', 'estimated_ship_date', 'promised_ship_date', 'ship_date_basis']).execute();
  return new Map(rows.map((row) => [row.id, { estimated: row.estimated_ship_date, promised: row.promised_ship_date, basis: row.ship_date_basis }]));
}

/** A line that had a date and got a different estimate is told once, with both dates; no other line is. */
async function assertOneEventPerMovedLine(
  db: Kysely<Database>,
  before: Awaited<ReturnType<typeof lineDates>>,
  seq: number,
  context: string,
): Promise<void> {
  const after = await lineDates(db);
  const moved = [...before]
    .filter(([id, line]) => line.basis !== null && line.estimated !== after.get(id)!.estimated)
    .map(([id]) => id)
    .sort();
  const events = await promiseEventsAfter(db, seq);
  assert.deepEqual(events.map((e) => e.lineId).sort(), moved, `promise.changed events ${context}`);
  for (const event of events) {
    assert.equal(event.data.previous_estimated_ship_date, before.get(event.lineId)!.estimated, `previous date of ${event.lineId} ${context}`);
    assert.equal(event.data.estimated_ship_date, after.get(event.lineId)!.estimated, `new date of ${event.lineId} ${context}`);
  }
}

function pickRow<T>(rows: T[], index: number): T | undefined {
  return rows.length === 0 ? undefined : rows[index % rows.length];
}

/** Runs one operation; the rejections the rules allow (an invalid state, say) change nothing and are ignored. */
async function apply(t: TestStore, op: Operation, rules: SkuInput): Promise<void> {
  const { store } = t;
  const purchaseOrders = () => store.db.selectFrom('purchase_orders').select('id').orderBy('created_at').orderBy('id').execute();
  const orders = () => store.db.selectFrom('orders').select('id').orderBy('placed_at').orderBy('id').execute();
  const orderLine = async (orderId: string) =>
    store.db.selectFrom('order_lines').selectAll().where('order_id', '=', orderId).orderBy('position').executeTakeFirstOrThrow();

  try {
    switch (op.kind) {
      case 'place':
        await store.transaction((work) =>
          placeOrders(
            work,
            op.quantities.map((quantity) => ({
              currency: 'USD',
              priority: op.priority,
              shippingCountry: op.country,
              lines: [{ sku: SKU, quantity, unitPrice: 100 }],
            })),
          ),
        );
        return;
      case 'createPurchaseOrder':
        await givenPurchaseOrder(store, SKU, op.quantity, op.expectedDate, op.location);
        return;
      case 'receive': {
        const po = pickRow(await purchaseOrders(), op.pick);
        if (po) await store.transaction((work) => receive(work, po.id, [{ sku: SKU, quantity: op.quantity }]));
        return;
      }
      case 'redate': {
        const po = pickRow(await purchaseOrders(), op.pick);
        if (po) await store.transaction((work) => redatePurchaseOrder(work, po.id, op.expectedDate));
        return;
      }
      case 'close': {
        const po = pickRow(await purchaseOrders(), op.pick);
        if (po) await store.transaction((work) => closePurchaseOrder(work, po.id));
        return;
      }
      case 'cancel': {
        const picked = pickRow(await orders(), op.pick);
        if (!picked) return;
        const line = await orderLine(picked.id);
        const lines = op.quantity === null ? undefined : [{ lineId: line.id, quantity: op.quantity }];
        await store.transaction((work) => cancelOrder(work, picked.id, { lines, reason: 'test' }));
        return;
      }
      case 'edit': {
        const picked = pickRow(await orders(), op.pick);
        if (!picked) return;
        const line = await orderLine(picked.id);
        await store.transaction((work) => editOrderLine(work, picked.id, line.id, { quantity: op.quantity }));
        return;
      }
      case 'adjust':
        await store.transaction((work) => adjustStock(work, { sku: SKU, location: op.location, quantityDelta: op.delta, reason: 'count' }));
        return;
      case 'ship': {
        const picked = pickRow(await orders(), op.pick);
        if (!picked) return;
        const line = await orderLine(picked.id);
        if (line.allocated === 0) return;
        await store.transaction((work) => shipOrder(work, picked.id, { lines: [{ lineId: line.id, quantity: line.allocated }] }));
        return;
      }
      case 'rules':
        await store.transaction((work) => upsertSku(work, SKU, rules));
        return;
      case 'advanceClock':
        // A new day moves dates that count from today; touching the SKU
        // re-promises it, as a daily review would.
        t.clock.advance(op.hours * 3_600_000);
        await store.transaction((work) => upsertSku(work, SKU, rules));
        return;
    }
  } catch (error) {
    if (!(error instanceof RestockError)) throw error;
  }
}
