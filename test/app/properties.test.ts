import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { openTestStore, testDatabase, type TestStore } from '../support/database.js';
import { givenSku, placeAccepted, skuView } from '../support/builders.js';
import { SKU_CODES, START, UNKNOWN_SKU, commandSequence, type Command, type OrderSpec } from '../support/arbitraries.js';
import { upsertLocation, upsertSku } from '../../src/app/catalog.js';
import { adjustStock } from '../../src/app/stock.js';
import { closePurchaseOrder, createPurchaseOrder, receive, redatePurchaseOrder } from '../../src/app/purchase-orders.js';
import { placeOrders } from '../../src/app/place-order.js';
import { cancelOrder } from '../../src/app/cancel-order.js';
import { shipOrder } from '../../src/app/ship-order.js';
import { checkInvariants } from '../../src/app/check.js';
import { RestockError } from '../../src/app/errors.js';
import { isReleased } from '../../src/domain/policy.js';
import type { StockPolicy } from '../../src/domain/types.js';
import type { Database } from '../../src/store/schema.js';
import type { Work } from '../../src/store/store.js';

/*
 * Random sequences of every use case against a real database. After each
 * step the outcome must be one the rules allow, a rejected step must leave
 * the database unchanged, and checkInvariants must find nothing. The database
 * must also agree with a small model kept here: on hand per level, shipped
 * and cancelled units per line, money per order, units received per purchase
 * order.
 *
 * RESTOCK_PROPERTY_SEED replays a run. RESTOCK_PROPERTY_RUNS sets the number
 * of sequences (default 40) and RESTOCK_PROPERTY_STEPS their maximum length
 * (default 25); each sequence runs on a fresh store.
 */

const RUNS = Number(process.env.RESTOCK_PROPERTY_RUNS ?? 40);
const MAX_STEPS = Number(process.env.RESTOCK_PROPERTY_STEPS ?? 25);
const SEED = process.env.RESTOCK_PROPERTY_SEED
  ? Number(process.env.RESTOCK_PROPERTY_SEED)
  : (Date.now() ^ Math.floor(Math.random() * 0x100000000)) | 0;

const TABLES = [
  'skus', 'locations', 'stock_levels', 'stock_movements', 'purchase_orders', 'purchase_order_lines', 'receipts',
  'receipt_lines', 'orders', 'order_lines', 'line_allocations', 'shipments', 'shipment_lines', 'events', 'idempotency_keys',
] as const;

/**
 * Everything the use cases under test write, in a stable order, so two
 * snapshots compare with deepEqual. The reads run in parallel, which on
 * PostgreSQL spreads them over the pool.
 */
async function takeSnapshot(db: Kysely<Database>) {
  const counts = sql<Record<string, number>>`select ${sql.raw(
    TABLES.map((table) => `(select count(*) from ${table}) as ${table}`).join(', '),
  )}`.execute(db);
  const rows = await Promise.all([
    counts.then((result) => Object.fromEntries(Object.entries(result.rows[0]!).map(([table, n]) => [table, Number(n)]))),
    db.selectFrom('skus').select(['code', 'policy', 'backorder_limit', 'release_date', 'backordered']).orderBy('code').execute(),
    db.selectFrom('locations').select(['code', 'ships_to', 'priority', 'time_zone']).orderBy('code').execute(),
    db.selectFrom('stock_levels').select(['sku', 'location', 'on_hand', 'allocated']).orderBy('sku').orderBy('location').execute(),
    db.selectFrom('purchase_orders').select(['id', 'location', 'status', 'expected_date']).orderBy('id').execute(),
    db
      .selectFrom('purchase_order_lines')
      .select(['purchase_order_id', 'position', 'sku', 'quantity', 'received', 'open'])
      .orderBy('purchase_order_id')
      .orderBy('position')
      .execute(),
    db
      .selectFrom('orders')
      .select(['id', 'ship_policy', 'capture', 'status', 'captured', 'refunded', 'ready_to_ship_at'])
      .orderBy('id')
      .execute(),
    db
      .selectFrom('order_lines')
      .select([
        'id', 'order_id', 'position', 'sku', 'quantity', 'unit_price', 'allocated', 'backordered', 'shipped', 'cancelled',
        'refunded_units', 'status', 'priority', 'placed_at', 'shipping_country',
      ])
      .orderBy('order_id')
      .orderBy('position')
      .execute(),
    db
      .selectFrom('line_allocations')
      .select(['line_id', 'location', 'order_id', 'sku', 'quantity'])
      .orderBy('line_id')
      .orderBy('location')
      .execute(),
  ]);
  const [rowCounts, skus, locations, levels, purchaseOrders, purchaseOrderLines, orders, lines, allocations] = rows;
  return { rowCounts, skus, locations, levels, purchaseOrders, purchaseOrderLines, orders, lines, allocations };
}

