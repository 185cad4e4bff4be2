import { z } from 'zod';
import { upsertLocation, upsertSku } from '../../app/catalog.js';
import { MAX_KIT_COMPONENTS, MAX_UNITS_PER_KIT } from '../../app/kits.js';
import { notFound } from '../../app/errors.js';
import { readQueue, readSku } from '../../app/read-models.js';
import type { App, RouteContext } from '../app.js';
import { decodeCursor, isText, isWholeNumber, page } from '../pagination.js';
import {
  calendarDate, count, country, errorBody, listOf, listQuery, locationCode, skuCode, stockPolicy, text, timeZone,
} from '../schemas.js';

const kitComponent = z
  .object({
    sku: skuCode,
    quantity: z
      .number({ error: `must be a whole number from 1 to ${MAX_UNITS_PER_KIT}` })
      .int(`must be a whole number from 1 to ${MAX_UNITS_PER_KIT}`)
      .min(1, 'must be at least 1')
      .max(MAX_UNITS_PER_KIT, `must be at most ${MAX_UNITS_PER_KIT}`)
      .describe('Units of the component in one kit'),
  })
  .strict();

export const skuBody = z
  .object({
    name: text(200).optional(),
    policy: stockPolicy,
    backorder_limit: count(1_000_000_000).nullable().optional(),
    low_stock_threshold: count(1_000_000_000).optional(),
    lead_time_days: count(3650).nullable().optional(),
    handling_days: count(365).optional(),
    restock_date: calendarDate.nullable().optional(),
    release_date: calendarDate.nullable().optional(),
    components: z
      .array(kitComponent)
      .min(1, 'must list at least one component; send null for a SKU that is not a kit')
      .max(MAX_KIT_COMPONENTS, `must list at most ${MAX_KIT_COMPONENTS} components`)
      .nullable()
      .optional()
      .describe('Makes the SKU a kit holding no stock of its own: the units of each component per kit. Null for an ordinary SKU; left out, a kit keeps its components.'),
  })
  .strict()
  .superRefine((body, context) => {
    // A limit on any other policy is a malformed request, whatever the SKU's current state.
    const limited = body.policy === 'backorder' || body.policy === 'preorder';
    if (!limited && body.backorder_limit !== undefined && body.backorder_limit !== null) {
      context.addIssue({ code: 'custom', path: ['backorder_limit'], message: 'applies only to the backorder and preorder policies; send null or leave it out' });
    }
    if (body.components) checkKitBody(body, body.components, context);
  });

/** Checks the rules of a kit that need no stored state: distinct components and no rules a kit takes from its components. */
function checkKitBody(body: Record<string, unknown>, components: { sku: string }[], context: z.RefinementCtx): void {
  components.forEach((component, index) => {
    if (components.findIndex((other) => other.sku === component.sku) !== index) {
      context.addIssue({ code: 'custom', path: ['components', index, 'sku'], message: 'lists this SKU twice; list it once with the total quantity' });
    }
  });
  const fromComponents: [string, unknown][] = [
    ['backorder_limit', null],
    ['lead_time_days', null],
    ['handling_days', 0],
    ['restock_date', null],
    ['release_date', null],
  ];
  for (const [field, unset] of fromComponents) {
    const value = body[field];
    if (value !== undefined && value !== unset) {
      context.addIssue({ code: 'custom', path: [field], message: 'a kit takes this from its components; leave it out and set it on the component SKUs' });
    }
  }
}

const skuView = z.object({
  code: z.string(),
  name: z.string(),
  policy: stockPolicy,
  backorder_limit: z.number().nullable(),
  low_stock_threshold: z.number(),
  lead_time_days: z.number().nullable(),
  handling_days: z.number(),
  restock_date: z.string().nullable(),
  release_date: z.string().nullable(),
  components: z.array(z.object({ sku: z.string(), quantity: z.number() })).nullable(),
  on_hand: z.number(),
  allocated: z.number(),
  available: z.number(),
  backordered: z.number(),
  inbound: z.number(),
});

const locationBody = z
  .object({
    name: text(200).optional(),
    time_zone: timeZone.optional(),
    working_days: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
    holidays: z.array(calendarDate).max(1000).optional(),
    receiving_days: count(60).optional(),
    ships_to: z.array(country).min(1).max(300).nullable().optional(),
    priority: count(1_000_000).optional(),
  })
  .strict();

const locationView = z.object({
  code: z.string(),
  name: z.string(),
  time_zone: z.string(),
  working_days: z.array(z.number()),
  holidays: z.array(z.string()),
  receiving_days: z.number(),
  ships_to: z.array(z.string()).nullable(),
  priority: z.number(),
});

const queueEntry = z.object({
  order_id: z.string(),
  line_id: z.string(),
  backordered: z.number(),
  queue_position: z.number(),
  promised_ship_date: z.string().nullable(),
  estimated_ship_date: z.string().nullable(),
  placed_at: z.string(),
});

