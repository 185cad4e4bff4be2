import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { givenSku } from '../support/builders.js';
import { insertRows, padInList, updateByKey, type BulkUpdate } from '../../src/store/bulk.js';

const LEVELS: BulkUpdate = {
  table: 'stock_levels',
  key: 'sku',
  columns: [
    { name: 'on_hand', type: 'integer', mode: 'add' },
    { name: 'allocated', type: 'integer', mode: 'set' },
  ],
};

describe(`bulk writes (${testDatabase})`, () => {
  let t: TestStore;

  before(async () => {
    t = await openTestStore();
    for (const code of ['A', 'B', 'C', 'D']) await givenSku(t.store, code, { onHand: 10 });
  });
  after(async () => {
    await t.close();
  });

  it('insertRows writes rows in several statements', async () => {
    // 2,500 rows of 7 columns take statements of 1,024, 1,024, 256, 128, 64 and 4 rows.
    const rows = Array.from({ length: 2_500 }, (_, index) => ({
      id: `evt_bulk_${String(index).padStart(5, '0')}`,
      type: 'bulk.test',
      order_id: null,
      line_id: null,
      sku: index % 2 === 0 ? 'A' : null,
      data: JSON.stringify({ index }),
      created_at: '2026-03-02T12:00:00.000Z',
    }));
    await t.store.transaction((work) => insertRows(work, 'events', rows));

    const stored = await t.store.db.selectFrom('events').selectAll().where('type', '=', 'bulk.test').orderBy('id').execute();
    assert.equal(stored.length, 2_500);
    assert.equal(stored[0]!.id, 'evt_bulk_00000');
    assert.equal(stored[0]!.sku, 'A');
    assert.equal(stored[1]!.sku, null);
    assert.equal(JSON.parse(stored[2_499]!.data).index, 2_499);
  });

  it('updateByKey adds and sets per key', async () => {
    const rows = new Map([
      ['A', [5, 3]],
      ['C', [-4, 0]],
      ['D', [0, 6]],
    ]);
    await t.store.transaction((work) =>
      updateByKey(work, { ...LEVELS, constants: { updated_at: work.nowIso }, filters: { location: 'main' } }, rows),
    );

    const levels = await t.store.db.selectFrom('stock_levels').select(['sku', 'on_hand', 'allocated']).orderBy('sku').execute();
    assert.deepEqual(levels, [
      { sku: 'A', on_hand: 15, allocated: 3 },
      { sku: 'B', on_hand: 10, allocated: 0 },
      { sku: 'C', on_hand: 6, allocated: 0 },
      { sku: 'D', on_hand: 10, allocated: 6 },
    ]);
  });

  it('updateByKey rows pass CHECK constraints', async () => {
    await assert.rejects(
      t.store.transaction((work) => updateByKey(work, { ...LEVELS, filters: { location: 'main' } }, new Map([['B', [0, 11]]]))),
      /check|constraint/i,
    );
    const level = await t.store.db.selectFrom('stock_levels').select(['allocated']).where('sku', '=', 'B').executeTakeFirstOrThrow();
    assert.equal(level.allocated, 0);
  });

  it('updateByKey spans several statements', async () => {
    // 1,100 keys take three statements of at most 500 rows; only A to D exist.
    const rows = new Map<string, number[]>([['B', [1, 1]]]);
    for (let index = 0; index < 1_099; index += 1) rows.set(`missing-${index}`, [1, 1]);
    await t.store.transaction((work) => updateByKey(work, { ...LEVELS, filters: { location: 'main' } }, rows));

    const level = await t.store.db.selectFrom('stock_levels').select(['on_hand', 'allocated']).where('sku', '=', 'B').executeTakeFirstOrThrow();
    assert.deepEqual(level, { on_hand: 11, allocated: 1 });
  });

  it('insertRows skips rows on a key conflict', async () => {
    // evt_bulk_00000 was written by the first test with the type bulk.test.
    const rows = ['evt_bulk_00000', 'evt_bulk_new', 'evt_bulk_new'].map((id) => ({
      id,
      type: 'bulk.conflict',
      order_id: null,
      line_id: null,
      sku: null,
      data: '{}',
      created_at: '2026-03-02T12:00:00.000Z',
    }));
    await t.store.transaction((work) => insertRows(work, 'events', rows, { ignoreConflictOn: ['id'] }));

    const stored = await t.store.db
      .selectFrom('events')
      .select(['id', 'type'])
      .where('id', 'in', ['evt_bulk_00000', 'evt_bulk_new'])
      .orderBy('id')
      .execute();
    assert.deepEqual(stored, [
      { id: 'evt_bulk_00000', type: 'bulk.test' },
      { id: 'evt_bulk_new', type: 'bulk.conflict' },
    ]);
  });

  it('insertRows merges into the stored row on a key conflict', async () => {
    await givenSku(t.store, 'MERGE', { onHand: 10 });
    const row = (sku: string, onHand: number, updatedAt: string) => ({ sku, location: 'main', on_hand: onHand, allocated: 0, updated_at: updatedAt });
    const merge = { key: ['sku', 'location'], add: ['on_hand'], replace: ['updated_at'] };

    await t.store.transaction((work) => insertRows(work, 'stock_levels', [row('MERGE', 4, '2026-03-03T09:00:00.000Z')], { mergeOn: merge }));

    const level = await t.store.db.selectFrom('stock_levels').select(['on_hand', 'allocated', 'updated_at']).where('sku', '=', 'MERGE').executeTakeFirstOrThrow();
    assert.deepEqual(level, { on_hand: 14, allocated: 0, updated_at: '2026-03-03T09:00:00.000Z' });
  });
});

describe('padInList', () => {
  it('pads to a power of two with the last value', () => {
    assert.deepEqual(padInList(['a', 'b', 'c']), ['a', 'b', 'c', 'c']);
    assert.deepEqual(padInList(['a']), ['a']);
    assert.deepEqual(padInList([1, 2, 3, 4]), [1, 2, 3, 4]);
    assert.deepEqual(padInList([]), []);
  });
});
