import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideOrder, type SkuSupply } from '../../src/domain/allocation.js';
import type { Availability } from '../../src/domain/availability.js';
import {
  expandKits, kitAvailability, kitLineCounts, kitLineProblems, kitLineStatus, latestShipDate, mapKitRejections, type KitCatalog,
} from '../../src/domain/kits.js';
import type { ShipDate } from '../../src/domain/promise.js';
import type { LineCounts, StockPolicy } from '../../src/domain/types.js';

const KITS: KitCatalog = new Map([
  ['BU', [{ sku: 'U', quantity: 2 }]],
  ['BUV', [{ sku: 'U', quantity: 1 }, { sku: 'V', quantity: 3 }]],
]);

function supplyOf(sku: string, onHand: number, policy: StockPolicy = 'stock_only'): SkuSupply {
  const location = { code: 'main', priority: 100, shipsTo: null, timeZone: 'UTC' };
  return {
    rules: { code: sku, policy, backorderLimit: null, lowStockThreshold: 0, releaseDate: null, backordered: 0 },
    policy,
    levels: [{ location, onHand, allocated: 0 }],
  };
}

function counts(quantity: number, allocated: number, backordered: number, shipped = 0, cancelled = 0): LineCounts {
  return { quantity, allocated, backordered, shipped, cancelled };
}

function availability(overrides: Partial<Availability>): Availability {
  return { status: 'in_stock', orderable: true, available: 0, maxOrderable: null, ...overrides };
}

function shipDate(date: string | null, basis: ShipDate['basis']): ShipDate {
  return { date, basis, estimate: false, inboundLineId: null };
}

describe('kit expansion', () => {
  it('expands a kit into component demand', () => {
    const expanded = expandKits([{ sku: 'BUV', quantity: 2 }], KITS);

    assert.deepEqual(expanded.demand, [{ sku: 'U', quantity: 2 }, { sku: 'V', quantity: 6 }]);
    assert.deepEqual(expanded.lines, [
      { kind: 'kit', components: [{ sku: 'U', perKit: 1, index: 0 }, { sku: 'V', perKit: 3, index: 1 }] },
    ]);
  });

  it('keeps ordinary lines in place', () => {
    const expanded = expandKits([{ sku: 'U', quantity: 1 }, { sku: 'BU', quantity: 3 }, { sku: 'X', quantity: 4 }], KITS);

    assert.deepEqual(expanded.demand, [{ sku: 'U', quantity: 1 }, { sku: 'U', quantity: 6 }, { sku: 'X', quantity: 4 }]);
    assert.deepEqual(expanded.lines[0], { kind: 'ordinary', index: 0 });
    assert.deepEqual(expanded.lines[1], { kind: 'kit', components: [{ sku: 'U', perKit: 2, index: 1 }] });
    assert.deepEqual(expanded.lines[2], { kind: 'ordinary', index: 2 });
  });
});

describe('kit rejections', () => {
  it('maps a component rejection to kits', () => {
    const lines = [{ sku: 'BU', quantity: 6 }];
    const decision = decideOrder(expandKits(lines, KITS).demand, new Map([['U', supplyOf('U', 10)]]));
    assert.equal(decision.accepted, false);

    const rejections = mapKitRejections(decision.accepted ? [] : decision.rejections, lines, KITS);

    assert.deepEqual(rejections, [{ sku: 'BU', reason: 'insufficient_stock', maxOrderable: 5 }]);
  });

  it('judges a kit and its component by combined demand', () => {
    const lines = [{ sku: 'BU', quantity: 4 }, { sku: 'U', quantity: 3 }];
    const decision = decideOrder(expandKits(lines, KITS).demand, new Map([['U', supplyOf('U', 10)]]));
    assert.equal(decision.accepted, false);

    const rejections = mapKitRejections(decision.accepted ? [] : decision.rejections, lines, KITS);

    // Of 10 units, the 3 U on the order leave 7 for kits, so 3 kits fit.
    // The 8 U in the kits leave 2 for the U line.
    assert.deepEqual(rejections, [
      { sku: 'BU', reason: 'insufficient_stock', maxOrderable: 3 },
      { sku: 'U', reason: 'insufficient_stock', maxOrderable: 2 },
    ]);
  });

  it('takes the tightest rejected component', () => {
    const lines = [{ sku: 'BUV', quantity: 4 }];
    const supply = new Map([['U', supplyOf('U', 2)], ['V', supplyOf('V', 9, 'discontinued')]]);
    const decision = decideOrder(expandKits(lines, KITS).demand, supply);
    assert.equal(decision.accepted, false);

    const rejections = mapKitRejections(decision.accepted ? [] : decision.rejections, lines, KITS);

    assert.deepEqual(rejections, [{ sku: 'BUV', reason: 'insufficient_stock', maxOrderable: 2 }]);
  });

  it('leaves ordinary rejections as they are', () => {
    const rejections = [{ sku: 'X', reason: 'unknown_sku' as const, maxOrderable: 0 }];

    assert.deepEqual(mapKitRejections(rejections, [{ sku: 'X', quantity: 2 }, { sku: 'X', quantity: 1 }], KITS), rejections);
  });

  it('rejects a kit of an unknown component', () => {
    const lines = [{ sku: 'BU', quantity: 1 }];
    const decision = decideOrder(expandKits(lines, KITS).demand, new Map());
    assert.equal(decision.accepted, false);

    const rejections = mapKitRejections(decision.accepted ? [] : decision.rejections, lines, KITS);

    assert.deepEqual(rejections, [{ sku: 'BU', reason: 'unknown_sku', maxOrderable: 0 }]);
  });
});

