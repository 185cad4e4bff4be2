import { z } from 'zod';
import { readForecast, readReorderSuggestions } from '../../app/forecasting.js';
import type { App, RouteContext } from '../app.js';
import { decodeCursor, isWholeNumber, page } from '../pagination.js';
import { errorBody, listOf, listQuery, skuCode } from '../schemas.js';

const forecastView = z.object({
  sku: z.string(),
  as_of: z.string(),
  history_days: z.number(),
  method: z.enum(['sba', 'ses', 'none']).describe('sba: Croston with the Syntetos-Boylan correction, for intermittent demand; ses: exponential smoothing'),
  daily_rate: z.number().describe('Forecast units per day'),
  daily_deviation: z.number(),
  mean_interval_days: z.number().nullable(),
  lead_time_days: z.number(),
  lead_time_assumed: z.boolean().describe('True when the SKU has no lead time and 14 days were assumed'),
  service_level: z.number(),
  available: z.number(),
  inbound: z.number(),
  backordered: z.number(),
  days_of_cover: z.number().nullable(),
  projected_stockout_date: z.string().nullable(),
  reorder_point: z.number(),
  safety_stock: z.number(),
  suggested_order_quantity: z.number(),
});

const forecastQuery = {
  service_level: z.coerce.number().gt(0, 'must be above 0').lt(1, 'must be below 1').default(0.95),
  history_days: z.coerce.number().int().min(7).max(1095).default(365),
};

export function registerForecastRoutes(app: App, { store }: RouteContext): void {
  app.get(
    '/v1/skus/:sku/forecast',
    {
      schema: {
        tags: ['stockout prevention'],
        summary: 'Demand rate, days of cover, projected stockout date, reorder point and suggested order quantity',
        params: z.object({ sku: skuCode }),
        querystring: z.object(forecastQuery),
        response: { 200: forecastView, 400: errorBody, 404: errorBody },
      },
    },
    async (request) =>
      readForecast(store.db, request.params.sku, store.clock(), {
        serviceLevel: request.query.service_level,
        historyDays: request.query.history_days,
      }),
  );

  app.get(
    '/v1/reorder-suggestions',
    {
      schema: {
        tags: ['stockout prevention'],
        summary: 'SKUs at or below their reorder point, soonest projected stockout first',
        querystring: z.object({ ...forecastQuery, ...listQuery }),
        response: { 200: listOf(forecastView), 400: errorBody },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const offset = decodeCursor(cursor, isWholeNumber) ?? 0;
      const all = await readReorderSuggestions(store.db, store.clock(), {
        serviceLevel: request.query.service_level,
        historyDays: request.query.history_days,
      });
      const rows = all.slice(offset, offset + limit + 1).map((forecast, index) => ({ forecast, position: offset + index + 1 }));
      const result = page(rows, limit, (row) => row.position);
      return { ...result, data: result.data.map((row) => row.forecast) };
    },
  );
}
