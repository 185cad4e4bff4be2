/**
 * Fuzzes every POST, PUT and PATCH endpoint that /openapi.json documents.
 * Each test first builds a small world over HTTP: SKUs of every policy,
 * stock at three locations, open purchase orders, and placed and shipped
 * orders. It then sends generated requests through app.inject. They are
 * valid bodies built from each endpoint's JSON schema, mutations of them,
 * or malformed payloads, headers and paths. Every response must be below
 * 500, every 4xx must carry the error body of the contract, and the
 * invariants must hold afterwards. Lists get forged cursors the same way.
 *
 * RESTOCK_FUZZ_RUNS sets the generated requests per database (default 3000:
 * 40 % valid, 40 % mutated, 20 % malformed). RESTOCK_FUZZ_SEED replays a run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkInvariants } from '../../src/app/check.js';
import { Dispatcher } from '../../src/jobs/outbox/dispatcher.js';
import { webhookChannel } from '../../src/jobs/webhooks/channel.js';
import { testDatabase } from '../support/database.js';
import {
  givenSku, openTestApi, placeOrder, toApiResponse, ADMIN_KEY, PUBLISHABLE_KEY, type ApiResponse, type TestApi,
} from '../support/http.js';

const TOTAL_RUNS = positiveInteger(process.env.RESTOCK_FUZZ_RUNS, 3000);
const SEED = positiveInteger(process.env.RESTOCK_FUZZ_SEED, Date.now() % 1_000_000_000);
/** Distinct failures kept for the report; the rest are only counted. */
const MAX_REPORTED = 25;

/** Error codes of the contract, by the status that carries them. */
const CODES_BY_STATUS = new Map<number, string[]>([
  [400, ['invalid_request']],
  [401, ['unauthorized']],
  [403, ['forbidden']],
  [404, ['not_found']],
  [409, ['not_orderable', 'invalid_state', 'idempotency_key_reused']],
  [413, ['payload_too_large']],
  [429, ['rate_limited']],
]);
const REJECTION_REASONS = ['insufficient_stock', 'backorder_limit_reached', 'discontinued', 'unknown_sku'];

/** Endpoints the contract defines; discovery must find at least these. */
const KNOWN_ENDPOINTS = [
  'PUT /v1/skus/{sku}',
  'PUT /v1/locations/{code}',
  'POST /v1/stock/adjustments',
  'POST /v1/purchase-orders',
  'PATCH /v1/purchase-orders/{id}',
  'POST /v1/purchase-orders/{id}/receipts',
  'POST /v1/purchase-orders/{id}/close',
  'POST /v1/availability/quote',
  'POST /v1/orders',
  'POST /v1/orders/{id}/cancellations',
  'POST /v1/orders/{id}/shipments',
  'PATCH /v1/orders/{id}/lines/{line_id}',
  'POST /v1/orders/{id}/returns',
];

const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
/** The test clock starts on Monday 2 March 2026; generated dates fall around it. */
const START_DAY = Date.UTC(2026, 2, 2);
const NEW_SKUS = ['NEW-1', 'NEW-2', 'NEW-3'];
const NEW_LOCATIONS = ['fuzz-a', 'fuzz-b'];
const IDEMPOTENCY_KEYS = ['k-1', 'k-2', 'k-3', 'k-4'];
/**
 * How often each endpoint is drawn relative to the others (default 3).
 * Closing a purchase order ends what receipts and re-dating can do with it,
 * and every open purchase-order line adds to the cost of each later
 * re-promise of its SKU, so both are drawn less often.
 */
const ENDPOINT_WEIGHTS: Record<string, number> = { 'POST /v1/purchase-orders/{id}/close': 1, 'POST /v1/purchase-orders': 2 };

function positiveInteger(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

// ---------------------------------------------------------------------------
// Endpoints, read from the OpenAPI document

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}

interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** The OpenAPI path, such as /v1/orders/{id}/lines/{line_id}. */
  path: string;
  params: string[];
  query: string[];
  /** Null when the endpoint takes no body. */
  body: JsonSchema | null;
}

/** Lists the POST, PUT and PATCH endpoints, or with `lists`, the GET endpoints that take a cursor. */
async function discoverEndpoints(api: TestApi, lists = false): Promise<Endpoint[]> {
  const response = await api.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(response.statusCode, 200, response.body);
  const document = JSON.parse(response.body) as { paths: Record<string, Record<string, any>> };

  const endpoints: Endpoint[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = (operation.parameters ?? []) as { in: string; name: string }[];
      const params = parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name);
      const query = parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
      const selected = lists ? method === 'get' && query.includes('cursor') : method === 'post' || method === 'put' || method === 'patch';
      if (!selected) continue;

      const body = (operation.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined) ?? null;
      endpoints.push({ method: method.toUpperCase() as Endpoint['method'], path, params, query, body });
    }
  }
  return endpoints;
}

function endpointName(endpoint: Endpoint): string {
  return `${endpoint.method} ${endpoint.path}`;
}

// ---------------------------------------------------------------------------
// The world the requests act on

/** A line's units as the last response that showed its order had them. */
interface LineState {
  id: string;
  quantity: number;
  allocated: number;
  shipped: number;
  cancelled: number;
  returned: number;
}

interface OrderState {
  id: string;
  lines: LineState[];
  /** Allocated units by line and location, read from the database now and then. */
  allocations: { lineId: string; location: string; quantity: number }[];
}

interface World {
  skus: string[];
  locations: string[];
  purchaseOrders: { id: string; skus: string[] }[];
  orders: OrderState[];
  /** Refunds requested by the world's cancellations, for the refund endpoints. */
  refunds: string[];
  /** Dead webhook deliveries, for the operator's retry. */
  deliveries: string[];
  /** Webhook endpoints, for secret rotation. */
  webhookEndpoints: string[];
}

/**
 * Builds SKUs of every policy with stock at three locations, open purchase
 * orders, and orders that are allocated, backordered, preordered, shipped
 * and partly shipped, so that valid requests reach receipts, shipments,
 * returns and re-promising.
 */
