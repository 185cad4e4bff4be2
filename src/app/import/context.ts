import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { BackorderRow, ImportContext, PurchaseOrderRow, ValidatedFile } from './plan.js';

/** Values per `IN (…)` list, well under SQLite's and PostgreSQL's limits on bound parameters. */
const CHUNK = 500;

/**
 * Reads what the rows of an import refer to: the SKUs they name, every
 * location, the open purchase orders with their references and the orders
 * with their external ids.
 */
export async function loadImportContext(
  db: Kysely<Database>,
  files: readonly ValidatedFile[],
  rules: Pick<ImportContext, 'now' | 'maxLines'>,
): Promise<ImportContext> {
  const skuCodes = new Set<string>();
  const references = new Set<string>();
  const externalIds = new Set<string>();
  for (const file of files) {
    for (const { values } of file.rows) {
      if (typeof values.sku === 'string') skuCodes.add(values.sku);
      if (file.kind === 'purchase-orders') references.add((values as unknown as PurchaseOrderRow).reference);
      const externalId = file.kind === 'backorders' ? (values as unknown as BackorderRow).external_id : null;
      if (externalId) externalIds.add(externalId);
    }
  }

  const skus = new Set<string>();
  for (const chunk of chunks(skuCodes)) {
    const rows = await db.selectFrom('skus').select('code').where('code', 'in', chunk).execute();
    for (const row of rows) skus.add(row.code);
  }

  const openPurchaseOrderReferences = new Set<string>();
  for (const chunk of chunks(references)) {
    const rows = await db
      .selectFrom('purchase_orders')
      .select('reference')
      .where('reference', 'in', chunk)
      .where('status', 'in', ['open', 'partially_received'])
      .execute();
    for (const row of rows) openPurchaseOrderReferences.add(row.reference);
  }

  const orderExternalIds = new Set<string>();
  for (const chunk of chunks(externalIds)) {
    const rows = await db.selectFrom('orders').select('external_id').where('external_id', 'in', chunk).execute();
    for (const row of rows) if (row.external_id !== null) orderExternalIds.add(row.external_id);
  }

  const locations = new Set((await db.selectFrom('locations').select('code').execute()).map((row) => row.code));
  return { skus, locations, openPurchaseOrderReferences, orderExternalIds, ...rules };
}

function chunks(values: ReadonlySet<string>): string[][] {
  const all = [...values];
  const result: string[][] = [];
  for (let start = 0; start < all.length; start += CHUNK) result.push(all.slice(start, start + CHUNK));
  return result;
}
