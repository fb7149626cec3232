// Probes and metrics, open to anyone: /healthz (the process is up), /readyz (database reachable and,
// on PostgreSQL, the change listener connected), /metrics (Prometheus text).
import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../route-deps.js';

export const healthRoutes = (deps: RouteDeps) => async (app: FastifyInstance) => {
  const hide = { schema: { hide: true } };
  app.get('/healthz', hide, async () => ({ status: 'ok' }));

  app.get('/readyz', hide, async (_request, reply) => {
    const checks: Record<string, boolean> = {
      database: await databaseOk(deps),
      ...(deps.readiness?.() ?? {}),
    };
    const ready = Object.values(checks).every(Boolean);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });

  app.get('/metrics', hide, async (_request, reply) => {
    const memory = process.memoryUsage();
    void reply.header('content-type', 'text/plain; version=0.0.4');
    // CPU time of the whole process (user + system): the bench reads it around each run.
    const cpu = process.cpuUsage();
    return deps.metrics.render({
      tokend_process_rss_bytes: memory.rss,
      tokend_process_cpu_microseconds: cpu.user + cpu.system,
      tokend_up: 1,
    });
  });
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
