import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { ImmediateSqliteDialect } from './sqlite-dialect.js';
import type { QueryCounter } from './query-counter.js';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface ConnectOptions {
  /** A SQLite file path (or `:memory:`), or a `postgres://` URL. */
  url: string;
  /** PostgreSQL only: the schema to use, created when missing. */
  schema?: string;
  /** PostgreSQL only: pool size. */
  maxConnections?: number;
  /** SQLite only: counts statements and rows, for tests. */
  counter?: QueryCounter;
  /**
   * SQLite only: the file is scratch space that is deleted after the run,
   * such as a replay's. Commits then neither sync to disk nor use a
   * write-ahead log, so a crash can corrupt the file. Never set it for data
   * to keep.
   */
  scratch?: boolean;
}

export interface Connection {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** A description without credentials, for logs. */
  description: string;
}

// int8 and numeric arrive as strings from pg; every such value here is a
// count or an amount of money well inside Number.MAX_SAFE_INTEGER.
const PG_INT8 = 20;
const PG_NUMERIC = 1700;
const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

/** Opens a Kysely handle on SQLite or PostgreSQL, chosen by the URL. */
export async function connect(options: ConnectOptions): Promise<Connection> {
  if (isPostgresUrl(options.url)) return connectPostgres(options);
  return connectSqlite(options);
}

function connectSqlite(options: ConnectOptions): Connection {
  if (options.url !== ':memory:') mkdirSync(dirname(options.url), { recursive: true });

  const handle = new BetterSqlite3(options.url);
  if (options.scratch) {
    setScratchPragmas(handle);
  } else {
    handle.pragma('journal_mode = WAL');
    // NORMAL in WAL mode keeps every commit across a crash of the process;
    // only a power loss can drop the last commits before a checkpoint.
    handle.pragma('synchronous = NORMAL');
  }
  handle.pragma('busy_timeout = 10000');
  handle.pragma('foreign_keys = ON');

  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect(handle, options.counter) });
  return { db, kind: 'sqlite', description: `sqlite:${options.url}` };
}

/** Page cache of a scratch database, in KiB; SQLite allocates it only as pages are read. */
const SCRATCH_CACHE_KIB = 512 * 1024;

/**
 * Sets up a database that one process writes and then throws away. The
 * rollback journal stays in memory instead of a write-ahead log, so each
 * page is written once rather than to the log and again at a checkpoint.
 * Commits do not sync, the page cache may grow to 512 MiB and temporary
 * tables stay in memory. A rollback still works.
 */
function setScratchPragmas(handle: BetterSqlite3.Database): void {
  handle.pragma('journal_mode = MEMORY');
  handle.pragma('synchronous = OFF');
  handle.pragma(`cache_size = -${SCRATCH_CACHE_KIB}`);
  handle.pragma('temp_store = MEMORY');
}

async function connectPostgres(options: ConnectOptions): Promise<Connection> {
  const schema = options.schema;
  if (schema !== undefined) await createSchema(options.url, schema);

  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 20,
    types: pgTypes,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  const where = new URL(options.url);
  const description = `postgres://${where.host}${where.pathname}${schema ? ` (schema ${schema})` : ''}`;
  return { db, kind: 'postgres', description };
}

async function createSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name "${schema}": use lowercase letters, digits and underscores.`);
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create schema if not exists ${schema}`);
  } finally {
    await client.end();
  }
}

/** Drops a PostgreSQL schema and everything in it; tests use it to clean up. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

export async function ping(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}
