import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openTestStore, testDatabase } from '../support/database.js';
import { assertInvariants, givenSku, orderView, placeAccepted, placeOrder, skuView } from '../support/builders.js';
import { adjustStock } from '../../src/app/stock.js';
import { upsertLocation, upsertSku, type LocationInput } from '../../src/app/catalog.js';
import { createPurchaseOrder, receive } from '../../src/app/purchase-orders.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { shipOrder } from '../../src/app/ship-order.js';
import { placeOrders, type PlaceOrderInput } from '../../src/app/place-order.js';
import { readAvailability } from '../../src/app/availability.js';
import { readLevels, readQueue } from '../../src/app/read-models.js';
import { fingerprintOf, runIdempotent } from '../../src/app/idempotency.js';
import { Store } from '../../src/store/store.js';
import type { Database } from '../../src/store/schema.js';

// Helpers that read the database directly, so assertions see what was stored.

async function levelAt(store: Store, sku: string, location = 'main') {
  const level = (await readLevels(store.db, sku)).find((l) => l.location === location);
  assert.ok(level, `no stock level for ${sku} at ${location}`);
  return { on_hand: level.on_hand, allocated: level.allocated, available: level.available };
}

async function adjust(store: Store, sku: string, quantityDelta: number, location = 'main') {
  return store.transaction((work) => adjustStock(work, { sku, location, quantityDelta, reason: 'count' }));
}

async function givenLocation(store: Store, code: string, input: LocationInput): Promise<void> {
  await store.transaction((work) => upsertLocation(work, code, input));
}

/** Creates a purchase order for the units at the location and receives all of them at once. */
async function receiveAt(store: Store, sku: string, quantity: number, location = 'main') {
  const purchaseOrderId = await store.transaction((work) =>
    createPurchaseOrder(work, { reference: `PO-${sku}`, location, expectedDate: '2026-03-20', lines: [{ sku, quantity }] }),
  );
  return store.transaction((work) => receive(work, purchaseOrderId, [{ sku, quantity }]));
}

/** Reads the allocations of a line that still bind units, by location code. */
async function allocationsOf(store: Store, lineId: string) {
  const rows = await store.db
    .selectFrom('line_allocations')
    .select(['location', 'quantity'])
    .where('line_id', '=', lineId)
    .where('quantity', '>', 0)
    .orderBy('location')
    .execute();
  return rows.map((row) => ({ location: row.location, quantity: row.quantity }));
}

async function countRows(store: Store, table: keyof Database): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function lastEventSeq(store: Store): Promise<number> {
  const row = await store.db
    .selectFrom('events')
    .select((eb) => eb.fn.max<number>('seq').as('seq'))
    .executeTakeFirstOrThrow();
  return Number(row.seq ?? 0);
}

async function eventsAfter(store: Store, seq: number) {
  const rows = await store.db
    .selectFrom('events')
    .select(['type', 'order_id', 'line_id', 'sku', 'data'])
    .where('seq', '>', seq)
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({ ...row, data: JSON.parse(row.data) as Record<string, unknown> }));
}

async function eventTypesAfter(store: Store, seq: number): Promise<string[]> {
  return (await eventsAfter(store, seq)).map((event) => event.type);
}

async function movementsOf(store: Store, sku: string) {
  const rows = await store.db
    .selectFrom('stock_movements')
    .select(['kind', 'location', 'on_hand_delta', 'allocated_delta', 'line_id'])
    .where('sku', '=', sku)
    .orderBy('id')
    .execute();
  return rows;
}

/** Counts the rows that a rejected or failed write must leave untouched. */
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

const invalidState = { name: 'RestockError', code: 'invalid_state' };

