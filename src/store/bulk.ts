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
 * Rows per UPDATE. Each row costs 1 + columns bound parameters, well inside
 * SQLite's limit of 32,766.
 */
const ROWS_PER_UPDATE = 500;

/**
 * Rows per INSERT at most: SQLite allows 32,766 bound parameters per
 * statement and PostgreSQL 65,535, so wide rows get fewer.
 */
const MAX_ROWS_PER_INSERT = 1024;
const MAX_PARAMETERS = 32_000;

export interface InsertOptions {
  /**
   * The columns of a unique key: a row whose key is already stored is
   * skipped (`on conflict (…) do nothing`) instead of failing the statement.
   */
  ignoreConflictOn?: readonly string[];
  /**
   * Adds to a stored row instead of failing when the key is taken: `add`
   * columns get the new value added to the stored one, `replace` columns
   * take the new value. Each key may appear once in `rows`, because
   * PostgreSQL does not let one statement change a row twice.
   */
  mergeOn?: { key: readonly string[]; add: readonly string[]; replace: readonly string[] };
}

/**
 * Inserts rows with multi-row INSERT statements of a power of two rows
 * each, at most 1,024 (fewer for rows of more than 31 columns): 700 rows
 * go as 512, 128, 32, 16, 8 and 4. Preparing a statement of hundreds of
 * rows costs about as much as running it, so the statement cache must
 * find the text again, and these sizes give a few texts per table instead
 * of one per row count. Every row must have the columns of the first row;
 * a missing column is written as null.
 */
export async function insertRows<T extends keyof Database>(
  work: Work,
  table: T,
  rows: readonly Insertable<Database[T]>[],
  options: InsertOptions = {},
): Promise<void> {
  if (rows.length === 0) return;

  const columns = Object.keys(rows[0]!) as (keyof Insertable<Database[T]>)[];
  const perStatement = largestPowerOfTwo(Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS / columns.length)));
  const head = `insert into ${quote(table)} (${columns.map((column) => quote(String(column))).join(', ')}) values `;
  const tail = conflictClause(table, options);

  for (let start = 0; start < rows.length; ) {
    const size = largestPowerOfTwo(Math.min(perStatement, rows.length - start));
    const chunk = rows.slice(start, start + size);
    start += size;
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
    await work.db.executeQuery(CompiledQuery.raw(head + tuples.join(', ') + tail, parameters));
  }
}

function conflictClause(table: string, options: InsertOptions): string {
  if (options.ignoreConflictOn) return ` on conflict (${options.ignoreConflictOn.map(quote).join(', ')}) do nothing`;
  if (!options.mergeOn) return '';

  const { key, add, replace } = options.mergeOn;
  const assignments = [
    ...add.map((column) => `${quote(column)} = ${quote(table)}.${quote(column)} + excluded.${quote(column)}`),
    ...replace.map((column) => `${quote(column)} = excluded.${quote(column)}`),
  ];
  return ` on conflict (${key.map(quote).join(', ')}) do update set ${assignments.join(', ')}`;
}

/** Returns the largest power of two that is at most `limit` (1 for a limit below 2). */
function largestPowerOfTwo(limit: number): number {
  let size = 1;
  while (size * 2 <= limit) size *= 2;
  return size;
}

/**
 * Updates many rows with one UPDATE per 500 rows, each row picked by its
 * key. The new values are a list of rows joined to the table on the key:
 * `with bulk_rows (bulk_key, bulk_0, …) as (values (?, ?, …), …) update t
 * set c = bulk_rows.bulk_0 … from bulk_rows where t.key = bulk_rows.bulk_key
 * and t.key in (select bulk_key from bulk_rows)`, which SQLite (3.33 and
 * later) and PostgreSQL both run as one index lookup per row. `rows` maps
 * a key value to the values of `columns`, in that order, and each key must
 * be given once. Each value is cast to its
 * column's type, since PostgreSQL types the columns of a VALUES list from
 * its values. CHECK constraints apply to each row as usual.
 */
export async function updateByKey(work: Work, update: BulkUpdate, rows: ReadonlyMap<string, readonly BulkValue[]>): Promise<void> {
  const entries = [...rows];
  for (let start = 0; start < entries.length; start += ROWS_PER_UPDATE) {
    await work.db.executeQuery(updateStatement(work, update, padded(entries.slice(start, start + ROWS_PER_UPDATE))));
  }
}

/**
 * Pads the rows with null keys, which match no row, to the next power of
 * two (or to 500). The statement text then has one of 10 lengths, so a
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
  const table = quote(update.table);
  const names = update.columns.map((_, index) => quote(`bulk_${index}`));

  // Parameters are bound in the order their placeholders appear in the text.
  const tuples = entries.map(([keyValue, values]) => {
    const cells = [`cast(${bind(keyValue)} as text)`];
    update.columns.forEach((column, index) => cells.push(`cast(${bind(values[index] ?? null)} as ${column.type})`));
    return `(${cells.join(', ')})`;
  });
  const head = `with "bulk_rows" ("bulk_key", ${names.join(', ')}) as (values ${tuples.join(', ')}) `;

  const assignments = update.columns.map((column, index) => {
    const target = quote(column.name);
    const value = `"bulk_rows".${names[index]}`;
    return column.mode === 'add' ? `${target} = ${table}.${target} + ${value}` : `${target} = ${value}`;
  });
  for (const [name, value] of Object.entries(update.constants ?? {})) assignments.push(`${quote(name)} = ${bind(value)}`);

  // The IN condition makes SQLite look the rows up by key. With the join
  // alone it may scan the whole table and probe the list for each row.
  const key = `${table}.${quote(update.key)}`;
  const conditions = [`${key} = "bulk_rows"."bulk_key"`, `${key} in (select "bulk_key" from "bulk_rows")`];
  for (const [name, value] of Object.entries(update.filters ?? {})) conditions.push(`${table}.${quote(name)} = ${bind(value)}`);

  return CompiledQuery.raw(`${head}update ${table} set ${assignments.join(', ')} from "bulk_rows" where ${conditions.join(' and ')}`, parameters);
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
