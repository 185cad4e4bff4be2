import type { StockPolicy } from '../domain/types.js';
import { availableAt } from '../domain/allocation.js';
import { lockSkus, locationRules } from '../store/rows.js';
import type { Work } from '../store/store.js';
import { noteChanged } from './promises.js';
import { serveQueueAt } from './allocate.js';
import { invalidState } from './errors.js';
import { assertKitDefinition, parseComponents } from './kits.js';
import type { KitComponent } from '../domain/kits.js';

export interface SkuInput {
  name?: string;
  policy: StockPolicy;
  backorderLimit?: number | null;
  lowStockThreshold?: number;
  leadTimeDays?: number | null;
  handlingDays?: number;
  restockDate?: string | null;
  releaseDate?: string | null;
  /**
   * Makes the SKU a kit of these components (units per kit), or with null an
   * ordinary SKU. Left out, the SKU stays as it is: a kit keeps its components.
   */
  components?: KitComponent[] | null;
}

/**
 * Creates or updates a SKU and writes `sku.created` or `sku.updated`.
 * Returns whether it was created. Changing the rules never moves stock:
 * lines already queued stay queued. A kit's components must exist and not
 * be kits (`invalid_state`, see `assertKitDefinition`). Orders already
 * placed keep the components they were placed with.
 */
export async function upsertSku(work: Work, code: string, input: SkuInput): Promise<{ created: boolean }> {
  const backorderLimit = input.backorderLimit ?? null;
  if (backorderLimit !== null && input.policy !== 'backorder' && input.policy !== 'preorder') {
    throw invalidState(`SKU ${code}: backorder_limit applies only to the backorder and preorder policies, not ${input.policy}.`);
  }

  const locked = await lockSkus(work, [code, ...(input.components ?? []).map((component) => component.sku)]);
  const existing = locked.get(code);
  const components = input.components === undefined ? parseComponents(existing?.components ?? null) : input.components;
  if (components !== null) assertKitRules(code, input);
  // Kept components were checked when they were set, and a component can never become a kit.
  if (input.components) await assertKitDefinition(work, code, input.components, locked);

  const values = {
    name: input.name ?? existing?.name ?? '',
    policy: input.policy,
    backorder_limit: backorderLimit,
    low_stock_threshold: input.lowStockThreshold ?? 0,
    lead_time_days: input.leadTimeDays ?? null,
    handling_days: input.handlingDays ?? 0,
    restock_date: input.restockDate ?? null,
    release_date: input.releaseDate ?? null,
    components: components === null ? null : JSON.stringify(components),
    updated_at: work.nowIso,
  };

  if (existing) {
    await work.db.updateTable('skus').set(values).where('code', '=', code).execute();
  } else {
    await work.db.insertInto('skus').values({ code, ...values, backordered: 0, created_at: work.nowIso }).execute();
    // A kit holds no stock, so it gets no stock level.
    if (components === null) {
      await work.db
        .insertInto('stock_levels')
        .values({ sku: code, location: 'main', on_hand: 0, allocated: 0, updated_at: work.nowIso })
        .execute();
    }
  }

  const { updated_at: _ignored, ...data } = values;
  work.emit({ type: existing ? 'sku.updated' : 'sku.created', sku: code, data: { ...data, components } });
  noteChanged(work, code);
  return { created: !existing };
}

/**
 * Rejects the rules a kit takes from its components: a kit ships when its
 * components do, so supply dates, lead time and handling belong on them.
 */
function assertKitRules(code: string, input: SkuInput): void {
  const own: [string, boolean][] = [
    ['backorder_limit', (input.backorderLimit ?? null) !== null],
    ['lead_time_days', (input.leadTimeDays ?? null) !== null],
    ['handling_days', (input.handlingDays ?? 0) !== 0],
    ['restock_date', (input.restockDate ?? null) !== null],
    ['release_date', (input.releaseDate ?? null) !== null],
  ];
  const set = own.filter(([, isSet]) => isSet).map(([field]) => field);
  if (set.length > 0) {
    throw invalidState(`Kit ${code} takes ${set.join(', ')} from its components; leave it out and set it on the component SKUs.`);
  }
}

