import { CompiledQuery, type Insertable } from 'kysely';
import type { Database } from './schema.js';
import type { Work } from './store.js';

/**
 * Set-based writes for the hot paths: multi-row inserts and keyed multi-row
 * updates, written as SQL text directly, because the query builder's cost
 * grows with every row and value it builds. The statements are the same on
 * SQLite and PostgreSQL except for the parameter placeholders. Table and
 * column names come from the code, never from input, and are quoted as
 * identifiers.
 */

export type BulkValue = string | number | null;

/** A column that a bulk update writes: its SQL type, and whether the value replaces the stored one or is added to it. */
export interface BulkColumn {
  name: string;
  type: 'integer' | 'bigint' | 'text';
  mode: 'set' | 'add';
}

export interface BulkUpdate {
  table: keyof Database;
  /** The column that picks each row; within `filters`, each key value must pick at most one row. */
  key: string;
  columns: readonly BulkColumn[];
  /** Values written to every updated row, such as `updated_at`. */
  constants?: Record<string, string | number | null>;
  /** Equality conditions that every updated row also meets, such as the location of a stock level. */
  filters?: Record<string, string | number>;
}

/**
 * Rows per UPDATE. Each row costs 1 + 2 × columns bound parameters, well
 * inside SQLite's limit of 32,766. The CASE expression is matched row by row,
 * so its cost grows with the square of this size.
 */
const ROWS_PER_UPDATE = 200;

/**
 * Rows per INSERT at most: SQLite allows 32,766 bound parameters per
 * statement and PostgreSQL 65,535, so wide rows get fewer.
 */
const MAX_ROWS_PER_INSERT = 1000;
const MAX_PARAMETERS = 32_000;

/**
 * Inserts rows with one multi-row INSERT per 1,000 rows (fewer for rows of
 * more than 32 columns). Every row must have the columns of the first row;
 * a missing column is written as null.
 */
export async function insertRows<T extends keyof Database>(work: Work, table: T, rows: readonly Insertable<Database[T]>[]): Promise<void> {
  if (rows.length === 0) return;

  const columns = Object.keys(rows[0]!) as (keyof Insertable<Database[T]>)[];
  const perStatement = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / columns.length)));
  const head = `insert into ${quote(table)} (${columns.map((column) => quote(String(column))).join(', ')}) values `;

  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const parameters: unknown[] = [];
    const tuples: string[] = [];
    for (const row of chunk) {
      const marks: string[] = [];
      for (const column of columns) {
        parameters.push(row[column] ?? null);
        marks.push(placeholder(work, parameters.length));
      }
      tuples.push(`(${marks.join(', ')})`);
    }
    await work.db.executeQuery(CompiledQuery.raw(head + tuples.join(', '), parameters));
  }
}

/**
 * Updates many rows with one UPDATE per 200 rows, each row picked by its
 * key: `set c = case key when ? then ? … end where key in (…)`. `rows` maps a
 * key value to the values of `columns`, in that order, and each key must be
 * given once. Each value is cast to its column's type, since PostgreSQL
 * cannot infer the type of a parameter inside CASE. CHECK constraints apply
 * to each row as usual.
 */
export async function updateByKey(work: Work, update: BulkUpdate, rows: ReadonlyMap<string, readonly BulkValue[]>): Promise<void> {
  const entries = [...rows];
  for (let start = 0; start < entries.length; start += ROWS_PER_UPDATE) {
    await work.db.executeQuery(updateStatement(work, update, padded(entries.slice(start, start + ROWS_PER_UPDATE))));
  }
}

/**
 * Pads the rows with null keys, which match no row, to the next power of
 * two (or to 200). The statement text then has one of 9 lengths, so a
 * statement cache keeps a few texts instead of one per row count.
 */
function padded(entries: [string | null, readonly BulkValue[]][]): [string | null, readonly BulkValue[]][] {
  let size = 1;
  while (size < entries.length) size *= 2;
  size = Math.min(size, ROWS_PER_UPDATE);
  while (entries.length < size) entries.push([null, []]);
  return entries;
}

function updateStatement(work: Work, update: BulkUpdate, entries: [string | null, readonly BulkValue[]][]): CompiledQuery {
  const parameters: unknown[] = [];
  const bind = (value: unknown): string => {
    parameters.push(value);
    return placeholder(work, parameters.length);
  };
  const key = quote(update.key);

  const assignments = update.columns.map((column, index) => {
    const target = quote(column.name);
    const cases = entries.map(([keyValue, values]) => `when ${bind(keyValue)} then cast(${bind(values[index] ?? null)} as ${column.type})`);
    const value = `case ${key} ${cases.join(' ')} end`;
    return column.mode === 'add' ? `${target} = ${target} + ${value}` : `${target} = ${value}`;
  });
  for (const [name, value] of Object.entries(update.constants ?? {})) assignments.push(`${quote(name)} = ${bind(value)}`);

  const conditions = [`${key} in (${entries.map(([keyValue]) => bind(keyValue)).join(', ')})`];
  for (const [name, value] of Object.entries(update.filters ?? {})) conditions.push(`${quote(name)} = ${bind(value)}`);

  return CompiledQuery.raw(`update ${quote(update.table)} set ${assignments.join(', ')} where ${conditions.join(' and ')}`, parameters);
}

/**
 * Pads a list of values for `in (…)` to the next power of two by repeating
 * its last value, which changes no result. The statement text then has one
 * of a few lengths, so a statement cache keeps a few texts instead of one
 * per list length. An empty list stays empty.
 */
export function padInList<T>(values: readonly T[]): T[] {
  const list = [...values];
  if (list.length === 0) return list;
  let size = 1;
  while (size < list.length) size *= 2;
  const last = list[list.length - 1]!;
  while (list.length < size) list.push(last);
  return list;
}

function placeholder(work: Work, position: number): string {
  return work.postgres ? `$${position}` : '?';
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
