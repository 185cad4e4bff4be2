import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  curvesAgree, dateOfUnit, dateOfUnits, supplyCurve, sweepPromises, type CurveStep, type PromiseLocation, type PromiseSku, type ShipDate,
  type ShipsByBasis, type SweepInput,
} from '../../src/domain/promise.js';
import { addBusinessDays, dateAt, isBusinessDay, rollToBusinessDay, type BusinessCalendar } from '../../src/domain/calendar.js';
import { availabilityMessage, formatDate, localeFrom } from '../../src/domain/messages.js';
import { promiseSku } from '../../src/app/promises.js';

/*
 * The promise sweep with exact dates. Unless a case says otherwise the clock
 * is Monday 2 March 2026 at noon UTC, and the location `main` is in UTC and
 * works Monday to Friday with no holidays, receiving days or handling days.
 */

const MON_FRI = [1, 2, 3, 4, 5];
const EVERY_DAY = [1, 2, 3, 4, 5, 6, 7];
const MONDAY_NOON = '2026-03-02T12:00:00.000Z';

interface LocationOptions {
  timeZone?: string;
  workingDays?: number[];
  holidays?: string[];
  receivingDays?: number;
  shipsTo?: string[] | null;
  priority?: number;
}

function location(code: string, options: LocationOptions = {}): PromiseLocation {
  return {
    code,
    priority: options.priority ?? 100,
    shipsTo: options.shipsTo ?? null,
    calendar: {
      timeZone: options.timeZone ?? 'UTC',
      workingDays: options.workingDays ?? MON_FRI,
      holidays: options.holidays ?? [],
    },
    receivingDays: options.receivingDays ?? 0,
  };
}

interface Scenario {
  now?: string;
  sku?: Partial<PromiseSku>;
  /** `main` is added with the defaults when not listed. */
  locations?: PromiseLocation[];
  /** `[location, available]` */
  stock?: [string, number][];
  /** `[id, location, expected date, units not yet received]` */
  supply?: [string, string, string, number][];
  /** `[id, backordered, shipping country]` */
  queue?: [string, number, string?][];
}

function inputOf(scenario: Scenario): SweepInput {
  const locations = new Map((scenario.locations ?? []).map((l) => [l.code, l]));
  if (!locations.has('main')) locations.set('main', location('main'));
  return {
    now: new Date(scenario.now ?? MONDAY_NOON),
    sku: { handlingDays: 0, leadTimeDays: null, restockDate: null, releaseDate: null, ...scenario.sku },
    locations,
    stock: (scenario.stock ?? []).map(([code, available]) => ({ location: code, available })),
    supply: (scenario.supply ?? []).map(([id, code, expectedDate, quantity]) => ({ id, location: code, expectedDate, quantity })),
    queue: (scenario.queue ?? []).map(([id, backordered, country]) => ({ id, backordered, shippingCountry: country ?? null })),
  };
}

/** A ship date as `[date, basis, estimate]`, so expected values read as one line. */
type Expected = [string | null, ShipsByBasis, boolean];

function brief(date: ShipDate): Expected {
  return [date.date, date.basis, date.estimate];
}

function sweep(scenario: Scenario): Expected[] {
  return sweepPromises(inputOf(scenario)).lines.map(brief);
}

interface Case {
  name: string;
  scenario: Scenario;
  expected: Expected[];
}

