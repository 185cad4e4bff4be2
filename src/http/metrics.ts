import type { onResponseHookHandler } from 'fastify';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/store.js';

/** Records one response: its status code and the milliseconds from routing to the response. */
export type ResponseObserver = (statusCode: number, elapsedMillis: number) => void;

/** Prometheus metrics: request counts and latencies, orders, backordered units. */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  readonly ordersPlaced: Counter;
  readonly ordersRejected: Counter;
  private readonly observers = new Map<string, ResponseObserver>();

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

  /**
   * Returns the function that records a response of one method and route.
   * It is made once per route, so a request allocates no label objects. The
   * counter's child for each status code is made on first use.
   */
  observerFor(method: string, route: string): ResponseObserver {
    const key = `${method} ${route}`;
    let observer = this.observers.get(key);
    if (observer === undefined) {
      observer = this.newObserver(method, route);
      this.observers.set(key, observer);
    }
    return observer;
  }

  private newObserver(method: string, route: string): ResponseObserver {
    const latency = this.latency.labels(method, route);
    const counts = new Map<number, { inc(): void }>();
    return (statusCode, elapsedMillis) => {
      let count = counts.get(statusCode);
      if (count === undefined) {
        count = this.requests.labels(method, route, String(statusCode));
        counts.set(statusCode, count);
      }
      count.inc();
      latency.observe(elapsedMillis / 1000);
    };
  }
}

/** Builds the onResponse hook that records the responses of one route, registered under `methods`. */
export function observerHook(metrics: Metrics, methods: string | string[], route: string): onResponseHookHandler {
  if (typeof methods === 'string') {
    const observe = metrics.observerFor(methods, route);
    return (_request, reply, done) => {
      observe(reply.statusCode, reply.elapsedTime);
      done();
    };
  }
  return (request, reply, done) => {
    metrics.observerFor(request.method, route)(reply.statusCode, reply.elapsedTime);
    done();
  };
}