type Snapshot = Awaited<ReturnType<typeof takeSnapshot>>;
type Outcome = 'ok' | 'invalid_state' | 'not_found';

interface TrackedLine {
  id: string;
  sku: string;
  quantity: number;
  unitPrice: number;
  shipped: number;
  cancelled: number;
}

interface TrackedOrder {
  id: string;
  capture: 'upfront' | 'on_ship';
  lines: TrackedLine[];
  /** Sum of the refunds that cancelOrder returned. */
  refunded: number;
}

/** What a command may lead to in the current state, and how to run it. */
interface Attempt {
  allowed: Outcome[];
  /** Runs the use case. On success it checks the result and updates the model. */
  run(): Promise<void>;
  /** Further checks on the snapshots around a successful step. */
  verify?(label: string, before: Snapshot, after: Snapshot): void;
}

/** Outcomes per use case over all runs, printed so a log shows which paths the sequences reached. */
const outcomeCounts = new Map<string, number>();

const key = (...parts: string[]) => parts.join(' ');

/** One sequence on one fresh store, with the model it is checked against. */
class SequenceRun {
  readonly skus = new Map<string, { policy: StockPolicy; backorderLimit: number | null; releaseDate: string | null }>();
  readonly timeZones = new Map<string, string>([['main', 'UTC']]);
  /** Units on hand per `sku location`: adjustments + receipts − shipments. */
  readonly onHand = new Map<string, number>();
  /** Units received per `purchase-order sku`. */
  readonly received = new Map<string, number>();
  readonly orders: TrackedOrder[] = [];
  readonly purchaseOrders: string[] = [];
  private state!: Snapshot;

  constructor(private readonly t: TestStore) {}

  async start(): Promise<void> {
    this.state = await takeSnapshot(this.t.store.db);
  }

  async step(index: number, command: Command): Promise<void> {
    const before = this.state;
    const label = `step ${index + 1} ${JSON.stringify(command)}`;
    const attempt = this.attempt(command, before);

    let outcome: Outcome = 'ok';
    let message = '';
    try {
      await attempt.run();
    } catch (error) {
      if (!(error instanceof RestockError) || (error.code !== 'invalid_state' && error.code !== 'not_found')) {
        const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
        throw new Error(`${label} threw an unexpected error: ${detail}`);
      }
      outcome = error.code;
      message = error.message;
    }
    add(outcomeCounts, `${command.kind} ${outcome}`, 1);
    assert.ok(
      attempt.allowed.includes(outcome),
      `${label}: outcome ${outcome} ${message}, expected ${attempt.allowed.join(' or ')}`,
    );

    const [after, violations] = await Promise.all([takeSnapshot(this.t.store.db), checkInvariants(this.t.store.db)]);
    this.state = after;
    if (outcome === 'ok') {
      attempt.verify?.(label, before, after);
      assertQueueOrderKept(label, before, after);
    } else {
      assert.deepEqual(after, before, `${label}: a rejected command changed the database`);
    }

    this.compareWithModel(label, after);
    assert.deepEqual(violations, [], `${label}: broken invariants`);
  }

  private transaction<T>(body: (work: Work) => Promise<T>): Promise<T> {
    return this.t.store.transaction(body);
  }

  private attempt(command: Command, state: Snapshot): Attempt {
    switch (command.kind) {
      case 'upsertSku':
        return this.upsertSku(command);
      case 'upsertLocation':
        return {
          allowed: ['ok'],
          run: async () => {
            const { code, shipsTo, priority, timeZone } = command;
            await this.transaction((w) => upsertLocation(w, code, { shipsTo, priority, timeZone }));
            this.timeZones.set(code, timeZone);
          },
        };
      case 'adjustStock':
        return this.adjustStock(command);
      case 'createPurchaseOrder':
        return this.createPurchaseOrder(command);
      case 'redatePurchaseOrder':
      case 'closePurchaseOrder':
        return this.changePurchaseOrder(command, state);
      case 'receive':
        return this.receive(command, state);
      case 'placeOrders':
        return this.placeOrders(command.orders);
      case 'cancelOrder':
        return this.cancelOrder(command, state);
      case 'shipOrder':
        return this.shipOrder(command, state);
      case 'advanceClock':
        return { allowed: ['ok'], run: async () => this.t.clock.advance(command.hours * 3_600_000) };
    }
  }