const cases: Case[] = [
  {
    name: 'stock ships today on a business day',
    scenario: { stock: [['main', 5]], queue: [['a', 2]] },
    expected: [['2026-03-02', 'stock', false]],
  },
  {
    name: 'stock on a Saturday ships on Monday',
    scenario: { now: '2026-03-07T12:00:00Z', stock: [['main', 5]], queue: [['a', 1]] },
    expected: [['2026-03-09', 'stock', false]],
  },
  {
    name: 'handling days skip the weekend',
    scenario: { now: '2026-03-06T12:00:00Z', sku: { handlingDays: 3 }, stock: [['main', 5]], queue: [['a', 1]] },
    expected: [['2026-03-11', 'stock', false]],
  },
  {
    name: 'stock is used before inbound supply',
    scenario: { stock: [['main', 2]], supply: [['p1', 'main', '2026-03-10', 5]], queue: [['a', 2], ['b', 1]] },
    expected: [['2026-03-02', 'stock', false], ['2026-03-10', 'inbound', false]],
  },
  {
    name: 'stock is used by location priority',
    scenario: {
      locations: [location('main', { priority: 20 }), location('east', { priority: 10, workingDays: EVERY_DAY })],
      now: '2026-03-07T12:00:00Z',
      stock: [['main', 1], ['east', 1]],
      queue: [['a', 1], ['b', 1]],
    },
    expected: [['2026-03-07', 'stock', false], ['2026-03-09', 'stock', false]],
  },
  {
    name: 'inbound on a holiday is sellable the next business day',
    scenario: {
      locations: [location('main', { holidays: ['2026-04-03'] })],
      supply: [['p1', 'main', '2026-04-03', 5]],
      queue: [['a', 1]],
    },
    expected: [['2026-04-06', 'inbound', false]],
  },
  {
    name: 'handling days skip a holiday',
    scenario: {
      locations: [location('main', { holidays: ['2026-03-11'] })],
      sku: { handlingDays: 2 },
      supply: [['p1', 'main', '2026-03-10', 5]],
      queue: [['a', 1]],
    },
    expected: [['2026-03-13', 'inbound', false]],
  },
  {
    name: 'receiving and handling days are business days',
    scenario: {
      locations: [location('main', { receivingDays: 2 })],
      sku: { handlingDays: 1 },
      supply: [['p1', 'main', '2026-03-12', 5]],
      queue: [['a', 1]],
    },
    expected: [['2026-03-17', 'inbound', false]],
  },
  {
    name: 'an overdue purchase order counts from today',
    scenario: {
      locations: [location('main', { receivingDays: 1 })],
      supply: [['p1', 'main', '2026-02-20', 5]],
      queue: [['a', 1]],
    },
    expected: [['2026-03-03', 'inbound', false]],
  },
  {
    name: 'local date ahead of UTC (Auckland)',
    scenario: {
      // Friday 11:30 UTC is already Saturday 00:30 in Auckland.
      now: '2026-03-06T11:30:00Z',
      locations: [location('main', { priority: 10 }), location('nz', { priority: 20, timeZone: 'Pacific/Auckland' })],
      stock: [['main', 1], ['nz', 1]],
      queue: [['a', 1], ['b', 1]],
    },
    expected: [['2026-03-06', 'stock', false], ['2026-03-09', 'stock', false]],
  },
  {
    name: 'local date behind UTC (Los Angeles)',
    scenario: {
      // Tuesday 02:00 UTC is Monday 18:00 in Los Angeles.
      now: '2026-03-03T02:00:00Z',
      locations: [location('la', { timeZone: 'America/Los_Angeles', workingDays: EVERY_DAY })],
      supply: [['p1', 'la', '2026-02-27', 3]],
      queue: [['a', 1]],
    },
    expected: [['2026-03-02', 'inbound', false]],
  },
  {
    name: 'handling days across the spring DST change in New York',
    scenario: {
      // Saturday 04:30 UTC is Friday 23:30 EST; the clocks change on Sunday 8 March.
      now: '2026-03-07T04:30:00Z',
      locations: [location('ny', { timeZone: 'America/New_York' })],
      sku: { handlingDays: 2 },
      stock: [['ny', 3]],
      queue: [['a', 1]],
    },
    expected: [['2026-03-10', 'stock', false]],
  },
  {
    name: 'New York day starts at 04:00 UTC in summer time',
    scenario: {
      // 04:30 UTC is 00:30 EDT on Monday 9 March; EST would still say Sunday.
      now: '2026-03-09T04:30:00Z',
      locations: [location('ny', { timeZone: 'America/New_York', workingDays: EVERY_DAY })],
      stock: [['ny', 3]],
      queue: [['a', 1]],
    },
    expected: [['2026-03-09', 'stock', false]],
  },
  {
    name: 'New York day starts at 05:00 UTC in winter time',
    scenario: {
      // 04:30 UTC on 2 November is 23:30 EST on Sunday 1 November; EDT would say 2 November.
      now: '2026-11-02T04:30:00Z',
      locations: [location('ny', { timeZone: 'America/New_York', workingDays: EVERY_DAY })],
      stock: [['ny', 3]],
      queue: [['a', 1]],
    },
    expected: [['2026-11-01', 'stock', false]],
  },
  {
    name: 'a line covered by two purchase orders takes the later date',
    scenario: {
      supply: [['p2', 'main', '2026-03-20', 5], ['p1', 'main', '2026-03-10', 3]],
      queue: [['a', 2], ['b', 3], ['c', 3]],
    },
    expected: [['2026-03-10', 'inbound', false], ['2026-03-20', 'inbound', false], ['2026-03-20', 'inbound', false]],
  },
  {
    name: 'line spanning two locations waits for both',
    scenario: {
      // far's units arrive first but need ten business days to become sellable.
      locations: [location('main'), location('far', { receivingDays: 10 })],
      supply: [['pf', 'far', '2026-03-09', 2], ['pm', 'main', '2026-03-10', 2]],
      queue: [['a', 3], ['b', 1]],
    },
    expected: [['2026-03-23', 'inbound', false], ['2026-03-10', 'inbound', false]],
  },
  {
    name: 'a line partly covered by a later purchase order waits for it',
    scenario: { sku: { leadTimeDays: 10 }, supply: [['p1', 'main', '2026-05-01', 2]], queue: [['a', 3], ['b', 1]] },
    expected: [['2026-05-01', 'inbound', false], ['2026-03-12', 'lead_time', true]],
  },
  {
    name: 'lead time estimates beyond known supply',
    scenario: { sku: { leadTimeDays: 10, handlingDays: 1 }, queue: [['a', 1]] },
    expected: [['2026-03-13', 'lead_time', true]],
  },
  {
    name: 'a restock date comes before lead time',
    scenario: { sku: { restockDate: '2026-03-14', leadTimeDays: 10 }, queue: [['a', 1]] },
    expected: [['2026-03-16', 'restock_date', true]],
  },
  {
    name: 'a past restock date counts from today',
    scenario: { sku: { restockDate: '2026-02-01' }, queue: [['a', 1]] },
    expected: [['2026-03-02', 'restock_date', true]],
  },
  {
    name: 'estimates use the calendar of main',
    scenario: {
      locations: [location('main', { holidays: ['2026-03-12'], receivingDays: 1 }), location('east', { workingDays: EVERY_DAY })],
      sku: { leadTimeDays: 10 },
      supply: [['p1', 'east', '2026-03-07', 1]],
      queue: [['a', 1], ['b', 1]],
    },
    expected: [['2026-03-07', 'inbound', false], ['2026-03-16', 'lead_time', true]],
  },
  {
    name: 'a line only partly covered falls back to the estimate',
    scenario: { sku: { leadTimeDays: 30 }, supply: [['p1', 'main', '2026-03-10', 2]], queue: [['a', 4]] },
    expected: [['2026-04-01', 'lead_time', true]],
  },
  {
    name: 'no supply or fallback: unknown date',
    scenario: { queue: [['a', 1]] },
    expected: [[null, 'unknown', false]],
  },
  {
    name: 'a line beyond supply without a fallback is unknown',
    scenario: { supply: [['p1', 'main', '2026-03-10', 2]], queue: [['a', 1], ['b', 2]] },
    expected: [['2026-03-10', 'inbound', false], [null, 'unknown', false]],
  },
  {
    name: 'ships_to skips supply for other countries',
    scenario: {
      locations: [location('main'), location('us', { shipsTo: ['US'], priority: 10 })],
      supply: [['pu', 'us', '2026-03-05', 2], ['pm', 'main', '2026-03-20', 4]],
      queue: [['gb', 2, 'GB'], ['us', 2, 'US'], ['any', 2]],
    },
    expected: [['2026-03-20', 'inbound', false], ['2026-03-05', 'inbound', false], ['2026-03-20', 'inbound', false]],
  },
  {
    name: 'preorder in stock ships after release [C14]',
    scenario: {
      now: '2025-03-10T12:00:00Z',
      locations: [location('main', { workingDays: EVERY_DAY })],
      sku: { releaseDate: '2025-03-20', handlingDays: 2 },
      stock: [['main', 10]],
      queue: [['v', 1]],
    },
    expected: [['2025-03-22', 'release_date', false]],
  },
  {
    name: 'preorder arriving before release [C14]',
    scenario: {
      now: '2025-03-10T12:00:00Z',
      locations: [location('main', { workingDays: EVERY_DAY })],
      sku: { releaseDate: '2025-03-20', handlingDays: 2 },
      supply: [['p1', 'main', '2025-03-15', 5]],
      queue: [['v', 1]],
    },
    expected: [['2025-03-22', 'release_date', false]],
  },
  {
    name: 'preorder arriving after release',
    scenario: {
      now: '2025-03-10T12:00:00Z',
      locations: [location('main', { workingDays: EVERY_DAY })],
      sku: { releaseDate: '2025-03-20', handlingDays: 2 },
      supply: [['p1', 'main', '2025-03-25', 5]],
      queue: [['v', 1]],
    },
    expected: [['2025-03-27', 'inbound', false]],
  },
];