async function buildWorld(api: TestApi): Promise<World> {
  const world: World = { skus: [], locations: ['main'], purchaseOrders: [], orders: [], refunds: [], deliveries: [], webhookEndpoints: [] };

  for (const [code, body] of [
    ['eu', { name: 'Leipzig', time_zone: 'Europe/Berlin', ships_to: ['DE', 'FR', 'GB'], priority: 50, receiving_days: 1 }],
    ['us-west', { name: 'Reno', time_zone: 'America/Los_Angeles', ships_to: ['US'], working_days: [1, 2, 3, 4, 5, 6], holidays: ['2026-03-17'] }],
  ] as const) {
    const response = await api.put(`/v1/locations/${code}`, body);
    assert.equal(response.status, 201, response.text);
    world.locations.push(code);
  }

  const skus: [string, Parameters<typeof givenSku>[2]][] = [
    ['STOCK-A', { policy: 'stock_only', onHand: 40, low_stock_threshold: 5 }],
    ['STOCK-LOW', { policy: 'stock_only', onHand: 3, low_stock_threshold: 5, handling_days: 2 }],
    ['BACK-OPEN', { policy: 'backorder', onHand: 4, lead_time_days: 14 }],
    ['BACK-CAP', { policy: 'backorder', backorder_limit: 20, onHand: 2, restock_date: '2026-04-01' }],
    ['PRE-1', { policy: 'preorder', backorder_limit: 100, release_date: '2026-04-15', onHand: 5 }],
    ['GONE', { policy: 'discontinued', onHand: 4 }],
  ];
  for (const [code, body] of skus) {
    await givenSku(api, code, body);
    world.skus.push(code);
  }
  for (const [sku, location, quantity] of [['BACK-OPEN', 'eu', 6], ['STOCK-A', 'us-west', 10], ['BACK-CAP', 'eu', 3]] as const) {
    const response = await api.post('/v1/stock/adjustments', { sku, location, quantity_delta: quantity, reason: 'initial count' });
    assert.equal(response.status, 201, response.text);
  }

  for (const [reference, location, expectedDate, lines] of [
    ['PO-1', 'main', '2026-03-20', [{ sku: 'BACK-OPEN', quantity: 30 }, { sku: 'BACK-CAP', quantity: 10 }]],
    ['PO-2', 'eu', '2026-04-10', [{ sku: 'BACK-OPEN', quantity: 12 }, { sku: 'PRE-1', quantity: 50 }]],
    ['PO-3', 'main', '2026-05-04', [{ sku: 'STOCK-A', quantity: 25 }]],
  ] as const) {
    const response = await api.post('/v1/purchase-orders', { reference, location, expected_date: expectedDate, lines });
    assert.equal(response.status, 201, response.text);
    learn(world, response);
  }

  const orders: [Parameters<typeof placeOrder>[1], Record<string, unknown>][] = [
    [[{ sku: 'STOCK-A', quantity: 3 }, { sku: 'BACK-OPEN', quantity: 2 }], { customer: { email: 'ada@example.com' } }],
    [[{ sku: 'BACK-OPEN', quantity: 9 }], { shipping_country: 'US', capture: 'on_ship' }],
    [[{ sku: 'BACK-CAP', quantity: 6 }, { sku: 'STOCK-LOW', quantity: 1 }], { ship_policy: 'ship_complete' }],
    [[{ sku: 'PRE-1', quantity: 4 }], { priority: 5 }],
    [[{ sku: 'STOCK-A', quantity: 5 }], { shipping_country: 'DE' }],
    [[{ sku: 'GONE', quantity: 2 }, { sku: 'STOCK-A', quantity: 2 }], {}],
  ];
  for (const [lines, extra] of orders) {
    const order = await placeOrder(api, lines, extra);
    learn(world, { status: 201, body: order } as ApiResponse);
  }

  // Ship the first order's STOCK-A line and all of the last order from main, so returns have units to take back.
  const [first, , , , , last] = world.orders;
  for (const [order, lines] of [[first!, first!.lines.slice(0, 1)], [last!, last!.lines]] as const) {
    const shipped = lines.map((line) => ({ line_id: line.id, quantity: line.allocated }));
    const shipment = await api.post(`/v1/orders/${order.id}/shipments`, { location: 'main', lines: shipped });
    assert.equal(shipment.status, 201, shipment.text);
    learn(world, shipment);
  }

  await addRefundsAndDeadDeliveries(api, world);
  return world;
}

/**
 * Cancels part of the first order, which requests refunds, and sends its
 * events to a webhook endpoint that refuses connections (the discard port on
 * 127.0.0.1), with one attempt allowed, so the deliveries go dead at once.
 */
async function addRefundsAndDeadDeliveries(api: TestApi, world: World): Promise<void> {
  const endpoint = await api.post('/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hook', events: ['refund.requested'] });
  assert.equal(endpoint.status, 201, endpoint.text);
  world.webhookEndpoints = [endpoint.body.id];
  const first = world.orders[0]!;
  const cancelled = await api.post(`/v1/orders/${first.id}/cancellations`, { lines: [{ line_id: first.lines[1]!.id, quantity: 1 }], reason: 'fuzz set-up' });
  assert.equal(cancelled.status, 200, cancelled.text);
  learn(world, cancelled);

  await new Dispatcher(api.store, { channels: [webhookChannel({ clock: api.store.clock })], maxAttempts: 1 }).runPass();

  world.refunds = (await api.store.db.selectFrom('refunds').select('id').execute()).map((row) => row.id);
  world.deliveries = (await api.store.db.selectFrom('deliveries').select('id').where('status', '=', 'dead').execute()).map((row) => row.id);
  assert.ok(world.refunds.length > 0, 'the world has a refund');
  assert.ok(world.deliveries.length > 0, 'the world has a dead delivery');
}

/**
 * Records what a successful response shows: a created SKU, location or
 * purchase order, and the units of every order it returns, so later
 * requests can act on them. Receipts change other orders' lines too, so
 * the units known for a line are a guess that is often right.
 */
function learn(world: World, response: Pick<ApiResponse, 'status' | 'body'>): void {
  if (response.status !== 201 && response.status !== 200) return;
  const body = response.body;
  const order = typeof body?.order?.id === 'string' ? body.order : body;

  if (typeof order?.id === 'string' && order.id.startsWith('ord_') && Array.isArray(order.lines)) {
    const known = world.orders.find((candidate) => candidate.id === order.id);
    const state: OrderState = {
      id: order.id,
      allocations: known?.allocations ?? [],
      lines: order.lines.map((line: LineState) => ({
        id: line.id, quantity: line.quantity, allocated: line.allocated, shipped: line.shipped, cancelled: line.cancelled, returned: line.returned ?? 0,
      })),
    };
    if (known) Object.assign(known, state);
    else world.orders.push(state);
  } else if (typeof body?.id === 'string' && body.id.startsWith('po_') && Array.isArray(body.lines)) {
    if (!world.purchaseOrders.some((known) => known.id === body.id)) {
      world.purchaseOrders.push({ id: body.id, skus: body.lines.map((line: { sku: string }) => line.sku) });
    }
  } else if (typeof body?.code === 'string' && typeof body.policy === 'string') {
    if (!world.skus.includes(body.code)) world.skus.push(body.code);
  } else if (typeof body?.code === 'string' && typeof body.time_zone === 'string') {
    if (!world.locations.includes(body.code)) world.locations.push(body.code);
  }
}

/**
 * Reads the orders, their units and where they are allocated from the
 * database, since receipts, adjustments and cancellations change lines of
 * orders other than the one a response shows.
 */
