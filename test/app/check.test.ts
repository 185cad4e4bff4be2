import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openTestStore, testDatabase } from '../support/database.js';
import { givenSku, placeAccepted } from '../support/builders.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { checkInvariants } from '../../src/app/check.js';
import { newId } from '../../src/store/ids.js';
import type { Store } from '../../src/store/store.js';

// Each test builds a healthy store, breaks one thing with direct SQL, and
// asserts the exact violations the check reports for the broken invariant.
// Other rules may report the same damage too; only the healthy store is
// checked for an empty report.

interface Healthy {
  holder: { order: string; line: string };
  waiter: { order: string; line: string };
  refunded: { order: string; line: string };
}

/**
 * SKU CK (backorder) has 3 on hand: `holder` has 2 allocated, `waiter` has
 * 1 allocated and 2 waiting. SKU CM (stock_only) has 5 on hand: `refunded`
 * bought 2 up front at 1000 and cancelled 1 of them.
 */
async function givenHealthyStore(store: Store): Promise<Healthy> {
  await givenSku(store, 'CK', { policy: 'backorder', onHand: 3 });
  const holder = await placeAccepted(store, [['CK', 2, 1000]]);
  const waiter = await placeAccepted(store, [['CK', 3, 1000]]);

  await givenSku(store, 'CM', { onHand: 5 });
  const refunded = await placeAccepted(store, [['CM', 2, 1000]]);
  const refundedLine = refunded.lines[0]!.id;
  await store.transaction((work) =>
    cancelOrder(work, refunded.id, { lines: [{ lineId: refundedLine, quantity: 1 }], reason: 'fewer' }),
  );

  return {
    holder: { order: holder.id, line: holder.lines[0]!.id },
    waiter: { order: waiter.id, line: waiter.lines[0]!.id },
    refunded: { order: refunded.id, line: refundedLine },
  };
}

type Reported = { invariant: string; ids: Record<string, string> };

