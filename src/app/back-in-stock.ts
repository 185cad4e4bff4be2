import type { Kysely, Selectable } from 'kysely';
import type { BackInStockSubscriptionTable, Database } from '../store/schema.js';
import type { Work } from '../store/store.js';
import { availableAt } from '../domain/allocation.js';
import type { KitComponent } from '../domain/kits.js';
import { signToken } from './signed-tokens.js';
import { invalidState, notFound } from './errors.js';
import { parseComponents } from './kits.js';

type SubscriptionRow = Selectable<BackInStockSubscriptionTable>;

export type SubscriptionStatus = 'pending' | 'notified' | 'unsubscribed';

export interface SubscriptionView {
  id: string;
  sku: string;
  email: string;
  status: SubscriptionStatus;
  created_at: string;
  notified_at: string | null;
  unsubscribed_at: string | null;
}

/** A SKU's available units (on hand − allocated, summed over every location) before and after one transaction. */
export interface StockChange {
  sku: string;
  before: number;
  after: number;
}

/** How long an unsubscribe link works: a year, so a link in an old alert still works when the shopper finds it. */
export const UNSUBSCRIBE_LINK_DAYS = 365;

const DAY_MILLIS = 24 * 60 * 60 * 1000;

/** Returns the address as stored and compared: trimmed and in lower case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Subscribes an e-mail address to a SKU's back-in-stock alert. One address
 * has one subscription per SKU: signing up again while it is pending returns
 * it unchanged, and signing up again after it was notified or unsubscribed
 * renews it at the end of the sign-up order. `created` is true only for a new
 * subscription. Rejects an unknown SKU (`not_found`) and a `discontinued` SKU
 * (`invalid_state`), which will not be restocked.
 */