async function refreshOrders(api: TestApi, world: World): Promise<void> {
  const lines = await api.store.db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'quantity', 'allocated', 'shipped', 'cancelled', 'returned'])
    .orderBy('order_id')
    .orderBy('position')
    .execute();
  const allocations = await api.store.db.selectFrom('line_allocations').select(['order_id', 'line_id', 'location', 'quantity']).where('quantity', '>', 0).execute();

  const byId = new Map(world.orders.map((order) => [order.id, { ...order, lines: [] as LineState[], allocations: [] as OrderState['allocations'] }]));
  for (const line of lines) {
    const order = byId.get(line.order_id);
    if (order) order.lines.push({ id: line.id, quantity: line.quantity, allocated: line.allocated, shipped: line.shipped, cancelled: line.cancelled, returned: line.returned });
  }
  for (const allocation of allocations) {
    byId.get(allocation.order_id)?.allocations.push({ lineId: allocation.line_id, location: allocation.location, quantity: allocation.quantity });
  }
  world.orders = [...byId.values()];
}

// ---------------------------------------------------------------------------
// Valid values, from the schema and the world

/** What a body is generated against: the world and the order or purchase order named in the path. */
interface Scope {
  world: World;
  order: OrderState | null;
  purchaseOrder: World['purchaseOrders'][number] | null;
  /** Lines of the order in the path, or of every order when the path names none. */
  lineIds: string[];
}

function dateAround(offsetDays: number): string {
  return new Date(START_DAY + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

const dates = fc.integer({ min: -40, max: 300 }).map(dateAround);

/**
 * Returns the values of a field that the JSON schema cannot describe (a
 * refine, an id) or that should come from the world, or null to generate
 * the field from its schema.
 */
function hintFor(name: string, schema: JsonSchema, scope: Scope): fc.Arbitrary<unknown> | null {
  switch (name) {
    case 'sku':
      // A receipt mostly names the SKUs of its purchase order.
      return scope.purchaseOrder
        ? fc.oneof({ arbitrary: fc.constantFrom(...scope.purchaseOrder.skus), weight: 4 }, { arbitrary: fc.constantFrom(...scope.world.skus), weight: 1 })
        : fc.constantFrom(...scope.world.skus);
    case 'location':
      return fc.constantFrom(...scope.world.locations);
    case 'line_id':
      return scope.lineIds.length > 0 ? fc.constantFrom(...scope.lineIds) : fc.constant('line_none');
    case 'currency':
      return fc.constantFrom('USD', 'EUR', 'JPY');
    case 'time_zone':
      return fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Pacific/Kiritimati', 'Australia/Lord_Howe');
    case 'country':
    case 'shipping_country':
    case 'ships_to[]':
      return fc.constantFrom('US', 'GB', 'DE', 'FR', 'JP');
    case 'email':
      return fc.stringMatching(/^[a-z]{1,10}$/).map((local) => `${local}@example.com`);
    case 'url':
      // Nothing may be aimed at another host, so webhook URLs point at the discard port here.
      return fc.constant('http://127.0.0.1:9/hook');
    case 'quantity':
      return fc.oneof({ arbitrary: fc.integer({ min: 1, max: 5 }), weight: 8 }, { arbitrary: integerIn(schema), weight: 1 });
    case 'quantity_delta':
      return fc.integer({ min: -6, max: 25 }).filter((delta) => delta !== 0);
    case 'handling_days':
    case 'receiving_days':
    case 'lead_time_days':
      // Each business day is counted one at a time in every re-promise, so long spans are drawn rarely to keep the run short.
      return fc.oneof({ arbitrary: fc.integer({ min: 0, max: 10 }), weight: 12 }, { arbitrary: integerIn(schema), weight: 1 });
    case 'unit_price':
      return fc.oneof({ arbitrary: fc.integer({ min: 0, max: 10_000 }), weight: 8 }, { arbitrary: integerIn(schema), weight: 1 });
    default:
      return schema.pattern === DATE_PATTERN ? dates : null;
  }
}

function validValue(schema: JsonSchema, name: string, scope: Scope): fc.Arbitrary<unknown> {
  if (schema.anyOf) {
    return fc.oneof(...schema.anyOf.map((option) => ({ arbitrary: validValue(option, name, scope), weight: option.type === 'null' ? 1 : 4 })));
  }
  const hinted = schema.type === 'null' ? null : hintFor(name, schema, scope);
  if (hinted) return hinted;

  if (schema.enum) return fc.constantFrom(...schema.enum);

  switch (schema.type) {
    case 'object':
      return validObject(schema, scope);
    case 'array':
      return fc.array(validValue(schema.items ?? {}, `${name}[]`, scope), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    case 'integer':
      return integerIn(schema);
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return stringIn(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validObject(schema: JsonSchema, scope: Scope): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(schema.properties ?? {})) shape[key] = validValue(property, key, scope);
  return fc.record(shape, { requiredKeys: schema.required ?? [] }) as fc.Arbitrary<Record<string, unknown>>;
}

/** Generates small values near the minimum most of the time, and anything in range otherwise. */
function integerIn(schema: JsonSchema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -1_000_000;
  const max = schema.maximum ?? 1_000_000;
  return fc.oneof(
    { arbitrary: fc.integer({ min, max: Math.min(max, min + 20) }), weight: 7 },
    { arbitrary: fc.integer({ min, max }), weight: 1 },
  );
}

function stringIn(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 30, 30));
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern);
    return fc.stringMatching(pattern).filter((text) => text.length >= minLength && text.length <= (schema.maxLength ?? Infinity));
  }
  // Mostly printable ASCII; sometimes any code point, which includes control characters and astral symbols.
  return fc.oneof(
    { arbitrary: fc.string({ minLength, maxLength }), weight: 4 },
    { arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }), weight: 1 },
    { arbitrary: fc.string({ minLength, maxLength, unit: 'binary' }), weight: 1 },
  );
}

type Body = Record<string, any>;

/** Keeps each line's quantity within the units the world records for that line, which are usually current. */
function clampLines(body: Body, order: OrderState | null, unitsOf: (line: LineState) => number): void {
  if (!order || !Array.isArray(body.lines)) return;
  const ready = order.lines.filter((line) => unitsOf(line) > 0);
  if (ready.length === 0) return;
  body.lines = body.lines.map((line: Body, index: number) => {
    const named = order.lines.find((known) => known.id === line.line_id);
    const state = named && unitsOf(named) > 0 ? named : ready[index % ready.length]!;
    return { ...line, line_id: state.id, quantity: 1 + ((line.quantity - 1) % unitsOf(state)) };
  });
}

/**
 * Cross-field rules the JSON schema cannot express, and quantities the
 * order in the path can take, applied to most valid bodies so they pass
 * validation and reach the use case. The rest are sent as generated and
 * may get a 400 or a 409.
 */
