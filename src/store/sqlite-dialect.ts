import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import type { QueryCounter } from './query-counter.js';

const STATEMENT_CACHE_SIZE = 512;

/**
 * A Kysely dialect for better-sqlite3 that starts every transaction with
 * `BEGIN IMMEDIATE` and caches prepared statements. A plain `BEGIN` takes the
 * write lock only at the first write, so two processes that both read first
 * fail with SQLITE_BUSY instead of waiting on the busy timeout.
 */
export class ImmediateSqliteDialect implements Dialect {
  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly counter?: QueryCounter,
  ) {}

  createDriver(): Driver {
    return new ImmediateSqliteDriver(this.database, this.counter);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

class ImmediateSqliteDriver implements Driver {
  private readonly connection: CachingSqliteConnection;
  private lock: Promise<void> = Promise.resolve();
  private unlock: (() => void) | undefined;

  constructor(database: BetterSqlite3.Database, counter?: QueryCounter) {
    this.connection = new CachingSqliteConnection(database, counter);
  }

  async init(): Promise<void> {}

  // SQLite has one connection per handle, so callers take turns on it.
  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.unlock = release;
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.unlock;
    this.unlock = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    this.connection.close();
  }
}

class CachingSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, { statement: BetterSqlite3.Statement; lastUse: number }>();
  private uses = 0;

  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly counter?: QueryCounter,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.prepare(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];

    if (statement.reader) {
      const rows = statement.all(parameters) as R[];
      this.counter?.record(compiledQuery.sql, rows.length, 0);
      return { rows };
    }

    const { changes, lastInsertRowid } = statement.run(parameters);
    this.counter?.record(compiledQuery.sql, 0, changes);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported on SQLite here; page with limit and a cursor instead.');
  }

  close(): void {
    this.statements.clear();
    this.database.close();
  }

  /**
   * Returns the cached statement for the text, or prepares and caches it.
   * A full cache drops its least recently used statement, so multi-row
   * statements of many sizes cannot push out the hot ones.
   */
  private prepare(text: string): BetterSqlite3.Statement {
    this.uses += 1;
    const cached = this.statements.get(text);
    if (cached) {
      cached.lastUse = this.uses;
      return cached.statement;
    }

    const statement = this.database.prepare(text);
    if (this.statements.size >= STATEMENT_CACHE_SIZE) this.dropLeastRecentlyUsed();
    this.statements.set(text, { statement, lastUse: this.uses });
    return statement;
  }

  // A scan of the cache on each miss keeps a hit down to one map lookup.
  private dropLeastRecentlyUsed(): void {
    let oldest: string | undefined;
    let oldestUse = Infinity;
    for (const [text, entry] of this.statements) {
      if (entry.lastUse < oldestUse) {
        oldest = text;
        oldestUse = entry.lastUse;
      }
    }
    if (oldest !== undefined) this.statements.delete(oldest);
  }
}
