import {
  Migrator,
  sql,
  type DatabaseIntrospector,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type TableMetadata,
} from 'kysely';
import { isPostgres } from './dialect.js';
import type { Database } from './schema.js';
import * as core from './migrations/0001-core.js';
import * as mainLocation from './migrations/0002-main-location.js';
import * as orderChanges from './migrations/0003-order-changes.js';
import * as promiseCurve from './migrations/0004-promise-curve.js';
import * as kits from './migrations/0005-kits.js';
import * as outbox from './migrations/0006-outbox.js';
import * as delaysRefunds from './migrations/0007-delays-refunds.js';
import * as subscriptions from './migrations/0008-subscriptions.js';
import * as delayNoticeResolved from './migrations/0009-delay-notice-resolved.js';
import * as webhookSecretRotation from './migrations/0010-webhook-secret-rotation.js';

// Listed here rather than read from a folder, so the build and the tests
// run the same set and a bundled install needs no file-system lookups.
const migrations: Record<string, Migration> = {
  '0001-core': core,
  '0002-main-location': mainLocation,
  '0003-order-changes': orderChanges,
  '0004-promise-curve': promiseCurve,
  '0005-kits': kits,
  '0006-outbox': outbox,
  '0007-delays-refunds': delaysRefunds,
  '0008-subscriptions': subscriptions,
  '0009-delay-notice-resolved': delayNoticeResolved,
  '0010-webhook-secret-rotation': webhookSecretRotation,
};

const provider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = isPostgres(db) ? await postgresMigrator(db) : new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();

  const failed = results?.find((result) => result.status === 'Error');
  if (error) {
    const name = failed ? ` in migration ${failed.migrationName}` : '';
    throw new Error(`Database migration failed${name}: ${String((error as Error).message ?? error)}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/**
 * Builds a Migrator that keeps to the current schema. Kysely 0.28's Migrator
 * looks for its tables by introspecting every schema in the database. Given
 * no schema, it takes another schema's migration table for its own, and its
 * introspection query fails when another schema is dropped while it runs.
 * Several Restock schemas share one database in tests, so the Migrator is
 * given the current schema and a table listing limited to it.
 */
async function postgresMigrator(db: Kysely<Database>): Promise<Migrator> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('Database migration failed: PostgreSQL has no current schema. Check that the schema in search_path exists.');

  const listTables = async (): Promise<TableMetadata[]> => {
    const tables = await sql<{ name: string; kind: string }>`
      select c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v')`.execute(db);
    return tables.rows.map((table) => ({ name: table.name, schema, isView: table.kind === 'v', columns: [] }));
  };
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => [{ name: schema }],
    getTables: listTables,
    getMetadata: async () => ({ tables: await listTables() }),
  };

  // Kysely keeps its state in private fields, so every other member is
  // read from, and bound to, the real instance.
  const scoped = new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Migrator({ db: scoped, provider, migrationTableSchema: schema });
}
