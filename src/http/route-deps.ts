// What buildApp is given (AppDeps) and what every route module and auth hook receives (RouteDeps: the
// same, with the app's metrics). Its own module so that routes need not import app.ts, which imports
// them: the types sit below both.
import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Services } from '../services.js';
import type { Metrics } from './metrics.js';
import type { FailureLimiter } from './rate-limit.js';

export interface AppDeps {
  config: Config;
  services: Services;
  logger: Logger;
  limiter: FailureLimiter;
  /** Extra readiness checks (the NOTIFY listener): name → ok. */
  readiness?: () => Record<string, boolean>;
  /** TLS: the certificate and key, with the protocol and cipher profile (transport.ts TLS_PROFILE). */
  https?: TlsOptions & { cert: string; key: string };
  /** The request and token-check counters behind /metrics; buildApp makes its own when absent. */
  metrics?: Metrics;
}

export type RouteDeps = AppDeps & { metrics: Metrics };
