import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http';
import { buildApp, type App } from '../../src/http/app.js';
import type { Store } from '../../src/store/store.js';
import type { ManualClock } from '../../src/domain/clock.js';
import { openTestStore, type TestStore, type TestStoreOptions } from './database.js';

export const ADMIN_KEY = 'rsk_test_admin_key';
export const PUBLISHABLE_KEY = 'rpk_test_publishable_key';

/** Which key a request carries: a known scope, no header at all, or a literal header value. */
export type KeyChoice = 'admin' | 'public' | 'none' | { authorization: string };

export interface SendOptions {
  key?: KeyChoice;
  headers?: Record<string, string>;
  /** A raw body sent as is, for malformed JSON and oversized payloads. */
  rawBody?: string | Buffer;
}

export interface ApiResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  /** The parsed JSON body, or the text when the body is not JSON. */
  body: any;
  text: string;
}

/** An in-process API over a fresh test database, called with app.inject(). */
export interface TestApi {
  app: App;
  store: Store;
  clock: ManualClock;
  database: TestStore;
  send(method: string, path: string, body?: unknown, options?: SendOptions): Promise<ApiResponse>;
  get(path: string, options?: SendOptions): Promise<ApiResponse>;
  post(path: string, body?: unknown, options?: SendOptions): Promise<ApiResponse>;
  put(path: string, body?: unknown, options?: SendOptions): Promise<ApiResponse>;
  patch(path: string, body?: unknown, options?: SendOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface TestApiOptions extends TestStoreOptions {
  /** Requests per minute per client on each public endpoint; the app's default when unset. */
  publicRateLimit?: number;
}

/** Opens a fresh database and builds the app on it with the fixed test keys and no logging. */
export async function openTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const { publicRateLimit, ...storeOptions } = options;
  const database = await openTestStore(storeOptions);
  let app: App;
  try {
    app = await buildApp({ store: database.store, keys: { admin: ADMIN_KEY, publishable: PUBLISHABLE_KEY }, logger: false, publicRateLimit });
  } catch (error) {
    await database.close();
    throw error;
  }

  const send = async (method: string, path: string, body?: unknown, sendOptions: SendOptions = {}) => {
    const headers: Record<string, string> = { ...authorizationHeader(sendOptions.key ?? 'admin'), ...sendOptions.headers };
    let payload: string | Buffer | undefined = sendOptions.rawBody;
    if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';

    const response = await app.inject({ method: method as 'GET', url: path, headers, payload });
    return toApiResponse(response.statusCode, response.headers, response.body);
  };

  return {
    app,
    store: database.store,
    clock: database.clock,
    database,
    send,
    get: (path, sendOptions) => send('GET', path, undefined, sendOptions),
    post: (path, body, sendOptions) => send('POST', path, body, sendOptions),
    put: (path, body, sendOptions) => send('PUT', path, body, sendOptions),
    patch: (path, body, sendOptions) => send('PATCH', path, body, sendOptions),
    async close() {
      try {
        await app.close();
      } finally {
        await database.close();
      }
    },
  };
}

/**
 * Runs `body` against a fresh API and closes it afterwards, whether the body
 * passed or failed.
 */
export async function withApi<T>(body: (api: TestApi) => Promise<T>, options: TestApiOptions = {}): Promise<T> {
  const api = await openTestApi(options);
  try {
    return await body(api);
  } finally {
    await api.close();
  }
}

export function authorizationHeader(key: KeyChoice): Record<string, string> {
  if (key === 'none') return {};
  if (key === 'admin') return { authorization: `Bearer ${ADMIN_KEY}` };
  if (key === 'public') return { authorization: `Bearer ${PUBLISHABLE_KEY}` };
  return { authorization: key.authorization };
}

/**
 * Parses a response and checks the rule that holds for every response: a
 * server error never shows a stack trace or SQL to the caller.
 */
export function toApiResponse(status: number, headers: OutgoingHttpHeaders, text: string): ApiResponse {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: /metrics, /docs and the like return text or HTML.
  }
  if (status >= 500) assertNoInternals(text);
  return { status, headers, body, text };
}