describe('sweepPromises', () => {
  for (const { name, scenario, expected } of cases) {
    it(name, () => {
      const actual = sweep(scenario);
      assert.equal(actual.length, expected.length);
      for (const [index, line] of expected.entries()) {
        assert.deepEqual(actual[index], line, `line ${index + 1} of ${name}`);
      }
    });
  }

  it('names the purchase-order line that dates a line', () => {
    const { lines } = sweepPromises(
      inputOf({ supply: [['p1', 'main', '2026-03-10', 3], ['p2', 'main', '2026-03-20', 5]], queue: [['a', 2], ['b', 3]] }),
    );

    assert.equal(lines[0]!.inboundLineId, 'p1');
    assert.equal(lines[1]!.inboundLineId, 'p2');
  });

  it('short receipt moves later lines', () => {
    const supply: Scenario['supply'] = [['p1', 'main', '2026-03-10', 5], ['p2', 'main', '2026-03-20', 3]];
    const before = sweep({ sku: { leadTimeDays: 30 }, supply, queue: [['a', 2], ['b', 2], ['c', 2], ['d', 2]] });
    assert.deepEqual(before.map(([date]) => date), ['2026-03-10', '2026-03-10', '2026-03-20', '2026-03-20']);

    // Two of p1's five units arrived and served a; p1 now expects one more instead of three.
    const after = sweep({
      sku: { leadTimeDays: 30 },
      supply: [['p1', 'main', '2026-03-10', 1], ['p2', 'main', '2026-03-20', 3]],
      queue: [['b', 2], ['c', 2], ['d', 2]],
    });
    assert.deepEqual(after, [
      ['2026-03-20', 'inbound', false],
      ['2026-03-20', 'inbound', false],
      ['2026-04-01', 'lead_time', true],
    ]);
  });

  it('slipped purchase order moves its lines', () => {
    const queue: Scenario['queue'] = [['a', 2], ['b', 2]];
    const before = sweep({ supply: [['p1', 'main', '2026-03-10', 2], ['p2', 'main', '2026-03-20', 2]], queue });
    assert.deepEqual(before.map(([date]) => date), ['2026-03-10', '2026-03-20']);

    const after = sweep({ supply: [['p1', 'main', '2026-03-27', 2], ['p2', 'main', '2026-03-20', 2]], queue });
    assert.deepEqual(after.map(([date]) => date), ['2026-03-20', '2026-03-27']);
  });

  it('cancellation moves later lines earlier', () => {
    const supply: Scenario['supply'] = [['p1', 'main', '2026-03-10', 4], ['p2', 'main', '2026-03-20', 4]];
    const before = sweep({ supply, queue: [['a', 2], ['b', 2], ['c', 2]] });
    assert.deepEqual(before.map(([date]) => date), ['2026-03-10', '2026-03-10', '2026-03-20']);

    const after = sweep({ supply, queue: [['b', 2], ['c', 2]] });
    assert.deepEqual(after.map(([date]) => date), ['2026-03-10', '2026-03-10']);
  });

  it('dates new units after the queue', () => {
    const input = inputOf({ sku: { leadTimeDays: 30 }, supply: [['p1', 'main', '2026-03-10', 3]], queue: [['a', 2]] });

    assert.deepEqual(brief(sweepPromises(input, { quantity: 1, shippingCountry: null }).extra!), ['2026-03-10', 'inbound', false]);
    assert.deepEqual(brief(sweepPromises(input, { quantity: 2, shippingCountry: null }).extra!), ['2026-04-01', 'lead_time', true]);
  });

  it('coverage per purchase-order line', () => {
    const { coverage } = sweepPromises(
      inputOf({
        stock: [['main', 1]],
        supply: [['p1', 'main', '2026-03-10', 3], ['p2', 'main', '2026-03-20', 5]],
        queue: [['a', 2], ['b', 3]],
      }),
    );

    assert.deepEqual(
      coverage.map((c) => [c.inboundLineId, c.shipDate.date, c.lines]),
      [
        ['p1', '2026-03-10', [{ lineId: 'a', units: 1 }, { lineId: 'b', units: 2 }]],
        ['p2', '2026-03-20', [{ lineId: 'b', units: 1 }]],
      ],
    );
  });

  it('preorder held until New York release [C15]', () => {
    const ny = location('main', { timeZone: 'America/New_York', workingDays: EVERY_DAY });
    const locations = new Map([['main', ny]]);
    const row = { policy: 'preorder', handling_days: 0, lead_time_days: null, restock_date: null, release_date: '2025-06-01' };
    const at = (instant: string) => {
      const now = new Date(instant);
      return sweep({ now: instant, locations: [ny], sku: promiseSku(row, now, locations), stock: [['main', 20]], queue: [['w', 1]] });
    };

    // 03:59 UTC is still 31 May in New York.
    assert.deepEqual(at('2025-06-01T03:59:00Z'), [['2025-06-01', 'release_date', false]]);
    assert.deepEqual(at('2025-06-01T04:00:00Z'), [['2025-06-01', 'stock', false]]);
  });
});