  private upsertSku(command: Extract<Command, { kind: 'upsertSku' }>): Attempt {
    const { sku, policy, backorderLimit, releaseDate } = command;
    const limitFits = backorderLimit === null || policy === 'backorder' || policy === 'preorder';
    return {
      allowed: [limitFits ? 'ok' : 'invalid_state'],
      run: async () => {
        await this.transaction((w) => upsertSku(w, sku, { policy, backorderLimit, releaseDate }));
        this.skus.set(sku, { policy, backorderLimit, releaseDate });
      },
    };
  }

  private adjustStock(command: Extract<Command, { kind: 'adjustStock' }>): Attempt {
    const { sku, location, delta, onHand } = command;
    const level = key(sku, location);
    const current = this.onHand.get(level) ?? 0;
    const target = onHand ?? current + (delta ?? 0);

    let allowed: Outcome = 'ok';
    if (!this.skus.has(sku) || !this.timeZones.has(location)) allowed = 'not_found';
    else if (target < 0) allowed = 'invalid_state';

    return {
      allowed: [allowed],
      run: async () => {
        const result = await this.transaction((w) =>
          adjustStock(w, { sku, location, quantityDelta: delta ?? undefined, onHand: onHand ?? undefined, reason: 'count' }),
        );
        assert.equal(result.delta, target - current, 'adjustment delta');
        assert.equal(result.level.onHand, target, 'on hand after the adjustment');
        this.onHand.set(level, target);
      },
    };
  }

  private createPurchaseOrder(command: Extract<Command, { kind: 'createPurchaseOrder' }>): Attempt {
    const { location, expectedDate, lines } = command;
    const known = this.timeZones.has(location) && lines.every((line) => this.skus.has(line.sku));
    return {
      allowed: [known ? 'ok' : 'not_found'],
      run: async () => {
        const id = await this.transaction((w) =>
          createPurchaseOrder(w, { reference: `PO-${this.purchaseOrders.length + 1}`, location, expectedDate, lines }),
        );
        this.purchaseOrders.push(id);
      },
    };
  }

  private changePurchaseOrder(
    command: Extract<Command, { kind: 'redatePurchaseOrder' | 'closePurchaseOrder' }>,
    state: Snapshot,
  ): Attempt {
    const id = pickFrom(this.purchaseOrders, command.pick) ?? 'po_missing';
    const po = state.purchaseOrders.find((row) => row.id === id);

    let allowed: Outcome = 'ok';
    if (!po) allowed = 'not_found';
    else if (po.status === 'closed') allowed = 'invalid_state';
    else if (command.kind === 'redatePurchaseOrder' && po.status === 'received') allowed = 'invalid_state';

    return {
      allowed: [allowed],
      run: async () => {
        if (command.kind === 'redatePurchaseOrder') {
          await this.transaction((w) => redatePurchaseOrder(w, id, command.expectedDate));
        } else {
          await this.transaction((w) => closePurchaseOrder(w, id));
        }
      },
    };
  }

  private receive(command: Extract<Command, { kind: 'receive' }>, state: Snapshot): Attempt {
    const id = pickFrom(this.purchaseOrders, command.pick) ?? 'po_missing';
    const po = state.purchaseOrders.find((row) => row.id === id);
    const onOrder = [...new Set(state.purchaseOrderLines.filter((l) => l.purchase_order_id === id).map((l) => l.sku))];
    const offOrder = [...SKU_CODES, UNKNOWN_SKU].filter((sku) => !onOrder.includes(sku));
    const lines = command.lines.map((line) => ({
      sku: (line.offOrder ? pickFrom(offOrder, line.pick) : pickFrom(onOrder, line.pick)) ?? UNKNOWN_SKU,
      quantity: line.quantity,
    }));

    let allowed: Outcome = 'ok';
    if (!po) allowed = 'not_found';
    else if (po.status === 'closed' || lines.some((line) => !onOrder.includes(line.sku))) allowed = 'invalid_state';

    return {
      allowed: [allowed],
      run: async () => {
        const result = await this.transaction((w) => receive(w, id, lines));
        const units = lines.reduce((sum, line) => sum + line.quantity, 0);
        const served = result.allocations.reduce((sum, a) => sum + a.quantity, 0);
        assert.ok(served <= units, `a receipt of ${units} units allocated ${served}`);
        for (const line of lines) {
          add(this.onHand, key(line.sku, po!.location), line.quantity);
          add(this.received, key(id, line.sku), line.quantity);
        }
      },
    };
  }

