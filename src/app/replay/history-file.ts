import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { DEFAULT_SKIP_CODES, HistoryBuilder, type History, type HistoryRow, type RowRules } from './history.js';

/** The header names of the columns the replay reads. */
export interface ColumnMapping {
  invoice: string;
  sku: string;
  quantity: string;
  date: string;
  unitPrice: string;
  /** Optional: without it every order is anonymous and no cancellation matches. */
  customer: string;
  /** Optional: the product description, used as the SKU name. */
  name: string;
}

/** The column names of the UCI Online Retail data set (Chen, Sain and Guo 2012). */
export const ONLINE_RETAIL_COLUMNS: ColumnMapping = {
  invoice: 'InvoiceNo',
  sku: 'StockCode',
  quantity: 'Quantity',
  date: 'InvoiceDate',
  unitPrice: 'UnitPrice',
  customer: 'CustomerID',
  name: 'Description',
};

export interface HistoryFileOptions {
  columns?: Partial<ColumnMapping>;
  cancellationPrefix?: string;
  skipCodes?: readonly string[];
  from?: string;
  to?: string;
  /** Read at most this many data rows. */
  limit?: number;
  /** Digits of the currency's minor unit; 2 for GBP, USD, EUR. */
  minorDigits?: number;
  /** Called now and then with the share of the file read, from 0 to 1. */
  onProgress?: (share: number) => void;
}

/** A value in the history file that cannot be read; the message names the row and column. */
export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
}

const REQUIRED: (keyof ColumnMapping)[] = ['invoice', 'sku', 'quantity', 'date', 'unitPrice'];

/**
 * Streams a CSV file, gzipped when its name ends in `.gz`, into a history.
 * The header row names the columns; rows are numbered as a spreadsheet
 * shows them, the header being row 1. Throws `HistoryFileError` for a
 * missing column or an unreadable number or date.
 */
export async function readHistoryFile(path: string, options: HistoryFileOptions = {}): Promise<History> {
  const columns = { ...ONLINE_RETAIL_COLUMNS, ...options.columns };
  const rules: RowRules = {
    cancellationPrefix: options.cancellationPrefix ?? 'C',
    skipCodes: new Set(options.skipCodes ?? DEFAULT_SKIP_CODES),
    from: options.from,
    to: options.to,
  };
  const file = basename(path);
  const size = statSync(path).size;
  const builder = new HistoryBuilder(rules);

  const raw = createReadStream(path);
  let bytesRead = 0;
  raw.on('data', (chunk) => {
    bytesRead += chunk.length;
    options.onProgress?.(size === 0 ? 1 : bytesRead / size);
  });
  const source: Readable = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const parser = source.pipe(parse({ bom: true, relax_column_count: true, skip_empty_lines: true }));
  // pipe() does not forward errors (a missing file, bad gzip) to the parser.
  raw.once('error', (error) => parser.destroy(error));
  if (source !== raw) source.once('error', (error) => parser.destroy(error));

  let reader: RowReader | undefined;
  let row = 0;
  await new Promise<void>((resolve, reject) => {
    parser.on('readable', () => {
      try {
        let record: string[] | null;
        while ((record = parser.read() as string[] | null) !== null) {
          row += 1;
          if (reader === undefined) {
            reader = new RowReader(file, record, columns, options.minorDigits ?? 2);
            continue;
          }
          if (options.limit !== undefined && row - 1 > options.limit) {
            parser.destroy();
            resolve();
            return;
          }
          builder.add(reader.read(record, row));
        }
      } catch (error) {
        parser.destroy();
        reject(error);
      }
    });
    parser.once('end', resolve);
    parser.once('error', reject);
  });

  if (reader === undefined) throw new HistoryFileError(`${file} is empty: expected a header row naming the columns.`);
  return builder.finish();
}

class RowReader {
  private readonly index: Record<keyof ColumnMapping, number>;

  constructor(
    private readonly file: string,
    header: string[],
    private readonly columns: ColumnMapping,
    private readonly minorDigits: number,
  ) {
    const trimmed = header.map((name) => name.trim());
    this.index = Object.fromEntries(
      (Object.keys(columns) as (keyof ColumnMapping)[]).map((key) => [key, trimmed.indexOf(columns[key])]),
    ) as Record<keyof ColumnMapping, number>;

    const missing = REQUIRED.filter((key) => this.index[key] < 0).map((key) => columns[key]);
    if (missing.length > 0) {
      throw new HistoryFileError(
        `${file} has no column ${missing.map((m) => `"${m}"`).join(', ')}; its header is ${trimmed.join(', ')}. ` +
          'Name the columns with the --*-column options.',
      );
    }
  }

  read(record: string[], row: number): HistoryRow {
    const cell = (key: keyof ColumnMapping): string => {
      const at = this.index[key];
      return at < 0 ? '' : (record[at] ?? '').trim();
    };
    const fail = (key: keyof ColumnMapping, problem: string): never => {
      throw new HistoryFileError(`${this.file} row ${row}, column ${this.columns[key]}: ${problem}`);
    };

    const quantityText = cell('quantity');
    if (!/^-?\d+$/.test(quantityText)) fail('quantity', `"${quantityText}" is not a whole number.`);

    const at = parseInstant(cell('date'));
    if (at === null) fail('date', `"${cell('date')}" is not a date and time such as 2011-12-09 12:50:00 or 12/9/2011 12:50.`);

    const unitPrice = parseMinorUnits(cell('unitPrice'), this.minorDigits);
    if (unitPrice === null) fail('unitPrice', `"${cell('unitPrice')}" is not a decimal number such as 2.55.`);

    return {
      invoice: cell('invoice'),
      sku: cell('sku'),
      name: cell('name'),
      quantity: Number(quantityText),
      at: at!,
      unitPrice: unitPrice!,
      customer: customerKey(cell('customer')),
    };
  }
}

/**
 * Parses a decimal amount into minor units, rounding half away from zero
 * beyond the currency's digits (0.001 GBP is 0 pence). Returns null for
 * anything but a plain decimal number.
 */
export function parseMinorUnits(text: string, digits = 2): number | null {
  const match = /^(-)?(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null;

  const whole = match[2] === '' ? 0 : Number(match[2]);
  const fraction = (match[3] ?? '').padEnd(digits + 1, '0');
  const kept = Number(fraction.slice(0, digits) || '0');
  const roundUp = Number(fraction[digits]) >= 5 ? 1 : 0;
  const amount = whole * 10 ** digits + kept + roundUp;
  return match[1] ? -amount : amount;
}

/**
 * Parses `YYYY-MM-DD HH:MM[:SS]` (a `T` may stand for the space) or
 * `M/D/YYYY H:MM[:SS]`, as UTC. Returns epoch milliseconds, or null.
 */
export function parseInstant(text: string): number | null {
  let match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?Z?$/.exec(text);
  if (match) return utc(match[1]!, match[2]!, match[3]!, match[4]!, match[5]!, match[6]);

  match = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (match) return utc(match[3]!, match[1]!, match[2]!, match[4]!, match[5]!, match[6]);
  return null;
}

function utc(year: string, month: string, day: string, hour: string, minute: string, second: string | undefined): number | null {
  const at = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second ?? 0));
  const check = new Date(at);
  // Date.UTC rolls 31 April over to 1 May; such a date is invalid here.
  if (check.getUTCDate() !== Number(day) || check.getUTCMonth() !== Number(month) - 1 || Number(hour) > 23) return null;
  return at;
}

/** Customer numbers come as `17850` or `17850.0`; empty means unknown. */
function customerKey(text: string): string | null {
  if (text === '') return null;
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}
