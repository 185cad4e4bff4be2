import type { z } from 'zod';
import { quote, type ImportIssue } from './issues.js';

/** A CSV file as parsed: its header and its records, each with its row number (the header is row 1). */
export interface CsvTable {
  file: string;
  header: string[];
  records: { row: number; cells: string[] }[];
}

/** The reading and checking rules of one column of an import file. */
export interface ColumnSpec {
  name: string;
  /** Whether the header must name the column. */
  required: boolean;
  /**
   * The meaning of an empty cell or an absent optional column. `reject`
   * requires a value, `null` clears the field and `omit` leaves it to the default.
   */
  empty: 'reject' | 'null' | 'omit';
  /** `integer` cells must be digits (with an optional minus sign) before the schema checks them. */
  type: 'text' | 'integer';
  /** The API's rule for the field; it receives the converted value, never null or undefined. */
  schema: z.ZodType;
  /** A description of a valid value for messages about an empty or malformed cell, such as "a SKU code". */
  expects: string;
  /** The meaning of an empty cell, offered as an alternative fix, such as "leave it empty for no limit". */
  emptyHint?: string;
  /** Written by an export for information and skipped on import. */
  informational?: boolean;
}

export interface TableSpec {
  /** The import kind, for messages, such as "skus". */
  kind: string;
  columns: ColumnSpec[];
  /** Rules across the fields of one row, run when every cell of the row is valid. */
  checkRow?: (values: Record<string, unknown>) => { column: string; message: string }[];
}

export interface ValidRow {
  row: number;
  values: Record<string, unknown>;
}

export interface TableResult {
  rows: ValidRow[];
  /** Rows with a problem, holding the values of their valid cells only. */
  invalidRows: ValidRow[];
  issues: ImportIssue[];
}

/**
 * Checks a table against a spec: the header names every required column
 * and no unknown one, and every cell converts and passes its column's
 * schema. Returns the rows whose cells are all valid and a problem for each
 * bad cell, so one pass reports every error of the file.
 */
export function validateTable(table: CsvTable, spec: TableSpec): TableResult {
  const issues = checkHeader(table, spec);
  if (issues.length > 0) return { rows: [], invalidRows: [], issues };

  const positions = new Map(table.header.map((name, index) => [name.toLowerCase(), index]));
  const rows: ValidRow[] = [];
  const invalidRows: ValidRow[] = [];
  for (const record of table.records) {
    if (record.cells.every((cell) => cell === '')) continue;

    if (record.cells.length !== table.header.length) {
      issues.push({
        file: table.file,
        row: record.row,
        message: `has ${record.cells.length} values but the header has ${table.header.length} columns; check for a missing or extra comma, and quote values that contain commas.`,
      });
      continue;
    }

    const rowIssues: ImportIssue[] = [];
    const values: Record<string, unknown> = {};
    for (const column of spec.columns) {
      if (column.informational) continue;
      const position = positions.get(column.name);
      const text = position === undefined ? '' : record.cells[position]!;
      const cell = readCell(column, text);
      if (cell.ok) values[column.name] = cell.value;
      else rowIssues.push({ file: table.file, row: record.row, column: column.name, message: cell.message });
    }

    if (rowIssues.length === 0 && spec.checkRow) {
      for (const problem of spec.checkRow(values)) rowIssues.push({ file: table.file, row: record.row, ...problem });
    }
    if (rowIssues.length === 0) rows.push({ row: record.row, values });
    else invalidRows.push({ row: record.row, values });
    issues.push(...rowIssues);
  }
  return { rows, invalidRows, issues };
}

function checkHeader(table: CsvTable, spec: TableSpec): ImportIssue[] {
  const expected = spec.columns.map((column) => column.name);
  const expectedHeader = expected.join(',');
  const issues: ImportIssue[] = [];
  const seen = new Set<string>();

  // Column names are matched without regard to case, since spreadsheets often capitalise headers.
  for (const name of table.header.map((header) => header.toLowerCase())) {
    if (seen.has(name)) {
      issues.push({ file: table.file, row: 1, column: name, message: `the column appears twice; keep one of them.` });
    } else if (!expected.includes(name)) {
      issues.push({
        file: table.file,
        row: 1,
        column: name,
        message: `${quote(name)} is not a column of a ${spec.kind} file; rename or remove it. Expected a header such as ${expectedHeader}`,
      });
    }
    seen.add(name);
  }

  for (const column of spec.columns) {
    if (column.required && !seen.has(column.name)) {
      issues.push({
        file: table.file,
        row: 1,
        message: `the required column ${column.name} is missing; add it to the header. Expected a header such as ${expectedHeader}`,
      });
    }
  }
  return issues;
}

type Cell = { ok: true; value: unknown } | { ok: false; message: string };

function readCell(column: ColumnSpec, text: string): Cell {
  if (text === '') {
    if (column.empty === 'reject') return { ok: false, message: `the cell is empty; enter ${column.expects}.` };
    return { ok: true, value: column.empty === 'null' ? null : undefined };
  }

  let value: unknown = text;
  if (column.type === 'integer') {
    if (!/^-?\d+$/.test(text)) {
      const alternative = column.emptyHint ? `, or ${column.emptyHint}` : '';
      return { ok: false, message: `${quote(text)} is not a whole number; use digits only${alternative}.` };
    }
    value = Number(text);
  }

  const result = column.schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, message: `${quote(text)} ${describeIssue(column, result.error.issues[0]!)}.` };
}

/** Turns a zod issue into the end of a sentence that starts with the value. */
function describeIssue(column: ColumnSpec, issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') {
    return `is not a valid ${column.name}; use one of ${issue.values.map(String).join(', ')}`;
  }
  // zod's own range messages ("Too big: expected number to be <=1000") are
  // replaced; the API's schemas give their own messages for most ranges.
  if (issue.code === 'too_big' && issue.message.startsWith('Too big')) return `must be at most ${String(issue.maximum)}`;
  if (issue.code === 'too_small' && issue.message.startsWith('Too small')) return `must be at least ${String(issue.minimum)}`;
  return issue.message.replace(/\.$/, '');
}
