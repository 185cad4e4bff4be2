import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { assertInvariants } from '../support/builders.js';
import type { RunFigures } from '../../src/app/replay/metrics.js';
import { buildReport } from '../../src/app/replay/report.js';
import { renderHtml } from '../../src/app/replay/report-html.js';
import { renderText } from '../../src/app/replay/report-text.js';
import { HEADER, historyFrom, replayCsv, testSettings } from './support.js';

// Monday 2 March 2026, five units of each SKU on hand, a two-day lead time.
// 1001 gets its 3 TOTE and 5 of its 8 MUG from stock; 3 MUG wait. The
// supplier orders 25 TOTE (up to 9 days of 3 a day, 2 on hand) and 75 MUG
// (9 days of 8 a day, plus the 3 waiting), both due Wednesday 4 March. On
// Tuesday 1002 takes a TOTE from stock and the customer of 1001 cancels one
// waiting MUG; the other 2 ship when the purchase order arrives.
const HISTORY = [
  '1001,TOTE,Canvas tote,3,2026-03-02 09:00:00,2.00,17850.0,United Kingdom',
  '1001,MUG,Enamel mug,8,2026-03-02 09:00:00,1.50,17850.0,United Kingdom',
  '1002,TOTE,Canvas tote,1,2026-03-03 09:00:00,2.00,13047.0,United Kingdom',
  'C1003,MUG,Enamel mug,-1,2026-03-03 10:00:00,1.50,17850.0,United Kingdom',
];

function replay(t: TestStore): Promise<RunFigures> {
  return replayCsv(t, HISTORY, { openingStock: { units: 5 }, leadTimeDays: 2 });
}

describe(`replay end to end (${testDatabase})`, () => {
  it('reports fill rate and backordered lines', async () => {
    const t = await openTestStore();
    try {
      const figures = await replay(t);

      assert.deepEqual(figures.orders, { placed: 2, trimmed: 0, lost: 0 });
      assert.deepEqual(figures.lines, { placed: 3, backordered: 1, backorderedShare: 1 / 3 });
      assert.deepEqual(figures.units, { demanded: 12, placed: 12, fromStock: 9, backordered: 3, lost: 0, fillRate: 0.75 });
      assert.deepEqual(figures.amounts, { demanded: 2000, placed: 2000, lost: 0 });
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('reports waits, promises and supply', async () => {
    const t = await openTestStore();
    try {
      const figures = await replay(t);

      // Waits of 0 (TOTE, Monday), 0 (TOTE, Tuesday) and 2 days (MUG, shipped Wednesday, as promised).
      assert.deepEqual(figures.wait, { shippedLines: 3, meanDays: 2 / 3, p95Days: 2, maxDays: 2 });
      assert.deepEqual(figures.promises, { withPromise: 3, byPromise: 3, delayNoticeLines: 0, delayNotices: 0, byPromiseShare: 1 });
      assert.deepEqual(figures.purchasing, { orders: 2, units: 100, receivedUnits: 100, late: 0, short: 0 });
      assert.deepEqual(figures.cancellations, { rows: 1, matched: 1, partiallyMatched: 0, unmatched: 0, units: 1, refunded: 150 });
      assert.deepEqual(figures.openAtEnd, { lines: 0, backorderedUnits: 0, allocatedUnits: 0 });
      assert.equal(figures.invariants.violations, 0);
    } finally {
      await t.close();
    }
  });

  it('reports the week and the SKU with backorders', async () => {
    const t = await openTestStore();
    try {
      const figures = await replay(t);

      assert.equal(figures.weekly.length, 1);
      assert.deepEqual(figures.weekly[0], {
        week: '2026-03-02',
        orders: 2,
        lines: 3,
        units: 12,
        backorderedLines: 1,
        backorderedUnits: 3,
        lostUnits: 0,
        lostAmount: 0,
        shippedLines: 3,
        meanWaitDays: 2 / 3,
        delayNotices: 0,
      });
      assert.deepEqual(figures.topSkus, [
        { sku: 'MUG', name: 'Enamel mug', lines: 1, units: 8, backorderedLines: 1, backorderedUnits: 3, meanBackorderWaitDays: 2, lostUnits: 0 },
      ]);
    } finally {
      await t.close();
    }
  });

  it('stock_only cuts orders to the stock and counts the lost sales', async () => {
    const t = await openTestStore();
    try {
      const figures = await replayCsv(t, HISTORY, { policy: 'stock_only', openingStock: { units: 5 }, leadTimeDays: 2 });

      // 1001 orders 8 MUG with 5 in stock, so it is placed again with 5.
      assert.deepEqual(figures.orders, { placed: 2, trimmed: 1, lost: 0 });
      assert.equal(figures.units.lost, 3);
      assert.equal(figures.amounts.lost, 450);
      assert.equal(figures.units.fillRate, 1);
      // The cancellation finds the MUG line already shipped on Monday.
      assert.equal(figures.cancellations.unmatched, 1);
      await assertInvariants(t.store);
    } finally {
      await t.close();
    }
  });

  it('renders the report as text and as HTML without scripts', async () => {
    const t = await openTestStore();
    try {
      const history = await historyFrom(`${HEADER}\n${HISTORY.join('\n')}\n`);
      const figures = await replay(t);
      const report = buildReport('history.csv', history, 0.1, testSettings({ openingStock: { units: 5 }, leadTimeDays: 2 }), 'test', [figures]);

      const text = renderText(report);
      assert.match(text, /fill rate \(units from stock\)\s+75\.0%/);
      assert.match(text, /95th percentile wait\s+2 days/);
      const html = renderHtml(report);
      assert.equal((html.match(/<svg /g) ?? []).length, 4);
      assert.doesNotMatch(html, /<script|<link|https?:\/\/(?!www\.w3\.org)/);
    } finally {
      await t.close();
    }
  });
});
