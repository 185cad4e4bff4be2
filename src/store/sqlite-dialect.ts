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

/**
 * A prepared statement with the names of its result columns when it returns
 * rows. Such a statement returns rows as arrays (`raw` mode), which are
 * turned into objects here. better-sqlite3 builds an object row about twice
 * as slowly as an array row (measured with better-sqlite3 12 on rows of 14
 * columns), so assigning the values in JavaScript is faster overall.
 */
interface CachedStatement {
  statement: BetterSqlite3.Statement;
  columns: string[] | null;
  lastUse: number;
}

class CachingSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, CachedStatement>();
  private uses = 0;

  constructor(
    private readonly database: BetterSqlite3.Database,
    private readonly counter?: QueryCounter,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { statement, columns } = this.prepare(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];

    if (columns) {
      const rows = toObjects<R>(statement.all(parameters) as unknown[][], columns);
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
  private prepare(text: string): CachedStatement {
    this.uses += 1;
    const cached = this.statements.get(text);
    if (cached) {
      cached.lastUse = this.uses;
      return cached;
    }

    const statement = this.database.prepare(text);
    let columns: string[] | null = null;
    if (statement.reader) {
      statement.raw(true);
      columns = statement.columns().map((column) => column.name);
    }
    const entry = { statement, columns, lastUse: this.uses };
    if (this.statements.size >= STATEMENT_CACHE_SIZE) this.dropLeastRecentlyUsed();
    this.statements.set(text, entry);
    return entry;
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

/** Turns array rows into objects keyed by column name; a later column of the same name wins, as in better-sqlite3's own objects. */
function toObjects<R>(rows: unknown[][], columns: readonly string[]): R[] {
  const objects = new Array<R>(rows.length);
  for (let index = 0; index < rows.length; index += 1) {
    const row = rows[index]!;
    const object: Record<string, unknown> = {};
    for (let column = 0; column < columns.length; column += 1) object[columns[column]!] = row[column];
    objects[index] = object as R;
  }
  return objects;
}
