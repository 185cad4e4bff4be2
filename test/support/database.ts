import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/domain/clock.js';
import { dropSchema, type DatabaseKind } from '../../src/store/database.js';
import { Store } from '../../src/store/store.js';
import type { QueryCounter } from '../../src/store/query-counter.js';

/**
 * The database the suite runs on: SQLite by default, PostgreSQL when
 * RESTOCK_TEST_DB=postgres (with RESTOCK_TEST_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test). Every store a test opens is a
 * fresh database: a new SQLite file, or a new PostgreSQL schema dropped on
 * close, so runs and tests never share rows.
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
    const schema = `restock_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const store = await Store.open({ url: pgUrl, schema, clock: clock.now, maxConnections: options.maxConnections });
    return {
      store,
      clock,
      url: pgUrl,
      schema,
      async close() {
        await store.close();
        await dropSchema(pgUrl, schema);
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
