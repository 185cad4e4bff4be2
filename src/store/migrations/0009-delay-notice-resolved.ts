import { sql, type Kysely } from 'kysely';
import { isPostgres } from '../dialect.js';

/**
 * Adds `resolved` to the answers of a delay notice: the review closes an
 * open notice as resolved when none of its lines slips any more (the units
 * got stock, shipped or were cancelled, or the estimate came back within the
 * date in force). PostgreSQL replaces the check constraint. SQLite cannot
 * alter a constraint, so the table is rebuilt with the same columns and
 * indexes; nothing references `delay_notices`, so no foreign key is touched.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await replaceAnswerCheck(db, ['accepted', 'cancelled', 'lapsed', 'resolved']);
}

/** Restores the earlier answers; a resolved notice becomes lapsed, the closest earlier meaning (closed without an answer). */
export async function down(db: Kysely<any>): Promise<void> {
  await db.updateTable('delay_notices').set({ answer: 'lapsed' }).where('answer', '=', 'resolved').execute();
  await replaceAnswerCheck(db, ['accepted', 'cancelled', 'lapsed']);
}

async function replaceAnswerCheck(db: Kysely<any>, answers: string[]): Promise<void> {
  const check = sql`answer is null or answer in (${sql.join(answers.map((answer) => sql.lit(answer)))})`;
  if (isPostgres(db)) {
    await db.schema.alterTable('delay_notices').dropConstraint('delay_notices_answer').execute();
    await db.schema.alterTable('delay_notices').addCheckConstraint('delay_notices_answer', check).execute();
    return;
  }
  await rebuildSqliteTable(db, check);
}

const COLUMNS = [
  'id', 'order_id', 'notice_number', 'notice', 'consent', 'respond_by', 'revised_date', 'reason', 'late', 'lines', 'sent_at', 'answer',
  'answered_at',
];

/** Rebuilds `delay_notices` on SQLite with `check` as its answer constraint; the columns repeat migration 0007's. */
async function rebuildSqliteTable(db: Kysely<any>, check: ReturnType<typeof sql>): Promise<void> {
  await db.schema
    .createTable('delay_notices_rebuilt')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('notice_number', 'integer', (c) => c.notNull())
    .addColumn('notice', 'text', (c) => c.notNull())
    .addColumn('consent', 'text', (c) => c.notNull())
    .addColumn('respond_by', 'text', (c) => c.notNull())
    .addColumn('revised_date', 'text')
    .addColumn('reason', 'text')
    .addColumn('late', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lines', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text', (c) => c.notNull())
    .addColumn('answer', 'text')
    .addColumn('answered_at', 'text')
    .addCheckConstraint('delay_notices_consent', sql`consent in ('silence', 'explicit')`)
    .addCheckConstraint('delay_notices_answer', check)
    .addCheckConstraint('delay_notices_reason', sql`revised_date is not null or reason is not null`)
    .execute();
  const columns = sql.join(COLUMNS.map((column) => sql.ref(column)));
  await sql`insert into delay_notices_rebuilt (${columns}) select ${columns} from delay_notices`.execute(db);
  await db.schema.dropTable('delay_notices').execute();
  await db.schema.alterTable('delay_notices_rebuilt').renameTo('delay_notices').execute();

  await db.schema.createIndex('delay_notices_by_order').on('delay_notices').columns(['order_id', 'notice_number']).execute();
  await db.schema
    .createIndex('delay_notices_open_by_respond_by')
    .on('delay_notices')
    .columns(['respond_by'])
    .where(sql.ref('answer'), 'is', null)
    .execute();
}