describe('kit availability', () => {
  it('counts the kits the tightest component allows', () => {
    const result = kitAvailability(1, 0, [
      { perKit: 2, availability: availability({ available: 10, maxOrderable: 10 }) },
      { perKit: 3, availability: availability({ available: 12, maxOrderable: 12 }) },
    ]);

    assert.deepEqual(result, { status: 'in_stock', orderable: true, available: 4, maxOrderable: 4 });
  });

  it('is low stock at the kit threshold', () => {
    const result = kitAvailability(1, 5, [{ perKit: 2, availability: availability({ available: 10, maxOrderable: 10 }) }]);

    assert.equal(result.status, 'low_stock');
  });

  it('has no limit only when no component has one', () => {
    const unlimited = availability({ status: 'backorder', available: 0, maxOrderable: null });
    const limited = availability({ status: 'backorder', available: 0, maxOrderable: 7 });

    assert.equal(kitAvailability(2, 0, [{ perKit: 1, availability: unlimited }]).maxOrderable, null);
    assert.equal(kitAvailability(2, 0, [{ perKit: 1, availability: unlimited }, { perKit: 2, availability: limited }]).maxOrderable, 3);
  });

  it('backorders when a component backorders', () => {
    const result = kitAvailability(3, 0, [
      { perKit: 1, availability: availability({ available: 10 }) },
      { perKit: 1, availability: availability({ status: 'backorder', available: 1 }) },
    ]);

    assert.deepEqual(result, { status: 'backorder', orderable: true, available: 1, maxOrderable: null });
  });

  it('is a preorder when a component is', () => {
    const result = kitAvailability(1, 0, [
      { perKit: 1, availability: availability({ available: 10 }) },
      { perKit: 1, availability: availability({ status: 'preorder', available: 10 }) },
    ]);

    assert.equal(result.status, 'preorder');
  });

  it('is out of stock when a component cannot be ordered', () => {
    const result = kitAvailability(6, 0, [
      { perKit: 2, availability: availability({ status: 'out_of_stock', orderable: false, available: 10, maxOrderable: 10 }) },
    ]);

    assert.deepEqual(result, { status: 'out_of_stock', orderable: false, available: 5, maxOrderable: 5 });
  });

  it('is discontinued when a component is', () => {
    const result = kitAvailability(1, 0, [
      { perKit: 1, availability: availability({ status: 'out_of_stock', orderable: false, maxOrderable: 0 }) },
      { perKit: 1, availability: availability({ status: 'discontinued', orderable: false, maxOrderable: 0 }) },
    ]);

    assert.equal(result.status, 'discontinued');
  });
});

describe('kit ship dates', () => {
  it('takes the latest component date', () => {
    const dates = [shipDate('2026-03-02', 'stock'), shipDate('2026-03-20', 'inbound'), shipDate('2026-03-10', 'inbound')];

    assert.deepEqual(latestShipDate(dates), shipDate('2026-03-20', 'inbound'));
  });

  it('is unknown when a component date is', () => {
    const dates = [shipDate('2026-03-02', 'stock'), shipDate(null, 'unknown')];

    assert.deepEqual(latestShipDate(dates), shipDate(null, 'unknown'));
  });
});

describe('kit line counts', () => {
  it('counts kits whose every component is allocated', () => {
    const kit = { quantity: 3, shipped: 0, cancelled: 0 };
    const components = [counts(6, 5, 1), counts(3, 3, 0)];

    assert.deepEqual(kitLineCounts(kit, components), counts(3, 2, 1));
    assert.equal(kitLineStatus(kit, components), 'partially_backordered');
  });

  it('keeps shipped and cancelled kits', () => {
    const kit = { quantity: 4, shipped: 1, cancelled: 2 };
    const components = [counts(8, 2, 0, 2, 4)];

    assert.deepEqual(kitLineCounts(kit, components), counts(4, 1, 0, 1, 2));
    assert.equal(kitLineStatus(kit, components), 'partially_shipped');
  });

  it('is backordered while no whole kit is allocated', () => {
    const kit = { quantity: 2, shipped: 0, cancelled: 0 };

    assert.equal(kitLineStatus(kit, [counts(4, 1, 3), counts(2, 2, 0)]), 'backordered');
  });

  it('finds no problems in a consistent kit line', () => {
    const kit = { quantity: 4, backordered: 0, shipped: 1, cancelled: 2 };

    assert.deepEqual(kitLineProblems(kit, [counts(8, 2, 0, 2, 4), counts(4, 0, 1, 1, 2)]), []);
  });

  it('reports a component out of step with its kit', () => {
    const kit = { quantity: 2, backordered: 0, shipped: 1, cancelled: 0 };

    assert.deepEqual(kitLineProblems(kit, [counts(4, 3, 0, 1, 0), counts(3, 3, 0)]), [
      'component 0: shipped 1, but 1 kits × 2 shipped',
      'component 1: 3 units is not a whole multiple of 2 kits',
    ]);
  });

  it('reports a kit line that waits itself', () => {
    const kit = { quantity: 1, backordered: 1, shipped: 0, cancelled: 0 };

    assert.deepEqual(kitLineProblems(kit, []), ['kit line has 1 units backordered; its components wait instead', 'kit line has no component lines']);
  });
});
