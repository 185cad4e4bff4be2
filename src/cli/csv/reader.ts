import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import type { CsvTable } from '../../app/import/table.js';

/**
 * Reads a CSV file (UTF-8, optionally with a byte-order mark, or gzipped
 * when the name ends in .gz) into its header and records. Each record keeps
 * its row number as a spreadsheet shows it: the header is row 1 and a value
 * spanning several lines inside quotes is still one row. Messages name the
 * file by its base name.
 */
export async function readCsv(path: string): Promise<CsvTable> {
  let source: Readable = createReadStream(path);
  if (path.endsWith('.gz')) source = source.pipe(createGunzip());

  const parser = source.pipe(
    parse({ bom: true, trim: true, relax_column_count: true, skip_empty_lines: false, info: true }),
  );
  // A stream error (file not found, bad gzip) is not forwarded through pipe().
  source.once('error', (error) => parser.destroy(error));

  const table: CsvTable = { file: basename(path), header: [], records: [] };
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { records: number } }>) {
    if (info.records === 1) table.header = record;
    else table.records.push({ row: info.records, cells: record });
  }
  return table;
}