  private placeOrders(specs: OrderSpec[]): Attempt {
    const accepted: string[] = [];
    return {
      allowed: ['ok'],
      run: async () => {
        const inputs = specs.map((spec) => ({ currency: 'USD', ...spec }));
        const outcomes = await this.transaction((w) => placeOrders(w, inputs));
        assert.equal(outcomes.length, specs.length, 'one outcome per order');

        for (const [index, outcome] of outcomes.entries()) {
          const spec = specs[index]!;
          const unknown = spec.lines.filter((line) => !this.skus.has(line.sku)).map((line) => line.sku);
          if (unknown.length > 0) {
            assert.equal(outcome.accepted, false, `order ${index} has unknown SKUs ${unknown.join(', ')}`);
          }
          if (!outcome.accepted) {
            for (const sku of unknown) {
              assert.ok(
                outcome.rejections.some((r) => r.sku === sku && r.reason === 'unknown_sku'),
                `rejection names unknown SKU ${sku}: ${JSON.stringify(outcome.rejections)}`,
              );
            }
            continue;
          }

          accepted.push(outcome.orderId);
          const rows = await this.t.store.db
            .selectFrom('order_lines')
            .select(['id', 'sku', 'quantity', 'unit_price'])
            .where('order_id', '=', outcome.orderId)
            .orderBy('position')
            .execute();
          assert.deepEqual(
            rows.map((row) => [row.sku, row.quantity, row.unit_price]),
            spec.lines.map((line) => [line.sku, line.quantity, line.unitPrice]),
            'stored lines match the request',
          );
          this.orders.push({
            id: outcome.orderId,
            capture: spec.capture,
            refunded: 0,
            lines: rows.map((row) => ({
              id: row.id,
              sku: row.sku,
              quantity: row.quantity,
              unitPrice: row.unit_price,
              shipped: 0,
              cancelled: 0,
            })),
          });
        }
      },
      verify: (label, before, after) => {
        if (accepted.length === 0) {
          assert.deepEqual(after, before, `${label}: rejected orders left a trace`);
          return;
        }
        for (const line of after.lines.filter((l) => accepted.includes(l.order_id))) {
          const policy = this.skus.get(line.sku)!.policy;
          if (policy === 'stock_only' || policy === 'discontinued') {
            assert.equal(line.backordered, 0, `${label}: new ${policy} line ${line.id} was backordered`);
          }
        }
        for (const sku of after.skus) {
          const limit = sku.backorder_limit;
          const previous = before.skus.find((s) => s.code === sku.code)!.backordered;
          if (limit !== null && sku.backordered > previous) {
            assert.ok(sku.backordered <= limit, `${label}: SKU ${sku.code} queue ${sku.backordered} grew past its limit ${limit}`);
          }
        }
      },
    };
  }

  private cancelOrder(command: Extract<Command, { kind: 'cancelOrder' }>, state: Snapshot): Attempt {
    const order = pickFrom(this.orders, command.pick);
    if (!order) {
      return {
        allowed: ['not_found'],
        run: async () => {
          await this.transaction((w) => cancelOrder(w, 'ord_missing', { reason: 'test' }));
        },
      };
    }

    const lines = state.lines.filter((line) => line.order_id === order.id);
    const open = new Map(lines.map((line) => [line.id, line.allocated + line.backordered]));
    let requests: { lineId: string; quantity: number }[];
    let fits = true;

    if (command.lines === null) {
      requests = lines
        .filter((line) => open.get(line.id)! > 0)
        .map((line) => ({ lineId: line.id, quantity: open.get(line.id)! }));
      fits = requests.length > 0;
    } else {
      requests = command.lines.map((request) => {
        const line = pickFrom(lines, request.pick)!;
        const left = open.get(line.id)!;
        let quantity = left === 0 ? 1 : 1 + (request.amount % left);
        if (request.tooMany) quantity = left + 1 + (request.amount % 2);
        if (quantity > left) fits = false;
        else open.set(line.id, left - quantity);
        return { lineId: line.id, quantity };
      });
    }

    const paid = requests.reduce((sum, r) => sum + r.quantity * lineOf(order, r.lineId).unitPrice, 0);
    const refund = order.capture === 'upfront' ? paid : 0;
    return {
      allowed: [fits ? 'ok' : 'invalid_state'],
      run: async () => {
        const input = command.lines === null ? { reason: 'test' } : { lines: requests, reason: 'test' };
        const result = await this.transaction((w) => cancelOrder(w, order.id, input));
        assert.deepEqual(result.refund, { amount: refund, currency: 'USD' }, 'refund of the cancelled units');
        for (const request of requests) lineOf(order, request.lineId).cancelled += request.quantity;
        order.refunded += refund;
      },
    };
  }

