import fc from 'fast-check';
import type { CaptureMode, ShipPolicy, StockPolicy } from '../../src/domain/types.js';

/**
 * Commands for property tests: each is plain data that names one use case and
 * its input. Domains are small so that SKUs, locations, orders and lines
 * collide often. Commands that act on something created earlier (an order, a
 * line, a purchase order) carry a `pick`, which the runner reduces modulo the
 * number of candidates at that step, so a shrunk sequence still replays.
 */

export const SKU_CODES = ['A', 'B', 'C'] as const;
/** A SKU that no command ever creates. */
export const UNKNOWN_SKU = 'X';
export const LOCATION_CODES = ['main', 'us', 'uk'] as const;
export const COUNTRIES = ['US', 'GB'] as const;
/** The ManualClock starts here: Monday 2 March 2026, noon UTC. */
export const START = '2026-03-02T12:00:00.000Z';

export type SkuCode = (typeof SKU_CODES)[number] | typeof UNKNOWN_SKU;
export type LocationCode = (typeof LOCATION_CODES)[number];
export type Country = (typeof COUNTRIES)[number];

export interface OrderSpec {
  shippingCountry: Country | null;
  shipPolicy: ShipPolicy;
  capture: CaptureMode;
  priority: number;
  lines: { sku: SkuCode; quantity: number; unitPrice: number }[];
}

export type Command =
  | {
      kind: 'upsertSku';
      sku: (typeof SKU_CODES)[number];
      policy: StockPolicy;
      backorderLimit: number | null;
      releaseDate: string | null;
    }
  | { kind: 'upsertLocation'; code: LocationCode; shipsTo: Country[] | null; priority: number; timeZone: string }
  | { kind: 'adjustStock'; sku: SkuCode; location: LocationCode; delta: number | null; onHand: number | null }
  | { kind: 'createPurchaseOrder'; location: LocationCode; expectedDate: string; lines: { sku: SkuCode; quantity: number }[] }
  | { kind: 'redatePurchaseOrder'; pick: number; expectedDate: string }
  | { kind: 'closePurchaseOrder'; pick: number }
  | { kind: 'receive'; pick: number; lines: { pick: number; offOrder: boolean; quantity: number }[] }
  | { kind: 'placeOrders'; orders: OrderSpec[] }
  | { kind: 'cancelOrder'; pick: number; lines: { pick: number; amount: number; tooMany: boolean }[] | null }
  | {
      kind: 'shipOrder';
      pick: number;
      allocationPick: number;
      amount: number;
      /** Ships every line allocated at the chosen location, in full. */
      whole: boolean;
      tooMany: boolean;
      /** Splits the first requested line into two requests of the same line. */
      split: boolean;
      /** Which location the request names: none, the one the picked allocation is at, or `main`. */
      location: 'omit' | 'allocated' | 'main';
    }
  | { kind: 'advanceClock'; hours: number };

/** Mostly A and B, which every sequence creates first. C exists only once a command creates it, and X never does. */
const skuCode = fc.constantFrom<SkuCode>('A', 'B', 'A', 'B', 'C', UNKNOWN_SKU);
/** Order lines name an unknown SKU less often, since one such line rejects the whole order. */
const orderedSku = fc.constantFrom<SkuCode>('A', 'B', 'A', 'B', 'A', 'B', 'C', UNKNOWN_SKU);
/** Mostly `main`, which always exists. The others exist once a command creates them. */
const locationCode = fc.constantFrom<LocationCode>('main', ...LOCATION_CODES);
const pick = fc.nat({ max: 1000 });
/** True one time in four. */
const rarely = fc.nat({ max: 3 }).map((n) => n === 0);
/** Release and expected dates on both sides of the clock's range. */
const calendarDate = fc.constantFrom('2026-02-20', '2026-03-03', '2026-03-05', '2026-03-10');

const upsertSku = fc
  .record({
    sku: fc.constantFrom(...SKU_CODES),
    policy: fc.constantFrom<StockPolicy>('stock_only', 'backorder', 'preorder', 'discontinued', 'backorder'),
    limit: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null, freq: 2 }),
    /** Whether a limit may go with a policy it does not apply to, which upsertSku rejects. */
    limitOnAnyPolicy: rarely,
    releaseDate: fc.option(calendarDate, { nil: null, freq: 4 }),
  })
  .map(({ sku, policy, limit, limitOnAnyPolicy, releaseDate }): Command => {
    const takesLimit = policy === 'backorder' || policy === 'preorder';
    return {
      kind: 'upsertSku',
      sku,
      policy,
      backorderLimit: takesLimit || limitOnAnyPolicy ? limit : null,
      releaseDate: policy === 'preorder' ? releaseDate : null,
    };
  });

const upsertLocation = fc.record({
  kind: fc.constant('upsertLocation' as const),
  code: locationCode,
  shipsTo: fc.constantFrom<Country[] | null>(null, ['US'], ['GB'], ['US', 'GB']),
  priority: fc.constantFrom(10, 100, 200),
  timeZone: fc.constantFrom('UTC', 'America/New_York', 'Pacific/Auckland'),
});

const adjustStock = fc
  .record({
    sku: skuCode,
    location: locationCode,
    setOnHand: fc.boolean(),
    delta: fc.integer({ min: -4, max: 6 }),
    onHand: fc.integer({ min: 0, max: 6 }),
  })
  .map(({ sku, location, setOnHand, delta, onHand }): Command => ({
    kind: 'adjustStock',
    sku,
    location,
    delta: setOnHand ? null : delta,
    onHand: setOnHand ? onHand : null,
  }));