const REPAIRS: Record<string, (body: Body, scope: Scope) => void> = {
  'POST /v1/stock/adjustments': (body) => {
    if (body.quantity_delta !== undefined && body.on_hand !== undefined) delete body.on_hand;
    if (body.quantity_delta === undefined && body.on_hand === undefined) body.quantity_delta = 3;
  },
  'PUT /v1/skus/{sku}': (body) => {
    if (body.policy !== 'backorder' && body.policy !== 'preorder') delete body.backorder_limit;
  },
  'PATCH /v1/orders/{id}/lines/{line_id}': (body) => {
    if (body.quantity === undefined && body.unit_price === undefined) body.quantity = 2;
  },
  'POST /v1/orders/{id}/cancellations': (body, { order }) => clampLines(body, order, (line) => line.quantity - line.shipped - line.cancelled),
  'POST /v1/orders/{id}/returns': (body, { order }) => clampLines(body, order, (line) => line.shipped - line.returned),
  'POST /v1/orders/{id}/shipments': (body, { order }) => {
    // A shipment leaves from one location, so it takes that location's allocated units.
    const allocations = order?.allocations ?? [];
    if (allocations.length === 0) return;
    const location = allocations[body.lines.length % allocations.length]!.location;
    body.location = location;
    body.lines = allocations
      .filter((allocation) => allocation.location === location)
      .map((allocation, index) => ({ line_id: allocation.lineId, quantity: index === 0 ? 1 + ((body.lines[0].quantity - 1) % allocation.quantity) : allocation.quantity }));
  },
};

// ---------------------------------------------------------------------------
// Requests

interface FuzzRequest {
  endpoint: Endpoint;
  url: string;
  /** What was done to the request, for the failure report. */
  kind: string;
  headers: Record<string, string>;
  /** Raw bytes sent; undefined sends no body. */
  payload?: string | Buffer;
  /** The value sent as JSON, when there is one, to tell which field names a 400 may give. */
  body?: unknown;
  /** A field a 400 must name, when the request breaks that field's schema. */
  expectField?: string;
  /** The status the request must get, when it is decided before any handler runs. */
  expectStatus?: number;
}

const ORDER_FILTERS: Record<string, (order: OrderState) => boolean> = {
  'POST /v1/orders/{id}/shipments': (order) => order.allocations.length > 0,
  'POST /v1/orders/{id}/returns': (order) => order.lines.some((line) => line.shipped > line.returned),
  'POST /v1/orders/{id}/cancellations': (order) => order.lines.some((line) => line.quantity > line.shipped + line.cancelled),
  'PATCH /v1/orders/{id}/lines/{line_id}': (order) => order.lines.some((line) => line.quantity > line.shipped + line.cancelled),
};

interface PathChoice {
  url: string;
  scope: Scope;
}

/** Fills path parameters from the world, or with new codes where a PUT creates. */
function pathArbitrary(endpoint: Endpoint, world: World): fc.Arbitrary<PathChoice> {
  const isOrderPath = endpoint.path.startsWith('/v1/orders/');
  const isPurchaseOrderPath = endpoint.path.startsWith('/v1/purchase-orders/');
  const isRefundPath = endpoint.path.startsWith('/v1/refunds/');
  const isDeliveryPath = endpoint.path.startsWith('/v1/deliveries/');
  const isWebhookEndpointPath = endpoint.path.startsWith('/v1/webhook-endpoints/');
  // Order changes mostly go to orders that have units they can act on.
  const usable = world.orders.filter(ORDER_FILTERS[endpointName(endpoint)] ?? (() => true));
  const order = usable.length > 0 ? fc.oneof({ arbitrary: fc.constantFrom(...usable), weight: 4 }, { arbitrary: fc.constantFrom(...world.orders), weight: 1 }) : fc.constantFrom(...world.orders);
  const allLines = world.orders.flatMap((o) => o.lines.map((line) => line.id));

  return fc
    .record({
      order,
      sku: fc.constantFrom(...world.skus, ...NEW_SKUS),
      location: fc.constantFrom(...world.locations, ...NEW_LOCATIONS),
      purchaseOrder: fc.constantFrom(...world.purchaseOrders),
      refund: fc.constantFrom(...world.refunds),
      delivery: fc.constantFrom(...world.deliveries),
      webhookEndpoint: fc.constantFrom(...world.webhookEndpoints),
      linePick: fc.nat(),
    })
    .map(({ order, sku, location, purchaseOrder, refund, delivery, webhookEndpoint, linePick }) => {
      let id = 'x';
      if (isOrderPath) id = order.id;
      if (isPurchaseOrderPath) id = purchaseOrder.id;
      if (isRefundPath) id = refund;
      if (isDeliveryPath) id = delivery;
      if (isWebhookEndpointPath) id = webhookEndpoint;
      const values: Record<string, string> = { sku, code: location, id, line_id: order.lines[linePick % order.lines.length]?.id ?? 'line_none' };
      const url = endpoint.path.replace(/\{(\w+)\}/g, (_match, param: string) => encodeURIComponent(values[param] ?? 'x'));
      const scope: Scope = {
        world,
        order: isOrderPath ? order : null,
        purchaseOrder: isPurchaseOrderPath ? purchaseOrder : null,
        lineIds: isOrderPath ? order.lines.map((line) => line.id) : allLines,
      };
      return { url, scope };
    });
}

const FORGED_CURSORS: unknown[] = [{ a: 1 }, [1, 2], null, true, 'a\u0000', ['x'], 1.5, -1, 1e308, [null, null], ['2026-03-02T12:00:00.000Z', 'ord_x', 3], 'zzz', 0, ''];

/** Forged cursors: JSON values of every shape, base64url-encoded as the API encodes its own, and text that is not base64url at all. */
function forgedCursorRequests(endpoint: Endpoint): FuzzRequest[] {
  const url = endpoint.path.replace('{sku}', 'STOCK-A');
  // Some lists require a SKU in the query; the others take it as a filter.
  const separator = endpoint.query.includes('sku') ? '?sku=STOCK-A&' : '?';
  const cursors = [...FORGED_CURSORS.map((key) => Buffer.from(JSON.stringify(key)).toString('base64url')), '!!!', '%00', 'x'.repeat(513)];
  return cursors.map((cursor) => ({
    endpoint,
    url: `${url}${separator}cursor=${cursor}`,
    kind: `cursor ${cursor.slice(0, 40)}`,
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  }));
}

function jsonRequest(endpoint: Endpoint, url: string, kind: string, body: unknown, headers: Record<string, string> = {}): FuzzRequest {
  return {
    endpoint,
    url,
    kind,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    payload: body === undefined ? undefined : JSON.stringify(body),
    body,
  };
}

/** Generates a valid request for the endpoint, sometimes with an Idempotency-Key from a small pool so that keys get reused. */
function validRequestArbitrary(endpoint: Endpoint, world: World): fc.Arbitrary<FuzzRequest> {
  return pathArbitrary(endpoint, world).chain(({ url, scope }) => {
    const body = endpoint.body ? validValue(endpoint.body, 'body', scope) : fc.constant(undefined);
    const key = endpoint.method === 'POST'
      ? fc.oneof({ arbitrary: fc.constant(null), weight: 8 }, { arbitrary: fc.constantFrom(...IDEMPOTENCY_KEYS), weight: 1 })
      : fc.constant(null);
    const repair = fc.integer({ min: 0, max: 9 }).map((n) => n < 9);
    return fc.tuple(body, key, repair).map(([value, idempotencyKey, repaired]) => {
      const fix = REPAIRS[endpointName(endpoint)];
      if (repaired && fix && value && typeof value === 'object') fix(value as Body, scope);
      const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
      return jsonRequest(endpoint, url, repaired ? 'valid' : 'valid, cross-field rules not applied', value, headers);
    });
  });
}