  private shipOrder(command: Extract<Command, { kind: 'shipOrder' }>, state: Snapshot): Attempt {
    const order = pickFrom(this.orders, command.pick);
    if (!order) {
      return {
        allowed: ['not_found'],
        run: async () => {
          await this.transaction((w) => shipOrder(w, 'ord_missing', { lines: [{ lineId: 'line_missing', quantity: 1 }] }));
        },
      };
    }

    const lines = state.lines.filter((line) => line.order_id === order.id);
    const allocations = state.allocations.filter((a) => a.order_id === order.id && a.quantity > 0);
    const chosen = pickFrom(allocations, command.allocationPick);
    if (!chosen) {
      // Nothing is allocated, so any shipment is invalid_state.
      const line = pickFrom(lines, command.allocationPick)!;
      return {
        allowed: ['invalid_state'],
        run: async () => {
          const location = command.location === 'omit' ? undefined : 'main';
          await this.transaction((w) => shipOrder(w, order.id, { location, lines: [{ lineId: line.id, quantity: 1 }] }));
        },
      };
    }

    const heldAt = (lineId: string, location: string) =>
      allocations.find((a) => a.line_id === lineId && a.location === location)?.quantity ?? 0;
    let requests = command.whole
      ? allocations.filter((a) => a.location === chosen.location).map((a) => ({ lineId: a.line_id, quantity: a.quantity }))
      : [{ lineId: chosen.line_id, quantity: 1 + (command.amount % chosen.quantity) }];
    if (command.tooMany) requests[0]!.quantity = heldAt(requests[0]!.lineId, chosen.location) + 1;
    if (command.split) {
      // The same line twice in one shipment: the parts must be judged by their sum.
      const [first, ...rest] = requests;
      const part = Math.ceil(first!.quantity / 2);
      requests = [
        { lineId: first!.lineId, quantity: part },
        { lineId: first!.lineId, quantity: Math.max(1, first!.quantity - part) },
        ...rest,
      ];
    }

    let named: string | undefined;
    if (command.location === 'main') named = 'main';
    else if (command.location === 'allocated') named = chosen.location;
    const totals = new Map<string, number>();
    for (const request of requests) add(totals, request.lineId, request.quantity);
    const places = new Set(allocations.filter((a) => totals.has(a.line_id)).map((a) => a.location));
    const from = named ?? (places.size === 1 ? [...places][0]! : undefined);

    const shipsComplete = state.orders.find((o) => o.id === order.id)!.ship_policy === 'ship_complete';
    const whole = lines.every((line) => line.backordered === 0 && line.allocated === (totals.get(line.id) ?? 0));
    const unreleased = (location: string) =>
      [...totals.keys()].some((lineId) => {
        const rules = this.skus.get(lineOf(order, lineId).sku)!;
        const released = isReleased(rules.releaseDate, this.t.clock.now(), this.timeZones.get(location)!);
        return rules.policy === 'preorder' && !released;
      });
    const fits =
      from !== undefined &&
      [...totals].every(([lineId, quantity]) => quantity <= heldAt(lineId, from)) &&
      (!shipsComplete || whole) &&
      !unreleased(from);

    return {
      allowed: [fits ? 'ok' : 'invalid_state'],
      run: async () => {
        await this.transaction((w) => shipOrder(w, order.id, { location: named, lines: requests }));
        for (const request of requests) {
          const line = lineOf(order, request.lineId);
          line.shipped += request.quantity;
          add(this.onHand, key(line.sku, from!), -request.quantity);
        }
      },
    };
  }

