// Structured logs (pino) that never carry a secret: requests are logged without headers, URLs lose
// their `token=` parameter, error details (which may quote row values) are dropped, and anything shaped
// like a token or a SHA-256 hash is masked in every message, the CLI's included.
import pino, { type DestinationStream, type Logger } from 'pino';

const TOKENISH = /\bsk-(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?[0-9A-Za-z]{20,}/g;
const HASHISH = /\b[0-9a-f]{64}\b/g;

export function scrub(text: string): string {
  return text.replace(TOKENISH, 'sk-[REDACTED]').replace(HASHISH, '[REDACTED]');
}

/** Drops the value of every `token` query parameter (SPEC: `token=` in URLs is always redacted). */
export function redactUrl(url: string): string {
  return scrub(url.replace(/([?&])token=[^&#]*/gi, '$1token=[REDACTED]'));
}

export const serializers = {
  req(req: {
    method?: string;
    url?: string;
    hostname?: string;
    ip?: string;
    socket?: { remoteAddress?: string };
  }) {
    return {
      method: req.method,
      url: redactUrl(req.url ?? ''),
      host: req.hostname,
      remoteAddress: req.ip ?? req.socket?.remoteAddress,
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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      serializers,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers.ff_auth',
          'req.headers["ff-auth"]',
          'res.headers["set-cookie"]',
          'headers.authorization',
          'headers.cookie',
          'secret',
          'password',
        ],
        censor: '[REDACTED]',
      },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination ?? pino.destination(1),
  );
}
