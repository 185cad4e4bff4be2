import type { Kysely } from 'kysely';

/** The location `main` exists from the first start: UTC, Monday to Friday, receiving 0 days. */
export async function up(db: Kysely<any>): Promise<void> {
  await insertMainLocation(db, new Date().toISOString());
}

export async function insertMainLocation(db: Kysely<any>, now: string): Promise<void> {
  await db
    .insertInto('locations')
    .values({
      code: 'main',
      name: 'Main warehouse',
      time_zone: 'UTC',
      working_days: '[1,2,3,4,5]',
      holidays: '[]',
      receiving_days: 0,
      ships_to: null,
      priority: 100,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('locations').where('code', '=', 'main').execute();
}
