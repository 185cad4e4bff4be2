import { padInList } from '../store/bulk.js';
import type { Kysely, Selectable } from 'kysely';
import type { KitComponent } from '../domain/kits.js';
import type { Database, SkuTable } from '../store/schema.js';
import type { LockedSku } from '../store/rows.js';
import type { Work } from '../store/store.js';
import { invalidState } from './errors.js';

type Reader = Kysely<Database>;

/** Maximum number of components in one kit. */
export const MAX_KIT_COMPONENTS = 100;
/** Maximum units of one component in one kit. */
export const MAX_UNITS_PER_KIT = 1000;

/** Parses a SKU's stored `components`; null for a SKU that is not a kit. */
export function parseComponents(text: string | null): KitComponent[] | null {
  if (text === null) return null;
  return JSON.parse(text) as KitComponent[];
}

/** Reads the kit definitions among the given SKU codes, keyed by kit code. SKUs that are not kits are left out. */
export async function loadKits(db: Reader, codes: Iterable<string>): Promise<Map<string, KitComponent[]>> {
  const unique = [...new Set(codes)];
  const kits = new Map<string, KitComponent[]>();
  if (unique.length === 0) return kits;

  const rows = await db.selectFrom('skus').select(['code', 'components']).where('code', 'in', padInList(unique)).where('components', 'is not', null).execute();
  for (const row of rows) kits.set(row.code, parseComponents(row.components)!);
  return kits;
}

/** Returns the kits among locked SKU rows, keyed by kit code. */
export function kitsOfRows(rows: Iterable<Pick<Selectable<SkuTable>, 'code' | 'components'>>): Map<string, KitComponent[]> {
  const kits = new Map<string, KitComponent[]>();
  for (const row of rows) {
    const components = parseComponents(row.components);
    if (components) kits.set(row.code, components);
  }
  return kits;
}

/**
 * Checks that `code` may be the kit `components` describes. A kit has 1 to
 * 100 components, none listed twice or equal to the kit, with 1 to 1,000
 * units of each. Every component is an existing SKU that is not a kit, and
 * `code` is not a component of another kit. A SKU that becomes a kit must
 * have no stock on hand, no queue and no open inbound supply. Expects the
 * rows of the kit and its components locked (`locked`). Throws
 * `invalid_state` naming the fix.
 */
export async function assertKitDefinition(
  work: Work,
  code: string,
  components: readonly KitComponent[],
  locked: ReadonlyMap<string, LockedSku>,
): Promise<void> {
  assertComponentList(code, components);

  for (const component of components) {
    const row = locked.get(component.sku);
    if (!row) throw invalidState(`Kit ${code} lists component ${component.sku}, which does not exist; create ${component.sku} first.`);
    if (row.components !== null) {
      throw invalidState(`Kit ${code} lists component ${component.sku}, which is a kit itself; list the components of ${component.sku} instead.`);
    }
  }

  const containing = await kitsContaining(work, code);
  if (containing.length > 0) {
    throw invalidState(`SKU ${code} is a component of kit ${containing.join(', ')}, so it cannot be a kit itself.`);
  }

  const existing = locked.get(code);
  if (existing && existing.components === null) await assertHoldsNothing(work, code, existing.backordered);
}

function assertComponentList(code: string, components: readonly KitComponent[]): void {
  if (components.length === 0 || components.length > MAX_KIT_COMPONENTS) {
    throw invalidState(`Kit ${code} must have 1 to ${MAX_KIT_COMPONENTS} components, not ${components.length}; send null for a SKU that is not a kit.`);
  }
  const seen = new Set<string>();
  for (const component of components) {
    if (component.sku === code) throw invalidState(`Kit ${code} cannot be a component of itself.`);
    if (seen.has(component.sku)) throw invalidState(`Kit ${code} lists component ${component.sku} twice; list it once with the total quantity.`);
    seen.add(component.sku);
    if (!Number.isInteger(component.quantity) || component.quantity < 1 || component.quantity > MAX_UNITS_PER_KIT) {
      throw invalidState(`Kit ${code} takes ${component.quantity} units of ${component.sku}; use a whole number from 1 to ${MAX_UNITS_PER_KIT}.`);
    }
  }
}

/** Lists the kits that have `code` as a component, by code. */
async function kitsContaining(work: Work, code: string): Promise<string[]> {
  const kits = await work.db.selectFrom('skus').select(['code', 'components']).where('components', 'is not', null).where('code', '!=', code).execute();
  return kits
    .filter((kit) => parseComponents(kit.components)!.some((component) => component.sku === code))
    .map((kit) => kit.code)
    .sort();
}

/** Rejects turning a SKU into a kit while it has stock, a queue or open inbound supply, since a kit has none of these. */
async function assertHoldsNothing(work: Work, code: string, backordered: number): Promise<void> {
  const stock = await work.db.selectFrom('stock_levels').select('on_hand').where('sku', '=', code).where('on_hand', '>', 0).executeTakeFirst();
  const inbound = await work.db
    .selectFrom('purchase_order_lines')
    .select('id')
    .where('sku', '=', code)
    .where('open', '=', 1)
    .executeTakeFirst();
  if (stock || backordered > 0 || inbound) {
    throw invalidState(
      `SKU ${code} has stock on hand, backordered units or open purchase orders, and a kit can have none; ` +
        'count its stock out, let its queue finish and close its purchase orders first, or create the kit under a new code.',
    );
  }
}

/**
 * Rejects stock changes for a kit: adjustments, purchase-order lines and
 * receipts. Stock of a kit lives in its components.
 */
export function assertHoldsStock(row: Pick<Selectable<SkuTable>, 'code' | 'components'>, action: string): void {
  const components = parseComponents(row.components);
  if (!components) return;
  const names = components.map((component) => component.sku).join(', ');
  throw invalidState(`SKU ${row.code} is a kit and has no stock of its own, so it cannot take ${action}; use its components (${names}) instead.`);
}

/**
 * Rejects an action that kits do not support yet on a kit line or one of
 * its component lines, with `invalid_state`. `action` names it, such as
 * "Order edits".
 */
export async function assertNotKitLine(work: Work, lineId: string, action: string): Promise<void> {
  const line = await work.db.selectFrom('order_lines').select(['id', 'kit_line_id']).where('id', '=', lineId).executeTakeFirst();
  const component = await work.db.selectFrom('order_lines').select('id').where('kit_line_id', '=', lineId).executeTakeFirst();
  if (line?.kit_line_id) {
    throw invalidState(`Line ${lineId} is a component of kit line ${line.kit_line_id}. ${action} of kits are not supported yet.`);
  }
  if (component) throw invalidState(`Line ${lineId} is a kit line. ${action} of kits are not supported yet.`);
}
