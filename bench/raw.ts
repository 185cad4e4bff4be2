/**
 * Raw rates: the same database doing one small write transaction with no
 * engine around it, so that engine figures can be read as a fraction of it.
 */
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/store/schema.js';
import { runPhase, runPhaseSync, type Timing } from './support.js';

/** Lists the statements that create the hot row and its log table, whose key has the type `logId`. */
function rawTables(logId: string): string[] {
  return [
    'create table bench_counter (id integer primary key, value integer not null)',
    `create table bench_log (id ${logId}, counter_id integer not null, delta integer not null, created_at text not null)`,
    'insert into bench_counter (id, value) values (1, 0)',
  ];
}

/**
 * Measures better-sqlite3 on its own file with the pragmas the store sets:
 * BEGIN IMMEDIATE, read the hot row, update it, insert one row, COMMIT, one
 * transaction at a time.
 */
export function measureRawSqlite(path: string, phase: { warmup: number; items: number; minMillis: number }): Timing {
  const db = new BetterSqlite3(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 10000');
    db.pragma('foreign_keys = ON');
    for (const statement of rawTables('integer primary key')) db.exec(statement);

    const begin = db.prepare('begin immediate');
    const read = db.prepare('select value from bench_counter where id = ?');
    const update = db.prepare('update bench_counter set value = value + 1 where id = ?');
    const insert = db.prepare('insert into bench_log (counter_id, delta, created_at) values (?, ?, ?)');
    const commit = db.prepare('commit');
    const transaction = () => {
      begin.run();
      read.get(1);
      update.run(1);
      insert.run(1, 1, new Date().toISOString());
      commit.run();
    };

    runPhaseSync({ items: phase.warmup }, transaction);
    return runPhaseSync({ items: phase.items, minMillis: phase.minMillis }, transaction);
  } finally {
    db.close();
  }
}

/**
 * Measures node-postgres with `workers` pooled clients on one hot row: BEGIN,
 * SELECT … FOR UPDATE, UPDATE, INSERT, COMMIT, `workers` transactions in
 * flight. The tables go into `schema`, which must exist.
 */
export async function measureRawPostgres(
  url: string,
  schema: string,
  phase: { warmup: number; items: number; minMillis: number; workers: number },
): Promise<Timing> {
  const pool = new pg.Pool({ connectionString: url, max: phase.workers, options: `-c search_path=${schema}` });
  try {
    for (const statement of rawTables('bigserial primary key')) await pool.query(statement);
    await fillPool(pool, phase.workers);

    const transaction = async () => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query('select value from bench_counter where id = $1 for update', [1]);
        await client.query('update bench_counter set value = value + 1 where id = $1', [1]);
        await client.query('insert into bench_log (counter_id, delta, created_at) values ($1, $2, $3)', [1, 1, new Date().toISOString()]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
    };

    await runPhase({ items: phase.warmup, workers: phase.workers }, transaction);
    return await runPhase({ items: phase.items, workers: phase.workers, minMillis: phase.minMillis }, transaction);
  } finally {
    await pool.end();
  }
}

/** Opens `size` connections up front, so that no measured phase pays for connecting. */
async function fillPool(pool: pg.Pool, size: number): Promise<void> {
  await Promise.all(Array.from({ length: size }, () => pool.query('select pg_sleep(0.02)')));
}

/** Fills a Kysely pool the same way; a no-op on SQLite, which has one connection. */
export async function fillStorePool(db: Kysely<Database>, size: number): Promise<void> {
  await Promise.all(Array.from({ length: size }, () => sql`select pg_sleep(0.02)`.execute(db)));
}
