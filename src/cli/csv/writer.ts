import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { ExportRecord } from '../../app/import/export-rows.js';

/**
 * Writes records as CSV with a header of `columns`, to a file or to standard
 * output, and resolves with the number of records written. Null is written
 * as an empty cell; values with commas, quotes or line breaks are quoted.
 */
export async function writeCsv(records: AsyncIterable<ExportRecord>, columns: readonly string[], outPath?: string): Promise<number> {
  let written = 0;
  async function* counted() {
    for await (const record of records) {
      written += 1;
      yield record;
    }
  }

  const target: Writable = outPath === undefined ? process.stdout : createWriteStream(outPath);
  const csv = stringify({ header: true, columns: [...columns] });
  await pipeline(Readable.from(counted()), csv, target, { end: outPath !== undefined });
  return written;
}
