import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  crostonRate, demandProfile, forecastDemand, normalQuantile, reorderAdvice, sbaRate, sesRate,
  type DemandForecast, type ReorderInput,
} from '../../src/domain/forecast.js';

/** Asserts |actual − expected| ≤ tolerance, with both values in the message. */
function assertClose(actual: number | null | undefined, expected: number, tolerance = 1e-12, what = 'value'): void {
  assert.ok(typeof actual === 'number', `${what}: expected a number, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
}

function zeros(days: number): number[] {
  return new Array<number>(days).fill(0);
}

describe('exponential smoothing', () => {
  it('constant series keeps its level', () => {
    assert.equal(sesRate([3, 3, 3, 3], 0.1), 3);
  });

  it('level starts at the mean and follows each day', () => {
    // Level 5, then 5 + 0.5 · (0 − 5) = 2.5, then 2.5 + 0.5 · (10 − 2.5) = 6.25.
    assert.equal(sesRate([0, 10], 0.5), 6.25);
  });

  it('empty series has rate 0', () => {
    assert.equal(sesRate([], 0.1), 0);
  });

  it('rejects a smoothing constant outside (0, 1]', () => {
    assert.throws(() => sesRate([1], 0), RangeError);
    assert.throws(() => sesRate([1], 1.5), RangeError);
  });
});

describe('Croston and SBA', () => {
  // Sizes 4 and 8 (mean 6); 6 days with 2 sales, so the interval starts at 3.
  // Day 2 (interval 2): size 6 + 0.5 · (4 − 6) = 5, interval 3 + 0.5 · (2 − 3) = 2.5.
  // Day 5 (interval 3): size 5 + 0.5 · (8 − 5) = 6.5, interval 2.5 + 0.5 · (3 − 2.5) = 2.75.
  const series = [0, 4, 0, 0, 8, 0];

  it('Croston divides smoothed size by smoothed interval', () => {
    assertClose(crostonRate(series, 0.5), 6.5 / 2.75);
  });

  it('SBA scales Croston by 1 − α/2', () => {
    assertClose(sbaRate(series, 0.5), (0.75 * 6.5) / 2.75);
  });

  it('one sale gives size over days of history', () => {
    // Size 6, interval 5 / 1 = 5; the sale on day 4 moves the interval to 5 + 0.1 · (4 − 5) = 4.9.
    assertClose(sbaRate([0, 0, 0, 6, 0], 0.1), (0.95 * 6) / 4.9);
  });

  it('early first sale does not inflate the rate', () => {
    // One unit every 10 days, the first on day 1: the interval starts at
    // 30 / 3 = 10 and moves to 9.1, 9.19 and 9.271. Starting it at the
    // first sale's position (1) would give 0.95 / 2.71, three times as much.
    const daily = [1, ...zeros(9), 1, ...zeros(9), 1, ...zeros(9)];
    assertClose(sbaRate(daily, 0.1), 0.95 / 9.271);
  });

  it('no demand gives rate 0', () => {
    assert.equal(crostonRate(zeros(10), 0.1), 0);
    assert.equal(sbaRate([], 0.1), 0);
  });
});

describe('demand classification', () => {
  it('daily steady sales are smooth', () => {
    assert.deepEqual(demandProfile([2, 2, 2, 2]), { meanInterval: 1, sizeCv2: 0, pattern: 'smooth' });
  });

  it('daily sales of varying size are erratic', () => {
    // Sizes 1, 9, 1, 9: mean 5, variance 16, CV² 16 / 25.
    assert.deepEqual(demandProfile([1, 9, 1, 9]), { meanInterval: 1, sizeCv2: 0.64, pattern: 'erratic' });
  });

  it('steady sales every other day are intermittent', () => {
    assert.deepEqual(demandProfile([0, 5, 0, 5]), { meanInterval: 2, sizeCv2: 0, pattern: 'intermittent' });
  });

  it('varying sales every other day are lumpy', () => {
    assert.deepEqual(demandProfile([0, 1, 0, 9]), { meanInterval: 2, sizeCv2: 0.64, pattern: 'lumpy' });
  });

  it('mean interval counts quiet days at both ends', () => {
    assert.equal(demandProfile([0, 0, 3, 0, 3, 0, 0, 0])?.meanInterval, 4);
  });

  it('mean interval of exactly 1.32 is intermittent', () => {
    // 33 days with 25 sales: 33 / 25 = 1.32.
    const daily = [...new Array<number>(25).fill(1), ...zeros(8)];
    assert.equal(demandProfile(daily)?.meanInterval, 1.32);
    assert.equal(demandProfile(daily)?.pattern, 'intermittent');
  });

  it('mean interval just under 1.32 is smooth', () => {
    // 33 days with 26 sales: 1.269…
    const daily = [...new Array<number>(26).fill(1), ...zeros(7)];
    assert.equal(demandProfile(daily)?.pattern, 'smooth');
  });

  it('no demand has no profile', () => {
    assert.equal(demandProfile(zeros(5)), null);
    assert.equal(demandProfile([]), null);
  });

  it('rejects negative or non-finite demand', () => {
    assert.throws(() => demandProfile([1, -1]), RangeError);
    assert.throws(() => demandProfile([1, Number.NaN]), RangeError);
    assert.throws(() => forecastDemand([Number.POSITIVE_INFINITY]), RangeError);
  });
});

describe('forecastDemand', () => {
  it('frequent demand uses SES', () => {
    const forecast = forecastDemand([2, 10, 10, 10], 0.5);
    // Level 8, then 5, 7.5, 8.75 and 9.375.
    assert.equal(forecast.method, 'ses');
    assert.equal(forecast.pattern, 'smooth');
    assert.equal(forecast.rate, 9.375);
  });

  it('SES deviation is the root mean square one-step error', () => {
    // One-step errors against levels 8, 5, 7.5 and 8.75: −6, 5, 2.5 and 1.25.
    const forecast = forecastDemand([2, 10, 10, 10], 0.5);
    assertClose(forecast.dailyDeviation, Math.sqrt((6 ** 2 + 5 ** 2 + 2.5 ** 2 + 1.25 ** 2) / 4));
  });

  it('intermittent demand uses SBA', () => {
    const forecast = forecastDemand([0, 4, 0, 0, 8, 0], 0.5);
    assert.equal(forecast.method, 'sba');
    assert.equal(forecast.pattern, 'intermittent');
    assert.equal(forecast.meanInterval, 3);
    assertClose(forecast.rate, (0.75 * 6.5) / 2.75);
  });

  it('SBA deviation is the root mean square one-step error', () => {
    // The forecast is 1.5 on days 1 to 5 and 0.75 · 6.5 / 2.75 on day 6.
    const forecast = forecastDemand([0, 4, 0, 0, 8, 0], 0.5);
    const squares = 1.5 ** 2 + 2.5 ** 2 + 1.5 ** 2 + 1.5 ** 2 + 6.5 ** 2 + ((0.75 * 6.5) / 2.75) ** 2;
    assertClose(forecast.dailyDeviation, Math.sqrt(squares / 6));
  });

  it('constant seller has no forecast error', () => {
    const forecast = forecastDemand([2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    assert.equal(forecast.rate, 2);
    assert.equal(forecast.dailyDeviation, 0);
  });

  it('no demand gives method none', () => {
    assert.deepEqual(forecastDemand(zeros(30)), { rate: 0, dailyDeviation: 0, method: 'none', meanInterval: null, pattern: null });
  });

  it('empty history gives method none', () => {
    assert.equal(forecastDemand([]).method, 'none');
  });

  it('single sale on a single day is smooth', () => {
    const forecast = forecastDemand([5]);
    assert.equal(forecast.method, 'ses');
    assert.equal(forecast.rate, 5);
    assert.equal(forecast.dailyDeviation, 0);
  });

  it('single sale in a month uses SBA', () => {
    const daily = [...zeros(10), 3, ...zeros(19)];
    const forecast = forecastDemand(daily);
    // Size 3, interval 30, moved by the interval 11 to 30 + 0.1 · (11 − 30) = 28.1.
    assert.equal(forecast.method, 'sba');
    assertClose(forecast.rate, (0.95 * 3) / 28.1);
  });
});

describe('normalQuantile', () => {
  const known: [number, number][] = [
    [0.5, 0],
    [0.8413447460685429, 1],
    [0.9, 1.2815515655446004],
    [0.95, 1.6448536269514722],
    [0.975, 1.959963984540054],
    [0.99, 2.3263478740408408],
    [0.999, 3.090232306167813],
    [0.01, -2.3263478740408408],
    [0.001, -3.090232306167813],
    [1e-10, -6.361340902404056],
  ];
  for (const [p, z] of known) {
    it(`quantile of ${p} is ${z}`, () => {
      assertClose(normalQuantile(p), z, 1e-8, `normalQuantile(${p})`);
    });
  }

  it('rejects probabilities outside (0, 1)', () => {
    for (const p of [0, 1, -0.1, 1.1, Number.NaN]) {
      assert.throws(() => normalQuantile(p), RangeError, `p = ${p}`);
    }
  });
});

describe('reorderAdvice', () => {
  const steady: DemandForecast = { rate: 2, dailyDeviation: 3, method: 'ses', meanInterval: 1, pattern: 'erratic' };
  const base: ReorderInput = {
    forecast: steady,
    available: 10,
    inbound: 5,
    backordered: 0,
    leadTimeDays: 4,
    serviceLevel: 0.95,
    today: '2026-03-02',
  };

  it('advises an order at the reorder point', () => {
    // Safety stock ⌈1.6449 · 3 · √4⌉ = ⌈9.87⌉ = 10; reorder point 2 · 4 + 10 = 18;
    // position 10 + 5 = 15; order up to 2 · (4 + 7) + 10 = 32.
    assert.deepEqual(reorderAdvice(base), {
      daysOfCover: 5,
      projectedStockoutDate: '2026-03-07',
      reorderPoint: 18,
      safetyStock: 10,
      suggestedQuantity: 17,
      stockPosition: 15,
    });
  });

  it('orders nothing above the reorder point', () => {
    const advice = reorderAdvice({ ...base, inbound: 9 });
    assert.equal(advice.stockPosition, 19);
    assert.equal(advice.suggestedQuantity, 0);
  });

  it('orders exactly at the reorder point', () => {
    const advice = reorderAdvice({ ...base, inbound: 8 });
    assert.equal(advice.stockPosition, 18);
    assert.equal(advice.suggestedQuantity, 14);
  });

  it('backorders lower the stock position', () => {
    const advice = reorderAdvice({ ...base, available: 0, inbound: 0, backordered: 6 });
    assert.equal(advice.stockPosition, -6);
    assert.equal(advice.suggestedQuantity, 38);
    assert.equal(advice.daysOfCover, 0);
    assert.equal(advice.projectedStockoutDate, '2026-03-02');
  });

  it('review period sets the order-up-to level', () => {
    // Order up to 2 · (4 + 1) + 10 = 20 from position 15.
    assert.equal(reorderAdvice({ ...base, reviewDays: 1 }).suggestedQuantity, 5);
  });

  it('stockout date rounds partial days down', () => {
    const advice = reorderAdvice({ ...base, available: 7 });
    assert.equal(advice.daysOfCover, 3.5);
    assert.equal(advice.projectedStockoutDate, '2026-03-05');
  });

  it('higher service level adds safety stock', () => {
    // ⌈2.3263 · 3 · 2⌉ = ⌈13.96⌉ = 14.
    assert.equal(reorderAdvice({ ...base, serviceLevel: 0.99 }).safetyStock, 14);
  });

  it('service level of one half needs no safety stock', () => {
    const advice = reorderAdvice({ ...base, serviceLevel: 0.5 });
    assert.equal(advice.safetyStock, 0);
    assert.equal(advice.reorderPoint, 8);
  });

  it('service level below one half never gives negative safety stock', () => {
    assert.equal(reorderAdvice({ ...base, serviceLevel: 0.2 }).safetyStock, 0);
  });

  it('zero lead time needs no safety stock', () => {
    const advice = reorderAdvice({ ...base, leadTimeDays: 0 });
    assert.equal(advice.safetyStock, 0);
    assert.equal(advice.reorderPoint, 0);
  });

  it('rounding ignores floating-point noise', () => {
    // 0.1 + 0.2 is 0.30000000000000004, and times 10 is just above 3.
    const forecast: DemandForecast = { ...steady, rate: 0.1 + 0.2, dailyDeviation: 0 };
    assert.equal(reorderAdvice({ ...base, forecast, leadTimeDays: 10 }).reorderPoint, 3);
  });

  it('no demand gives no dates and no order', () => {
    const none: DemandForecast = { rate: 0, dailyDeviation: 0, method: 'none', meanInterval: null, pattern: null };
    assert.deepEqual(reorderAdvice({ ...base, forecast: none }), {
      daysOfCover: null,
      projectedStockoutDate: null,
      reorderPoint: 0,
      safetyStock: 0,
      suggestedQuantity: 0,
      stockPosition: 15,
    });
  });

  it('no demand still orders for waiting backorders', () => {
    const none: DemandForecast = { rate: 0, dailyDeviation: 0, method: 'none', meanInterval: null, pattern: null };
    assert.equal(reorderAdvice({ ...base, forecast: none, available: 0, inbound: 0, backordered: 3 }).suggestedQuantity, 3);
  });

  it('one sale in a month gives the hand-computed advice', () => {
    // The forecast is 0.95 · 3 / 30 = 0.095 on days 1 to 11 and 0.95 · 3 / 28.1 after the sale on day 11.
    const forecast = forecastDemand([...zeros(10), 3, ...zeros(19)]);
    const after = (0.95 * 3) / 28.1;
    assertClose(forecast.dailyDeviation, Math.sqrt((10 * 0.095 ** 2 + 2.905 ** 2 + 19 * after ** 2) / 30), 1e-12, 'deviation');

    // Deviation 0.5393: safety stock ⌈1.6449 · 0.5393 · √14⌉ = ⌈3.32⌉ = 4; lead-time
    // demand ⌈14 · 0.1014⌉ = 2; order up to ⌈21 · 0.1014⌉ + 4 = 7.
    const advice = reorderAdvice({ ...base, forecast, available: 0, inbound: 0, leadTimeDays: 14 });
    assert.equal(advice.safetyStock, 4);
    assert.equal(advice.reorderPoint, 6);
    assert.equal(advice.suggestedQuantity, 7);
  });

  it('very slow seller gets a date of the usual shape', () => {
    const slow: DemandForecast = { ...steady, rate: 1e-12 };
    assert.equal(reorderAdvice({ ...base, forecast: slow }).projectedStockoutDate, '9999-12-31');
  });

  it('rejects service levels outside (0, 1)', () => {
    for (const serviceLevel of [0, 1, -0.5, 95, Number.NaN]) {
      assert.throws(() => reorderAdvice({ ...base, serviceLevel }), /Service level must be between 0 and 1/, `service level ${serviceLevel}`);
    }
  });

  it('rejects negative lead time and review period', () => {
    assert.throws(() => reorderAdvice({ ...base, leadTimeDays: -1 }), /Lead time must be 0 or more days/);
    assert.throws(() => reorderAdvice({ ...base, reviewDays: -1 }), /Review period must be 0 or more days/);
  });
});