export function registerCatalogRoutes(app: App, { store }: RouteContext): void {
  app.put(
    '/v1/skus/:sku',
    {
      schema: {
        tags: ['skus'],
        summary: 'Create or update a SKU',
        params: z.object({ sku: skuCode }),
        body: skuBody,
        response: { 200: skuView, 201: skuView, 400: errorBody, 409: errorBody },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { created, view } = await store.transaction(async (work) => {
        const result = await upsertSku(work, request.params.sku, {
          name: body.name,
          policy: body.policy,
          backorderLimit: body.backorder_limit,
          lowStockThreshold: body.low_stock_threshold,
          leadTimeDays: body.lead_time_days,
          handlingDays: body.handling_days,
          restockDate: body.restock_date,
          releaseDate: body.release_date,
          components: body.components,
        });
        return { created: result.created, view: await readSku(work.db, request.params.sku) };
      });
      return reply.code(created ? 201 : 200).send(view);
    },
  );

  app.get(
    '/v1/skus/:sku',
    { schema: { tags: ['skus'], summary: 'Read a SKU with its stock summed over locations', params: z.object({ sku: skuCode }), response: { 200: skuView, 404: errorBody } } },
    async (request) => readSku(store.db, request.params.sku),
  );

  app.get(
    '/v1/skus',
    { schema: { tags: ['skus'], summary: 'List SKUs by code', querystring: z.object(listQuery), response: { 200: listOf(skuView) } } },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = decodeCursor(cursor, isText);
      let query = store.db.selectFrom('skus').select('code').orderBy('code').limit(limit + 1);
      if (after !== undefined) query = query.where('code', '>', after);
      const codes = (await query.execute()).map((row) => row.code);
      const views = [];
      for (const code of codes) views.push(await readSku(store.db, code));
      return page(views, limit, (view) => view.code);
    },
  );

  app.get(
    '/v1/skus/:sku/backorders',
    {
      schema: {
        tags: ['queue'],
        summary: "Read a SKU's backorder queue in allocation order",
        params: z.object({ sku: skuCode }),
        querystring: z.object(listQuery),
        response: { 200: listOf(queueEntry), 404: errorBody },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const exists = await store.db.selectFrom('skus').select('code').where('code', '=', sku).executeTakeFirst();
      if (!exists) throw notFound(`SKU ${sku} was not found.`);

      const { limit, cursor } = request.query;
      const offset = decodeCursor(cursor, isWholeNumber) ?? 0;
      const entries = await readQueue(store.db, sku, limit + 1, offset);
      return page(
        entries.map(({ priority: _priority, ...entry }) => entry),
        limit,
        (entry) => entry.queue_position,
      );
    },
  );

  app.put(
    '/v1/locations/:code',
    {
      schema: {
        tags: ['locations'],
        summary: 'Create or update a location',
        params: z.object({ code: locationCode }),
        body: locationBody,
        response: { 200: locationView, 201: locationView, 400: errorBody },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { created, view } = await store.transaction(async (work) => {
        const result = await upsertLocation(work, request.params.code, {
          name: body.name,
          timeZone: body.time_zone,
          workingDays: body.working_days,
          holidays: body.holidays,
          receivingDays: body.receiving_days,
          shipsTo: body.ships_to,
          priority: body.priority,
        });
        return { created: result.created, view: await readLocation(work.db, request.params.code) };
      });
      return reply.code(created ? 201 : 200).send(view);
    },
  );

  app.get(
    '/v1/locations/:code',
    { schema: { tags: ['locations'], summary: 'Read a location', params: z.object({ code: locationCode }), response: { 200: locationView, 404: errorBody } } },
    async (request) => readLocation(store.db, request.params.code),
  );

  app.get(
    '/v1/locations',
    { schema: { tags: ['locations'], summary: 'List locations by code', querystring: z.object(listQuery), response: { 200: listOf(locationView) } } },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = decodeCursor(cursor, isText);
      let query = store.db.selectFrom('locations').select('code').orderBy('code').limit(limit + 1);
      if (after !== undefined) query = query.where('code', '>', after);
      const views = [];
      for (const { code } of await query.execute()) views.push(await readLocation(store.db, code));
      return page(views, limit, (view) => view.code);
    },
  );
}

async function readLocation(db: RouteContext['store']['db'], code: string) {
  const row = await db.selectFrom('locations').selectAll().where('code', '=', code).executeTakeFirst();
  if (!row) throw notFound(`Location ${code} was not found.`);
  return {
    code: row.code,
    name: row.name,
    time_zone: row.time_zone,
    working_days: JSON.parse(row.working_days) as number[],
    holidays: JSON.parse(row.holidays) as string[],
    receiving_days: row.receiving_days,
    ships_to: row.ships_to === null ? null : (JSON.parse(row.ships_to) as string[]),
    priority: row.priority,
  };
}