describe('supply curve', () => {
  const curve = (steps: [number, string][], fallback: string | null = '2026-04-01') => ({
    steps: steps.map(([units, date]): CurveStep => ({ units, date, basis: 'inbound' })),
    fallback: { date: fallback, basis: (fallback === null ? 'unknown' : 'lead_time') as ShipsByBasis },
  });

  it('dateOfUnit finds the step of each unit', () => {
    const c = curve([[2, '2026-03-10'], [3, '2026-03-20']]);

    assert.equal(dateOfUnit(c, 0).date, '2026-03-10');
    assert.equal(dateOfUnit(c, 1).date, '2026-03-10');
    assert.equal(dateOfUnit(c, 2).date, '2026-03-20');
    assert.equal(dateOfUnit(c, 4).date, '2026-03-20');
    assert.deepEqual(dateOfUnit(c, 5), { date: '2026-04-01', basis: 'lead_time' });
  });

  it('dateOfUnit of an empty curve is the fallback', () => {
    assert.deepEqual(dateOfUnit(curve([], null), 0), { date: null, basis: 'unknown' });
  });

  it('dateOfUnits takes the latest step a range touches', () => {
    const c = curve([[2, '2026-03-23'], [3, '2026-03-10']]);

    assert.equal(dateOfUnits(c, 0, 2).date, '2026-03-23');
    assert.equal(dateOfUnits(c, 1, 3).date, '2026-03-23');
    assert.equal(dateOfUnits(c, 2, 5).date, '2026-03-10');
  });

  it('dateOfUnits past known supply counts the fallback', () => {
    const c = curve([[2, '2026-03-10']], '2026-04-01');

    assert.deepEqual(dateOfUnits(c, 1, 3), { date: '2026-04-01', basis: 'lead_time' });
    assert.deepEqual(dateOfUnits(curve([[2, '2026-03-10']], null), 1, 3), { date: null, basis: 'unknown' });
  });

  it('dateOfUnits keeps a later step over an earlier fallback', () => {
    const { date, basis } = dateOfUnits(curve([[2, '2026-05-01']], '2026-04-01'), 1, 3);
    assert.deepEqual([date, basis], ['2026-05-01', 'inbound']);
  });

  it('supplyCurve lists supply in sweep order', () => {
    const input = inputOf({
      sku: { leadTimeDays: 30 },
      stock: [['main', 1]],
      supply: [['p2', 'main', '2026-03-20', 5], ['p1', 'main', '2026-03-10', 3]],
    });

    const { steps, fallback } = supplyCurve(input);
    assert.deepEqual(steps, [
      { units: 1, date: '2026-03-02', basis: 'stock' },
      { units: 3, date: '2026-03-10', basis: 'inbound' },
      { units: 5, date: '2026-03-20', basis: 'inbound' },
    ]);
    assert.deepEqual(brief(fallback), ['2026-04-01', 'lead_time', true]);
  });

  it('curvesAgree on the same curve', () => {
    const c = curve([[2, '2026-03-10'], [3, '2026-03-20']]);
    assert.equal(curvesAgree(c, c, 0, 8), true);
  });

  it('curvesAgree after the front of the queue was served', () => {
    const before = curve([[2, '2026-03-10'], [3, '2026-03-20']]);
    const after = curve([[3, '2026-03-20']]);
    assert.equal(curvesAgree(before, after, 2, 3), true);
    assert.equal(curvesAgree(before, after, 2, 6), true);
  });

  it('curvesAgree is false when a step moved', () => {
    const before = curve([[2, '2026-03-10'], [3, '2026-03-20']]);
    const after = curve([[2, '2026-03-10'], [3, '2026-03-27']]);
    assert.equal(curvesAgree(before, after, 0, 5), false);
  });

  it('curvesAgree is false when a step boundary moved', () => {
    const before = curve([[2, '2026-03-10'], [3, '2026-03-20']]);
    const after = curve([[3, '2026-03-10'], [2, '2026-03-20']]);
    assert.equal(curvesAgree(before, after, 0, 5), false);
  });

  it('curvesAgree is false when the fallback changed inside the span', () => {
    const before = curve([[2, '2026-03-10']], '2026-04-01');
    const after = curve([[2, '2026-03-10']], null);
    assert.equal(curvesAgree(before, after, 0, 3), false);
  });

  it('curvesAgree ignores differences past the span', () => {
    const before = curve([[2, '2026-03-10'], [3, '2026-03-20']], '2026-04-01');
    const after = curve([[2, '2026-03-10'], [3, '2026-03-20']], null);
    assert.equal(curvesAgree(before, after, 0, 5), true);
    assert.equal(curvesAgree(before, after, 0, 0), true);
  });
});

