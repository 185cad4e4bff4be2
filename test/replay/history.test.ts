import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryFileError, parseInstant, parseMinorUnits } from '../../src/app/replay/history-file.js';
import type { HistoryCancellation, HistoryOrder } from '../../src/app/replay/history.js';
import { HEADER, historyFrom } from './support.js';

const ROWS = [
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
  '536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom',
  '536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom',
  '536365,84406B,"CREAM CUPID HEARTS, COAT HANGER",8,2010-12-01 08:26:00,2.75,17850.0,United Kingdom',
  'C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,2010-12-01 09:41:00,2.55,17850.0,United Kingdom',
  '536370,POST,POSTAGE,3,2010-12-01 08:45:00,18.00,12583.0,France',
  '536414,22139,,56,2010-12-01 11:52:00,0.00,,United Kingdom',
  '536589,21777,,-10,2010-12-01 16:50:00,0.00,,United Kingdom',
  '536400,BANK CHARGES,Bank Charges,1,2010-12-01 10:00:00,15.00,,United Kingdom',
  '536401,PADS,PADS TO MATCH ALL CUSHIONS,1,2010-12-01 10:00:00,0.001,15618.0,United Kingdom',
];

describe('replay history file', () => {
  it('groups the rows of an invoice into one order', async () => {
    const history = await historyFrom(`${HEADER}\n${ROWS.join('\n')}\n`);

    const orders = history.events.filter((e): e is HistoryOrder => e.kind === 'order');
    assert.deepEqual(
      orders.map((o) => [o.invoice, o.customer, o.lines.map((l) => `${l.sku}×${l.quantity}@${l.unitPrice}`)]),
      [
        ['536365', '17850', ['85123A×6@255', '71053×6@339', '84406B×8@275']],
        ['536366', '17850', ['22633×6@185']],
      ],
    );
    assert.equal(history.skus.get('84406B')?.name, 'CREAM CUPID HEARTS, COAT HANGER');
  });

  it('reads C invoices as cancellations in time order', async () => {
    const history = await historyFrom(`${HEADER}\n${ROWS.join('\n')}\n`);

    const last = history.events[history.events.length - 1] as HistoryCancellation;
    assert.deepEqual(last, { kind: 'cancellation', invoice: 'C536379', at: Date.parse('2010-12-01T09:41:00Z'), customer: '17850', sku: '85123A', quantity: 1 });
    assert.equal(history.counts.cancellationRows, 1);
  });

  it('counts skipped rows by reason', async () => {
    const history = await historyFrom(`${HEADER}\n${ROWS.join('\n')}\n`);

    assert.equal(history.counts.rows, 10);
    assert.equal(history.counts.orderLines, 4);
    assert.deepEqual(history.counts.skipped, {
      non_product_code: 2,
      invalid_sku_code: 0,
      non_positive_quantity: 1,
      non_positive_price: 2,
      quantity_too_large: 0,
      outside_dates: 0,
    });
  });

  it('reads gzip and honours dates and the row limit', async () => {
    const csv = `${HEADER}\n${ROWS.join('\n')}\n`;
    const limited = await historyFrom(csv, { limit: 3 }, 'history.csv.gz');
    assert.equal(limited.counts.rows, 3);
    assert.equal(limited.counts.orderLines, 3);

    const dated = await historyFrom(csv, { to: '2010-11-30' }, 'history.csv.gz');
    assert.equal(dated.counts.skipped.outside_dates, 10);
    assert.equal(dated.events.length, 0);
  });

  it('takes other column names', async () => {
    const csv = 'order,sku,qty,when,price\n9001,TOTE,2,2026-03-02 10:00,19.99\n';
    const history = await historyFrom(csv, { columns: { invoice: 'order', sku: 'sku', quantity: 'qty', date: 'when', unitPrice: 'price' } });
    assert.deepEqual(history.events, [
      { kind: 'order', invoice: '9001', at: Date.parse('2026-03-02T10:00:00Z'), customer: null, lines: [{ sku: 'TOTE', quantity: 2, unitPrice: 1999 }] },
    ]);
  });

  it('names the row and column of a bad number', async () => {
    const csv = `${HEADER}\n${ROWS[0]}\n536365,71053,WHITE METAL LANTERN,six,2010-12-01 08:26:00,3.39,17850.0,United Kingdom\n`;
    await assert.rejects(historyFrom(csv), (error: Error) => {
      assert.ok(error instanceof HistoryFileError);
      assert.equal(error.message, 'history.csv row 3, column Quantity: "six" is not a whole number.');
      return true;
    });
  });

  it('names a bad date', async () => {
    const csv = `${HEADER}\n536365,71053,LANTERN,6,31/12/2010 08:26,3.39,17850.0,United Kingdom\n`;
    await assert.rejects(historyFrom(csv), /row 2, column InvoiceDate: "31\/12\/2010 08:26" is not a date/);
  });

  it('names a missing column', async () => {
    const csv = 'InvoiceNo,StockCode,Quantity,InvoiceDate\n536365,71053,6,2010-12-01 08:26:00\n';
    await assert.rejects(historyFrom(csv), /history\.csv has no column "UnitPrice"; its header is InvoiceNo, StockCode, Quantity, InvoiceDate/);
  });

  it('parses amounts into minor units', () => {
    assert.equal(parseMinorUnits('2.55'), 255);
    assert.equal(parseMinorUnits('16.5'), 1650);
    assert.equal(parseMinorUnits('0.001'), 0);
    assert.equal(parseMinorUnits('0.005'), 1);
    assert.equal(parseMinorUnits('-11062.06'), -1106206);
    assert.equal(parseMinorUnits('12'), 1200);
    assert.equal(parseMinorUnits('1,5'), null);
    assert.equal(parseMinorUnits(''), null);
  });

  it('parses ISO and month-first dates as UTC', () => {
    assert.equal(parseInstant('2011-12-09 12:50:00'), Date.parse('2011-12-09T12:50:00Z'));
    assert.equal(parseInstant('12/9/2011 12:50'), Date.parse('2011-12-09T12:50:00Z'));
    assert.equal(parseInstant('2011-02-30 10:00'), null);
  });
});