  /** Compares the database with the model kept by the steps so far. */
  private compareWithModel(label: string, after: Snapshot): void {
    for (const level of after.levels) {
      const units = this.onHand.get(key(level.sku, level.location)) ?? 0;
      assert.equal(level.on_hand, units, `${label}: on hand of ${level.sku} at ${level.location}`);
    }
    for (const [level, units] of this.onHand) {
      const [sku, location] = level.split(' ');
      const row = after.levels.find((l) => l.sku === sku && l.location === location);
      assert.equal(row?.on_hand ?? 0, units, `${label}: on hand of ${level}`);
    }

    assert.deepEqual(after.skus.map((s) => s.code), [...this.skus.keys()].sort(), `${label}: SKUs`);
    for (const sku of after.skus) {
      const rules = this.skus.get(sku.code)!;
      assert.deepEqual(
        [sku.policy, sku.backorder_limit, sku.release_date],
        [rules.policy, rules.backorderLimit, rules.releaseDate],
        `${label}: rules of ${sku.code}`,
      );
    }

    assert.equal(after.orders.length, this.orders.length, `${label}: orders stored`);
    assert.equal(after.lines.length, this.orders.reduce((sum, o) => sum + o.lines.length, 0), `${label}: lines stored`);
    for (const order of this.orders) {
      const row = after.orders.find((o) => o.id === order.id)!;
      const paid = (line: TrackedLine) => (order.capture === 'upfront' ? line.quantity : line.shipped);
      const captured = order.lines.reduce((sum, line) => sum + paid(line) * line.unitPrice, 0);
      assert.equal(row.captured, captured, `${label}: captured on ${order.id}`);
      assert.equal(row.refunded, order.refunded, `${label}: refunded on ${order.id}`);
      assert.ok(row.refunded <= row.captured, `${label}: refunded ${row.refunded} > captured ${row.captured} on ${order.id}`);
      for (const line of order.lines) {
        const stored = after.lines.find((l) => l.id === line.id)!;
        assert.equal(stored.shipped, line.shipped, `${label}: shipped on ${line.id}`);
        assert.equal(stored.cancelled, line.cancelled, `${label}: cancelled on ${line.id}`);
      }
    }

    for (const order of after.orders) {
      const own = after.lines.filter((line) => line.order_id === order.id);
      const allocated = own.reduce((sum, line) => sum + line.allocated, 0);
      const backordered = own.reduce((sum, line) => sum + line.backordered, 0);
      const ready = allocated > 0 && (order.ship_policy === 'ship_partial' || backordered === 0);
      assert.equal(order.ready_to_ship_at !== null, ready, `${label}: ${order.ship_policy} order ${order.id} ready to ship`);
    }

    const receivedInDb = new Map<string, number>();
    for (const line of after.purchaseOrderLines) add(receivedInDb, key(line.purchase_order_id, line.sku), line.received);
    for (const [poSku, units] of receivedInDb) {
      assert.equal(units, this.received.get(poSku) ?? 0, `${label}: received on ${poSku}`);
    }
  }
}

/**
 * Fails when a line placed before the step gained stock at a location while
 * a line ahead of it in queue order, which that location may ship to, still
 * waits. Queue order: priority (higher first), placed time, then line id.
 */
function assertQueueOrderKept(label: string, before: Snapshot, after: Snapshot): void {
  const previous = new Map(before.allocations.map((a) => [key(a.line_id, a.location), a.quantity]));
  const existing = new Set(before.lines.map((line) => line.id));
  const waiting = after.lines.filter((line) => line.backordered > 0);

  for (const allocation of after.allocations) {
    const gained = allocation.quantity > (previous.get(key(allocation.line_id, allocation.location)) ?? 0);
    if (!existing.has(allocation.line_id) || !gained) continue;

    const served = after.lines.find((line) => line.id === allocation.line_id)!;
    const location = after.locations.find((l) => l.code === allocation.location)!;
    const countries = location.ships_to === null ? null : (JSON.parse(location.ships_to) as string[]);
    const ahead = waiting.find(
      (line) =>
        line.sku === served.sku &&
        isAheadInQueue(line, served) &&
        (countries === null || line.shipping_country === null || countries.includes(line.shipping_country)),
    );
    assert.equal(ahead?.id, undefined, `${label}: line ${served.id} took stock at ${allocation.location} before line ${ahead?.id}`);
  }
}

