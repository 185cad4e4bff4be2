import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/domain/clock.js';
import pg from 'pg';
import { dropSchema, type DatabaseKind } from '../../src/store/database.js';
import { insertMainLocation } from '../../src/store/migrations/0002-main-location.js';
import { Store } from '../../src/store/store.js';
import type { QueryCounter } from '../../src/store/query-counter.js';

/**
 * The database the suite runs on: SQLite by default, PostgreSQL when
 * RESTOCK_TEST_DB=postgres (with RESTOCK_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test). Every store a test opens is an
 * empty database: a new SQLite file, or a PostgreSQL schema of this process
 * that no other open store uses, emptied on close and reused (creating the
 * tables costs far more than truncating them). Schemas are named after the
 * process id, so parallel runs never share one, and dropped when the
 * process exits.
 */
export const testDatabase: DatabaseKind = process.env.RESTOCK_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
export const pgUrl = process.env.RESTOCK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  store: Store;
  clock: ManualClock;
  /** The URL (file path or postgres URL) other processes can open. */
  url: string;
  /** PostgreSQL schema, when on PostgreSQL. */
  schema?: string;
  close(): Promise<void>;
}

export interface TestStoreOptions {
  start?: string;
  counter?: QueryCounter;
  maxConnections?: number;
}

export async function openTestStore(options: TestStoreOptions = {}): Promise<TestStore> {
  const clock = new ManualClock(new Date(options.start ?? '2026-03-02T12:00:00.000Z'));

  if (testDatabase === 'postgres') {
    const schema = await takeSchema();
    const store = await Store.open({ url: pgUrl, schema, clock: clock.now, maxConnections: options.maxConnections });
    return {
      store,
      clock,
      url: pgUrl,
      schema,
      async close() {
        await emptySchema(store, schema);
        await store.close();
        freeSchemas.push(schema);
      },
    };
  }

  const folder = mkdtempSync(join(tmpdir(), 'restock-test-'));
  const url = join(folder, 'restock.db');
  const store = await Store.open({ url, clock: clock.now, counter: options.counter });
  return {
    store,
    clock,
    url,
    async close() {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

const freeSchemas: string[] = [];
let cleanupRegistered = false;

async function takeSchema(): Promise<string> {
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    await dropSchemasOfEndedRuns();
    process.once('beforeExit', () => {
      void Promise.all(freeSchemas.splice(0).map((schema) => dropSchema(pgUrl, schema)));
    });
  }
  return freeSchemas.pop() ?? `restock_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Deletes every row the application wrote, keeping the migrated tables, and puts back the location `main`. */
async function emptySchema(store: Store, schema: string): Promise<void> {
  const { rows } = await pool().query<{ tablename: string }>(
    "select tablename from pg_tables where schemaname = $1 and tablename not like 'kysely_%'",
    [schema],
  );
  const tables = rows.map((row) => `${schema}.${row.tablename}`).join(', ');
  await pool().query(`truncate table ${tables} restart identity cascade`);
  await insertMainLocation(store.db, new Date().toISOString());
}

/** Drops the test schemas left by processes that no longer run (a crashed or killed run). */
async function dropSchemasOfEndedRuns(): Promise<void> {
  const { rows } = await pool().query<{ nspname: string }>("select nspname from pg_namespace where nspname like 'restock_test_%'");
  for (const { nspname } of rows) {
    const pid = Number(nspname.split('_')[2]);
    if (Number.isInteger(pid) && pid !== process.pid && !existsSync(`/proc/${pid}`)) await dropSchema(pgUrl, nspname);
  }
}

let adminPool: pg.Pool | undefined;
function pool(): pg.Pool {
  if (!adminPool) {
    adminPool = new pg.Pool({ connectionString: pgUrl, max: 1, allowExitOnIdle: true });
  }
  return adminPool;
}
