import { sql, type Kysely } from 'kysely';

/**
 * Kits: SKUs made of other SKUs, holding no stock of their own. A kit SKU
 * keeps its components as JSON (`[{ "sku": "U", "quantity": 2 }]`, per kit).
 * An order line of a kit carries the money, and its stock lives in one
 * component line per component, each pointing at the kit line through
 * `kit_line_id`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('skus').addColumn('components', 'text').execute();
  await db.schema.alterTable('order_lines').addColumn('kit_line_id', 'text', (c) => c.references('order_lines.id')).execute();
  await db.schema
    .createIndex('order_lines_by_kit_line')
    .on('order_lines')
    .columns(['kit_line_id'])
    .where(sql.ref('kit_line_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('order_lines_by_kit_line').execute();
  await db.schema.alterTable('order_lines').dropColumn('kit_line_id').execute();
  await db.schema.alterTable('skus').dropColumn('components').execute();
}
