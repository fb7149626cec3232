// The only reader of process.env. One table of settings — name, default, parser, description — from
// which the Config type is inferred, start-up errors are reported (every bad value at once), and the
// README's configuration table is checked (the parsers are in setting-parsers.ts).
import {
  addressList,
  boolean,
  duration,
  durationAtLeast,
  integer,
  level,
  optional,
  type Parser,
  parseDuration,
  text,
  url,
} from './setting-parsers.js';

/** Hostnames, comma-separated, lower-cased (the webhook allow-list matches a URL's hostname exactly). */
const hostnameList: Parser<string[]> = (raw) => {
  const items = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = items.find((h) => !/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(h));
  if (bad !== undefined) throw new Error(`"${bad}" is not a hostname`);
  return items;
};

/** Durations, comma-separated, at least one. */
const durationList: Parser<number[]> = (raw) => {
  const items = raw.split(',').map((s) => parseDuration(s));
  if (items.length === 0) throw new Error('must hold at least one duration');
  return items;
};

function setting<T>(env: string, fallback: string, parse: Parser<T>, help: string) {
  return { env, fallback, parse, help };
}

export const SETTINGS = {
  port: setting('PORT', '3000', integer(0, 65535), 'TCP port to listen on (0 picks a free one).'),
  host: setting('HOST', '127.0.0.1', text, 'Address to listen on (0.0.0.0 for all interfaces).'),
  connectionTimeoutMs: setting(
    'TOKEND_CONNECTION_TIMEOUT',
    '60s',
    durationAtLeast(100),
    'A connection that moves no byte either way for this long is closed (a stalled client or download).',
  ),
  requestTimeoutMs: setting(
    'TOKEND_REQUEST_TIMEOUT',
    '60s',
    durationAtLeast(100),
    // 60 s lets the default largest upload (10 MB) through at 1.5 Mbit/s.
    'Time to receive a whole request, body included; later: `408 request_timeout`, connection closed.',
  ),
  headersTimeoutMs: setting(
    'TOKEND_HEADERS_TIMEOUT',
    '10s',
    durationAtLeast(100),
    "Time to receive a request's headers (slow clients); at most TOKEND_REQUEST_TIMEOUT.",
  ),
  keepAliveTimeoutMs: setting(
    'TOKEND_KEEP_ALIVE_TIMEOUT',
    '72s',
    durationAtLeast(100),
    // Longer than the balancer's idle timeout, so that it closes first and never sends on a connection
    // tokend is closing (Fastify's default for that reason).
    "An idle keep-alive connection is closed after this: longer than load balancers' (AWS: 60 s).",
  ),
  shutdownGraceMs: setting(
    'TOKEND_SHUTDOWN_GRACE',
    '8s',
    duration,
    // Under `docker stop`'s 10 s and Kubernetes' 30 s, leaving time for the final usage flush.
    'On SIGTERM, how long responses in flight may take to finish before they are cut.',
  ),
  databaseUrl: setting('DATABASE_URL', '', url, 'PostgreSQL URL; unset means the embedded PGlite database.'),
  dbConnectTimeoutMs: setting(
    'TOKEND_DB_CONNECT_TIMEOUT',
    '500ms',
    durationAtLeast(1),
    'Longest wait to open a PostgreSQL connection or get one from the pool; then 503.',
  ),
  tokenQueryTimeoutMs: setting(
    'TOKEND_TOKEN_QUERY_TIMEOUT',
    '250ms',
    durationAtLeast(1),
    "Longest wait for a token check's lookup on PostgreSQL; then it fails closed (503).",
  ),
  listenerHeartbeatMs: setting(
    'TOKEND_LISTENER_HEARTBEAT',
    '1s',
    duration,
    'How often the change listener sends `SELECT 1` on its connection; 0 turns it off.',
  ),
  listenerTimeoutMs: setting(
    'TOKEND_LISTENER_TIMEOUT',
    '2s',
    durationAtLeast(1),
    'A heartbeat unanswered this long: listener lost (cache cleared, /readyz 503), reconnect.',
  ),
  dataDir: setting('TOKEND_DATA_DIR', './data', text, 'Embedded database, outbox and lock live here.'),
  adminEmail: setting(
    'TOKEND_ADMIN_EMAIL',
    'admin@localhost',
    text,
    'First administrator, created on first start.',
  ),
  adminPassword: setting(
    'TOKEND_ADMIN_PASSWORD',
    '',
    optional,
    'Their password; unset: generated and printed once to the terminal.',
  ),
  publicUrl: setting(
    'TOKEND_PUBLIC_URL',
    'http://localhost:3000',
    text,
    'Base URL of the page (email links; hostname of the default institution).',
  ),
  logLevel: setting('TOKEND_LOG_LEVEL', 'info', level, 'Log level (pino).'),
  cacheTtlMs: setting(
    'TOKEND_CACHE_TTL',
    '1s',
    duration,
    "Lifetime of a cached token check on PostgreSQL (backstop when a notification is missed) and of an unknown token's entry; 0 disables the cache.",
  ),
  usageFlushMs: setting(
    'TOKEND_USAGE_FLUSH_INTERVAL',
    '1s',
    duration,
    'How often usage (last used, daily counts, failures) is written.',
  ),
  reminderIntervalMs: setting(
    'TOKEND_REMINDER_INTERVAL',
    '15m',
    duration,
    'How often `serve` runs the expiry and reminder sweep; 0 turns it off.',
  ),
  smtpUrl: setting(
    'TOKEND_SMTP_URL',
    '',
    url,
    'SMTP server for reminder emails (smtp:// or smtps://); unset writes .eml files to TOKEND_DATA_DIR/outbox.',
  ),
  mailFrom: setting(
    'TOKEND_MAIL_FROM',
    'tokend <tokend@localhost>',
    text,
    'From address of reminder emails.',
  ),
  redisUrl: setting(
    'TOKEND_REDIS_URL',
    '',
    url,
    'Redis for rate-limit counters shared by all instances; unset keeps them in memory.',
  ),
  tlsCert: setting('TOKEND_TLS_CERT', '', optional, 'PEM certificate file: tokend serves HTTPS itself.'),
  tlsKey: setting('TOKEND_TLS_KEY', '', optional, 'PEM private key file for TOKEND_TLS_CERT.'),
  trustProxy: setting(
    'TOKEND_TRUST_PROXY',
    '',
    addressList,
    'Comma-separated proxy addresses/CIDRs whose X-Forwarded-Proto/-For/-Host are honoured.',
  ),
  allowLoopbackHttp: setting(
    'TOKEND_ALLOW_LOOPBACK_HTTP',
    'true',
    boolean,
    'Allow plain HTTP from a direct loopback connection (local development).',
  ),
  sessionIdleMs: setting(
    'TOKEND_SESSION_IDLE',
    '8h',
    duration,
    'A session ends after this long without a request.',
  ),
  sessionMaxMs: setting(
    'TOKEND_SESSION_MAX',
    '24h',
    duration,
    'A session ends this long after login, whatever its use.',
  ),
  authFailureLimit: setting(
    'TOKEND_AUTH_FAILURE_LIMIT',
    '30',
    integer(1, 1_000_000),
    'Failed token checks allowed per client address per window.',
  ),
  loginFailureLimit: setting(
    'TOKEND_LOGIN_FAILURE_LIMIT',
    '10',
    integer(1, 1_000_000),
    'Failed logins allowed per client address per window.',
  ),
  loginAccountLimit: setting(
    'TOKEND_LOGIN_ACCOUNT_LIMIT',
    '50',
    integer(1, 1_000_000),
    'Failed logins allowed per account (its email, from any address) per window.',
  ),
  redisTimeoutMs: setting(
    'TOKEND_REDIS_TIMEOUT',
    '250ms',
    duration,
    'How long a rate-limit call to Redis may take before this instance counts in memory.',
  ),
  redisBreakMs: setting(
    'TOKEND_REDIS_BREAK',
    '10s',
    duration,
    'After a Redis call fails or times out, Redis is skipped this long (memory counts at once).',
  ),
  leakReportLimit: setting(
    'TOKEND_LEAK_REPORT_LIMIT',
    '10',
    integer(1, 1_000_000),
    'Leak reports (POST /apis/v1/leaks) accepted per client address per window, each counted.',
  ),
  githubScanningKeys: setting(
    'TOKEND_GITHUB_SCANNING_KEYS',
    '',
    optional,
    "File of GitHub's secret scanning public keys (meta/public_keys/secret_scanning); unset: the GitHub route answers 404.",
  ),
  gitlabRevocationToken: setting(
    'TOKEND_GITLAB_REVOCATION_TOKEN',
    '',
    optional,
    "The token GitLab's secret detection sends to the revocation API; unset: those routes answer 404.",
  ),
  webhookTimeoutMs: setting(
    'TOKEND_WEBHOOK_TIMEOUT',
    '15s',
    durationAtLeast(1),
    'How long a webhook receiver may take to answer one attempt (2xx within it is delivered).',
  ),
  webhookAllowedHosts: setting(
    'TOKEND_WEBHOOK_ALLOWED_HOSTS',
    '',
    hostnameList,
    'Webhook hostnames (comma-separated, exact, port ignored) that may use http:// and any address, loopback and private included.',
  ),
  webhookRetryScheduleMs: setting(
    'TOKEND_WEBHOOK_RETRY_SCHEDULE',
    '5s,5m,30m,2h,5h,10h,10h',
    durationList,
    'The waits between webhook attempts after each failure (comma-separated durations); after the last, the delivery fails.',
  ),
  webhookPollMs: setting(
    'TOKEND_WEBHOOK_POLL_INTERVAL',
    '1s',
    duration,
    'How often `serve` looks for due webhook messages besides being woken by a change; 0 turns delivery off.',
  ),
  oidcCaFile: setting(
    'TOKEND_OIDC_CA_FILE',
    '',
    optional,
    "PEM file of certificate authorities trusted for the identity providers, besides the system's (a private CA).",
  ),
  failureWindowMs: setting('TOKEND_FAILURE_WINDOW', '1m', duration, 'Window of the failure rate limits.'),
  maxFileBytes: setting(
    'TOKEND_MAX_FILE_SIZE',
    '10485760',
    integer(1, 1 << 30),
    'Largest file upload, in bytes.',
  ),
} as const;

export type Config = { [K in keyof typeof SETTINGS]: ReturnType<(typeof SETTINGS)[K]['parse']> };

export class ConfigError extends Error {}

/** Reads every setting; throws one ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS)) {
    const raw = env[s.env] ?? s.fallback;
    try {
      config[key] = s.parse(raw);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      problems.push(`${s.env}=${JSON.stringify(raw)}: ${why}`);
    }
  }
  if (!config.tlsCert !== !config.tlsKey)
    problems.push('TOKEND_TLS_CERT and TOKEND_TLS_KEY must be set together');
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  // Every key of SETTINGS now holds what its own parser returned (a failed one threw above): the
  // record is the Config the table infers. The environment's strings are never cast, only parsed.
  return config as Config;
}