function byInvariantThenIds(a: Reported, b: Reported): number {
  const left = a.invariant + JSON.stringify(a.ids);
  const right = b.invariant + JSON.stringify(b.ids);
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

/**
 * Runs the check and returns, without messages and in a stable order, the
 * violations of the named invariants: a number such as `'4'` names every
 * rule of that invariant, other names match exactly.
 */
async function reported(store: Store, ...invariants: string[]): Promise<Reported[]> {
  const named = (invariant: string) => invariants.some((name) => invariant === name || invariant.startsWith(`${name} `));
  const violations = await checkInvariants(store.db);
  return violations
    .filter((violation) => invariants.length === 0 || named(violation.invariant))
    .map(({ invariant, ids }) => ({ invariant, ids }))
    .sort(byInvariantThenIds);
}

function sortedLike(expected: Reported[]): Reported[] {
  return [...expected].sort(byInvariantThenIds);
}

/**
 * Lifts a CHECK constraint so a test can store what the schema forbids: on
 * PostgreSQL by dropping it, on SQLite by ignoring CHECK constraints on the
 * store's only connection.
 */
async function liftCheck(store: Store, table: string, constraint: string): Promise<void> {
  if (store.kind === 'postgres') {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.ref(constraint)}`.execute(store.db);
  } else {
    await sql`pragma ignore_check_constraints = on`.execute(store.db);
  }
}

/** Adds a ledger row and applies it to the level, as a correct adjustment would. */
async function recordAdjustment(store: Store, sku: string, onHandDelta: number): Promise<void> {
  await store.db
    .insertInto('stock_movements')
    .values({
      id: newId('mov'),
      sku,
      location: 'main',
      kind: 'adjustment',
      on_hand_delta: onHandDelta,
      allocated_delta: 0,
      order_id: null,
      line_id: null,
      purchase_order_id: null,
      receipt_id: null,
      shipment_id: null,
      reason: 'direct SQL in a test',
      created_at: new Date().toISOString(),
    })
    .execute();
  await store.db
    .updateTable('stock_levels')
    .set((eb) => ({ on_hand: eb('on_hand', '+', onHandDelta) }))
    .where('sku', '=', sku)
    .where('location', '=', 'main')
    .execute();
}

describe(`invariant check (${testDatabase})`, () => {
  it('healthy store has no violations', async () => {
    const t = await openTestStore();
    try {
      await givenHealthyStore(t.store);
      assert.deepEqual(await reported(t.store), []);
    } finally {
      await t.close();
    }
  });

  it('allocated above on hand is reported', async () => {
    const t = await openTestStore();
    try {
      await givenHealthyStore(t.store);
      await liftCheck(t.store, 'stock_levels', 'stock_levels_counts');
      // The ledger row keeps the level equal to its movements.
      await recordAdjustment(t.store, 'CK', -1);

      assert.deepEqual(await reported(t.store, '1'), [{ invariant: '1 allocated within on hand', ids: { sku: 'CK', location: 'main' } }]);
    } finally {
      await t.close();
    }
  });

  it('movement with a lowered delta is reported', async () => {
    const t = await openTestStore();
    try {
      await givenHealthyStore(t.store);
      await t.store.db
        .updateTable('stock_movements')
        .set((eb) => ({ on_hand_delta: eb('on_hand_delta', '-', 1) }))
        .where('sku', '=', 'CK')
        .where('kind', '=', 'adjustment')
        .execute();

      assert.deepEqual(await reported(t.store, '2'), [{ invariant: '2 level equals its movements', ids: { sku: 'CK', location: 'main' } }]);
    } finally {
      await t.close();
    }
  });

  it('deleted movement is reported', async () => {
    const t = await openTestStore();
    try {
      const { holder } = await givenHealthyStore(t.store);
      await t.store.db.deleteFrom('stock_movements').where('line_id', '=', holder.line).execute();

      assert.deepEqual(await reported(t.store, '2'), [{ invariant: '2 level equals its movements', ids: { sku: 'CK', location: 'main' } }]);
    } finally {
      await t.close();
    }
  });

  it('line counts beyond quantity are reported', async () => {
    const t = await openTestStore();
    try {
      const { holder } = await givenHealthyStore(t.store);
      await liftCheck(t.store, 'order_lines', 'order_lines_counts');
      await t.store.db.updateTable('order_lines').set({ allocated: 3 }).where('id', '=', holder.line).execute();

      // Both rules of the invariant fail, because 3 of 2 units are bound and
      // the counts no longer add up to the quantity. The line's allocations
      // still hold 2, so they disagree too.
      assert.deepEqual(
        await reported(t.store, '3', '4'),
        sortedLike([
          { invariant: '3 line units within quantity', ids: holder },
          { invariant: '3 line units within quantity', ids: holder },
          { invariant: '4 allocations sum to allocated', ids: holder },
        ]),
      );
    } finally {
      await t.close();
    }
  });

  it('line counts moved within quantity are reported', async () => {
    const t = await openTestStore();
    try {
      const { holder } = await givenHealthyStore(t.store);
      // One allocated unit is recounted as backordered. The sum stays right,
      // so the CHECK constraint allows it, but nothing else agrees.
      await t.store.db.updateTable('order_lines').set({ allocated: 1, backordered: 1 }).where('id', '=', holder.line).execute();

      assert.deepEqual(
        await reported(t.store, '3', '4', 'line status', 'order status', 'queue total'),
        sortedLike([
          { invariant: '4 allocations sum to allocated', ids: holder },
          { invariant: 'line status', ids: holder },
          { invariant: 'order status', ids: { order: holder.order } },
          { invariant: 'queue total', ids: { sku: 'CK' } },
        ]),
      );
    } finally {
      await t.close();
    }
  });

  it('allocations not matching allocated are reported', async () => {
    const t = await openTestStore();
    try {
      const { holder } = await givenHealthyStore(t.store);
      await t.store.db
        .updateTable('line_allocations')
        .set((eb) => ({ quantity: eb('quantity', '-', 1) }))
        .where('line_id', '=', holder.line)
        .execute();

      assert.deepEqual(
        await reported(t.store, '4'),
        sortedLike([
          { invariant: '4 allocations sum to allocated', ids: { sku: 'CK', location: 'main' } },
          { invariant: '4 allocations sum to allocated', ids: holder },
        ]),
      );
    } finally {
      await t.close();
    }
  });

  it('stock available while a line waits is reported', async () => {
    const t = await openTestStore();
    try {
      const { waiter } = await givenHealthyStore(t.store);
      await recordAdjustment(t.store, 'CK', 1);

      assert.deepEqual(await reported(t.store, '5'), [
        { invariant: '5 queue served before available', ids: { sku: 'CK', location: 'main', line: waiter.line } },
      ]);
    } finally {
      await t.close();
    }
  });

  it('changed refunded amount is reported', async () => {
    const t = await openTestStore();
    try {
      const { refunded } = await givenHealthyStore(t.store);
      await t.store.db.updateTable('orders').set({ refunded: 2000 }).where('id', '=', refunded.order).execute();

      assert.deepEqual(await reported(t.store, '6'), [
        { invariant: '6 refunded matches units refunded', ids: { order: refunded.order } },
      ]);
    } finally {
      await t.close();
    }
  });

  it('refunded above captured is reported', async () => {
    const t = await openTestStore();
    try {
      const { refunded } = await givenHealthyStore(t.store);
      await liftCheck(t.store, 'orders', 'orders_money');
      await t.store.db.updateTable('orders').set({ refunded: 3000 }).where('id', '=', refunded.order).execute();

      assert.deepEqual(
        await reported(t.store, '6'),
        sortedLike([
          { invariant: '6 refunded within captured', ids: { order: refunded.order } },
          { invariant: '6 refunded matches units refunded', ids: { order: refunded.order } },
        ]),
      );
    } finally {
      await t.close();
    }
  });

  it('cancelled unit left unrefunded is reported', async () => {
    const t = await openTestStore();
    try {
      const { refunded } = await givenHealthyStore(t.store);
      await t.store.db.updateTable('order_lines').set({ refunded_units: 0 }).where('id', '=', refunded.line).execute();

      assert.deepEqual(
        await reported(t.store, '6'),
        [{ invariant: '6 captured cancelled unit refunded once', ids: refunded }],
      );
    } finally {
      await t.close();
    }
  });

  it('changed captured amount is reported', async () => {
    const t = await openTestStore();
    try {
      const { refunded } = await givenHealthyStore(t.store);
      await t.store.db.updateTable('orders').set({ captured: 1500 }).where('id', '=', refunded.order).execute();

      assert.deepEqual(await reported(t.store, '6'), [{ invariant: '6 captured matches units paid', ids: { order: refunded.order } }]);
    } finally {
      await t.close();
    }
  });

  it('stale order status is reported', async () => {
    const t = await openTestStore();
    try {
      const { waiter } = await givenHealthyStore(t.store);
      await t.store.db.updateTable('orders').set({ status: 'shipped' }).where('id', '=', waiter.order).execute();

      assert.deepEqual(await reported(t.store, 'order status'), [{ invariant: 'order status', ids: { order: waiter.order } }]);
    } finally {
      await t.close();
    }
  });

  it('stale queue total is reported', async () => {
    const t = await openTestStore();
    try {
      await givenHealthyStore(t.store);
      await t.store.db.updateTable('skus').set({ backordered: 5 }).where('code', '=', 'CK').execute();

      assert.deepEqual(await reported(t.store, 'queue total'), [{ invariant: 'queue total', ids: { sku: 'CK' } }]);
    } finally {
      await t.close();
    }
  });
});
