import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/store.js';

const started = Symbol('started');

/** Prometheus metrics: request counts and latencies, orders, backordered units. */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  readonly ordersPlaced: Counter;
  readonly ordersRejected: Counter;

  constructor(store: Store) {
    this.requests = new Counter({
      name: 'restock_http_requests_total',
      help: 'HTTP requests served, by method, route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'restock_http_request_duration_seconds',
      help: 'Time from request to response, in seconds.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.ordersPlaced = new Counter({ name: 'restock_orders_placed_total', help: 'Orders accepted.', registers: [this.registry] });
    this.ordersRejected = new Counter({
      name: 'restock_orders_rejected_total',
      help: 'Orders rejected as not orderable.',
      registers: [this.registry],
    });
    new Gauge({
      name: 'restock_backordered_units',
      help: 'Units waiting in all backorder queues.',
      registers: [this.registry],
      async collect() {
        const row = await store.db
          .selectFrom('skus')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('backordered'), eb.lit(0)).as('units'))
          .executeTakeFirstOrThrow();
        this.set(Number(row.units));
      },
    });
  }

  startTimer(request: FastifyRequest): void {
    (request as unknown as Record<symbol, bigint>)[started] = process.hrtime.bigint();
  }

  observe(request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? 'unmatched';
    const begin = (request as unknown as Record<symbol, bigint | undefined>)[started];
    this.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    if (begin !== undefined) {
      this.latency.observe({ method: request.method, route }, Number(process.hrtime.bigint() - begin) / 1e9);
    }
  }
}
