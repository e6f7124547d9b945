/** GET /metrics: Prometheus' scrape target, on the admin listener and behind its token like every route but the probes. */
import type { FastifyInstance } from 'fastify';
import { CONTENT_TYPE, prometheusExposition, type MetricsSource } from '../prometheus.js';

export function metricsRoutes(app: FastifyInstance, source: MetricsSource): void {
  const render = prometheusExposition(source);
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Metrics in the Prometheus text format',
        description: 'Per app: responses by status class, a duration histogram, workers ready vs target, restarts by reason; per worker: requests, responses by status class, in flight, connections, memory, CPU; and tsgid\'s own uptime, memory and CPU. Counters are kept by the arbiter and survive worker replacement. Names and labels: docs/api.md.',
        tags: ['meta'],
      },
      config: { ok: { status: 200, description: `The exposition (${CONTENT_TYPE})` } },
    },
    async (_req, reply) => reply.type(CONTENT_TYPE).send(await render()),
  );
}
