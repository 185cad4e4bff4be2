import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStore, testDatabase } from '../support/database.js';
import { assertInvariants } from '../support/builders.js';
import { linesByInvoice, replayCsv } from './support.js';

// Monday 2 March 2026. Customer 17850 places three orders of TOTE; the
// cancellations test which line each cancellation row reaches.
const HISTORY = [
  '1001,TOTE,Canvas tote,5,2026-03-02 09:00:00,2.00,17850.0,United Kingdom',
  '1002,TOTE,Canvas tote,3,2026-03-02 10:00:00,2.00,17850.0,United Kingdom',
  '1003,MUG,Enamel mug,2,2026-03-02 10:30:00,1.00,13047.0,United Kingdom',
  'C2001,TOTE,Canvas tote,-2,2026-03-02 11:00:00,2.00,17850.0,United Kingdom',
  'C2002,TOTE,Canvas tote,-1,2026-03-02 11:05:00,2.00,99999.0,United Kingdom',
  'C2003,MUG,Enamel mug,-1,2026-03-02 11:10:00,1.00,17850.0,United Kingdom',
  'C2004,MUG,Enamel mug,-5,2026-03-02 11:20:00,1.00,13047.0,United Kingdom',
  'C2005,TOTE,Canvas tote,-1,2026-03-02 11:30:00,2.00,,United Kingdom',
  '1004,TOTE,Canvas tote,4,2026-03-02 12:00:00,2.00,17850.0,United Kingdom',
  'C2006,TOTE,Canvas tote,-4,2026-03-02 12:30:00,2.00,17850.0,United Kingdom',
  'C2007,TOTE,Canvas tote,-1,2026-03-02 12:45:00,2.00,17850.0,United Kingdom',
  'C2008,TOTE,Canvas tote,-1,2026-03-02 13:00:00,2.00,17850.0,United Kingdom',
  'C2009,TOTE,Canvas tote,-1,2026-03-04 10:00:00,2.00,17850.0,United Kingdom',
];

describe(`replay cancellations (${testDatabase})`, () => {
  it('cancel the most recent open line of the customer and SKU', async () => {
    const t = await openTestStore();
    try {
      const figures = await replayCsv(t, HISTORY, { openingStock: { units: 100 } });
      const lines = await linesByInvoice(t);

      // C2001 takes 2 of 1002, the latest; C2006 takes all of 1004, then
      // C2007 finds 1002 (1 unit left) and C2008 finds 1001.
      assert.deepEqual(lines.get('1001'), [['TOTE', 5, 4, 1]]);
      assert.deepEqual(lines.get('1002'), [['TOTE', 3, 0, 3]]);
      assert.deepEqual(lines.get('1004'), [['TOTE', 4, 0, 4]]);
      await assertInvariants(t.store);
      assert.equal(figures.cancellations.rows, 9);
      assert.equal(figures.cancellations.matched, 4);
    } finally {
      await t.close();
    }
  });

  it('cancel at most the open units of the line', async () => {
    const t = await openTestStore();
    try {
      const figures = await replayCsv(t, HISTORY, { openingStock: { units: 100 } });

      // C2004 cancels 5 units of a line of 2.
      assert.deepEqual((await linesByInvoice(t)).get('1003'), [['MUG', 2, 0, 2]]);
      assert.equal(figures.cancellations.partiallyMatched, 1);
      assert.equal(figures.cancellations.units, 10);
      assert.equal(figures.cancellations.refunded, 1800);
    } finally {
      await t.close();
    }
  });

  it('count rows without customer, line or open units as unmatched', async () => {
    const t = await openTestStore();
    try {
      const figures = await replayCsv(t, HISTORY, { openingStock: { units: 100 } });

      // C2002: another customer; C2003: the customer never ordered MUG;
      // C2005: no customer number; C2009: 1001 shipped on 2 March.
      assert.equal(figures.cancellations.unmatched, 4);
      const cancelled = await t.store.db.selectFrom('events').select('type').where('type', '=', 'line.cancelled').execute();
      assert.equal(cancelled.length, 5);
    } finally {
      await t.close();
    }
  });
});