const createPurchaseOrder = fc.record({
  kind: fc.constant('createPurchaseOrder' as const),
  location: locationCode,
  expectedDate: calendarDate,
  lines: fc.array(fc.record({ sku: orderedSku, quantity: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 2 }),
});

const redatePurchaseOrder = fc.record({
  kind: fc.constant('redatePurchaseOrder' as const),
  pick,
  expectedDate: calendarDate,
});

const closePurchaseOrder = fc.record({ kind: fc.constant('closePurchaseOrder' as const), pick });

const receive = fc.record({
  kind: fc.constant('receive' as const),
  pick,
  lines: fc.array(
    fc.record({
      pick,
      offOrder: rarely,
      quantity: fc.integer({ min: 1, max: 6 }),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

const orderSpec: fc.Arbitrary<OrderSpec> = fc.record({
  shippingCountry: fc.constantFrom<Country | null>('US', 'GB', null),
  shipPolicy: fc.constantFrom<ShipPolicy>('ship_partial', 'ship_complete', 'ship_partial'),
  capture: fc.constantFrom<CaptureMode>('upfront', 'on_ship'),
  priority: fc.integer({ min: 0, max: 2 }),
  lines: fc.array(
    fc.record({ sku: orderedSku, quantity: fc.integer({ min: 1, max: 4 }), unitPrice: fc.constantFrom(0, 700, 2500) }),
    { minLength: 1, maxLength: 3 },
  ),
});

const placeOrders = fc.record({
  kind: fc.constant('placeOrders' as const),
  orders: fc.array(orderSpec, { minLength: 1, maxLength: 3 }),
});

const cancelOrder = fc.record({
  kind: fc.constant('cancelOrder' as const),
  pick,
  lines: fc.option(
    fc.array(fc.record({ pick, amount: fc.nat({ max: 10 }), tooMany: rarely }), {
      minLength: 1,
      maxLength: 2,
    }),
    { nil: null, freq: 3 },
  ),
});

const shipOrder = fc.record({
  kind: fc.constant('shipOrder' as const),
  pick,
  allocationPick: pick,
  amount: fc.nat({ max: 10 }),
  whole: fc.constantFrom(true, false, true),
  tooMany: rarely,
  split: rarely,
  location: fc.constantFrom('omit', 'allocated', 'omit', 'allocated', 'main'),
});

const advanceClock = fc.record({
  kind: fc.constant('advanceClock' as const),
  hours: fc.constantFrom(1, 12, 24, 48),
});

/** One command, weighted toward the use cases that move stock. */
export const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: upsertSku, weight: 2 },
  { arbitrary: upsertLocation, weight: 1 },
  { arbitrary: adjustStock, weight: 3 },
  { arbitrary: createPurchaseOrder, weight: 2 },
  { arbitrary: redatePurchaseOrder, weight: 1 },
  { arbitrary: closePurchaseOrder, weight: 1 },
  { arbitrary: receive, weight: 4 },
  { arbitrary: placeOrders, weight: 6 },
  { arbitrary: cancelOrder, weight: 3 },
  { arbitrary: shipOrder, weight: 5 },
  { arbitrary: advanceClock, weight: 2 },
);

/**
 * Generates sequences of up to `maxLength` commands. Each opens by creating
 * SKUs A and B, usually with stock at `main`. It often adds SKU C, another
 * location, a purchase order of A and B and a first batch of orders, so that
 * most runs reach queues, receipts and shipments. Shrinking may drop any
 * opening command but the two SKUs.
 */
export function commandSequence(maxLength: number): fc.Arbitrary<Command[]> {
  const openingSku = (sku: (typeof SKU_CODES)[number]) => upsertSku.map((c) => ({ ...c, sku }));
  const openingStock = (sku: 'A' | 'B') =>
    fc
      .integer({ min: 1, max: 4 })
      .map((units): Command => ({ kind: 'adjustStock', sku, location: 'main', delta: units, onHand: null }));
  const openingPurchaseOrder = fc
    .record({ expectedDate: calendarDate, a: fc.integer({ min: 1, max: 4 }), b: fc.integer({ min: 1, max: 4 }) })
    .map(({ expectedDate, a, b }): Command => ({
      kind: 'createPurchaseOrder',
      location: 'main',
      expectedDate,
      lines: [{ sku: 'A', quantity: a }, { sku: 'B', quantity: b }],
    }));
  // fast-check leaves an option out with probability 1/freq.
  const optional = (arbitrary: fc.Arbitrary<Command>, freq = 8) => fc.option(arbitrary, { nil: null, freq });

  const opening = fc.tuple(
    openingSku('A'),
    openingSku('B'),
    optional(openingSku('C'), 2),
    optional(upsertLocation, 2),
    optional(openingStock('A'), 3),
    optional(openingStock('B'), 3),
    optional(openingPurchaseOrder, 2),
    optional(placeOrders, 4),
  );
  const rest = fc.array(command, { minLength: 1, maxLength, size: 'max' });
  return fc
    .tuple(opening, rest)
    .map(([start, rest]) => [...start.filter((c): c is Command => c !== null), ...rest].slice(0, maxLength));
}
