// Composition root: config → database → services → HTTP server (+ usage flush, reminder loop), in
// exported steps (openParts → buildApp → serveApp) that another entry can compose with routes of its
// own; a graceful stop on SIGTERM/SIGINT drains the connections (graceful-stop.ts), flushes usage and
// closes the database.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.js';
import { type Config, loadConfig } from './config.js';
import { ChangeListener } from './db/listener.js';
import { drainer } from './graceful-stop.js';
import { type AppDeps, buildApp } from './http/app.js';
import { type FailureLimiter, failureLimiter } from './http/rate-limit.js';
import { TLS_PROFILE } from './http/transport.js';
import { createLogger } from './log.js';
import { startReminderLoop } from './reminders/loop.js';
import { buildServices, type Services } from './services.js';
import { listenForWebhooks } from './webhooks/wake-store.js';
import { type Opened, openDatabase } from './setup.js';

export interface Running {
  url: string;
  stop(): Promise<void>;
}

/** What the HTTP app is built from; startServer composes these and so can another entry (the bench). */
export interface Parts {
  config: Config;
  clock: Clock;
  logger: Logger;
  opened: Opened;
  services: Services;
  limiter: FailureLimiter;
  https?: AppDeps['https'];
}

export async function startServer(
  config: Config,
  options: { clock?: Clock; logger?: Logger } = {},
): Promise<Running> {
  const parts = await openParts(config, options);
  const listener = changeListener(parts);
  const app = await buildApp(appDeps(parts, listener));
  return serveApp(parts, app, listener);
}

/** Opens the database and builds the services, the failure limiter and the TLS options. */
export async function openParts(
  config: Config,
  options: { clock?: Clock; logger?: Logger } = {},
): Promise<Parts> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel);
  const opened = await openDatabase(config, clock, 'server');
  if (opened.generatedPassword) {
    // Shown once on the terminal, never through the logger.
    process.stderr.write(
      `\n  tokend created the administrator ${config.adminEmail} with the password:\n\n    ${opened.generatedPassword}\n\n  It is not shown again. Set TOKEND_ADMIN_PASSWORD to choose one.\n\n`,
    );
  }
  const services = buildServices(config, opened.db, clock, (err) =>
    logger.warn({ err }, 'background work failed (usage flush, webhook delivery or its email)'),
  );
  // Redis when TOKEND_REDIS_URL is set (counters shared by every instance), memory otherwise.
  const limiter = failureLimiter(config, logger);
  const https =
    config.tlsCert && config.tlsKey
      ? {
          cert: readFileSync(config.tlsCert, 'utf8'),
          key: readFileSync(config.tlsKey, 'utf8'),
          ...TLS_PROFILE,
        }
      : undefined;
  return { config, clock, logger, opened, services, limiter, ...(https ? { https } : {}) };
}

/** buildApp's deps from the parts; the listener, when there is one, is a readiness check. */
export function appDeps(parts: Parts, listener: ChangeListener | null): AppDeps {
  const { config, services, logger, limiter, https } = parts;
  const readiness = listener ? { readiness: () => ({ listener: listener.connected }) } : {};
  return { config, services, logger, limiter, ...readiness, ...(https ? { https } : {}) };
}

/**
 * Listens, starts the usage flush, the listener and the reminder loop; `stop` drains the connections
 * and closes everything the parts opened.
 */
export async function serveApp(
  parts: Parts,
  app: FastifyInstance,
  listener: ChangeListener | null,
): Promise<Running> {
  const { config, clock, logger, opened, services, limiter } = parts;
  const connections = drainer(app.server);
  await app.listen({ port: config.port, host: config.host });
  services.usage.start(config.usageFlushMs);
  // After listen: entries cached before LISTEN takes effect are dropped when it does (gap).
  await listener?.start();
  const reminders = startReminderLoop({ config, db: opened.db, tokens: services.tokens, clock, logger });
  // Webhooks: every instance delivers (the leases keep two from sending the same message at once).
  services.webhookDeliverer.start((err) => logger.warn({ err }, 'webhook delivery failed'));
  // On PostgreSQL, a NOTIFY from the outbox trigger wakes it at once, whoever wrote the event.
  const webhookWake =
    services.db.kind === 'postgres' && config.databaseUrl && config.webhookPollMs > 0
      ? listenForWebhooks(
          config.databaseUrl,
          () => services.webhookDeliverer.wake(),
          (err) => logger.warn({ err }, 'webhook listener disconnected; retrying'),
        )
      : null;
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('tokend listens on TCP only');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${parts.https ? 'https' : 'http'}://${host}:${address.port}`;
  logger.info({ url, database: opened.db.kind }, 'tokend listening');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      await reminders.stop();
      await webhookWake?.stop();
      await services.webhookDeliverer.stop();
      const { cut } = await connections.drain(config.shutdownGraceMs);
      if (cut > 0)
        logger.warn({ cut, graceMs: config.shutdownGraceMs }, 'responses cut at the end of the grace');
      await app.close();
      // Expiry writes a check started after its answer: recorded now rather than by the next check.
      await services.tokenCheck.idle().catch((err: unknown) => logger.warn({ err }, 'expiry write failed'));
      services.verifier.stop();
      await listener?.stop();
      await services.usage.stop().catch((err: unknown) => logger.error({ err }, 'final usage flush failed'));
      await limiter.close();
      await opened.close();
    })();
    return stopping;
  };
  return { url, stop };
}

/** On PostgreSQL other instances change tokens too: their commits reach this cache through NOTIFY. */
export function changeListener({ config, services, logger }: Parts): ChangeListener | null {
  if (services.db.kind !== 'postgres' || !config.databaseUrl) return null;
  return new ChangeListener(
    {
      url: config.databaseUrl,
      heartbeatMs: config.listenerHeartbeatMs,
      heartbeatTimeoutMs: config.listenerTimeoutMs,
      connectTimeoutMs: config.dbConnectTimeoutMs,
    },
    {
      changed: (id) => services.verifier.invalidate(id),
      gap: () => services.verifier.clear(),
      error: (err) => logger.warn({ err }, 'change listener disconnected; retrying'),
      connected: () => logger.info('change listener connected'),
    },
  );
}

/** Runs the server until SIGTERM or SIGINT. */
export async function serve(config: Config = loadConfig()): Promise<void> {
  const logger = createLogger(config.logLevel);
  const running = await startServer(config, { logger });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'tokend stopping');
      running.stop().then(
        () => {
          logger.info('tokend stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          process.exit(1);
        },
      );
    });
  }
}
