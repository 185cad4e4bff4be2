import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, WebhookEndpointTable } from '../store/schema.js';
import type { Work } from '../store/store.js';
import { invalidState, notFound } from './errors.js';

/** Every event type Restock emits; an endpoint subscribes to some of them, or to `*` for all. */
export const EVENT_TYPES = [
  'order.placed',
  'order.ready_to_ship',
  'line.backordered',
  'line.allocated',
  'line.shipped',
  'line.cancelled',
  'line.edited',
  'line.returned',
  'refund.requested',
  'refund.completed',
  'promise.changed',
  'delay.notice_sent',
  'delay.accepted',
  'delay.cancelled',
  'delay.resolved',
  'sku.low_stock',
  'sku.out_of_stock',
  'sku.back_in_stock',
  'sku.created',
  'sku.updated',
  'location.created',
  'location.updated',
  'stock.adjusted',
  'purchase_order.created',
  'purchase_order.updated',
  'purchase_order.received',
  'purchase_order.closed',
] as const;

export const ALL_EVENTS = '*';

export interface WebhookEndpointView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  created_at: string;
  updated_at: string;
}

/** The view returned once, on creation: the only time the signing secret is shown. */
export interface CreatedWebhookEndpoint extends WebhookEndpointView {
  secret: string;
}

/** Stores an active endpoint with a new signing secret and returns it with the secret. */
export async function createWebhookEndpoint(work: Work, input: { url: string; events: string[] }): Promise<CreatedWebhookEndpoint> {
  const row = {
    id: work.newId('whe'),
    url: input.url,
    events: JSON.stringify([...new Set(input.events)]),
    secret: newSecret(),
    previous_secret: null,
    previous_secret_expires_at: null,
    active: 1,
    created_at: work.nowIso,
    updated_at: work.nowIso,
  };
  await work.db.insertInto('webhook_endpoints').values(row).execute();
  return { ...endpointView(row), secret: row.secret };
}

/** Hours a replaced secret still signs deliveries when the request names no other span. */
export const DEFAULT_ROTATION_GRACE_HOURS = 24;

/** The view returned once, on rotation: the new secret, and until when the old one still signs deliveries. */
export interface RotatedWebhookEndpoint extends CreatedWebhookEndpoint {
  previous_secret_expires_at: string | null;
}

/**
 * Gives an active endpoint a new signing secret. For `graceHours` hours,
 * deliveries also carry a `v1` signature made with the old secret, so a
 * receiver can switch secrets without rejecting deliveries in between.
 * With 0 the old secret stops at once. A secret from an earlier rotation
 * stops now, and a deleted endpoint cannot be rotated.
 */
export async function rotateWebhookSecret(work: Work, id: string, graceHours: number = DEFAULT_ROTATION_GRACE_HOURS): Promise<RotatedWebhookEndpoint> {
  const row = await work.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Webhook endpoint ${id} was not found; list them with GET /v1/webhook-endpoints.`);
  if (row.active !== 1) throw invalidState(`Webhook endpoint ${id} is deleted; register a new endpoint instead of rotating its secret.`);

  const expiresAt = graceHours > 0 ? new Date(work.now.getTime() + graceHours * 3_600_000).toISOString() : null;
  const changes = {
    secret: newSecret(),
    previous_secret: expiresAt === null ? null : row.secret,
    previous_secret_expires_at: expiresAt,
    updated_at: work.nowIso,
  };
  await work.db.updateTable('webhook_endpoints').set(changes).where('id', '=', id).execute();

  return { ...endpointView({ ...row, ...changes }), secret: changes.secret, previous_secret_expires_at: expiresAt };
}

/** Returns the secrets that sign a delivery at `now`: the current one, then the previous one while it is still valid. */
export function signingSecrets(row: Pick<Selectable<WebhookEndpointTable>, 'secret' | 'previous_secret' | 'previous_secret_expires_at'>, now: Date): string[] {
  const previousValid = row.previous_secret !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now.toISOString();
  return previousValid ? [row.secret, row.previous_secret!] : [row.secret];
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Reads one endpoint without its secret; throws not_found for an unknown id. */
export async function readWebhookEndpoint(db: Kysely<Database>, id: string): Promise<WebhookEndpointView> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`Webhook endpoint ${id} was not found; list them with GET /v1/webhook-endpoints.`);
  return endpointView(row);
}

/** Lists endpoints newest first, active and deleted, without their secrets. */
export async function listWebhookEndpoints(
  db: Kysely<Database>,
  options: { limit: number; before?: string },
): Promise<WebhookEndpointView[]> {
  let query = db.selectFrom('webhook_endpoints').selectAll().orderBy('id', 'desc').limit(options.limit);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return (await query.execute()).map(endpointView);
}

/**
 * Deactivates an endpoint: it is planned no new deliveries, and its pending
 * ones go dead when their turn comes. Its row and delivery log stay.
 * Deleting a deleted endpoint changes nothing.
 */
export async function deactivateWebhookEndpoint(work: Work, id: string): Promise<WebhookEndpointView> {
  await work.db
    .updateTable('webhook_endpoints')
    .set({ active: 0, updated_at: work.nowIso })
    .where('id', '=', id)
    .where('active', '=', 1)
    .execute();
  return readWebhookEndpoint(work.db, id);
}

/** Tells whether an endpoint subscribed to `events` receives an event of `type`. */
export function subscribes(events: readonly string[], type: string): boolean {
  return events.includes(ALL_EVENTS) || events.includes(type);
}

/** Parses an endpoint row's JSON list of event types. */
export function endpointEvents(row: Pick<Selectable<WebhookEndpointTable>, 'events'>): string[] {
  return JSON.parse(row.events) as string[];
}

function endpointView(row: Selectable<WebhookEndpointTable>): WebhookEndpointView {
  return {
    id: row.id,
    url: row.url,
    events: endpointEvents(row),
    active: row.active === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
