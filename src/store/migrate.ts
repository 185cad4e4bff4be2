import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.js';
import * as core from './migrations/0001-core.js';
import * as mainLocation from './migrations/0002-main-location.js';

// Listed here rather than read from a folder, so the build and the tests
// run the same set and a bundled install needs no file-system lookups.
const migrations: Record<string, Migration> = {
  '0001-core': core,
  '0002-main-location': mainLocation,
};

const provider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();

  const failed = results?.find((result) => result.status === 'Error');
  if (error) {
    const name = failed ? ` in migration ${failed.migrationName}` : '';
    throw new Error(`Database migration failed${name}: ${String((error as Error).message ?? error)}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