describe('business calendar', () => {
  const weekdays: BusinessCalendar = { timeZone: 'UTC', workingDays: MON_FRI, holidays: ['2026-12-25', '2026-12-28'] };

  it('isBusinessDay on weekdays, weekends and holidays', () => {
    assert.equal(isBusinessDay(weekdays, '2026-12-24'), true);
    assert.equal(isBusinessDay(weekdays, '2026-12-25'), false);
    assert.equal(isBusinessDay(weekdays, '2026-12-26'), false);
  });

  it('rollToBusinessDay keeps a business day', () => {
    assert.equal(rollToBusinessDay(weekdays, '2026-03-06'), '2026-03-06');
  });

  it('rollToBusinessDay moves a Saturday to Monday', () => {
    assert.equal(rollToBusinessDay(weekdays, '2026-03-07'), '2026-03-09');
  });

  it('rollToBusinessDay skips holidays after a weekend', () => {
    assert.equal(rollToBusinessDay(weekdays, '2026-12-25'), '2026-12-29');
  });

  it('rollToBusinessDay rejects a calendar without working days', () => {
    assert.throws(() => rollToBusinessDay({ timeZone: 'UTC', workingDays: [], holidays: [] }, '2026-03-02'), RangeError);
  });

  it('addBusinessDays over a weekend', () => {
    assert.equal(addBusinessDays(weekdays, '2026-03-06', 1), '2026-03-09');
    assert.equal(addBusinessDays(weekdays, '2026-03-06', 5), '2026-03-13');
  });

  it('addBusinessDays of zero rolls to a business day', () => {
    assert.equal(addBusinessDays(weekdays, '2026-03-06', 0), '2026-03-06');
    assert.equal(addBusinessDays(weekdays, '2026-03-07', 0), '2026-03-09');
  });

  it('addBusinessDays from a weekend starts on Monday', () => {
    assert.equal(addBusinessDays(weekdays, '2026-03-07', 1), '2026-03-10');
  });

  it('addBusinessDays over holidays', () => {
    assert.equal(addBusinessDays(weekdays, '2026-12-24', 1), '2026-12-29');
    assert.equal(addBusinessDays(weekdays, '2026-12-23', 3), '2026-12-30');
  });

  it('addBusinessDays on a calendar of three working days', () => {
    const tuesdayToThursday: BusinessCalendar = { timeZone: 'UTC', workingDays: [2, 3, 4], holidays: [] };
    assert.equal(addBusinessDays(tuesdayToThursday, '2026-03-05', 1), '2026-03-10');
  });

  it('dateAt reads the local date', () => {
    assert.equal(dateAt(new Date('2026-03-06T11:30:00Z'), 'Pacific/Auckland'), '2026-03-07');
    assert.equal(dateAt(new Date('2026-03-03T02:00:00Z'), 'America/Los_Angeles'), '2026-03-02');
    assert.equal(dateAt(new Date('2026-03-03T02:00:00Z'), 'UTC'), '2026-03-03');
  });
});

