import { connect } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';

export async function runMigrate(databaseUrl: string): Promise<number> {
  const connection = await connect({ url: databaseUrl });
  try {
    const applied = await migrateToLatest(connection.db);
    const list = applied.length === 0 ? 'none pending' : applied.join(', ');
    process.stdout.write(`Migrated ${connection.description}: ${list}.\n`);
    return 0;
  } finally {
    await connection.db.destroy();
  }
}