// ---------------------------------------------------------------------------
// Mutations of valid bodies

/** A field of a body that a mutation can change, with its JSON schema. */
interface Slot {
  /** Segments from the body root: property names and array indexes. */
  path: (string | number)[];
  schema: JsonSchema;
  /** Whether the object that contains the field requires it. */
  required: boolean;
}

/** Lists the fields present in a body, with their schemas, down to the first element of each array. */
function slotsOf(value: unknown, schema: JsonSchema, path: (string | number)[] = []): Slot[] {
  const slots: Slot[] = [];
  const objectSchema = schema.anyOf?.find((option) => option.type === 'object') ?? schema;
  const arraySchema = schema.anyOf?.find((option) => option.type === 'array') ?? schema;

  if (objectSchema.type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, property] of Object.entries(objectSchema.properties ?? {})) {
      if (!(key in value)) continue;
      const child = [...path, key];
      slots.push({ path: child, schema: property, required: (objectSchema.required ?? []).includes(key) });
      slots.push(...slotsOf((value as Record<string, unknown>)[key], property, child));
    }
  } else if (arraySchema.type === 'array' && Array.isArray(value) && value.length > 0 && arraySchema.items) {
    const child = [...path, 0];
    slots.push({ path: child, schema: arraySchema.items, required: false });
    slots.push(...slotsOf(value[0], arraySchema.items, child));
  }
  return slots;
}

/** Returns the field name the API gives a path, such as `lines[0].quantity`, or `body` for the root. */
function fieldOf(path: (string | number)[]): string {
  let name = '';
  for (const segment of path) {
    if (typeof segment === 'number') name += `[${segment}]`;
    else name += name === '' ? segment : `.${segment}`;
  }
  return name === '' ? 'body' : name;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Tells whether a value passes the JSON-schema part of a field's rules; a refine on top may still reject it. */
function fitsSchema(value: unknown, schema: JsonSchema): boolean {
  if (schema.anyOf) return schema.anyOf.some((option) => fitsSchema(value, option));
  if (schema.enum) return schema.enum.includes(value);
  const type = jsonTypeOf(value);
  if (schema.type === 'number' && (type === 'integer' || type === 'number')) return inRange(value as number, schema);
  if (schema.type === 'integer') return type === 'integer' && inRange(value as number, schema);
  if (schema.type === 'string') {
    if (typeof value !== 'string') return false;
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) return false;
    if (schema.maxLength !== undefined && length > schema.maxLength) return false;
    return schema.pattern === undefined || new RegExp(schema.pattern).test(value);
  }
  if (schema.type === 'array') return Array.isArray(value);
  if (schema.type === 'object') return type === 'object';
  return schema.type === undefined || schema.type === type;
}

function inRange(value: number, schema: JsonSchema): boolean {
  return (schema.minimum === undefined || value >= schema.minimum) && (schema.maximum === undefined || value <= schema.maximum);
}

function deepNesting(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level += 1) value = level % 2 === 0 ? [value] : { junk: value };
  return value;
}

const WRONG_TYPES: unknown[] = ['x', '', '12', 'NaN', 'Infinity', '-Infinity', '1e308', '0x10', ' 1', 7, 1.5, -0.25, true, false, null, {}, [], [1], { a: { b: [] } }];
const NUMBERS: number[] = [1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, -1, 0, 0.5, 1.5, 1e-7, 999_999.999, 1_000_001, 1_000_000_000_001];
const ODD_STRINGS: string[] = [
  'a\u0000b', '\u0000', '\ud800', 'x\udfff', 'e\u0301', '\u202eevil', '\ufeffBOM', 'Zs\u200bwidth', '🧦 Socken für Ümläute', 'مرحبا',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\t\r\n', ' ', '%00', '../../etc/passwd', "'; drop table skus; --", '${jndi:x}', '<script>alert(1)</script>',
  '\\', '"', 'NULL', 'undefined', '2026-02-30', '0000-00-00', '9999-12-31', '+002026-03-02', '2026-3-2', 'Ω'.repeat(300),
];
const UNKNOWN_KEYS = ['colour', 'Sku', 'quantity ', 'toString', 'hasOwnProperty', 'valueOf', 'constructor', 'prototype', '𝒳', 'a.b', '0'];

function setAt(body: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(body) as any;
  let parent = copy;
  for (const segment of path.slice(0, -1)) parent = parent[segment];
  parent[path.at(-1)!] = value;
  return copy;
}

function deleteAt(body: unknown, path: (string | number)[]): unknown {
  const copy = structuredClone(body) as any;
  let parent = copy;
  for (const segment of path.slice(0, -1)) parent = parent[segment];
  delete parent[path.at(-1)!];
  return copy;
}

interface Mutation {
  kind: string;
  body: unknown;
  expectField?: string;
}

/**
 * Changes one field of a valid body. When the change breaks the field's
 * JSON schema, the 400 must name that field.
 */
