// Probes and metrics, open to anyone: /healthz (the process is up), /readyz (database reachable and,
// on PostgreSQL, the change listener connected), /metrics (Prometheus text).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { RouteDeps } from '../route-deps.js';
import { failures, json } from '../responses.js';
import { HealthSchema, PUBLIC, ReadinessSchema, ref } from '../schemas.js';

const probe = { tags: ['health'], security: PUBLIC };
// What any request may meet before its route answers: a malformed URL, headers past the limit.
const EDGE = failures('session', { 400: ['invalid_request'], 431: ['invalid_request'] });
const READINESS = ref(ReadinessSchema);

export const healthRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    app.get(
      '/healthz',
      {
        schema: {
          ...probe,
          operationId: 'getHealth',
          summary: 'Whether the process is up',
          response: { 200: json('Up', ref(HealthSchema)), ...EDGE },
        },
      },
      () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          ...probe,
          operationId: 'getReadiness',
          summary: 'Whether this instance can serve: the database and the change listener',
          response: {
            200: json('Ready', READINESS),
            503: json('Not ready: a check failed', READINESS),
            ...EDGE,
          },
        },
      },
      async (_request, reply) => {
        const checks: Record<string, boolean> = {
          database: await databaseOk(deps),
          ...(deps.readiness?.() ?? {}),
        };
        const ready = Object.values(checks).every(Boolean);
        return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          ...probe,
          operationId: 'getMetrics',
          summary: 'Counters and gauges in the Prometheus text format',
          response: {
            200: {
              description: 'The metrics',
              content: { 'text/plain': { schema: Type.String() } },
            },
            ...EDGE,
          },
        },
      },
      (_request, reply) => {
        const memory = process.memoryUsage();
        void reply.header('content-type', 'text/plain; version=0.0.4');
        // CPU time of the whole process (user + system): the bench reads it around each run.
        const cpu = process.cpuUsage();
        return deps.metrics.render({
          tokend_process_rss_bytes: memory.rss,
          tokend_process_cpu_microseconds: cpu.user + cpu.system,
          tokend_up: 1,
        });
      },
    );
    done();
  };

async function databaseOk(deps: RouteDeps): Promise<boolean> {
  try {
    await Promise.race([
      deps.services.db.query('SELECT 1'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}
