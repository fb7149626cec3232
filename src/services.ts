// Builds the services every entry point shares (server, CLI, tests) from config, database and clock.
// Wiring is explicit: nothing here reads the environment or starts timers.
import { readFileSync } from 'node:fs';
import { institutionResolver } from './accounts/institutions.js';
import { OidcService } from './accounts/oidc.js';
import { fetchTrusting } from './accounts/oidc-fetch.js';
import { AccountService } from './accounts/service.js';
import { AuditService } from './audit/service.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/db.js';
import { FileService } from './files/service.js';
import { LeakService } from './leaks/report.js';
import { createMailer } from './mail/mailer.js';
import { PermissionService } from './permissions/service.js';
import { TokenCheck } from './tokens/check.js';
import { InventoryService } from './tokens/inventory.js';
import { TokenService } from './tokens/service.js';
import { UsageRecorder } from './tokens/usage.js';
import { TokenVerifier } from './tokens/verifier.js';
import { WebhookDelivery } from './webhooks/delivery.js';
import { WebhookDeliverer } from './webhooks/loop.js';
import { WebhookService } from './webhooks/service.js';

export function buildServices(
  config: Pick<
    Config,
    | 'cacheTtlMs'
    | 'sessionIdleMs'
    | 'sessionMaxMs'
    | 'smtpUrl'
    | 'mailFrom'
    | 'dataDir'
    | 'publicUrl'
    | 'webhookTimeoutMs'
    | 'webhookAllowedHosts'
    | 'webhookRetryScheduleMs'
    | 'webhookPollMs'
    | 'oidcCaFile'
  >,
  db: Db,
  clock: Clock,
  onError?: (e: unknown) => void,
) {
  const verifier = new TokenVerifier(db, clock, {
    ttlMs: config.cacheTtlMs,
    backstop: db.kind !== 'pglite',
    onRefreshError: (error, streak) => tokenCheck.refreshFailed(error, streak),
  });
  const tokens = new TokenService(db, clock, (id) => verifier.invalidate(id));
  const usage = new UsageRecorder(db, onError);
  // Until an app watches it (and logs through its logger), the check's background failures go to onError.
  const tokenCheck = new TokenCheck({ verifier, usage, tokens }, onError);
  // Every request resolves its institution before a token check: a hanging database must fail it closed
  // as fast as the token lookup (its snapshot expired mid-outage made a check wait the 10 s query timeout).
  const institutions = institutionResolver(db.lookups, Math.max(config.cacheTtlMs, 1000));
  const accounts = new AccountService(db, clock, {
    idleMs: config.sessionIdleMs,
    maxMs: config.sessionMaxMs,
  });
  // Sign-in with the institutions' identity providers; a private CA is trusted beside the system's roots.
  const oidc = new OidcService({
    db,
    clock,
    publicUrl: config.publicUrl,
    fetch: config.oidcCaFile ? fetchTrusting(readFileSync(config.oidcCaFile, 'utf8')) : undefined,
  });
  const files = new FileService(db, clock);
  const permissions = new PermissionService(db, clock);
  const leaks = new LeakService({
    db,
    clock,
    changed: (id) => verifier.invalidate(id),
    mailer: () => createMailer(config),
    publicUrl: config.publicUrl,
  });
  // Webhooks: the attempt, the loop that serve starts (constructed here, idle until start()), the API.
  const webhookDelivery = new WebhookDelivery({
    db,
    clock,
    timeoutMs: config.webhookTimeoutMs,
    allowedHosts: config.webhookAllowedHosts,
    scheduleMs: config.webhookRetryScheduleMs,
    mailer: () => createMailer(config),
    onError,
  });
  const webhookDeliverer = new WebhookDeliverer({
    db,
    clock,
    delivery: webhookDelivery,
    pollMs: config.webhookPollMs,
    onError,
  });
  const webhooks = new WebhookService({
    db,
    clock,
    allowedHosts: config.webhookAllowedHosts,
    delivery: webhookDelivery,
    wake: () => webhookDeliverer.wake(),
  });
  const inventory = new InventoryService(db, clock);
  const audit = new AuditService(db);
  return {
    db,
    clock,
    verifier,
    tokens,
    usage,
    institutions,
    accounts,
    oidc,
    files,
    permissions,
    tokenCheck,
    leaks,
    audit,
    inventory,
    webhookDeliverer,
    webhookDelivery,
    webhooks,
  };
}

export type Services = ReturnType<typeof buildServices>;
