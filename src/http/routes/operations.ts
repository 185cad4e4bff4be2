import { z } from 'zod';
import { ping } from '../../store/database.js';
import type { App, RouteContext } from '../app.js';

export function registerOperationsRoutes(app: App, { store, metrics }: RouteContext): void {
  app.get(
    '/healthz',
    {
      config: { access: 'none' },
      schema: { tags: ['operations'], summary: 'Liveness and database reachability', response: { 200: z.object({ status: z.literal('ok'), database: z.string() }) } },
    },
    async () => {
      await ping(store.db);
      return { status: 'ok' as const, database: store.kind };
    },
  );

  app.get(
    '/metrics',
    { config: { access: 'none' }, schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: true } },
    async (_request, reply) => {
      reply.header('Content-Type', metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );

  app.get('/openapi.json', { config: { access: 'none' }, schema: { hide: true } }, async () => app.swagger());
}
