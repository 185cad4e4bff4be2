import { existsSync } from 'node:fs';
import { checkInvariants } from '../app/check.js';
import { isPostgresUrl } from '../store/database.js';
import { Store } from '../store/store.js';

/**
 * Reads the database and prints every broken invariant with its ids.
 * Returns the process exit code: 0 when all hold, 1 otherwise.
 */
export async function runCheck(databaseUrl: string, json: boolean): Promise<number> {
  if (!isPostgresUrl(databaseUrl) && !existsSync(databaseUrl)) {
    process.stderr.write(`No database file at ${databaseUrl}; pass --db or set RESTOCK_DB to an existing database.\n`);
    return 2;
  }
  const store = await Store.open({ url: databaseUrl, migrate: false });
  try {
    const violations = await checkInvariants(store.db);
    if (json) {
      process.stdout.write(`${JSON.stringify({ database: store.description, violations }, null, 2)}\n`);
    } else if (violations.length === 0) {
      process.stdout.write(`All invariants hold on ${store.description}.\n`);
    } else {
      process.stdout.write(`${violations.length} broken invariants on ${store.description}:\n`);
      for (const v of violations) {
        const ids = Object.entries(v.ids).map(([k, id]) => `${k}=${id}`).join(' ');
        process.stdout.write(`  [${v.invariant}] ${ids}: ${v.message}\n`);
      }
    }
    return violations.length === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}
