// Cuts the demo slice out of the UCI Online Retail data set (a CSV, plain
// or gzipped, with the columns InvoiceNo, StockCode, Description, Quantity,
// InvoiceDate, UnitPrice, CustomerID, Country):
//
//   node data-demo/cut-slice.mjs online_retail.csv.gz > data-demo/online-retail-slice.csv
//
// It keeps three weeks, 7 to 27 November 2011, and 100 SKUs of middling
// sales: the stock codes that start with a digit (products) are ranked by
// their order rows in those weeks (cancellations not counted, ties by code),
// and every 12th is taken from the 401st on. Every row of those SKUs in
// those weeks is kept as it was, in file order, cancellations included.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';

const FROM = '2011-11-07';
const TO = '2011-11-27';
const FIRST_RANK = 400;
const STEP = 12;
const COUNT = 100;

const path = process.argv[2];
if (!path) {
  process.stderr.write('Usage: node data-demo/cut-slice.mjs online_retail.csv[.gz] > data-demo/online-retail-slice.csv\n');
  process.exit(2);
}

let source = createReadStream(path);
if (path.endsWith('.gz')) source = source.pipe(createGunzip());

let header = null;
const rows = [];
for await (const { record, raw } of source.pipe(parse({ raw: true, bom: true }))) {
  if (header === null) {
    header = raw.replace(/\r?\n$/, '');
    continue;
  }
  const day = record[4].slice(0, 10);
  if (day >= FROM && day <= TO) rows.push({ invoice: record[0], sku: record[1], raw: raw.replace(/\r?\n$/, '') });
}

const orderRows = new Map();
for (const row of rows) {
  if (row.invoice.startsWith('C') || !/^\d/.test(row.sku)) continue;
  orderRows.set(row.sku, (orderRows.get(row.sku) ?? 0) + 1);
}
function byRowsThenCode(a, b) {
  const difference = orderRows.get(b) - orderRows.get(a);
  if (difference !== 0) return difference;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
const ranked = [...orderRows.keys()].sort(byRowsThenCode);
const chosen = new Set(ranked.filter((_, rank) => rank >= FIRST_RANK && (rank - FIRST_RANK) % STEP === 0).slice(0, COUNT));

process.stdout.write(`${header}\n`);
for (const row of rows) if (chosen.has(row.sku)) process.stdout.write(`${row.raw}\n`);