function mutationArbitrary(body: unknown, schema: JsonSchema, world: World): fc.Arbitrary<Mutation> {
  const slots = slotsOf(body, schema);
  const root: Slot = { path: [], schema, required: true };
  const anySlot = fc.constantFrom(root, ...slots);
  const fieldSlot = slots.length > 0 ? fc.constantFrom(...slots) : fc.constant(root);
  const expectIfBroken = (slot: Slot, value: unknown) => (fitsSchema(value, slot.schema) ? undefined : fieldOf(slot.path));

  const options: fc.Arbitrary<Mutation>[] = [
    fc.tuple(fieldSlot, fc.constantFrom(...WRONG_TYPES)).map(([slot, value]) => ({
      kind: `wrong type at ${fieldOf(slot.path)}`,
      body: setAt(body, slot.path, value),
      expectField: expectIfBroken(slot, value),
    })),
    fc.tuple(fieldSlot, fc.constantFrom(...NUMBERS)).map(([slot, value]) => ({
      kind: `number ${value} at ${fieldOf(slot.path)}`,
      body: setAt(body, slot.path, value),
      expectField: expectIfBroken(slot, value),
    })),
    fc.tuple(fieldSlot, fc.oneof(fc.constantFrom(...ODD_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(65, 201, 256, 501, 10_000, 200_000).map((n) => 'a'.repeat(n)))).map(
      ([slot, value]) => ({
        kind: `string of ${value.length} at ${fieldOf(slot.path)}`,
        body: setAt(body, slot.path, value),
        expectField: expectIfBroken(slot, value),
      }),
    ),
    fc.tuple(fieldSlot, fc.integer({ min: 20, max: 400 })).map(([slot, depth]) => {
      const value = deepNesting(depth);
      return { kind: `nesting ${depth} deep at ${fieldOf(slot.path)}`, body: setAt(body, slot.path, value), expectField: expectIfBroken(slot, value) };
    }),
    anySlot.map((slot) => {
      const current = slot.path.reduce((value: any, segment) => value?.[segment], body);
      const value = [current];
      return { kind: `array around ${fieldOf(slot.path)}`, body: setAt(body, slot.path, value), expectField: expectIfBroken(slot, value) };
    }),
    fc.tuple(anySlot, fc.oneof(fc.constantFrom(...UNKNOWN_KEYS), fc.string({ minLength: 1, maxLength: 12 })), fc.jsonValue({ maxDepth: 3 })).map(
      ([slot, key, junk]) => {
        const target = slot.path.reduce((value: any, segment) => value?.[segment], body);
        const isObject = target !== null && typeof target === 'object' && !Array.isArray(target);
        const known = isObject && Object.hasOwn(slot.schema.properties ?? {}, key);
        // Assigning "__proto__" sets the prototype instead of adding a key, so it would never reach the body.
        if (!isObject || known || key in target || key === '__proto__') return { kind: 'unknown field skipped', body };
        return {
          kind: `unknown field ${JSON.stringify(key)} in ${fieldOf(slot.path)}`,
          body: setAt(body, [...slot.path, key], junk),
          // The API names an unknown field by its path, where an empty or dotted key cannot be distinguished, so only plain keys are checked.
          expectField: /^[A-Za-z_][A-Za-z0-9_ ]*$/.test(key) ? fieldOf([...slot.path, key]) : undefined,
        };
      },
    ),
  ];

  const required = slots.filter((slot) => slot.required);
  if (required.length > 0) {
    options.push(
      fc.constantFrom(...required).map((slot) => ({
        kind: `missing ${fieldOf(slot.path)}`,
        body: deleteAt(body, slot.path),
        expectField: fieldOf(slot.path),
      })),
    );
  }

  const arrays = slots.filter((slot) => typeof slot.path.at(-1) === 'number');
  if (arrays.length > 0) {
    options.push(
      fc.tuple(fc.constantFrom(...arrays), fc.integer({ min: 1, max: 8 })).map(([slot, copies]) => {
        const listPath = slot.path.slice(0, -1);
        const list = listPath.reduce((value: any, segment) => value?.[segment], body) as unknown[];
        return { kind: `${copies} duplicate lines in ${fieldOf(listPath)}`, body: setAt(body, listPath, [...list, ...Array(copies).fill(list[0])]) };
      }),
    );
  }

  const references = slots.filter((slot) => ['sku', 'location', 'line_id'].includes(String(slot.path.at(-1))));
  if (references.length > 0) {
    const unknown = fc.constantFrom('NO-SUCH-SKU', 'nowhere', 'line_0190000000000000000000000000', 'ord_missing', world.skus[0]!.toLowerCase());
    options.push(
      fc.tuple(fc.constantFrom(...references), unknown).map(([slot, value]) => ({ kind: `unknown ${String(slot.path.at(-1))} ${value}`, body: setAt(body, slot.path, value) })),
    );
  }

  return fc.oneof(...options);
}

function mutatedRequestArbitrary(endpoint: Endpoint, world: World): fc.Arbitrary<FuzzRequest> {
  const schema = endpoint.body ?? { type: 'object', properties: {}, required: [] };
  return validRequestArbitrary(endpoint, world).chain((valid) =>
    mutationArbitrary(valid.body ?? {}, schema, world).map((mutation) => ({
      ...jsonRequest(endpoint, valid.url, mutation.kind, mutation.body),
      // A body that the endpoint does not read at all cannot be wrong field by field.
      expectField: endpoint.body ? mutation.expectField : undefined,
    })),
  );
}

// ---------------------------------------------------------------------------
// Malformed payloads, headers and paths

const RAW_BODIES: string[] = [
  '', ' ', '{', '}', '[', 'null', 'true', '0', '-1', '"text"', '[]', '[{}]', '{"a":', "{'policy':'backorder'}", '{"lines": [1,2,}',
  'NaN', '{"quantity": NaN}', '{"x": Infinity}', '{"x": 1e999}', '\ufeff{}', '{"a":1}{"b":2}', '{"a":1} trailing', '{"policy":"backorder","policy":"stock_only"}',
  '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"polluted": 1}}}', '{"lines":[{"__proto__":{"x":1},"sku":"STOCK-A","quantity":1}]}',
  '{"currency":"USD","lines":[{"sku":"STOCK-A","quantity":1,"unit_price":1}],"__proto__":null}', '{"reason":"a\\u0000b","sku":"STOCK-A","quantity_delta":1}',
  '{"name":"\\ud800"}', '{"x":"\\u"}', '\u0000', '<xml/>', 'sku=STOCK-A&quantity=1',
];
const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json;charset=UTF-8',
  'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/vnd.api+json', 'application/octet-stream', 'json', '',
];

function rawRequestArbitrary(endpoint: Endpoint, world: World): fc.Arbitrary<FuzzRequest> {
  const headers = (contentType: string | null) => ({
    authorization: `Bearer ${ADMIN_KEY}`,
    ...(contentType === null ? {} : { 'content-type': contentType }),
  });

  const payload = fc.oneof(
    { arbitrary: fc.constantFrom(...RAW_BODIES), weight: 6 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)), weight: 2 },
    { arbitrary: fc.integer({ min: 2_000, max: 60_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)), weight: 1 },
    { arbitrary: fc.integer({ min: 2_000, max: 30_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)), weight: 1 },
  );
  const invalidUtf8 = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes) => Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, ...bytes]), Buffer.from('"}')]));

  return pathArbitrary(endpoint, world).chain(({ url }) =>
    fc.oneof(
      { weight: 8, arbitrary: fc.tuple(payload, fc.constantFrom<string | null>(...CONTENT_TYPES, 'application/json', 'application/json', null)).map(([text, contentType]) => ({ endpoint, url, kind: `raw body as ${contentType}`, headers: headers(contentType), payload: text })) },
      { weight: 1, arbitrary: invalidUtf8.map((bytes) => ({ endpoint, url, kind: 'invalid UTF-8', headers: headers('application/json'), payload: bytes })) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(1024 * 1024 + 1, 3 * 1024 * 1024).map((size) => ({
          endpoint,
          url,
          kind: `body of ${size} bytes`,
          headers: headers('application/json'),
          payload: `{"name":"${'a'.repeat(size)}"}`,
          expectStatus: 413,
        })),
      },
      { weight: 2, arbitrary: authArbitrary(endpoint, url) },
      { weight: 3, arbitrary: badPathArbitrary(endpoint, world) },
      { weight: 2, arbitrary: badIdempotencyKeyArbitrary(endpoint, world) },
    ),
  );
}

function authArbitrary(endpoint: Endpoint, url: string): fc.Arbitrary<FuzzRequest> {
  const choices: [string, Record<string, string>, number | undefined][] = [
    ['no key', {}, 401],
    ['unknown key', { authorization: 'Bearer rsk_wrong' }, 401],
    ['basic auth', { authorization: 'Basic YWRtaW46YWRtaW4=' }, 401],
    ['empty bearer', { authorization: 'Bearer ' }, 401],
    ['admin key with a character added', { authorization: `Bearer ${ADMIN_KEY}x` }, 401],
    ['publishable key', { authorization: `Bearer ${PUBLISHABLE_KEY}` }, undefined],
  ];
  return fc.constantFrom(...choices).map(([kind, auth, status]) => ({
    endpoint,
    url,
    kind,
    headers: { ...auth, 'content-type': 'application/json' },
    payload: '{}',
    expectStatus: status,
  }));
}