const INTERNAL_PATTERNS: [string, RegExp][] = [
  ['a stack frame', /(^|\\n|\n)\s*at \S|\(\S+:\d+:\d+\)/],
  ['a source path', /(node_modules|\/src\/|\.ts:\d+|\.js:\d+)/],
  ['SQL', /\b(select|insert|update|delete)\b[\s\S]*\b(from|into|set|where)\b/i],
  ['a database error', /(sqlite|postgres|SQLITE_|relation "|no such table|syntax error at|violates .* constraint|kysely)/i],
];

/** Fails when a response body shows a stack trace, a source path, SQL or a database error. */
export function assertNoInternals(text: string): void {
  for (const [what, pattern] of INTERNAL_PATTERNS) {
    assert.doesNotMatch(text, pattern, `a server error body shows ${what}: ${text}`);
  }
}

/** Asserts the error body of the contract: status, `error.code`, and a non-empty message. */
export function assertError(response: ApiResponse, status: number, code: string): void {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status}: ${response.text}`);
  assert.equal(response.body?.error?.code, code, `expected error code ${code}: ${response.text}`);
  assert.equal(typeof response.body.error.message, 'string');
  assert.notEqual(response.body.error.message, '');
}

/** Returns the `field` of every entry in an invalid_request error's `details`. */
export function detailFields(response: ApiResponse): string[] {
  const details: unknown = response.body?.error?.details;
  assert.ok(Array.isArray(details), `expected error.details to be a list: ${response.text}`);
  return (details as { field: string }[]).map((detail) => detail.field);
}

/** Asserts a 400 invalid_request whose details name `field`. */
export function assertInvalidField(response: ApiResponse, field: string): void {
  assertError(response, 400, 'invalid_request');
  assert.ok(detailFields(response).includes(field), `expected details to name ${field}: ${response.text}`);
}

export interface SkuBody {
  policy?: 'stock_only' | 'backorder' | 'preorder' | 'discontinued';
  name?: string;
  backorder_limit?: number | null;
  low_stock_threshold?: number;
  lead_time_days?: number | null;
  handling_days?: number;
  restock_date?: string | null;
  release_date?: string | null;
}

/** Creates a SKU over HTTP (stock_only unless `policy` is given) and counts `onHand` units in at `main`. */
export async function givenSku(api: Pick<TestApi, 'put' | 'post'>, code: string, body: SkuBody & { onHand?: number } = {}): Promise<void> {
  const { onHand, ...rules } = body;
  const created = await api.put(`/v1/skus/${code}`, { policy: 'stock_only', ...rules });
  assert.equal(created.status, 201, `creating SKU ${code} failed: ${created.text}`);
  if (onHand !== undefined && onHand > 0) await adjust(api, code, onHand);
}

/** Changes on hand at `main` by `delta` over HTTP; the adjustment must succeed. */
export async function adjust(api: Pick<TestApi, 'post'>, sku: string, delta: number): Promise<ApiResponse> {
  const response = await api.post('/v1/stock/adjustments', { sku, quantity_delta: delta, reason: 'test count' });
  assert.equal(response.status, 201, `adjusting ${sku} by ${delta} failed: ${response.text}`);
  return response;
}

export interface OrderLineBody {
  sku: string;
  quantity: number;
  unit_price?: number;
}

/** Builds an order body in USD with 1000 as the default unit price. */
export function orderBody(lines: OrderLineBody[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    currency: 'USD',
    ...extra,
    lines: lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unit_price: line.unit_price ?? 1000 })),
  };
}

/** Places an order over HTTP that must be accepted, and returns its body. */
export async function placeOrder(
  api: Pick<TestApi, 'post'>,
  lines: OrderLineBody[],
  extra: Record<string, unknown> = {},
): Promise<any> {
  const response = await api.post('/v1/orders', orderBody(lines, extra));
  assert.equal(response.status, 201, `placing an order failed: ${response.text}`);
  return response.body;
}

/** Reads a SKU over HTTP. */
export async function readSku(api: Pick<TestApi, 'get'>, code: string): Promise<any> {
  const response = await api.get(`/v1/skus/${code}`);
  assert.equal(response.status, 200, `reading SKU ${code} failed: ${response.text}`);
  return response.body;
}

/** Reads a SKU's counters as `[on_hand, allocated, available, backordered]`. */
export async function skuCounters(api: Pick<TestApi, 'get'>, code: string): Promise<number[]> {
  const sku = await readSku(api, code);
  return [sku.on_hand, sku.allocated, sku.available, sku.backordered];
}

/** Follows `next_cursor` from the first page to the last and returns every row with the page count. */
export async function readAllPages(
  api: Pick<TestApi, 'get'>,
  path: string,
  limit: number,
): Promise<{ rows: any[]; pages: number }> {
  const rows: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  const separator = path.includes('?') ? '&' : '?';

  do {
    const url: string = `${path}${separator}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await api.get(url);
    assert.equal(response.status, 200, `reading ${url} failed: ${response.text}`);
    assertListShape(response.body);
    assert.ok(response.body.data.length <= limit, `page of ${url} is longer than limit ${limit}`);
    rows.push(...response.body.data);
    cursor = response.body.next_cursor;
    assert.equal(response.body.has_more, cursor !== null, 'has_more must be true exactly when next_cursor is set');
    pages += 1;
    assert.ok(pages <= 1000, 'paging did not end after 1000 pages');
  } while (cursor !== null);

  return { rows, pages };
}

/** Asserts the list envelope `{ data, has_more, next_cursor }`. */
export function assertListShape(body: any): void {
  assert.ok(Array.isArray(body?.data), `expected data to be a list: ${JSON.stringify(body)}`);
  assert.equal(typeof body.has_more, 'boolean');
  assert.ok(body.next_cursor === null || typeof body.next_cursor === 'string', 'next_cursor must be a string or null');
}

/** Returns a port that was free a moment ago, found by listening on port 0. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Calls a listening server with fetch and the same checks as the in-process helper. */
export async function fetchJson(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  options: { key?: KeyChoice; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...authorizationHeader(options.key ?? 'admin'), ...options.headers };
  const payload = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: payload,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return toApiResponse(response.status, Object.fromEntries(response.headers.entries()), text);
}

export interface RouteEntry {
  method: string;
  /** The route pattern as registered, such as /v1/orders/:id. */
  url: string;
}

/**
 * Lists every method and pattern the app serves, read from Fastify's route
 * tree (HEAD routes that Fastify adds for each GET are left out).
 */
export function listRoutes(app: App): RouteEntry[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: RouteEntry[] = [];

  for (const line of tree.split('\n')) {
    const match = /^((?:│   |    )*)(?:├── |└── )(.+) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const url = stack.join('');
    for (const method of match[3]!.split(', ')) {
      if (method !== 'HEAD') routes.push({ method, url });
    }
  }
  return routes;
}