describe('availability messages', () => {
  it('localeFrom takes the first listed language', () => {
    assert.equal(localeFrom('de-DE,de;q=0.9'), 'de-DE');
  });

  it('localeFrom orders languages by weight', () => {
    assert.equal(localeFrom('fr;q=0.5, de;q=0.8'), 'de');
  });

  it('localeFrom defaults to en-US for a wildcard', () => {
    assert.equal(localeFrom('*'), 'en-US');
  });

  it('localeFrom defaults to en-US for garbage', () => {
    assert.equal(localeFrom('!!!'), 'en-US');
    assert.equal(localeFrom(';;,'), 'en-US');
  });

  it('localeFrom defaults to en-US without a header', () => {
    assert.equal(localeFrom(undefined), 'en-US');
    assert.equal(localeFrom(''), 'en-US');
  });

  it('localeFrom skips a language with weight zero', () => {
    assert.equal(localeFrom('de;q=0, fr;q=0.1'), 'fr');
  });

  it('localeFrom canonicalizes the case of a tag', () => {
    assert.equal(localeFrom('de-de'), 'de-DE');
  });

  it('formatDate in English puts the day first', () => {
    assert.equal(formatDate('2027-01-18', 'en-US'), '18 January 2027');
  });

  it('formatDate in German', () => {
    assert.equal(formatDate('2027-01-18', 'de-DE'), '18. Januar 2027');
  });

  const message = (status: Parameters<typeof availabilityMessage>[0]['status'], shipsBy: string | null, restockDate: string | null = null, locale = 'en-US') =>
    availabilityMessage({ status, shipsBy, restockDate, today: '2027-01-11', locale });

  const messages: [string, string][] = [
    [message('in_stock', '2027-01-11'), 'In stock: ships today'],
    [message('in_stock', '2027-01-12'), 'In stock: ships by 12 January 2027'],
    [message('low_stock', '2027-01-11'), 'Low stock: ships today'],
    [message('low_stock', '2027-01-13'), 'Low stock: ships by 13 January 2027'],
    [message('backorder', '2027-01-18'), 'On backorder: ships by 18 January 2027'],
    [message('backorder', null), 'On backorder: ship date not yet known'],
    [message('backorder', '2027-01-18', null, 'de-DE'), 'On backorder: ships by 18. Januar 2027'],
    [message('preorder', '2027-01-18'), 'Preorder: ships by 18 January 2027'],
    [message('preorder', null), 'Preorder: ship date not yet known'],
    [message('out_of_stock', null), 'Out of stock'],
    [message('out_of_stock', null, '2027-01-15'), 'Out of stock: expected back 15 January 2027'],
    [message('discontinued', null), 'No longer available'],
  ];
  for (const [actual, expected] of messages) {
    it(`availabilityMessage: ${expected}`, () => {
      assert.equal(actual, expected);
    });
  }
});