export async function subscribe(work: Work, input: { sku: string; email: string }): Promise<{ subscription: SubscriptionView; created: boolean }> {
  const sku = await work.db.selectFrom('skus').select(['code', 'policy']).where('code', '=', input.sku).executeTakeFirst();
  if (!sku) throw notFound(`SKU ${input.sku} was not found; check the SKU code on the product page.`);
  if (sku.policy === 'discontinued') {
    throw invalidState(`SKU ${input.sku} is discontinued and will not be restocked, so it takes no back-in-stock subscriptions.`);
  }

  const email = normalizeEmail(input.email);
  const inserted = await work.db
    .insertInto('back_in_stock_subscriptions')
    .values({ id: work.newId('bis'), sku: input.sku, email, created_at: work.nowIso, notified_at: null, unsubscribed_at: null })
    .onConflict((oc) => oc.columns(['sku', 'email']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { subscription: subscriptionView(inserted), created: true };

  const existing = await work.db
    .selectFrom('back_in_stock_subscriptions')
    .selectAll()
    .where('sku', '=', input.sku)
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  if (existing.notified_at === null && existing.unsubscribed_at === null) return { subscription: subscriptionView(existing), created: false };

  const renewed = { ...existing, created_at: work.nowIso, notified_at: null, unsubscribed_at: null };
  await work.db
    .updateTable('back_in_stock_subscriptions')
    .set({ created_at: renewed.created_at, notified_at: null, unsubscribed_at: null })
    .where('id', '=', existing.id)
    .execute();
  return { subscription: subscriptionView(renewed), created: false };
}

/** Reads one subscription; `not_found` when no subscription has the id. */
export async function readSubscription(db: Kysely<Database>, id: string): Promise<SubscriptionView> {
  const row = await db.selectFrom('back_in_stock_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Back-in-stock subscription ${id} was not found.`);
  return subscriptionView(row);
}

/**
 * Unsubscribes: the subscription is never included in a wave again. Doing
 * it twice keeps the first time. Returns the subscription as it is now.
 */
export async function unsubscribe(work: Work, id: string): Promise<SubscriptionView> {
  await work.db
    .updateTable('back_in_stock_subscriptions')
    .set({ unsubscribed_at: work.nowIso })
    .where('id', '=', id)
    .where('unsubscribed_at', 'is', null)
    .execute();
  return readSubscription(work.db, id);
}

/**
 * Builds the unsubscribe link for a subscription's alert e-mail: a signed
 * token of kind `unsubscribe` that expires after `UNSUBSCRIBE_LINK_DAYS`.
 */
export function unsubscribeLink(links: { secret: string; baseUrl: string }, subscriptionId: string, now: Date): string {
  const expiresAt = new Date(now.getTime() + UNSUBSCRIBE_LINK_DAYS * DAY_MILLIS);
  const token = signToken(links.secret, { kind: 'unsubscribe', id: subscriptionId, expiresAt });
  return `${links.baseUrl}/c/unsubscribe/${token}`;
}

function subscriptionView(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id,
    sku: row.sku,
    email: row.email,
    status: statusOf(row),
    created_at: row.created_at,
    notified_at: row.notified_at,
    unsubscribed_at: row.unsubscribed_at,
  };
}

function statusOf(row: Pick<SubscriptionRow, 'notified_at' | 'unsubscribed_at'>): SubscriptionStatus {
  if (row.unsubscribed_at !== null) return 'unsubscribed';
  if (row.notified_at !== null) return 'notified';
  return 'pending';
}

/**
 * Notifies pending subscribers that units became available after the
 * backorder queue took what it could. The SKUs are those whose available
 * units rose in the transaction, and the kits that the rise lets more kits be
 * made of. For each, the earliest pending subscribers are marked notified, at
 * most one per unit that became available, and one `sku.back_in_stock` event
 * lists them. A SKU whose queue took every unit has no rise, so it sends no wave.
 */
export async function sendBackInStockWaves(work: Work, changes: readonly StockChange[]): Promise<void> {
  const rising = changes.filter((change) => change.after > change.before);
  if (rising.length === 0) return;

  const targets = await loadWaveTargets(work, rising.map((change) => change.sku));
  if (targets.length === 0) return;

  const bySku = new Map(changes.map((change) => [change.sku, change]));
  for (const target of targets) {
    const change = target.components === null ? bySku.get(target.sku) : await kitChange(work, target.sku, target.components, bySku);
    if (change && change.after > change.before) await sendWave(work, change);
  }
}

/**
 * Reads the SKUs that have pending subscribers and may have risen: the
 * rising SKUs themselves and every kit. Kits are included whole because
 * their components live in JSON text.
 * NOTE: the kit half reads every pending subscription of a kit, which grows
 * with the subscriptions waiting for kits; it runs only when stock rises.
 */
async function loadWaveTargets(work: Work, rising: readonly string[]): Promise<{ sku: string; components: KitComponent[] | null }[]> {
  const rows = await work.db
    .selectFrom('back_in_stock_subscriptions as subscription')
    .innerJoin('skus', 'skus.code', 'subscription.sku')
    .select(['subscription.sku', 'skus.components'])
    .distinct()
    .where('subscription.notified_at', 'is', null)
    .where('subscription.unsubscribed_at', 'is', null)
    .where((eb) => eb.or([eb('subscription.sku', 'in', [...rising]), eb('skus.components', 'is not', null)]))
    .orderBy('subscription.sku')
    .execute();
  return rows.map((row) => ({ sku: row.sku, components: parseComponents(row.components) }));
}

/**
 * Computes how many kits the components' units made before and after the
 * transaction: the least, over its components, of available units divided
 * by units per kit. Returns null when none of its components changed.
 */
async function kitChange(
  work: Work,
  kit: string,
  components: readonly KitComponent[],
  changes: ReadonlyMap<string, StockChange>,
): Promise<StockChange | null> {
  if (!components.some((component) => changes.has(component.sku))) return null;

  const unchanged = components.filter((component) => !changes.has(component.sku)).map((component) => component.sku);
  const available = await readAvailable(work, unchanged);
  const kitsOf = (units: (sku: string) => number) =>
    Math.min(...components.map((component) => Math.floor(units(component.sku) / component.quantity)));

  const before = kitsOf((sku) => changes.get(sku)?.before ?? available.get(sku) ?? 0);
  const after = kitsOf((sku) => changes.get(sku)?.after ?? available.get(sku) ?? 0);
  return { sku: kit, before, after };
}

/** Reads each SKU's available units summed over every location; SKUs without stock levels are left out. */
export async function readAvailable(work: Work, skus: readonly string[]): Promise<Map<string, number>> {
  const available = new Map<string, number>();
  if (skus.length === 0) return available;

  const levels = await work.db
    .selectFrom('stock_levels')
    .select(['sku', 'on_hand', 'allocated'])
    .where('sku', 'in', [...skus])
    .execute();
  for (const level of levels) {
    const units = availableAt({ onHand: level.on_hand, allocated: level.allocated });
    available.set(level.sku, (available.get(level.sku) ?? 0) + units);
  }
  return available;
}

/** Marks the earliest pending subscribers of one SKU notified, one per unit that became available, and emits their wave. */
async function sendWave(work: Work, change: StockChange): Promise<void> {
  let query = work.db
    .selectFrom('back_in_stock_subscriptions')
    .select(['id', 'email'])
    .where('sku', '=', change.sku)
    .where('notified_at', 'is', null)
    .where('unsubscribed_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(change.after - change.before);
  // Two transactions that raise different components of one kit do not lock
  // the same SKU row; locking the rows makes the second skip those the first
  // notified, so nobody is notified twice.
  if (work.postgres) query = query.forUpdate();
  const subscribers = await query.execute();
  if (subscribers.length === 0) return;

  await work.db
    .updateTable('back_in_stock_subscriptions')
    .set({ notified_at: work.nowIso })
    .where('id', 'in', subscribers.map((subscriber) => subscriber.id))
    .execute();
  work.emit({
    type: 'sku.back_in_stock',
    sku: change.sku,
    data: {
      available: change.after,
      subscribers: subscribers.map((subscriber) => ({ subscription_id: subscriber.id, email: subscriber.email })),
    },
  });
}
