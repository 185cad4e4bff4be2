import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upsertLocation } from '../../src/app/catalog.js';
import { createPurchaseOrder, receive } from '../../src/app/purchase-orders.js';
import { shipOrder } from '../../src/app/ship-order.js';
import { adjustStock } from '../../src/app/stock.js';
import { exportCsv } from '../../src/cli/export.js';
import { importCsvFiles } from '../../src/cli/import.js';
import type { ExportKind } from '../../src/cli/csv/schemas.js';
import type { Store } from '../../src/store/store.js';
import { assertInvariants, givenSku, placeAccepted } from '../support/builders.js';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';

const ROUND_TRIP_KINDS = ['skus', 'stock', 'purchase-orders', 'backorders'] as const;

/** Exports a kind to a file in `folder` and returns the file's text. */
async function exportText(store: Store, kind: ExportKind, folder: string, prefix: string, sku?: string): Promise<string> {
  const out = join(folder, `${prefix}-${kind}.csv`);
  await exportCsv(store, kind, { out, sku });
  return readFileSync(out, 'utf8');
}

/**
 * Builds a store with a second location, every policy, partly received
 * inbound supply, shipped stock and queues on three SKUs, with each order
 * placed a minute after the one before.
 */
async function buildStore(t: TestStore): Promise<void> {
  const { store, clock } = t;
  await store.transaction((work) => upsertLocation(work, 'east', { name: 'East', timeZone: 'America/New_York' }));
  await givenSku(store, 'TOTE', { name: 'Canvas tote, navy', policy: 'backorder', backorderLimit: 200, leadTimeDays: 21, handlingDays: 1, lowStockThreshold: 5 });
  await givenSku(store, 'LAMP', { name: 'Desk lamp', policy: 'backorder', leadTimeDays: 30 });
  await givenSku(store, 'MUG', { name: 'Mug "red"', policy: 'stock_only', onHand: 12 });
  await givenSku(store, 'PEN', { name: 'Pen', policy: 'preorder', releaseDate: '2026-04-10' });
  await givenSku(store, 'OLD', { name: 'Old model', policy: 'discontinued', onHand: 3, restockDate: '2026-06-01' });
  await store.transaction((work) => adjustStock(work, { sku: 'MUG', location: 'east', quantityDelta: 5, reason: 'count' }));

  await store.transaction((work) =>
    createPurchaseOrder(work, { reference: 'PO-1', expectedDate: '2026-04-01', lines: [{ sku: 'TOTE', quantity: 50 }, { sku: 'LAMP', quantity: 10 }] }),
  );
  await store.transaction((work) => createPurchaseOrder(work, { reference: 'PO-2', expectedDate: '2026-05-15', lines: [{ sku: 'LAMP', quantity: 20 }] }));
  const mugs = await store.transaction((work) =>
    createPurchaseOrder(work, { reference: 'PO-3', location: 'east', expectedDate: '2026-03-20', lines: [{ sku: 'MUG', quantity: 10 }] }),
  );
  await store.transaction((work) => receive(work, mugs, [{ sku: 'MUG', quantity: 4 }]));

  const orders: [string, [string, number, number][], { email?: string; priority?: number }][] = [
    ['1001', [['TOTE', 3, 2400]], { email: 'a@example.com' }],
    ['1002', [['LAMP', 2, 4500], ['TOTE', 1, 2400]], { email: 'b@example.com' }],
    ['1003', [['LAMP', 5, 4300]], { priority: 2 }],
    ['1004', [['PEN', 1, 350]], { email: 'c@example.com' }],
  ];
  for (const [externalId, lines, { email, priority }] of orders) {
    clock.advance(60_000);
    await placeAccepted(store, lines, { externalId, priority, customer: email ? { email } : undefined });
  }

  clock.advance(60_000);
  const shipped = await placeAccepted(store, [['MUG', 2, 900]], { externalId: '1005' });
  await store.transaction((work) => shipOrder(work, shipped.id, { lines: [{ lineId: shipped.lines[0]!.id, quantity: 2 }] }));
}