function isAheadInQueue(
  a: { id: string; priority: number; placed_at: string },
  b: { id: string; priority: number; placed_at: string },
): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.placed_at !== b.placed_at) return a.placed_at < b.placed_at;
  return a.id < b.id;
}

function pickFrom<T>(items: readonly T[], pick: number): T | undefined {
  return items.length === 0 ? undefined : items[pick % items.length];
}

function add(map: Map<string, number>, name: string, units: number): void {
  map.set(name, (map.get(name) ?? 0) + units);
}

function lineOf(order: TrackedOrder, lineId: string): TrackedLine {
  return order.lines.find((line) => line.id === lineId)!;
}

/** Runs a whole sequence on a fresh store, checking after every step. */
async function runSequence(commands: readonly Command[]): Promise<void> {
  const t = await openTestStore({ start: START });
  try {
    const run = new SequenceRun(t);
    await run.start();
    for (const [index, command] of commands.entries()) await run.step(index, command);
  } finally {
    await t.close();
  }
}

describe(`use case sequences (${testDatabase})`, () => {
  it('random sequences keep every invariant', async (t) => {
    t.diagnostic(`seed ${SEED}, ${RUNS} runs; replay with RESTOCK_PROPERTY_SEED=${SEED}`);
    const property = fc.asyncProperty(commandSequence(MAX_STEPS), runSequence);
    await fc.assert(property, { numRuns: RUNS, seed: SEED, includeErrorInReport: true });
    const counts = [...outcomeCounts].sort(([a], [b]) => (a < b ? -1 : 1));
    t.diagnostic(`outcomes: ${counts.map(([outcome, n]) => `${outcome} ${n}`).join(', ')}`);
  });
});

// Shrunk counterexamples that the property found, replayed as plain tests.
describe(`use case sequence regressions (${testDatabase})`, () => {
  it('cancelled free unit counts as refunded', async () => {
    const t = await openTestStore({ start: START });
    try {
      await givenSku(t.store, 'A', { policy: 'backorder' });
      const order = await placeAccepted(t.store, [['A', 1, 0]], { capture: 'upfront' });
      const { refund } = await t.store.transaction((w) => cancelOrder(w, order.id, { reason: 'changed mind' }));

      const line = await t.store.db
        .selectFrom('order_lines')
        .select(['cancelled', 'refunded_units'])
        .where('id', '=', order.lines[0]!.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(refund, { amount: 0, currency: 'USD' });
      assert.equal(line.cancelled, 1);
      assert.equal(line.refunded_units, 1);
      assert.deepEqual(await checkInvariants(t.store.db), []);
    } finally {
      await t.close();
    }
  });

  it('line listed twice ships the sum', async () => {
    const t = await openTestStore({ start: START });
    try {
      await givenSku(t.store, 'A', { onHand: 3 });
      const order = await placeAccepted(t.store, [['A', 2]]);
      const lineId = order.lines[0]!.id;
      const shipmentId = await t.store.transaction((w) =>
        shipOrder(w, order.id, { lines: [{ lineId, quantity: 1 }, { lineId, quantity: 1 }] }),
      );

      const shipped = await t.store.db
        .selectFrom('shipment_lines')
        .select(['line_id', 'quantity'])
        .where('shipment_id', '=', shipmentId)
        .execute();
      const sku = await skuView(t.store, 'A');
      assert.deepEqual(shipped, [{ line_id: lineId, quantity: 2 }]);
      assert.equal(sku.on_hand, 1);
      assert.equal(sku.allocated, 0);
      assert.deepEqual(await checkInvariants(t.store.db), []);
    } finally {
      await t.close();
    }
  });

  it('line listed twice beyond allocation fails', async () => {
    const t = await openTestStore({ start: START });
    try {
      await givenSku(t.store, 'A', { onHand: 1 });
      const order = await placeAccepted(t.store, [['A', 1]]);
      const lineId = order.lines[0]!.id;

      await assert.rejects(
        t.store.transaction((w) => shipOrder(w, order.id, { lines: [{ lineId, quantity: 1 }, { lineId, quantity: 1 }] })),
        (error: unknown) => error instanceof RestockError && error.code === 'invalid_state',
      );
      const sku = await skuView(t.store, 'A');
      assert.equal(sku.on_hand, 1);
      assert.equal(sku.allocated, 1);
      assert.deepEqual(await checkInvariants(t.store.db), []);
    } finally {
      await t.close();
    }
  });
});