/** Path parameters that are unknown, too long, or made of odd characters; the body stays valid. */
function badPathArbitrary(endpoint: Endpoint, world: World): fc.Arbitrary<FuzzRequest> {
  if (endpoint.params.length === 0) return validRequestArbitrary(endpoint, world);
  const values = fc.constantFrom(
    'ord_missing', 'po_missing', 'line_missing', 'x'.repeat(65), 'x'.repeat(101), '%00', 'a%00b', '%F0%9F%A7%A6', '%E2%80%AE', '..%2F..', '%20', 'a%20b',
    '%ZZ', '%C3%28', '__proto__', 'constructor', 'NaN', '-1', '1e308', '.', '..',
  );
  return fc.tuple(validRequestArbitrary(endpoint, world), fc.constantFrom(...endpoint.params), values).map(([valid, param, value]) => {
    const segments = endpoint.path.split('/');
    const position = segments.indexOf(`{${param}}`);
    const url = valid.url.split('/');
    url[position] = value;
    return { ...valid, url: url.join('/'), kind: `path ${param}=${value}` };
  });
}

function badIdempotencyKeyArbitrary(endpoint: Endpoint, world: World): fc.Arbitrary<FuzzRequest> {
  if (endpoint.method !== 'POST') return validRequestArbitrary(endpoint, world);
  const keys = fc.constantFrom('k'.repeat(256), 'k'.repeat(255), ' ', 'ключ', '🔑', 'a\tb');
  return fc.tuple(validRequestArbitrary(endpoint, world), keys).map(([valid, key]) => ({
    ...valid,
    headers: { ...valid.headers, 'idempotency-key': key },
    kind: `Idempotency-Key of ${key.length} characters`,
    // The key is checked after the body, so the 400 names the key only when the body is valid.
    expectStatus: key.length > 255 ? 400 : undefined,
  }));
}

// ---------------------------------------------------------------------------
// Sending and checking

async function send(api: TestApi, request: FuzzRequest): Promise<ApiResponse> {
  const response = await api.app.inject({
    method: request.endpoint.method,
    url: request.url,
    headers: request.headers,
    payload: request.payload,
  });
  return toApiResponse(response.statusCode, response.headers, response.body);
}

/** Splits a field name such as `lines[0].sku` into `lines`, `0` and `sku`. */
function segmentsOf(field: string): string[] {
  return field.split(/[.[\]/]/).filter((segment) => segment !== '');
}

/**
 * Field names a 400 may give for a request: the schema's fields, the keys
 * sent (and their parts, since a key such as `a.b` or `a/b` cannot be
 * distinguished from a path), path parameters and the request parts.
 */
function knownFieldNames(request: FuzzRequest): Set<string> {
  const names = new Set(['body', 'path', 'content-type', 'Idempotency-Key', ...request.endpoint.params, ...request.endpoint.query]);
  const addSchema = (schema: JsonSchema | undefined) => {
    if (!schema) return;
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      names.add(key);
      addSchema(property);
    }
    addSchema(schema.items);
    for (const option of schema.anyOf ?? []) addSchema(option);
  };
  // Deeply nested junk is only walked as far as a field name can reach.
  const addKeys = (value: unknown, depth: number) => {
    if (value === null || typeof value !== 'object' || depth > 50) return;
    for (const [key, child] of Object.entries(value)) {
      if (!Array.isArray(value)) for (const name of [key, ...segmentsOf(key)]) names.add(name);
      addKeys(child, depth + 1);
    }
  };
  addSchema(request.endpoint.body ?? undefined);
  addKeys(request.body ?? parsedPayload(request.payload), 0);
  return names;
}

function parsedPayload(payload: string | Buffer | undefined): unknown {
  try {
    return payload === undefined ? undefined : JSON.parse(String(payload));
  } catch {
    return undefined;
  }
}

/** Returns what is wrong with a response, or null when it keeps the contract. */
function problemWith(request: FuzzRequest, response: ApiResponse): string | null {
  if (response.status >= 500) return `server error ${response.status}`;
  if (request.expectStatus !== undefined && response.status !== request.expectStatus) return `expected ${request.expectStatus}, got ${response.status}`;
  if (request.expectField !== undefined && response.status !== 400) return `expected 400 naming ${request.expectField}, got ${response.status}`;
  if (response.status < 400) return null;

  const error = response.body?.error;
  if (!error || typeof error !== 'object') return 'a 4xx without an error object';
  const codes = CODES_BY_STATUS.get(response.status);
  if (!codes) return `status ${response.status} is not in the contract`;
  if (!codes.includes(error.code)) return `code ${String(error.code)} does not belong to status ${response.status}`;
  if (typeof error.message !== 'string' || error.message === '') return 'error.message is missing or empty';

  if (error.code === 'invalid_request') {
    if (!Array.isArray(error.details) || error.details.length === 0) return 'a 400 without details';
    const known = knownFieldNames(request);
    for (const detail of error.details) {
      if (typeof detail?.field !== 'string' || detail.field === '') return 'a 400 detail without a field';
      if (typeof detail.message !== 'string' || detail.message === '') return `a 400 detail without a message for ${detail.field}`;
      const head = segmentsOf(detail.field)[0] ?? '';
      if (!known.has(head) && !known.has(detail.field)) return `a 400 names ${detail.field}, which the request does not have`;
    }
    // The JSON parser refuses any "__proto__" key anywhere in a body, to stop prototype poisoning, and names the whole body.
    const protoRejected = request.payload?.includes('"__proto__"') === true && error.details.some((detail: { field: string }) => detail.field === 'body');
    if (request.expectField !== undefined && !protoRejected && !error.details.some((detail: { field: string }) => detail.field === request.expectField)) {
      return `a 400 does not name ${request.expectField}`;
    }
  }
  if (error.code === 'not_orderable') {
    if (!Array.isArray(error.details) || error.details.length === 0) return 'a not_orderable without details';
    for (const detail of error.details) {
      if (typeof detail?.sku !== 'string') return 'a not_orderable detail without a sku';
      if (!REJECTION_REASONS.includes(detail.reason)) return `a not_orderable reason ${String(detail.reason)} is not in the contract`;
      if (detail.max_orderable !== null && !Number.isInteger(detail.max_orderable)) return 'a not_orderable max_orderable is not a whole number or null';
    }
  }
  return null;
}

/**
 * Sends a request with an Idempotency-Key again. A stored first response
 * (a 2xx) must come back unchanged and marked as replayed. A request that
 * stored nothing must get the same status again, because nothing changed
 * in between.
 */