describe(`queue order (${testDatabase})`, () => {
  it('higher priority is served first', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'Q1', { policy: 'backorder' });
      const low = await placeAccepted(t.store, [['Q1', 2]], { priority: 0 });
      t.clock.advance(60_000);
      const high = await placeAccepted(t.store, [['Q1', 2]], { priority: 5 });

      const receipt = await receiveAt(t.store, 'Q1', 3);

      assert.deepEqual(receipt.allocations, [
        { orderId: high.id, lineId: high.lines[0]!.id, quantity: 2 },
        { orderId: low.id, lineId: low.lines[0]!.id, quantity: 1 },
      ]);
      assert.equal((await orderView(t.store, high.id)).status, 'allocated');
      assert.equal((await orderView(t.store, low.id)).status, 'partially_backordered');
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('equal priority is served by placed time', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'Q2', { policy: 'backorder' });
      // Line ids grow with real time, so the clock is set back for the second
      // order. It gets the later line id but the earlier placed time.
      t.clock.set('2026-03-02T12:10:00.000Z');
      const placedLater = await placeAccepted(t.store, [['Q2', 1]]);
      t.clock.set('2026-03-02T12:00:00.000Z');
      const placedEarlier = await placeAccepted(t.store, [['Q2', 1]]);
      assert.ok(placedEarlier.lines[0]!.id > placedLater.lines[0]!.id);

      const queue = await readQueue(t.store.db, 'Q2');
      assert.deepEqual(queue.map((entry) => entry.order_id), [placedEarlier.id, placedLater.id]);

      const receipt = await receiveAt(t.store, 'Q2', 1);
      assert.deepEqual(receipt.allocations.map((a) => a.orderId), [placedEarlier.id]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('equal priority and time are served by line id', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'Q3', { policy: 'backorder' });
      const order = (quantity: number): PlaceOrderInput => ({ currency: 'USD', lines: [{ sku: 'Q3', quantity, unitPrice: 100 }] });
      const outcomes = await t.store.transaction((work) => placeOrders(work, [order(1), order(1), order(1)]));
      const ids = outcomes.map((o) => (o.accepted ? o.orderId : assert.fail('order rejected')));
      const views = await Promise.all(ids.map((id) => orderView(t.store, id)));
      assert.equal(views[0]!.placed_at, views[2]!.placed_at);

      const lineIds = views.map((v) => v.lines[0]!.id);
      assert.deepEqual([...lineIds].sort(), lineIds);
      assert.deepEqual(views.map((v) => v.lines[0]!.queue_position), [1, 2, 3]);

      const receipt = await receiveAt(t.store, 'Q3', 2);
      assert.deepEqual(receipt.allocations.map((a) => a.lineId), lineIds.slice(0, 2));
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`receipts and the queue (${testDatabase})`, () => {
  it('receipt serves the queue before available', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'R1', { policy: 'backorder' });
      const first = await placeAccepted(t.store, [['R1', 2]]);
      const second = await placeAccepted(t.store, [['R1', 1]]);

      const receipt = await receiveAt(t.store, 'R1', 5);

      assert.deepEqual(receipt.allocations, [
        { orderId: first.id, lineId: first.lines[0]!.id, quantity: 2 },
        { orderId: second.id, lineId: second.lines[0]!.id, quantity: 1 },
      ]);
      assert.deepEqual(await levelAt(t.store, 'R1'), { on_hand: 5, allocated: 3, available: 2 });
      assert.equal((await skuView(t.store, 'R1')).backordered, 0);
      assert.deepEqual(await readQueue(t.store.db, 'R1'), []);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('new order waits behind an older backorder', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'R2', { policy: 'backorder' });
      const older = await placeAccepted(t.store, [['R2', 3]]);
      await adjust(t.store, 'R2', 1);

      assert.deepEqual(await levelAt(t.store, 'R2'), { on_hand: 1, allocated: 1, available: 0 });
      const availability = await readAvailability(t.store.db, { sku: 'R2' }, t.clock.now());
      assert.equal(availability.available, 0);
      assert.equal(availability.status, 'backorder');

      const newer = await placeAccepted(t.store, [['R2', 1]]);
      assert.equal(newer.lines[0]!.allocated, 0);
      assert.equal(newer.lines[0]!.backordered, 1);
      assert.equal(newer.lines[0]!.queue_position, 2);

      const receipt = await receiveAt(t.store, 'R2', 2);
      assert.deepEqual(receipt.allocations.map((a) => [a.orderId, a.quantity]), [[older.id, 2]]);
      assert.equal((await orderView(t.store, newer.id)).lines[0]!.backordered, 1);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`cancellation (${testDatabase})`, () => {
  it('cancellation takes backordered units first', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'C1', { policy: 'backorder', onHand: 2 });
      const order = await placeAccepted(t.store, [['C1', 3]]);
      const lineId = order.lines[0]!.id;
      const seq = await lastEventSeq(t.store);

      await t.store.transaction((w) => cancelOrder(w, order.id, { lines: [{ lineId, quantity: 1 }], reason: 'fewer' }));

      const line = (await orderView(t.store, order.id)).lines[0]!;
      assert.deepEqual([line.allocated, line.backordered, line.cancelled], [2, 0, 1]);
      assert.deepEqual(await levelAt(t.store, 'C1'), { on_hand: 2, allocated: 2, available: 0 });
      assert.deepEqual((await movementsOf(t.store, 'C1')).map((m) => m.kind), ['adjustment', 'allocation']);
      const cancelled = (await eventsAfter(t.store, seq)).find((e) => e.type === 'line.cancelled');
      assert.deepEqual(cancelled?.data, { quantity: 1, from_backordered: 1, from_allocated: 0, reason: 'fewer' });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('released units go to the queue first', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'C2', { policy: 'backorder', onHand: 2 });
      const holder = await placeAccepted(t.store, [['C2', 3]]);
      const waiter = await placeAccepted(t.store, [['C2', 1]]);

      // Two units: one backordered, then one allocated, which the waiting line takes.
      const holderLine = holder.lines[0]!.id;
      await t.store.transaction((w) => cancelOrder(w, holder.id, { lines: [{ lineId: holderLine, quantity: 2 }], reason: 'fewer' }));

      const held = (await orderView(t.store, holder.id)).lines[0]!;
      assert.deepEqual([held.allocated, held.backordered, held.cancelled], [1, 0, 2]);
      const waiting = (await orderView(t.store, waiter.id)).lines[0]!;
      assert.deepEqual([waiting.allocated, waiting.backordered], [1, 0]);
      assert.deepEqual(await levelAt(t.store, 'C2'), { on_hand: 2, allocated: 2, available: 0 });

      const tail = (await movementsOf(t.store, 'C2')).slice(-2);
      assert.deepEqual(
        tail.map((m) => [m.kind, m.allocated_delta, m.line_id]),
        [['release', -1, holderLine], ['allocation', 1, waiter.lines[0]!.id]],
      );
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('released units become available when nobody waits', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'C3', { policy: 'backorder', onHand: 4 });
      const order = await placeAccepted(t.store, [['C3', 3]]);

      await t.store.transaction((w) => cancelOrder(w, order.id, { reason: 'changed mind' }));

      assert.deepEqual(await levelAt(t.store, 'C3'), { on_hand: 4, allocated: 0, available: 4 });
      assert.equal((await orderView(t.store, order.id)).status, 'cancelled');
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`adjustment (${testDatabase})`, () => {
  it('adjustment by delta moves on hand', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'A1');
      const up = await adjust(t.store, 'A1', 5);
      const down = await adjust(t.store, 'A1', -2);

      assert.equal(up.delta, 5);
      assert.deepEqual(up.level, { sku: 'A1', location: 'main', onHand: 5, allocated: 0, available: 5 });
      assert.equal(down.delta, -2);
      assert.deepEqual(down.level, { sku: 'A1', location: 'main', onHand: 3, allocated: 0, available: 3 });
      assert.deepEqual(
        (await movementsOf(t.store, 'A1')).map((m) => [m.kind, m.on_hand_delta, m.allocated_delta]),
        [['adjustment', 5, 0], ['adjustment', -2, 0]],
      );
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('adjustment to a counted on hand', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'A2', { onHand: 5 });
      const counted = await t.store.transaction((w) => adjustStock(w, { sku: 'A2', onHand: 8, reason: 'cycle count' }));
      const same = await t.store.transaction((w) => adjustStock(w, { sku: 'A2', onHand: 8, reason: 'cycle count' }));

      assert.equal(counted.delta, 3);
      assert.equal(counted.level.onHand, 8);
      assert.equal(same.delta, 0);
      assert.equal(same.movementId, null);
      assert.deepEqual(
        (await movementsOf(t.store, 'A2')).map((m) => m.on_hand_delta),
        [5, 3],
      );
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('adjustment below zero is rejected', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'A3', { onHand: 3 });
      const before = await footprint(t.store);

      await assert.rejects(adjust(t.store, 'A3', -4), invalidState);
      await assert.rejects(t.store.transaction((w) => adjustStock(w, { sku: 'A3', onHand: -1, reason: 'count' })), invalidState);

      assert.deepEqual(await levelAt(t.store, 'A3'), { on_hand: 3, allocated: 0, available: 3 });
      assert.deepEqual(await footprint(t.store), before);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('adjustment below allocated takes back the newest lines', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'A4', { policy: 'backorder', onHand: 5 });
      const older = await placeAccepted(t.store, [['A4', 3]]);
      t.clock.advance(60_000);
      const newer = await placeAccepted(t.store, [['A4', 2]]);
      const seq = await lastEventSeq(t.store);

      await t.store.transaction((w) => adjustStock(w, { sku: 'A4', onHand: 2, reason: 'damaged' }));

      const olderLine = (await orderView(t.store, older.id)).lines[0]!;
      const newerLine = (await orderView(t.store, newer.id)).lines[0]!;
      assert.deepEqual([olderLine.allocated, olderLine.backordered], [2, 1]);
      assert.deepEqual([newerLine.allocated, newerLine.backordered], [0, 2]);
      assert.equal((await orderView(t.store, older.id)).status, 'partially_backordered');
      assert.equal((await orderView(t.store, newer.id)).status, 'backordered');
      assert.deepEqual(await levelAt(t.store, 'A4'), { on_hand: 2, allocated: 2, available: 0 });
      assert.deepEqual((await readQueue(t.store.db, 'A4')).map((e) => [e.line_id, e.backordered]), [
        [olderLine.id, 1],
        [newerLine.id, 2],
      ]);

      const backordered = (await eventsAfter(t.store, seq)).filter((e) => e.type === 'line.backordered');
      assert.deepEqual(
        backordered.map((e) => [e.line_id, e.data.quantity, e.data.cause]),
        [[newerLine.id, 2, 'stock_adjusted'], [olderLine.id, 1, 'stock_adjusted']],
      );

      // The returned lines keep their places: the older line is served first.
      const receipt = await receiveAt(t.store, 'A4', 2);
      assert.deepEqual(receipt.allocations.map((a) => [a.lineId, a.quantity]), [[olderLine.id, 1], [newerLine.id, 1]]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`ship-complete orders (${testDatabase})`, () => {
  it('ship-complete order is held until fully allocated', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'S1', { policy: 'backorder', onHand: 1 });
      const order = await placeAccepted(t.store, [['S1', 3]], { shipPolicy: 'ship_complete' });
      const lineId = order.lines[0]!.id;

      assert.equal(order.ready_to_ship, false);
      assert.deepEqual((await eventTypesAfter(t.store, 0)).filter((type) => type === 'order.ready_to_ship'), []);
      await assert.rejects(t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 1 }] })), invalidState);
      assert.deepEqual(await levelAt(t.store, 'S1'), { on_hand: 1, allocated: 1, available: 0 });

      const seq = await lastEventSeq(t.store);
      await receiveAt(t.store, 'S1', 2);

      assert.equal((await orderView(t.store, order.id)).ready_to_ship, true);
      const ready = (await eventsAfter(t.store, seq)).filter((e) => e.type === 'order.ready_to_ship');
      assert.deepEqual(ready.map((e) => e.order_id), [order.id]);

      // A ship-complete order ships whole, so shipping part of it is rejected.
      await assert.rejects(t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 2 }] })), invalidState);
      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 3 }] }));
      assert.equal((await orderView(t.store, order.id)).status, 'shipped');
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('ship-complete order waits for every line', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'S2', { onHand: 5 });
      await givenSku(t.store, 'S3', { policy: 'backorder' });
      const order = await placeAccepted(t.store, [['S2', 1], ['S3', 1]], { shipPolicy: 'ship_complete' });

      assert.equal(order.ready_to_ship, false);
      assert.deepEqual(order.lines.map((l) => l.status), ['allocated', 'backordered']);
      await assert.rejects(
        t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId: order.lines[0]!.id, quantity: 1 }] })),
        invalidState,
      );
      assert.deepEqual(await levelAt(t.store, 'S2'), { on_hand: 5, allocated: 1, available: 4 });

      await adjust(t.store, 'S3', 1);
      assert.equal((await orderView(t.store, order.id)).ready_to_ship, true);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('ship-partial order is ready with part allocated', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'S4', { policy: 'backorder', onHand: 1 });
      const order = await placeAccepted(t.store, [['S4', 3]], { shipPolicy: 'ship_partial' });

      assert.equal(order.ready_to_ship, true);
      const types = await eventTypesAfter(t.store, 0);
      assert.deepEqual(types.filter((type) => type === 'order.ready_to_ship'), ['order.ready_to_ship']);
      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId: order.lines[0]!.id, quantity: 1 }] }));
      assert.equal((await orderView(t.store, order.id)).status, 'partially_shipped');
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`rejection (${testDatabase})`, () => {
  it('stock_only shortfall rejects the whole order', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'J1', { onHand: 10 });
      await givenSku(t.store, 'J2', { onHand: 2 });
      const before = await footprint(t.store);

      const outcome = await placeOrder(t.store, [['J1', 1], ['J2', 3]]);

      assert.deepEqual(outcome, { accepted: false, rejections: [{ sku: 'J2', reason: 'insufficient_stock', maxOrderable: 2 }] });
      assert.deepEqual(await footprint(t.store), before);
      assert.deepEqual(await levelAt(t.store, 'J1'), { on_hand: 10, allocated: 0, available: 10 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('discontinued line beyond available is rejected', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'J3', { policy: 'discontinued', onHand: 1 });
      const before = await footprint(t.store);

      const outcome = await placeOrder(t.store, [['J3', 2]]);

      assert.deepEqual(outcome, { accepted: false, rejections: [{ sku: 'J3', reason: 'discontinued', maxOrderable: 1 }] });
      assert.deepEqual(await footprint(t.store), before);
      await placeAccepted(t.store, [['J3', 1]]);
      assert.deepEqual(await placeOrder(t.store, [['J3', 1]]), {
        accepted: false,
        rejections: [{ sku: 'J3', reason: 'discontinued', maxOrderable: 0 }],
      });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('backorder beyond the remaining limit is rejected', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'J4', { policy: 'backorder', backorderLimit: 5, onHand: 2 });
      await placeAccepted(t.store, [['J4', 4]]);
      const before = await footprint(t.store);

      // 2 of the limit of 5 are used, and nothing is available.
      const outcome = await placeOrder(t.store, [['J4', 4]]);

      assert.deepEqual(outcome, { accepted: false, rejections: [{ sku: 'J4', reason: 'backorder_limit_reached', maxOrderable: 3 }] });
      assert.deepEqual(await footprint(t.store), before);
      assert.equal((await skuView(t.store, 'J4')).backordered, 2);

      await placeAccepted(t.store, [['J4', 3]]);
      assert.deepEqual(await placeOrder(t.store, [['J4', 1]]), {
        accepted: false,
        rejections: [{ sku: 'J4', reason: 'backorder_limit_reached', maxOrderable: 0 }],
      });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('unknown SKU rejects the whole order', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'J5', { onHand: 3 });
      const before = await footprint(t.store);

      const outcome = await placeOrder(t.store, [['J5', 1], ['NOPE', 1]]);

      assert.deepEqual(outcome, { accepted: false, rejections: [{ sku: 'NOPE', reason: 'unknown_sku', maxOrderable: 0 }] });
      assert.deepEqual(await footprint(t.store), before);
    } finally {
      await t.close();
    }
  });

  it('lines of one SKU are judged together', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'J6', { onHand: 5 });
      await givenSku(t.store, 'J7', { policy: 'backorder', backorderLimit: 2 });
      const before = await footprint(t.store);

      assert.deepEqual(await placeOrder(t.store, [['J6', 3], ['J6', 3]]), {
        accepted: false,
        rejections: [{ sku: 'J6', reason: 'insufficient_stock', maxOrderable: 5 }],
      });
      assert.deepEqual(await placeOrder(t.store, [['J7', 2], ['J7', 1]]), {
        accepted: false,
        rejections: [{ sku: 'J7', reason: 'backorder_limit_reached', maxOrderable: 2 }],
      });
      assert.deepEqual(await footprint(t.store), before);

      const order = await placeAccepted(t.store, [['J6', 2], ['J6', 3]]);
      assert.deepEqual(order.lines.map((l) => [l.allocated, l.backordered]), [[2, 0], [3, 0]]);
      assert.deepEqual(await levelAt(t.store, 'J6'), { on_hand: 5, allocated: 5, available: 0 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`locations (${testDatabase})`, () => {
  it('one location covering the line is preferred', async () => {
    const t = await openTestStore();
    try {
      await givenLocation(t.store, 'WA', { priority: 1 });
      await givenLocation(t.store, 'WB', { priority: 2 });
      await givenSku(t.store, 'L1');
      await adjust(t.store, 'L1', 2, 'WA');
      await adjust(t.store, 'L1', 5, 'WB');

      const big = await placeAccepted(t.store, [['L1', 4]]);
      const small = await placeAccepted(t.store, [['L1', 1]]);

      assert.deepEqual(await allocationsOf(t.store, big.lines[0]!.id), [{ location: 'WB', quantity: 4 }]);
      assert.deepEqual(await allocationsOf(t.store, small.lines[0]!.id), [{ location: 'WA', quantity: 1 }]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('locations are drawn in priority order when none covers', async () => {
    const t = await openTestStore();
    try {
      await givenLocation(t.store, 'WA', { priority: 1 });
      await givenLocation(t.store, 'WC', { priority: 2 });
      await givenLocation(t.store, 'WB', { priority: 2 });
      await givenSku(t.store, 'L2');
      await adjust(t.store, 'L2', 2, 'WA');
      await adjust(t.store, 'L2', 3, 'WB');
      await adjust(t.store, 'L2', 3, 'WC');

      const order = await placeAccepted(t.store, [['L2', 7]]);

      assert.deepEqual(await allocationsOf(t.store, order.lines[0]!.id), [
        { location: 'WA', quantity: 2 },
        { location: 'WB', quantity: 3 },
        { location: 'WC', quantity: 2 },
      ]);
      assert.deepEqual(await levelAt(t.store, 'L2', 'WC'), { on_hand: 3, allocated: 2, available: 1 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('rejection leaves no partial allocation anywhere', async () => {
    const t = await openTestStore();
    try {
      await givenLocation(t.store, 'WA', { priority: 1 });
      await givenLocation(t.store, 'WB', { priority: 2 });
      await givenSku(t.store, 'L3');
      await adjust(t.store, 'L3', 2, 'WA');
      await adjust(t.store, 'L3', 3, 'WB');
      const before = await footprint(t.store);

      const outcome = await placeOrder(t.store, [['L3', 6]]);

      assert.deepEqual(outcome, { accepted: false, rejections: [{ sku: 'L3', reason: 'insufficient_stock', maxOrderable: 5 }] });
      assert.deepEqual(await levelAt(t.store, 'L3', 'WA'), { on_hand: 2, allocated: 0, available: 2 });
      assert.deepEqual(await levelAt(t.store, 'L3', 'WB'), { on_hand: 3, allocated: 0, available: 3 });
      assert.deepEqual(await footprint(t.store), before);
    } finally {
      await t.close();
    }
  });

  it('ships_to limits the locations and counts each once', async () => {
    const t = await openTestStore();
    try {
      await givenLocation(t.store, 'WG', { shipsTo: ['US', 'CA'] });
      await givenLocation(t.store, 'WUS', { shipsTo: ['US'] });
      await givenLocation(t.store, 'WDE', { shipsTo: ['DE'] });
      await givenSku(t.store, 'L4');
      await adjust(t.store, 'L4', 10, 'WG');
      await adjust(t.store, 'L4', 1, 'WUS');
      await adjust(t.store, 'L4', 5, 'WDE');

      const forUs = await readAvailability(t.store.db, { sku: 'L4', country: 'US' }, t.clock.now());
      const forAnywhere = await readAvailability(t.store.db, { sku: 'L4' }, t.clock.now());
      assert.equal(forUs.available, 11);
      assert.equal(forAnywhere.available, 16);

      assert.deepEqual(await placeOrder(t.store, [['L4', 12]], { shippingCountry: 'US' }), {
        accepted: false,
        rejections: [{ sku: 'L4', reason: 'insufficient_stock', maxOrderable: 11 }],
      });
      const order = await placeAccepted(t.store, [['L4', 11]], { shippingCountry: 'US' });
      assert.deepEqual(await allocationsOf(t.store, order.lines[0]!.id), [
        { location: 'WG', quantity: 10 },
        { location: 'WUS', quantity: 1 },
      ]);
      assert.deepEqual(await levelAt(t.store, 'L4', 'WDE'), { on_hand: 5, allocated: 0, available: 5 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('receipt serves lines its location ships to', async () => {
    const t = await openTestStore();
    try {
      await givenLocation(t.store, 'WEU', { shipsTo: ['DE'] });
      await givenSku(t.store, 'L5', { policy: 'backorder' });
      const us = await placeAccepted(t.store, [['L5', 2]], { shippingCountry: 'US' });
      const de = await placeAccepted(t.store, [['L5', 2]], { shippingCountry: 'DE' });

      const receipt = await receiveAt(t.store, 'L5', 3, 'WEU');

      assert.deepEqual(receipt.allocations.map((a) => [a.orderId, a.quantity]), [[de.id, 2]]);
      assert.equal((await orderView(t.store, us.id)).lines[0]!.backordered, 2);
      assert.deepEqual(await levelAt(t.store, 'L5', 'WEU'), { on_hand: 3, allocated: 2, available: 1 });
      await assertInvariants(t.store);

      const atMain = await receiveAt(t.store, 'L5', 2, 'main');
      assert.deepEqual(atMain.allocations.map((a) => [a.orderId, a.quantity]), [[us.id, 2]]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('releases give back where allocated, newest first', async () => {
    const t = await openTestStore();
    try {
      await givenLocation(t.store, 'WA', { priority: 1 });
      await givenLocation(t.store, 'WB', { priority: 2 });
      await givenSku(t.store, 'L6', { policy: 'backorder' });
      await adjust(t.store, 'L6', 2, 'WA');
      const order = await placeAccepted(t.store, [['L6', 3]]);
      const lineId = order.lines[0]!.id;
      await receiveAt(t.store, 'L6', 1, 'WB');
      assert.deepEqual(await allocationsOf(t.store, lineId), [
        { location: 'WA', quantity: 2 },
        { location: 'WB', quantity: 1 },
      ]);

      await t.store.transaction((w) => cancelOrder(w, order.id, { lines: [{ lineId, quantity: 1 }], reason: 'fewer' }));
      assert.deepEqual(await levelAt(t.store, 'L6', 'WB'), { on_hand: 1, allocated: 0, available: 1 });
      assert.deepEqual(await levelAt(t.store, 'L6', 'WA'), { on_hand: 2, allocated: 2, available: 0 });

      await t.store.transaction((w) => cancelOrder(w, order.id, { lines: [{ lineId, quantity: 1 }], reason: 'fewer' }));
      assert.deepEqual(await levelAt(t.store, 'L6', 'WA'), { on_hand: 2, allocated: 1, available: 1 });
      assert.deepEqual(
        (await movementsOf(t.store, 'L6')).filter((m) => m.kind === 'release').map((m) => [m.location, m.allocated_delta]),
        [['WB', -1], ['WA', -1]],
      );
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`statuses (${testDatabase})`, () => {
  it('line and order status follow their units', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'T1', { policy: 'backorder' });
      const order = await placeAccepted(t.store, [['T1', 4]]);
      const lineId = order.lines[0]!.id;
      const statuses = async () => {
        const view = await orderView(t.store, order.id);
        return [view.status, view.lines[0]!.status];
      };

      assert.deepEqual(await statuses(), ['backordered', 'backordered']);
      await adjust(t.store, 'T1', 1);
      assert.deepEqual(await statuses(), ['partially_backordered', 'partially_backordered']);
      await adjust(t.store, 'T1', 3);
      assert.deepEqual(await statuses(), ['allocated', 'allocated']);
      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 1 }] }));
      assert.deepEqual(await statuses(), ['partially_shipped', 'partially_shipped']);
      await t.store.transaction((w) => cancelOrder(w, order.id, { lines: [{ lineId, quantity: 1 }], reason: 'fewer' }));
      assert.deepEqual(await statuses(), ['partially_shipped', 'partially_shipped']);
      // Every unit not cancelled has shipped.
      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 2 }] }));
      assert.deepEqual(await statuses(), ['shipped', 'shipped']);

      const dropped = await placeAccepted(t.store, [['T1', 2]]);
      await t.store.transaction((w) => cancelOrder(w, dropped.id, { reason: 'changed mind' }));
      const droppedView = await orderView(t.store, dropped.id);
      assert.deepEqual([droppedView.status, droppedView.lines[0]!.status], ['cancelled', 'cancelled']);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('order status sums the units of its lines', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'T2', { onHand: 2 });
      await givenSku(t.store, 'T3', { policy: 'backorder' });
      const order = await placeAccepted(t.store, [['T2', 2], ['T3', 1]]);

      assert.deepEqual(order.lines.map((l) => l.status), ['allocated', 'backordered']);
      assert.equal(order.status, 'partially_backordered');

      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId: order.lines[0]!.id, quantity: 2 }] }));
      const shipped = await orderView(t.store, order.id);
      assert.deepEqual(shipped.lines.map((l) => l.status), ['shipped', 'backordered']);
      assert.equal(shipped.status, 'partially_shipped');
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`money (${testDatabase})`, () => {
  it('upfront capture is refunded once per cancelled unit', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'M1', { onHand: 5 });
      const order = await placeAccepted(t.store, [['M1', 3, 1500]]);
      const lineId = order.lines[0]!.id;
      assert.deepEqual(order.payment, { capture: 'upfront', captured: 4500, refunded: 0 });

      const one = await t.store.transaction((w) => cancelOrder(w, order.id, { lines: [{ lineId, quantity: 1 }], reason: 'fewer' }));
      const rest = await t.store.transaction((w) => cancelOrder(w, order.id, { reason: 'changed mind' }));
      await assert.rejects(t.store.transaction((w) => cancelOrder(w, order.id, { reason: 'again' })), invalidState);
      await assert.rejects(
        t.store.transaction((w) => cancelOrder(w, order.id, { lines: [{ lineId, quantity: 1 }], reason: 'again' })),
        invalidState,
      );

      assert.deepEqual(one.refund, { amount: 1500, currency: 'USD' });
      assert.deepEqual(rest.refund, { amount: 3000, currency: 'USD' });
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 4500, refunded: 4500 });
      const refunds = (await eventsAfter(t.store, 0)).filter((e) => e.type === 'refund.requested');
      assert.deepEqual(refunds.map((e) => e.data.amount), [1500, 3000]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('upfront cancel refunds only unshipped units', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'M2', { onHand: 5 });
      const order = await placeAccepted(t.store, [['M2', 3, 1500]]);
      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId: order.lines[0]!.id, quantity: 1 }] }));

      const { refund } = await t.store.transaction((w) => cancelOrder(w, order.id, { reason: 'changed mind' }));

      assert.deepEqual(refund, { amount: 3000, currency: 'USD' });
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'upfront', captured: 4500, refunded: 3000 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('on_ship captures per shipment and refunds nothing', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'M3', { onHand: 5 });
      const order = await placeAccepted(t.store, [['M3', 4, 1500]], { capture: 'on_ship' });
      const lineId = order.lines[0]!.id;
      assert.deepEqual(order.payment, { capture: 'on_ship', captured: 0, refunded: 0 });

      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 1 }] }));
      assert.equal((await orderView(t.store, order.id)).payment.captured, 1500);
      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 2 }] }));
      assert.equal((await orderView(t.store, order.id)).payment.captured, 4500);

      const { refund } = await t.store.transaction((w) => cancelOrder(w, order.id, { reason: 'changed mind' }));
      assert.deepEqual(refund, { amount: 0, currency: 'USD' });
      assert.deepEqual((await orderView(t.store, order.id)).payment, { capture: 'on_ship', captured: 4500, refunded: 0 });
      assert.deepEqual((await eventTypesAfter(t.store, 0)).filter((type) => type === 'refund.requested'), []);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`preorder (${testDatabase})`, () => {
  it('preorder allocates early, ships from release', async () => {
    const t = await openTestStore({ start: '2026-03-02T12:00:00.000Z' });
    try {
      await givenSku(t.store, 'P1', { policy: 'preorder', releaseDate: '2026-03-10', onHand: 5 });
      const availability = await readAvailability(t.store.db, { sku: 'P1', quantity: 2 }, t.clock.now());
      assert.equal(availability.status, 'preorder');

      const order = await placeAccepted(t.store, [['P1', 2]]);
      const lineId = order.lines[0]!.id;
      assert.deepEqual([order.lines[0]!.allocated, order.lines[0]!.backordered], [2, 0]);
      assert.deepEqual(await levelAt(t.store, 'P1'), { on_hand: 5, allocated: 2, available: 3 });

      t.clock.set('2026-03-09T23:59:59.999Z');
      await assert.rejects(t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 2 }] })), invalidState);
      assert.deepEqual(await levelAt(t.store, 'P1'), { on_hand: 5, allocated: 2, available: 3 });
      assert.equal(await countRows(t.store, 'shipments'), 0);

      // The location main keeps UTC, so the release date begins at midnight UTC.
      t.clock.set('2026-03-10T00:00:00.000Z');
      await t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 2 }] }));
      assert.deepEqual(await levelAt(t.store, 'P1'), { on_hand: 3, allocated: 0, available: 3 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`stock ledger (${testDatabase})`, () => {
  it('ledger records every movement in order', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'K1', { policy: 'backorder' });
      await adjust(t.store, 'K1', 3);
      const first = await placeAccepted(t.store, [['K1', 2]]);
      const second = await placeAccepted(t.store, [['K1', 3]]);
      await receiveAt(t.store, 'K1', 2);
      await t.store.transaction((w) => cancelOrder(w, first.id, { reason: 'changed mind' }));
      await t.store.transaction((w) => shipOrder(w, second.id, { lines: [{ lineId: second.lines[0]!.id, quantity: 3 }] }));

      const firstLine = first.lines[0]!.id;
      const secondLine = second.lines[0]!.id;
      assert.deepEqual(
        (await movementsOf(t.store, 'K1')).map((m) => [m.kind, m.on_hand_delta, m.allocated_delta, m.line_id]),
        [
          ['adjustment', 3, 0, null],
          ['allocation', 0, 2, firstLine],
          ['allocation', 0, 1, secondLine],
          ['receipt', 2, 0, null],
          ['allocation', 0, 2, secondLine],
          ['release', 0, -2, firstLine],
          ['shipment', -3, -3, secondLine],
        ],
      );
      assert.deepEqual(await levelAt(t.store, 'K1'), { on_hand: 2, allocated: 0, available: 2 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`events (${testDatabase})`, () => {
  it('each use case writes its events', async () => {
    const t = await openTestStore();
    try {
      let seq = await lastEventSeq(t.store);
      // Promise events follow every change of supply or queue and belong to
      // the promise-date tests, so they are left out here.
      const since = async () => {
        const types = await eventTypesAfter(t.store, seq);
        seq = await lastEventSeq(t.store);
        return types.filter((type) => type !== 'promise.changed');
      };

      await givenLocation(t.store, 'WX', {});
      assert.deepEqual(await since(), ['location.created']);
      await t.store.transaction((w) => upsertSku(w, 'E1', { policy: 'backorder' }));
      assert.deepEqual(await since(), ['sku.created']);
      await t.store.transaction((w) => upsertSku(w, 'E1', { policy: 'backorder', name: 'Mug' }));
      assert.deepEqual(await since(), ['sku.updated']);
      await adjust(t.store, 'E1', 1);
      assert.deepEqual(await since(), ['stock.adjusted']);

      const allocated = await placeAccepted(t.store, [['E1', 1]]);
      assert.deepEqual(await since(), ['order.placed', 'line.allocated', 'order.ready_to_ship', 'sku.out_of_stock']);
      const waiting = await placeAccepted(t.store, [['E1', 2]]);
      assert.deepEqual(await since(), ['order.placed', 'line.backordered']);

      const purchaseOrderId = await t.store.transaction((w) =>
        createPurchaseOrder(w, { reference: 'PO-E1', expectedDate: '2026-03-20', lines: [{ sku: 'E1', quantity: 1 }] }),
      );
      assert.deepEqual(await since(), ['purchase_order.created']);
      await t.store.transaction((w) => receive(w, purchaseOrderId, [{ sku: 'E1', quantity: 1 }]));
      assert.deepEqual(await since(), ['line.allocated', 'order.ready_to_ship', 'purchase_order.received']);

      await adjust(t.store, 'E1', 1);
      assert.deepEqual(await since(), ['stock.adjusted', 'line.allocated']);

      await t.store.transaction((w) => shipOrder(w, allocated.id, { lines: [{ lineId: allocated.lines[0]!.id, quantity: 1 }] }));
      assert.deepEqual(await since(), ['line.shipped']);
      await t.store.transaction((w) => cancelOrder(w, waiting.id, { reason: 'changed mind' }));
      assert.deepEqual(await since(), ['line.cancelled', 'refund.requested']);

      const events = await eventsAfter(t.store, 0);
      const received = events.find((e) => e.type === 'purchase_order.received');
      assert.deepEqual(received?.data.allocated, [{ order_id: waiting.id, line_id: waiting.lines[0]!.id, quantity: 1 }]);
      assert.deepEqual(received?.data.lines, [{ sku: 'E1', quantity: 1 }]);
      const placed = events.find((e) => e.type === 'order.placed' && e.order_id === waiting.id);
      assert.deepEqual(placed?.data, { external_id: null, status: 'backordered', captured: 2000, currency: 'USD' });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});

describe(`idempotency (${testDatabase})`, () => {
  const body = { currency: 'USD', lines: [{ sku: 'I1', quantity: 2, unitPrice: 500 }] };

  function placeOnce(store: Store, key: string, request: PlaceOrderInput) {
    const fingerprint = fingerprintOf('POST', '/v1/orders', request);
    return store.transaction((work) =>
      runIdempotent(work, { scope: 'POST /v1/orders', key, fingerprint }, async () => {
        const [outcome] = await placeOrders(work, [request]);
        if (!outcome?.accepted) return { statusCode: 409, body: { rejected: true } };
        return { statusCode: 201, body: { id: outcome.orderId } };
      }),
    );
  }

  it('same key and body replays once', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'I1', { onHand: 10 });
      const first = await placeOnce(t.store, 'key-1', body);
      const after = await footprint(t.store);
      const replay = await placeOnce(t.store, 'key-1', structuredClone(body));

      assert.equal(first.statusCode, 201);
      assert.equal(first.replayed, false);
      assert.equal(replay.replayed, true);
      assert.equal(replay.statusCode, 201);
      assert.deepEqual(replay.body, first.body);
      assert.deepEqual(await footprint(t.store), after);
      assert.equal(after.orders, 1);
      assert.deepEqual(await levelAt(t.store, 'I1'), { on_hand: 10, allocated: 2, available: 8 });
    } finally {
      await t.close();
    }
  });

  it('key reused with another body is rejected', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'I1', { onHand: 10 });
      await placeOnce(t.store, 'key-2', body);
      const after = await footprint(t.store);
      const other = { currency: 'USD', lines: [{ sku: 'I1', quantity: 3, unitPrice: 500 }] };

      await assert.rejects(placeOnce(t.store, 'key-2', other), { name: 'RestockError', code: 'idempotency_key_reused' });

      assert.deepEqual(await footprint(t.store), after);
      assert.deepEqual(await levelAt(t.store, 'I1'), { on_hand: 10, allocated: 2, available: 8 });
      const fresh = await placeOnce(t.store, 'key-3', other);
      assert.equal(fresh.replayed, false);
    } finally {
      await t.close();
    }
  });
});

describe(`durability (${testDatabase})`, () => {
  it('acknowledged order survives a process crash', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'D1', { onHand: 5 });

      // The child commits an order, writes its id, and kills itself at once
      // with SIGKILL, so no exit handler runs and the database is not closed.
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CRASHING_CHILD], {
        env: {
          ...process.env,
          CHILD_STORE_MODULE: new URL('../../src/store/store.ts', import.meta.url).href,
          CHILD_ORDER_MODULE: new URL('../../src/app/place-order.ts', import.meta.url).href,
          CHILD_DB_URL: t.url,
          CHILD_DB_SCHEMA: t.schema ?? '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      );

      assert.equal(exit.signal, 'SIGKILL', `child did not crash as planned: ${stderr}`);
      const orderId = stdout.trim();
      assert.match(orderId, /^ord_/);

      const reopened = await Store.open({ url: t.url, schema: t.schema, migrate: false });
      try {
        const order = await orderView(reopened, orderId);
        assert.equal(order.status, 'allocated');
        assert.deepEqual(await levelAt(reopened, 'D1'), { on_hand: 5, allocated: 2, available: 3 });
        await assertInvariants(reopened);
      } finally {
        await reopened.close();
      }
    } finally {
      await t.close();
    }
  });
});

const CRASHING_CHILD = `
import { writeSync } from 'node:fs';
const { Store } = await import(process.env.CHILD_STORE_MODULE);
const { placeOrders } = await import(process.env.CHILD_ORDER_MODULE);
const schema = process.env.CHILD_DB_SCHEMA || undefined;
const store = await Store.open({ url: process.env.CHILD_DB_URL, schema, migrate: false });
const [outcome] = await store.transaction((work) =>
  placeOrders(work, [{ currency: 'USD', lines: [{ sku: 'D1', quantity: 2, unitPrice: 700 }] }]),
);
writeSync(1, (outcome.accepted ? outcome.orderId : 'rejected') + '\\n');
process.kill(process.pid, 'SIGKILL');
`;
