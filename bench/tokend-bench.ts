// `tokend serve` as the bench starts it, from the build in dist/ when there is one (as bin/tokend.js does),
// composed here from main.ts's steps: tokend itself has no bench options. BENCH_NO_LISTENER=1 runs it
// without the change listener: how long another instance's change takes to be honoured when
// notifications are lost (the cache-lifetime bound). BENCH_BASELINE=1 adds GET /apis/v1/bench/answer in
// a scope with the token routes' hook (same headers): after one real check, it answers every request with
// that token's answer to GET /apis/v1/token, same headers and same body, without checking anything, so
// the bench can tell what (b)'s request and answer cost from what the check costs.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type * as App from '../src/http/app.js';
import type * as MetricsModule from '../src/http/metrics.js';
import type * as TokenRoutes from '../src/http/routes/token.js';
import type * as TokenAuth from '../src/http/token-auth.js';
import type * as Main from '../src/main.js';
import type { VerifiedToken } from '../src/tokens/verdict.js';

const built = new URL('../dist/src/', import.meta.url);
const from = existsSync(new URL('main.js', built)) ? built : new URL('../src/', import.meta.url);
const load = async <T>(path: string) => (await import(new URL(path, from).href)) as T;
const { appDeps, changeListener, openParts, serveApp } = await load<typeof Main>('main.js');
const { buildApp, tokenRoutesHook } = await load<typeof App>('http/app.js');
const { Metrics } = await load<typeof MetricsModule>('http/metrics.js');
const { loadConfig } = await load<typeof import('../src/config.js')>('config.js');
const { TokenQuery } = await load<typeof TokenRoutes>('http/routes/token.js');
const { andThen, authenticate } = await load<typeof TokenAuth>('http/token-auth.js');

// Shaped like the GET /apis/v1/token handler (synchronous, the same reply calls), minus the check.
const baseline = (deps: App.RouteDeps) => (app: FastifyInstance, _options: unknown, done: () => void) => {
  app.addHook('onRequest', tokenRoutesHook(deps));
  let answer: VerifiedToken | null = null;
  app.get('/apis/v1/bench/answer', { schema: { hide: true, querystring: TokenQuery } }, (request, reply) => {
    void reply.type('application/json; charset=utf-8');
    // The first request is checked as GET /apis/v1/token checks it; its answer serves every later one.
    if (!answer)
      return andThen(authenticate(deps, request, reply, null), (token) => (answer = token).ownView);
    if (answer.validUntil) void reply.header('ff-auth-token-valid-until', answer.validUntil);
    return answer.ownView;
  });
  done();
};

const parts = await openParts(loadConfig());
const listener = process.env.BENCH_NO_LISTENER === '1' ? null : changeListener(parts);
// The app's own counters, shared with the baseline's check so that /metrics counts it as tokend would.
const deps = { ...appDeps(parts, listener), metrics: new Metrics() };
const app = await buildApp(deps);
if (process.env.BENCH_BASELINE === '1') await app.register(baseline(deps));
const running = await serveApp(parts, app, listener);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void running.stop().then(() => process.exit(0));
  });
}