export interface LocationInput {
  name?: string;
  timeZone?: string;
  workingDays?: number[];
  holidays?: string[];
  receivingDays?: number;
  shipsTo?: string[] | null;
  priority?: number;
}

/**
 * Creates or updates a location and writes `location.created` or
 * `location.updated`. When the countries it ships to change, its free stock
 * serves any queue lines it may now ship to, so no queued line waits while
 * stock that could serve it sits available.
 */
export async function upsertLocation(work: Work, code: string, input: LocationInput): Promise<{ created: boolean }> {
  const existing = await work.db.selectFrom('locations').selectAll().where('code', '=', code).executeTakeFirst();
  const values = {
    name: input.name ?? existing?.name ?? code,
    time_zone: input.timeZone ?? existing?.time_zone ?? 'UTC',
    working_days: JSON.stringify(input.workingDays ?? (existing ? JSON.parse(existing.working_days) : [1, 2, 3, 4, 5])),
    holidays: JSON.stringify(input.holidays ?? (existing ? JSON.parse(existing.holidays) : [])),
    receiving_days: input.receivingDays ?? existing?.receiving_days ?? 0,
    ships_to: shipsToColumn(input.shipsTo, existing?.ships_to ?? null),
    priority: input.priority ?? existing?.priority ?? 100,
    updated_at: work.nowIso,
  };

  if (existing) {
    await work.db.updateTable('locations').set(values).where('code', '=', code).execute();
  } else {
    await work.db.insertInto('locations').values({ code, ...values, created_at: work.nowIso }).execute();
  }

  const { updated_at: _ignored, ...data } = values;
  work.emit({ type: existing ? 'location.updated' : 'location.created', data: { code, ...data } });

  if (existing && existing.ships_to !== values.ships_to) await serveQueuesAtLocation(work, code);
  if (existing) await noteQueuedSkus(work);
  return { created: !existing };
}

async function serveQueuesAtLocation(work: Work, code: string): Promise<void> {
  const candidates = await work.db
    .selectFrom('stock_levels')
    .innerJoin('skus', 'skus.code', 'stock_levels.sku')
    .select('stock_levels.sku')
    .where('stock_levels.location', '=', code)
    .where('skus.backordered', '>', 0)
    .whereRef('stock_levels.on_hand', '>', 'stock_levels.allocated')
    .execute();
  if (candidates.length === 0) return;

  const skus = await lockSkus(work, candidates.map((c) => c.sku));
  const location = locationRules((await work.db.selectFrom('locations').selectAll().where('code', '=', code).executeTakeFirstOrThrow()));
  for (const sku of skus.keys()) {
    const level = await work.db
      .selectFrom('stock_levels')
      .select(['on_hand', 'allocated'])
      .where('sku', '=', sku)
      .where('location', '=', code)
      .executeTakeFirstOrThrow();
    await serveQueueAt(work, sku, location, availableAt({ onHand: level.on_hand, allocated: level.allocated }), 'location_updated');
  }
}

/** Marks every SKU with a queue for re-promising, since a location's calendar or reach changed. */
async function noteQueuedSkus(work: Work): Promise<void> {
  const queued = await work.db.selectFrom('skus').select('code').where('backordered', '>', 0).orderBy('code').execute();
  const skus = await lockSkus(work, queued.map((row) => row.code));
  for (const sku of skus.keys()) noteChanged(work, sku);
}

/** Returns the stored `ships_to` text: unchanged when not given, null for everywhere, else the JSON list. */
function shipsToColumn(requested: string[] | null | undefined, stored: string | null): string | null {
  if (requested === undefined) return stored;
  if (requested === null) return null;
  return JSON.stringify(requested);
}
