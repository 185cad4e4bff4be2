import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabase } from '../support/database.js';
import { assertError, assertInvalidField, givenSku, placeOrder, readAllPages, withApi, type TestApi } from '../support/http.js';

/** Returns the instant `hour`:00 UTC on day `day` of February 2026, as ISO text. */
function february(day: number, hour = 10): string {
  return `2026-02-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** Places one order of `quantity` units of each SKU on each of the given February days, at 10:00 UTC. */
async function orderOn(api: TestApi, skus: string[], quantity: number, days: number[]): Promise<void> {
  for (const day of days) {
    api.clock.set(february(day));
    for (const sku of skus) await placeOrder(api, [{ sku, quantity }]);
  }
}

const INVALID_SERVICE_LEVELS = ['0', '1', '1.5', '-0.2', '95', 'high'];

describe(`HTTP forecasts (${testDatabase})`, () => {
  it('forecast of a steady seller', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'MUG', { policy: 'backorder', lead_time_days: 5, onHand: 30 });
        await orderOn(api, ['MUG'], 2, range(1, 10));
        api.clock.set(february(11, 12));

        // Rate 2 with no forecast error: reorder point 2 · 5 = 10, position
        // 30 − 20 = 10, order up to 2 · (5 + 7) = 24.
        const response = await api.get('/v1/skus/MUG/forecast');
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.body, {
          sku: 'MUG',
          as_of: '2026-02-11',
          history_days: 10,
          method: 'ses',
          daily_rate: 2,
          daily_deviation: 0,
          mean_interval_days: 1,
          lead_time_days: 5,
          lead_time_assumed: false,
          service_level: 0.95,
          available: 10,
          inbound: 0,
          backordered: 0,
          days_of_cover: 5,
          projected_stockout_date: '2026-02-16',
          reorder_point: 10,
          safety_stock: 0,
          suggested_order_quantity: 14,
        });
      },
      { start: february(1, 9) },
    );
  });

  it('forecast of an intermittent seller', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'LAMP', { policy: 'backorder' });
        await orderOn(api, ['LAMP'], 4, [4, 8, 12]);
        api.clock.set(february(13, 12));

        // SBA rate 0.95 · 4 / 4; one-step error √3.0025 = 1.7328; the
        // assumed 14-day lead time gives safety stock ⌈1.6449 · 1.7328 · √14⌉
        // = 11, reorder point 14 + 11 = 25, and an order from −12 up to 20 + 11.
        const response = await api.get('/v1/skus/LAMP/forecast');
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.method, 'sba');
        assert.equal(response.body.daily_rate, 0.95);
        assert.equal(response.body.daily_deviation, 1.733);
        assert.equal(response.body.lead_time_assumed, true);
        assert.equal(response.body.safety_stock, 11);
        assert.equal(response.body.reorder_point, 25);
        assert.equal(response.body.suggested_order_quantity, 43);
      },
      { start: february(1, 9) },
    );
  });

  it('service_level sets the safety stock', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'LAMP', { policy: 'backorder' });
        await orderOn(api, ['LAMP'], 4, [4, 8, 12]);
        api.clock.set(february(13, 12));

        // ⌈2.3263 · 1.7328 · √14⌉ = 16.
        const response = await api.get('/v1/skus/LAMP/forecast?service_level=0.99');
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.service_level, 0.99);
        assert.equal(response.body.safety_stock, 16);
        assert.equal(response.body.reorder_point, 30);
      },
      { start: february(1, 9) },
    );
  });

  it('history_days limits the history', async () => {
    await withApi(
      async (api) => {
        await givenSku(api, 'MUG', { policy: 'backorder', lead_time_days: 5 });
        await orderOn(api, ['MUG'], 9, range(1, 3));
        await orderOn(api, ['MUG'], 1, range(4, 10));
        api.clock.set(february(11, 12));

        const response = await api.get('/v1/skus/MUG/forecast?history_days=7');
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.history_days, 7);
        assert.equal(response.body.daily_rate, 1);
      },
      { start: february(1, 9) },
    );
  });

  it('forecast of an unknown SKU is not found', async () => {
    await withApi(async (api) => {
      assertError(await api.get('/v1/skus/NOPE/forecast'), 404, 'not_found');
    });
  });

  it('forecast rejects a service_level outside (0, 1)', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'MUG');
      for (const value of INVALID_SERVICE_LEVELS) {
        assertInvalidField(await api.get(`/v1/skus/MUG/forecast?service_level=${value}`), 'service_level');
      }
    });
  });

  it('forecast rejects a history_days outside 7 to 1095', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'MUG');
      for (const value of ['6', '1096', '30.5', 'year']) {
        assertInvalidField(await api.get(`/v1/skus/MUG/forecast?history_days=${value}`), 'history_days');
      }
    });
  });

  it('reorder suggestions list soonest stockout first', async () => {
    await withApi(
      async (api) => {
        // Each sells 2 a day with a 5-day lead time (reorder point 10).
        // Available after 10 days: MUG 10 (out on Feb 16), BOWL 4 (Feb 13),
        // CUP 0 (today), PLATE 11 (above the reorder point), JUG 0 but discontinued.
        const stock: [string, number][] = [['MUG', 30], ['BOWL', 24], ['CUP', 20], ['PLATE', 31], ['JUG', 20]];
        for (const [sku, onHand] of stock) await givenSku(api, sku, { policy: 'backorder', lead_time_days: 5, onHand });
        await orderOn(api, stock.map(([sku]) => sku), 2, range(1, 10));
        const discontinued = await api.put('/v1/skus/JUG', { policy: 'discontinued', lead_time_days: 5 });
        assert.equal(discontinued.status, 200, discontinued.text);
        api.clock.set(february(11, 12));

        const response = await api.get('/v1/reorder-suggestions');
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(
          response.body.data.map((s: any) => [s.sku, s.projected_stockout_date, s.suggested_order_quantity]),
          [
            ['CUP', '2026-02-11', 24],
            ['BOWL', '2026-02-13', 20],
            ['MUG', '2026-02-16', 14],
          ],
        );
        assert.equal(response.body.has_more, false);
        assert.equal(response.body.next_cursor, null);
      },
      { start: february(1, 9) },
    );
  });

  it('reorder suggestions page in order', async () => {
    await withApi(
      async (api) => {
        // Available after 4 days of 1 a day: 0 to 4, so stockouts fall on
        // Feb 5 to Feb 9; every SKU is at or below its reorder point 5.
        const stock: [string, number][] = [['E', 8], ['A', 4], ['D', 7], ['B', 5], ['C', 6]];
        for (const [sku, onHand] of stock) await givenSku(api, sku, { policy: 'backorder', lead_time_days: 5, onHand });
        await orderOn(api, stock.map(([sku]) => sku), 1, range(1, 4));
        api.clock.set(february(5, 12));

        for (const limit of [1, 2, 5]) {
          const { rows, pages } = await readAllPages(api, '/v1/reorder-suggestions', limit);
          assert.deepEqual(rows.map((s) => s.sku), ['A', 'B', 'C', 'D', 'E'], `limit ${limit}`);
          assert.deepEqual(
            rows.map((s) => s.projected_stockout_date),
            ['2026-02-05', '2026-02-06', '2026-02-07', '2026-02-08', '2026-02-09'],
            `limit ${limit}`,
          );
          assert.equal(pages, Math.ceil(5 / limit), `pages at limit ${limit}`);
        }
      },
      { start: february(1, 9) },
    );
  });

  it('reorder suggestions are empty without orders', async () => {
    await withApi(async (api) => {
      await givenSku(api, 'MUG', { onHand: 3 });
      const response = await api.get('/v1/reorder-suggestions');
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { data: [], has_more: false, next_cursor: null });
    });
  });

  it('reorder suggestions apply service_level', async () => {
    await withApi(
      async (api) => {
        // The intermittent seller above with 20 available: at or below its
        // reorder point 25 at the default 0.95, above its reorder point 14
        // at 0.5, where safety stock is 0.
        await givenSku(api, 'LAMP', { policy: 'backorder', onHand: 32 });
        await orderOn(api, ['LAMP'], 4, [4, 8, 12]);
        api.clock.set(february(13, 12));

        const standard = await api.get('/v1/reorder-suggestions');
        assert.equal(standard.status, 200, standard.text);
        assert.deepEqual(standard.body.data.map((s: any) => [s.sku, s.reorder_point]), [['LAMP', 25]]);

        const lower = await api.get('/v1/reorder-suggestions?service_level=0.5');
        assert.equal(lower.status, 200, lower.text);
        assert.deepEqual(lower.body.data, []);
      },
      { start: february(1, 9) },
    );
  });

  it('reorder suggestions reject a service_level outside (0, 1)', async () => {
    await withApi(async (api) => {
      for (const value of INVALID_SERVICE_LEVELS) {
        assertInvalidField(await api.get(`/v1/reorder-suggestions?service_level=${value}`), 'service_level');
      }
    });
  });

  it('reorder suggestions reject a bad cursor', async () => {
    await withApi(async (api) => {
      assertInvalidField(await api.get('/v1/reorder-suggestions?cursor=not-a-cursor'), 'cursor');
    });
  });
});
