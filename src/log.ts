// Structured logs (pino) that never carry a secret: requests are logged without headers, URLs lose
// their `token=` parameter, error details (which may quote row values) are dropped, and — as the last
// line of defence, on the finished line — anything shaped like a token, a SHA-256 hash, a bearer
// credential, a `token=` parameter or a session cookie is masked, %-encoded or not, in the server's logs
// and the CLI's.
import pino, {
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Level,
  type Logger,
} from 'pino';

const TOKENISH = /\bsk-(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?[0-9A-Za-z]{20,}/g;
const HASHISH = /\b[0-9a-f]{64}\b/gi;
const TOKEN_PARAM = /([?&;\s"']token=)[^&#\s"'\\]*/gi;
const BEARER = /\b(Bearer\s+)[^\s"'\\,]+/gi;
const SESSION_COOKIE = /(tokend_session=)[^;\s"'\\]*/gi;
// A credential header as a JSON field at any depth (a plugin may log a request's headers, as
// @fastify/multipart does at trace): its value, a string or a list of them, is dropped.
const HEADER_FIELD =
  /("(?:authorization|proxy-authorization|cookie|set-cookie|ff_auth|ff-auth|x-csrf-token)"\s*:\s*)(?:"(?:[^"\\]|\\.)*"|\[(?:\s*"(?:[^"\\]|\\.)*"\s*,?)*\])/gi;

function scrubPlain(text: string): string {
  return text
    .replace(HEADER_FIELD, '$1"[REDACTED]"')
    .replace(TOKEN_PARAM, '$1[REDACTED]')
    .replace(SESSION_COOKIE, '$1[REDACTED]')
    .replace(BEARER, '$1[REDACTED]')
    .replace(TOKENISH, 'sk-[REDACTED]')
    .replace(HASHISH, '[REDACTED]');
}

// A run of URL-ish text, looked at when it holds a %-escape (`?x=sk%2Dhubspot…`, a path with `%62`).
const RUN = /[^\s"'\\<>]+/g;
// Printable ASCII but `"` and `\`: what a token is made of, and safe to put back inside a JSON string.
const ESCAPE = /%(2[013-9A-Fa-f]|[346][0-9A-Fa-f]|5[0-9ABD-Fabd-f]|7[0-9A-Ea-e])/g;

/** Decodes the escapes that spell ASCII, repeatedly (a %25 may hide another escape), never throwing. */
function decodeAscii(run: string): string {
  let text = run;
  for (let i = 0; i < 3; i++) {
    const next = text.replace(ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === text) break;
    text = next;
  }
  return text;
}

/**
 * Masks secrets in text. A %-encoded secret is one too (the server decodes paths and queries before it
 * reads them), so a run with escapes is also looked at decoded, and written decoded and masked if that
 * hides something.
 */
export function scrub(text: string): string {
  const plain = scrubPlain(text);
  if (!plain.includes('%')) return plain;
  return plain.replace(RUN, (run) => {
    if (!run.includes('%')) return run;
    const decoded = decodeAscii(run);
    const masked = scrubPlain(decoded);
    return masked === decoded ? run : masked;
  });
}

// The sign-in callback's authorization code and state: single-use, but credentials until redeemed.
const OIDC_CALLBACK = '/apis/v1/session/oidc/callback';

/**
 * Drops the value of every `token` query parameter (SPEC: `token=` in URLs is always redacted), also
 * when its name is %-encoded: the carrier reader decodes names, so `?%74oken=` is a token too; on the
 * sign-in callback, `code` and `state` as well.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return scrub(url);
  const secret = url.slice(0, q) === OIDC_CALLBACK ? ['token', 'code', 'state'] : ['token'];
  const pairs = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=')[0] ?? '';
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // A broken escape is not a name URLSearchParams would read as `token`: keep it as sent.
      }
      return secret.includes(decoded.trim().toLowerCase()) ? `${name}=[REDACTED]` : pair;
    });
  return scrub(`${url.slice(0, q)}?${pairs.join('&')}`);
}

export const serializers = {
  req(req: {
    method?: string;
    url?: string;
    hostname?: string;
    ip?: string;
    clientAddress?: string;
    socket?: { remoteAddress?: string };
  }) {
    return {
      method: req.method,
      url: redactUrl(req.url ?? ''),
      host: req.hostname,
      // The client behind trusted proxies, as rate limits and usage see it (buildApp's requests).
      remoteAddress: req.clientAddress ?? req.ip ?? req.socket?.remoteAddress,
    };
  },
  res(res: { statusCode?: number }) {
    return { statusCode: res.statusCode };
  },
  err(err: Error & { code?: string }) {
    return {
      type: err.name,
      message: scrub(err.message ?? ''),
      code: err.code,
      stack: scrub(err.stack ?? ''),
    };
  },
};

// Header names as Node keeps them (lower case; FF_AUTH arrives as ff_auth), wherever they are logged.
const HEADERS = ['authorization', 'cookie', 'ff_auth', '"ff-auth"', '"set-cookie"', '"x-csrf-token"'];
const REDACT = [
  ...['headers', '*.headers', '*.*.headers'].flatMap((at) =>
    HEADERS.map((h) => `${at}${h.startsWith('"') ? `[${h}]` : `.${h}`}`),
  ),
  'secret',
  'password',
  'csrfToken',
  '*.secret',
  '*.password',
  '*.csrfToken',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      serializers,
      redact: { paths: REDACT, censor: '[REDACTED]' },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>,
          );
        },
        // The finished JSON line: whatever a serializer or a message let through is masked here.
        streamWrite: scrub,
      },
    },
    destination ?? pino.destination(1),
  );
}

/**
 * A request's logger, made by Fastify for every request to carry its reqId. A pino child is built
 * through the redaction, which costs a few µs per request — more than the token check — so the child is
 * made only when the request logs at an enabled level: at `info` that is every request (Fastify's request
 * lines), at `warn` only those that go wrong. What is logged, and how it is redacted, is the same.
 */
class RequestLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  private get logger(): Logger {
    this.made ??= this.parent.child(this.bindings);
    return this.made;
  }

  get level(): string {
    return (this.made ?? this.parent).level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  private write(level: Level, args: unknown[]): void {
    // pino's overloads take no spread of unknowns; the caller's arguments are passed on as given.
    if ((this.made ?? this.parent).isLevelEnabled(level))
      Reflect.apply(this.logger[level], this.logger, args);
  }

  fatal(...args: unknown[]) {
    this.write('fatal', args);
  }
  error(...args: unknown[]) {
    this.write('error', args);
  }
  warn(...args: unknown[]) {
    this.write('warn', args);
  }
  info(...args: unknown[]) {
    this.write('info', args);
  }
  debug(...args: unknown[]) {
    this.write('debug', args);
  }
  trace(...args: unknown[]) {
    this.write('trace', args);
  }
  silent() {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: options (a route's own log level) make a real child at once. */
export function requestLogger(parent: Logger, bindings: Bindings, options: ChildLoggerOptions): Logger {
  if (Object.keys(options).length > 0) return parent.child(bindings, options);
  return new RequestLogger(parent, bindings) as unknown as Logger;
}
