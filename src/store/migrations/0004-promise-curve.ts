import type { Kysely } from 'kysely';

/**
 * The supply curve of each SKU's last promise sweep, so that a change that
 * only serves the front of the queue or adds lines at its end can re-promise
 * just those lines when the rest of the curve is unchanged.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('skus').addColumn('promise_curve', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('skus').dropColumn('promise_curve').execute();
}
