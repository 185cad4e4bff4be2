import { PostgresAdapter, type Kysely } from 'kysely';

/** Tells whether a Kysely handle talks to PostgreSQL, for the few places the SQL differs. */
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