async function problemWithReplay(api: TestApi, request: FuzzRequest, first: ApiResponse): Promise<string | null> {
  if (request.headers['idempotency-key'] === undefined || first.status >= 500) return null;
  const again = await send(api, request);
  if (again.status !== first.status) return `a retry with the same Idempotency-Key got ${again.status} after ${first.status}`;
  if (first.status >= 300) return null;
  if (again.headers['idempotent-replayed'] !== 'true') return 'a retry with the same Idempotency-Key is not marked Idempotent-Replayed';
  if (again.text !== first.text) return 'a retry with the same Idempotency-Key got another body';
  return null;
}

function describeFailure(request: FuzzRequest, response: ApiResponse, problem: string, seed: number): string {
  const payload = request.payload === undefined ? '(none)' : String(request.payload);
  const shortPayload = payload.length > 400 ? `${payload.slice(0, 400)}… (${payload.length} characters)` : payload;
  return [
    `${problem}: ${request.endpoint.method} ${request.url.slice(0, 200)} [${request.kind}] with RESTOCK_FUZZ_SEED=${seed}`,
    `  headers: ${JSON.stringify({ ...request.headers, authorization: request.headers.authorization ? '…' : undefined })}`,
    `  body: ${shortPayload}`,
    `  response ${response.status}: ${response.text.slice(0, 400)}`,
  ].join('\n');
}

interface RunSummary {
  requests: number;
  failures: string[];
  /** Failures of the same problem, endpoint and kind are reported once and counted here. */
  repeated: number;
  statuses: Map<string, Map<number, number>>;
}

/**
 * Sends `runs` requests, each drawn with its own seed from the current
 * world, spread over the endpoints in turn, and collects what breaks the
 * contract. The world grows as orders and purchase orders are created.
 */
async function fuzz(
  api: TestApi,
  endpoints: Endpoint[],
  world: World,
  runs: number,
  seed: number,
  requestFor: (endpoint: Endpoint, world: World) => fc.Arbitrary<FuzzRequest>,
): Promise<RunSummary> {
  const summary: RunSummary = { requests: 0, failures: [], repeated: 0, statuses: new Map() };
  const seen = new Set<string>();
  const rotation = endpoints.flatMap((endpoint) => Array<Endpoint>(ENDPOINT_WEIGHTS[endpointName(endpoint)] ?? 3).fill(endpoint));

  for (let index = 0; index < runs; index += 1) {
    if (index % 20 === 0) await refreshOrders(api, world);
    const endpoint = rotation[index % rotation.length]!;
    const [request] = fc.sample(requestFor(endpoint, world), { seed: seed + index, numRuns: 1 });
    const response = await send(api, request!);
    summary.requests += 1;
    learn(world, response);

    const name = endpointName(endpoint);
    const counts = summary.statuses.get(name) ?? new Map<number, number>();
    counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
    summary.statuses.set(name, counts);

    const problem = problemWith(request!, response) ?? (await problemWithReplay(api, request!, response));
    if (problem === null) continue;
    const signature = `${problem.replace(/\d+/g, 'N')} ${name} ${request!.kind.replace(/\d+/g, 'N')}`;
    if (seen.has(signature) || summary.failures.length >= MAX_REPORTED) {
      summary.repeated += 1;
      continue;
    }
    seen.add(signature);
    summary.failures.push(describeFailure(request!, response, problem, seed + index));
  }
  return summary;
}

function formatStatuses(summary: RunSummary): string {
  return [...summary.statuses]
    .map(([name, counts]) => `${name}: ${[...counts].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ')}`)
    .join('\n');
}

/** Opens an API and a world, runs `body`, and checks the invariants before closing. */
async function withWorld(body: (api: TestApi, endpoints: Endpoint[], world: World) => Promise<void>): Promise<void> {
  const api = await openTestApi({ publicRateLimit: 1_000_000_000 });
  try {
    const endpoints = await discoverEndpoints(api);
    const world = await buildWorld(api);
    await body(api, endpoints, world);

    const violations = await checkInvariants(api.store.db);
    assert.deepEqual(violations, [], `broken invariants after fuzzing:\n${JSON.stringify(violations, null, 2)}`);
  } finally {
    await api.close();
  }
}

function assertNoFailures(summary: RunSummary): void {
  const report = summary.failures.join('\n\n');
  const more = summary.repeated > 0 ? `\n\n(${summary.repeated} more failures of the same kinds)` : '';
  assert.equal(summary.failures.length, 0, `${summary.failures.length} distinct contract failures in ${summary.requests} requests:\n\n${report}${more}`);
}

describe(`HTTP fuzz (${testDatabase}, ${TOTAL_RUNS} requests, RESTOCK_FUZZ_SEED=${SEED})`, () => {
  it('discovery finds every write endpoint of the contract', async () => {
    const api = await openTestApi();
    try {
      const names = (await discoverEndpoints(api)).map(endpointName);
      for (const known of KNOWN_ENDPOINTS) assert.ok(names.includes(known), `${known} is missing from /openapi.json`);
    } finally {
      await api.close();
    }
  });

  it('valid bodies never get a server error', async (t) => {
    await withWorld(async (api, endpoints, world) => {
      const summary = await fuzz(api, endpoints, world, Math.round(TOTAL_RUNS * 0.4), SEED, validRequestArbitrary);
      t.diagnostic(`statuses by endpoint:\n${formatStatuses(summary)}`);

      assertNoFailures(summary);
      for (const [name, counts] of summary.statuses) {
        const succeeded = [...counts].some(([status]) => status < 300);
        assert.ok(succeeded, `${name} never succeeded with a valid body, so the fuzz did not reach its use case`);
      }
    });
  });

  it('mutated bodies get a 400 naming the field', async (t) => {
    await withWorld(async (api, endpoints, world) => {
      const summary = await fuzz(api, endpoints, world, Math.round(TOTAL_RUNS * 0.4), SEED + 1_000_000, mutatedRequestArbitrary);
      t.diagnostic(`statuses by endpoint:\n${formatStatuses(summary)}`);

      assertNoFailures(summary);
    });
  });

  it('forged list cursors get a 4xx of the contract', async () => {
    await withWorld(async (api) => {
      const lists = await discoverEndpoints(api, true);
      assert.ok(lists.length >= 8, `expected at least 8 lists with a cursor, found ${lists.length}`);
      const failures: string[] = [];

      for (const request of lists.flatMap(forgedCursorRequests)) {
        const response = await send(api, request);
        const problem = problemWith(request, response);
        if (problem !== null) failures.push(describeFailure(request, response, problem, SEED));
      }

      assert.deepEqual(failures, []);
    });
  });

  it('malformed payloads, keys and paths get a 4xx of the contract', async (t) => {
    await withWorld(async (api, endpoints, world) => {
      const summary = await fuzz(api, endpoints, world, Math.round(TOTAL_RUNS * 0.2), SEED + 2_000_000, rawRequestArbitrary);
      t.diagnostic(`statuses by endpoint:\n${formatStatuses(summary)}`);

      assertNoFailures(summary);
    });
  });
});
