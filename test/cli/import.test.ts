import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIssues } from '../../src/app/import/issues.js';
import type { ImportKind } from '../../src/app/import/plan.js';
import { readQueue } from '../../src/app/read-models.js';
import { importCsvFiles, type ImportOutcome } from '../../src/cli/import.js';
import type { Store } from '../../src/store/store.js';
import { assertInvariants, givenSku, orderView, placeAccepted, skuView } from '../support/builders.js';
import { openTestStore, testDatabase } from '../support/database.js';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** Imports (kind, path) pairs into the store. */
function importFiles(store: Store, files: [ImportKind, string][], dryRun = false): Promise<ImportOutcome> {
  return importCsvFiles(store, files.map(([kind, path]) => ({ kind, path })), { dryRun });
}

/** The formatted problems of an outcome that must be invalid. */
function problems(outcome: ImportOutcome): string[] {
  assert.equal(outcome.status, 'invalid', `expected problems, got ${JSON.stringify(outcome)}`);
  return formatIssues((outcome as { issues: Parameters<typeof formatIssues>[0] }).issues);
}

/** Writes CSV text to a file of that name in a new folder and returns its path. */
function csvFile(folders: string[], name: string, text: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'restock-csv-'));
  folders.push(folder);
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
}

async function countRows(store: Store, table: 'skus' | 'stock_movements' | 'events' | 'orders' | 'purchase_orders'): Promise<number> {
  const row = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

const SKU_HEADER = 'sku,name,policy,backorder_limit,low_stock_threshold,lead_time_days,handling_days,restock_date,release_date';

describe(`CSV import (${testDatabase})`, () => {
  it('reports a bad number with row, column and fix', async () => {
    const t = await openTestStore();
    const folders: string[] = [];
    try {
      const path = csvFile(folders, 'skus.csv', `${SKU_HEADER}\nTOTE,Tote,backorder,,0,,0,,\nLAMP,Lamp,backorder,,0,,0,,\nMUG,Mug,backorder,,0,,0,,\nCUP,Cup,backorder,,0,,0,,\nPEN,Pen,backorder,,0,,0,,\nRULER,Ruler,backorder,12x,0,,0,,\n`);

      const outcome = await importFiles(t.store, [['skus', path]]);

      assert.deepEqual(problems(outcome), [
        'skus.csv row 7, column backorder_limit: "12x" is not a whole number; use digits only, or leave it empty for no limit.',
      ]);
    } finally {
      await t.close();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reports several problems of one file at once', async () => {
    const t = await openTestStore();
    try {
      const outcome = await importFiles(t.store, [['skus', fixture('skus-invalid.csv')]]);

      assert.deepEqual(problems(outcome), [
        'skus-invalid.csv row 3, column sku: "BAD 2" must be 1-64 letters, digits, dots, underscores or hyphens.',
        'skus-invalid.csv row 4, column backorder_limit: "12x" is not a whole number; use digits only, or leave it empty for no limit.',
        'skus-invalid.csv row 5, column policy: "backorders" is not a valid policy; use one of stock_only, backorder, preorder, discontinued.',
        'skus-invalid.csv row 6, column restock_date: "2026-02-30" must be a date that exists.',
        'skus-invalid.csv row 7, column backorder_limit: "5" applies only to the backorder and preorder policies; send null or leave it out.',
      ]);
      assert.equal(await countRows(t.store, 'skus'), 0);
    } finally {
      await t.close();
    }
  });

  it('reports an unknown SKU', async () => {
    const t = await openTestStore();
    const folders: string[] = [];
    try {
      await givenSku(t.store, 'TOTE');
      const path = csvFile(folders, 'stock.csv', 'sku,location,on_hand\nTOTE,main,4\nTOTE-RED,main,2\n');

      const outcome = await importFiles(t.store, [['stock', path]]);

      assert.deepEqual(problems(outcome), [
        'stock.csv row 3, column sku: "TOTE-RED" is not a known SKU; create it first, for example with a skus file earlier in the same import.',
      ]);
      assert.equal((await skuView(t.store, 'TOTE')).on_hand, 0);
    } finally {
      await t.close();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    }
  });

  it('accepts a SKU defined earlier in the same import', async () => {
    const t = await openTestStore();
    try {
      const outcome = await importFiles(t.store, [['skus', fixture('skus.csv')], ['stock', fixture('stock.csv')]]);

      assert.equal(outcome.status, 'imported');
      assert.equal((await skuView(t.store, 'TOTE-NAVY')).on_hand, 4);
      assert.equal((await skuView(t.store, 'MUG-RED')).on_hand, 12);
    } finally {
      await t.close();
    }
  });

  it('matches column names in any case', async () => {
    const t = await openTestStore();
    const folders: string[] = [];
    try {
      await givenSku(t.store, 'TOTE');
      const path = csvFile(folders, 'stock.csv', 'SKU,Location,On_Hand\nTOTE,main,4\n');

      const outcome = await importFiles(t.store, [['stock', path]]);

      assert.equal(outcome.status, 'imported');
      assert.equal((await skuView(t.store, 'TOTE')).on_hand, 4);
    } finally {
      await t.close();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reports a missing column once with the expected header', async () => {
    const t = await openTestStore();
    try {
      const outcome = await importFiles(t.store, [['skus', fixture('skus.csv')], ['stock', fixture('stock-without-on-hand.csv')]]);

      assert.deepEqual(problems(outcome), [
        'stock-without-on-hand.csv row 1, column count: "count" is not a column of a stock file; rename or remove it. Expected a header such as sku,location,on_hand,allocated,available',
        'stock-without-on-hand.csv row 1: the required column on_hand is missing; add it to the header. Expected a header such as sku,location,on_hand,allocated,available',
      ]);
      assert.equal(await countRows(t.store, 'skus'), 0);
    } finally {
      await t.close();
    }
  });

  it('reports bad dates and timestamps', async () => {
    const t = await openTestStore();
    const folders: string[] = [];
    try {
      await givenSku(t.store, 'LAMP', { policy: 'backorder' });
      const orders = csvFile(
        folders,
        'purchase-orders.csv',
        'reference,location,expected_date,sku,quantity\nPO-1,main,01/04/2026,LAMP,5\nPO-2,main,2026-04-31,LAMP,5\n',
      );
      const backorders = csvFile(
        folders,
        'backorders.csv',
        'external_id,customer_email,sku,quantity,unit_price,currency,placed_at,priority\n9,,LAMP,1,100,USD,2026-02-10 09:00,0\n10,,LAMP,1,100,USD,2027-01-01T00:00:00Z,0\n',
      );

      const outcome = await importFiles(t.store, [['purchase-orders', orders], ['backorders', backorders]]);

      assert.deepEqual(problems(outcome), [
        'purchase-orders.csv row 2, column expected_date: "01/04/2026" must be a date as YYYY-MM-DD.',
        'purchase-orders.csv row 3, column expected_date: "2026-04-31" must be a date that exists.',
        'backorders.csv row 2, column placed_at: "2026-02-10 09:00" must be an RFC 3339 timestamp with a time zone, such as 2026-03-02T12:00:00Z.',
        'backorders.csv row 3, column placed_at: "2027-01-01T00:00:00Z" is in the future; use the time the order was placed.',
      ]);
    } finally {
      await t.close();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reports rows that do not fit their neighbours', async () => {
    const t = await openTestStore();
    const folders: string[] = [];
    try {
      await givenSku(t.store, 'LAMP', { policy: 'backorder' });
      const orders = csvFile(
        folders,
        'purchase-orders.csv',
        'reference,location,expected_date,sku,quantity\nPO-1,main,2026-04-01,LAMP,5\nPO-1,main,2026-04-02,LAMP,5\nPO-2,depot,2026-04-01,LAMP,0\nPO-3,main,2026-04-01,LAMP,5,extra\n',
      );
      const stock = csvFile(folders, 'stock.csv', 'sku,location,on_hand\nLAMP,main,4\nLAMP,,5\n');

      const outcome = await importFiles(t.store, [['purchase-orders', orders], ['stock', stock]]);

      assert.deepEqual(problems(outcome), [
        'purchase-orders.csv row 3, column expected_date: "2026-04-02" differs from "2026-04-01" on row 2; every row of purchase order PO-1 must have the same expected_date.',
        'purchase-orders.csv row 4, column quantity: "0" must be at least 1.',
        'purchase-orders.csv row 5: has 6 values but the header has 5 columns; check for a missing or extra comma, and quote values that contain commas.',
        'stock.csv row 3, column sku: "LAMP" at location main is already counted on row 2; keep one row per SKU and location.',
      ]);
    } finally {
      await t.close();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    }
  });

  it('writes nothing when a later file has an error', async () => {
    const t = await openTestStore();
    const folders: string[] = [];
    try {
      const events = await countRows(t.store, 'events');
      const stock = csvFile(folders, 'stock.csv', 'sku,location,on_hand\nTOTE-NAVY,main,4\nMUG-RED,main,-1\n');

      const outcome = await importFiles(t.store, [['skus', fixture('skus.csv')], ['stock', stock]]);

      assert.deepEqual(problems(outcome), ['stock.csv row 3, column on_hand: "-1" must not be negative.']);
      assert.equal(await countRows(t.store, 'skus'), 0);
      assert.equal(await countRows(t.store, 'stock_movements'), 0);
      assert.equal(await countRows(t.store, 'events'), events);
    } finally {
      await t.close();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    }
  });

  it('writes nothing when the engine rejects an order', async () => {
    const t = await openTestStore();
    const folders: string[] = [];
    try {
      const events = await countRows(t.store, 'events');
      const backorders = csvFile(
        folders,
        'backorders.csv',
        'external_id,customer_email,sku,quantity,unit_price,currency,placed_at,priority\n1,,LAMP-01,2,4500,USD,2026-02-20T10:00:00Z,0\n2,,MUG-RED,3,900,USD,2026-02-21T10:00:00Z,0\n',
      );

      const outcome = await importFiles(t.store, [
        ['skus', fixture('skus.csv')],
        ['purchase-orders', fixture('purchase-orders.csv')],
        ['backorders', backorders],
      ]);

      assert.deepEqual(problems(outcome), [
        'backorders.csv row 3, column sku: "MUG-RED" could not be ordered: insufficient_stock (at most 0 units could be ordered); its policy sells only from stock; give the SKU the backorder policy, or count in stock first.',
      ]);
      assert.equal(await countRows(t.store, 'skus'), 0);
      assert.equal(await countRows(t.store, 'purchase_orders'), 0);
      assert.equal(await countRows(t.store, 'orders'), 0);
      assert.equal(await countRows(t.store, 'stock_movements'), 0);
      assert.equal(await countRows(t.store, 'events'), events);
    } finally {
      await t.close();
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reports an order already imported', async () => {
    const t = await openTestStore();
    try {
      const files: [ImportKind, string][] = [['skus', fixture('skus.csv')], ['backorders', fixture('backorders.csv')]];
      assert.equal((await importFiles(t.store, files)).status, 'imported');

      const again = await importFiles(t.store, [['backorders', fixture('backorders.csv')]]);

      assert.deepEqual(problems(again).slice(0, 2), [
        'backorders.csv row 2, column external_id: "1042" is the external id of an order already stored; remove the rows of orders that were imported before.',
        'backorders.csv row 3, column external_id: "1041" is the external id of an order already stored; remove the rows of orders that were imported before.',
      ]);
      assert.equal(await countRows(t.store, 'orders'), 3);
    } finally {
      await t.close();
    }
  });

  it('dry run checks everything and writes nothing', async () => {
    const t = await openTestStore();
    try {
      const events = await countRows(t.store, 'events');

      const outcome = await importFiles(
        t.store,
        [['skus', fixture('skus.csv')], ['stock', fixture('stock.csv')], ['purchase-orders', fixture('purchase-orders.csv')], ['backorders', fixture('backorders.csv')]],
        true,
      );

      assert.deepEqual(outcome, {
        status: 'checked',
        files: ['skus.csv', 'stock.csv', 'purchase-orders.csv', 'backorders.csv'],
        counts: { skus: 3, stockLevels: 2, purchaseOrders: 2, purchaseOrderLines: 3, orders: 3, orderLines: 4 },
      });
      assert.equal(await countRows(t.store, 'skus'), 0);
      assert.equal(await countRows(t.store, 'events'), events);
    } finally {
      await t.close();
    }
  });

  it('imports every kind in one transaction', async () => {
    const t = await openTestStore();
    try {
      const outcome = await importFiles(t.store, [
        ['skus', fixture('skus.csv')],
        ['stock', fixture('stock.csv')],
        ['purchase-orders', fixture('purchase-orders.csv')],
        ['backorders', fixture('backorders.csv')],
      ]);

      assert.equal(outcome.status, 'imported');
      const tote = await skuView(t.store, 'TOTE-NAVY');
      assert.equal(tote.name, 'Canvas tote, navy');
      assert.equal(tote.backorder_limit, 200);
      assert.equal(tote.lead_time_days, 21);
      assert.deepEqual([tote.on_hand, tote.allocated, tote.inbound], [4, 1, 50]);
      const lamp = await skuView(t.store, 'LAMP-01');
      assert.deepEqual([lamp.backordered, lamp.inbound], [6, 30]);
      const movements = await t.store.db.selectFrom('stock_movements').select(['sku', 'kind', 'on_hand_delta', 'reason']).where('kind', '=', 'adjustment').orderBy('id').execute();
      assert.deepEqual(movements, [
        { sku: 'TOTE-NAVY', kind: 'adjustment', on_hand_delta: 4, reason: 'import' },
        { sku: 'MUG-RED', kind: 'adjustment', on_hand_delta: 12, reason: 'import' },
      ]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('places backorders in queue order at their placement time', async () => {
    const t = await openTestStore();
    try {
      const outcome = await importFiles(t.store, [
        ['skus', fixture('skus.csv')],
        ['purchase-orders', fixture('purchase-orders.csv')],
        ['backorders', fixture('backorders-shuffled.csv')],
      ]);
      assert.equal(outcome.status, 'imported');

      const queue = await readQueue(t.store.db, 'LAMP-01');
      const orders = await Promise.all(queue.map((entry) => orderView(t.store, entry.order_id)));
      assert.deepEqual(orders.map((order) => order.external_id), ['2004', '2001', '2002', '2003']);
      assert.deepEqual(queue.map((entry) => entry.placed_at), [
        '2026-02-13T09:00:00.000Z',
        '2026-02-10T09:00:00.000Z',
        '2026-02-11T09:00:00.000Z',
        '2026-02-12T09:00:00.000Z',
      ]);
      assert.deepEqual(queue.map((entry) => entry.backordered), [4, 2, 3, 1]);
      assert.deepEqual(orders[2]!.lines.map((line) => [line.sku, line.quantity]), [['TOTE-NAVY', 1], ['LAMP-01', 3]]);
      assert.deepEqual(orders.map((order) => order.priority), [5, 0, 0, 0]);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('older imported backorders queue ahead of newer orders', async () => {
    const t = await openTestStore();
    try {
      await givenSku(t.store, 'LAMP-01', { policy: 'backorder' });
      await givenSku(t.store, 'TOTE-NAVY', { policy: 'backorder' });
      const live = await placeAccepted(t.store, [['LAMP-01', 1, 4500]], { externalId: 'live' });

      const outcome = await importFiles(t.store, [['backorders', fixture('backorders-shuffled.csv')]]);
      assert.equal(outcome.status, 'imported');

      const queue = await readQueue(t.store.db, 'LAMP-01');
      assert.equal(queue.at(-1)!.order_id, live.id);
      assert.equal(queue.length, 5);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });
});