describe(`CSV export (${testDatabase})`, () => {
  it('round trip gives equal data on an empty database', async () => {
    const source = await openTestStore();
    const target = await openTestStore();
    const folder = mkdtempSync(join(tmpdir(), 'restock-export-'));
    try {
      await buildStore(source);
      target.clock.set(source.clock.now());
      await target.store.transaction((work) => upsertLocation(work, 'east', { name: 'East', timeZone: 'America/New_York' }));

      const exported = new Map<string, string>();
      for (const kind of ROUND_TRIP_KINDS) exported.set(kind, await exportText(source.store, kind, folder, 'source'));
      const outcome = await importCsvFiles(
        target.store,
        ROUND_TRIP_KINDS.map((kind) => ({ kind, path: join(folder, `source-${kind}.csv`) })),
      );
      assert.equal(outcome.status, 'imported', JSON.stringify(outcome));

      for (const kind of ROUND_TRIP_KINDS) {
        assert.equal(await exportText(target.store, kind, folder, 'target'), exported.get(kind), `${kind} differs after the round trip`);
      }
      await assertInvariants(target.store);
    } finally {
      await source.close();
      await target.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('exports the queue in queue order with dates', async () => {
    const t = await openTestStore();
    const folder = mkdtempSync(join(tmpdir(), 'restock-export-'));
    try {
      await buildStore(t);

      const text = await exportText(t.store, 'backorders', folder, 'queue');

      assert.deepEqual(text.trimEnd().split('\n'), [
        'external_id,customer_email,sku,quantity,unit_price,currency,placed_at,priority,queue_position,promised_ship_date,estimated_ship_date',
        '1003,,LAMP,5,4300,USD,2026-03-02T12:03:00.000Z,2,1,2026-04-01,2026-04-01',
        '1002,b@example.com,LAMP,2,4500,USD,2026-03-02T12:02:00.000Z,0,2,2026-04-01,2026-04-01',
        '1004,c@example.com,PEN,1,350,USD,2026-03-02T12:04:00.000Z,0,1,,',
        '1001,a@example.com,TOTE,3,2400,USD,2026-03-02T12:01:00.000Z,0,1,2026-04-02,2026-04-02',
        '1002,b@example.com,TOTE,1,2400,USD,2026-03-02T12:02:00.000Z,0,2,2026-04-02,2026-04-02',
      ]);
    } finally {
      await t.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('exports stock levels and open purchase-order lines', async () => {
    const t = await openTestStore();
    const folder = mkdtempSync(join(tmpdir(), 'restock-export-'));
    try {
      await buildStore(t);

      const stock = await exportText(t.store, 'stock', folder, 'levels');
      const purchaseOrders = await exportText(t.store, 'purchase-orders', folder, 'inbound');

      assert.deepEqual(stock.trimEnd().split('\n'), [
        'sku,location,on_hand,allocated,available',
        'LAMP,main,0,0,0',
        'MUG,east,7,0,7',
        'MUG,main,12,0,12',
        'OLD,main,3,0,3',
        'PEN,main,0,0,0',
        'TOTE,main,0,0,0',
      ]);
      assert.deepEqual(purchaseOrders.trimEnd().split('\n'), [
        'reference,location,expected_date,sku,quantity',
        'PO-3,east,2026-03-20,MUG,6',
        'PO-1,main,2026-04-01,TOTE,50',
        'PO-1,main,2026-04-01,LAMP,10',
        'PO-2,main,2026-05-15,LAMP,20',
      ]);
    } finally {
      await t.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('exports the ledger of one SKU', async () => {
    const t = await openTestStore();
    const folder = mkdtempSync(join(tmpdir(), 'restock-export-'));
    try {
      await buildStore(t);

      const text = await exportText(t.store, 'ledger', folder, 'ledger', 'MUG');

      const [header, ...rows] = text.trimEnd().split('\n').map((line) => line.split(','));
      assert.deepEqual(header, [
        'id', 'created_at', 'sku', 'location', 'kind', 'on_hand_delta', 'allocated_delta', 'reason',
        'order_id', 'line_id', 'purchase_order_id', 'receipt_id', 'shipment_id', 'return_id',
      ]);
      assert.deepEqual(rows.map((row) => row.slice(2, 8)), [
        ['MUG', 'main', 'adjustment', '12', '0', 'initial count'],
        ['MUG', 'east', 'adjustment', '5', '0', 'count'],
        ['MUG', 'east', 'receipt', '4', '0', ''],
        ['MUG', 'east', 'allocation', '0', '2', ''],
        ['MUG', 'east', 'shipment', '-2', '-2', ''],
      ]);
    } finally {
      await t.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
