// Request loggers: Fastify asks for one per request, and tokend makes the pino child only when the request
// logs at an enabled level. The lines must be what a pino child would write: the reqId, the redaction,
// the masking of token-shaped text, and nothing at all for levels that are off.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { createLogger, redactUrl, requestLogger } from './log.js';
import { jsonOf, parsed } from './test-support/cli.js';
import { createEnv, type Env, said } from './test-support/harness.js';
import { generateToken } from './tokens/token.js';

const Line = Type.Record(Type.String(), Type.Unknown());
const Request = Type.Object({ req: Type.Object({ url: Type.String() }) });

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(jsonOf(Line, line)) });
  return { logger, lines };
}

describe('request loggers', () => {
  test('at warn, info and below write nothing; warn and above write the child’s line', () => {
    const { logger, lines } = capture('warn');
    // The real logger, counting the children made from it: the point is not to make one per request.
    let children = 0;
    const parent = Object.create(logger) as typeof logger;
    Object.assign(parent, {
      child: (...args: Parameters<typeof logger.child>) => (children++, logger.child(...args)),
    });
    const log = requestLogger(parent, { reqId: 'req-7' }, {});
    assert.equal(log.level, 'warn');
    log.info('incoming request');
    log.debug({ detail: 1 }, 'detail');
    assert.equal(lines.length, 0);
    assert.equal(children, 0);
    const { token } = generateToken('Leaky integration');
    log.error({ secret: 'hunter2', user: { password: 'pw' } }, `request failed for ${token}`);
    log.child({ part: 'mail' }).warn('slow');
    assert.equal(lines.length, 2);
    assert.equal(children, 1);
    const [failed, slow] = lines;
    assert.equal(failed?.reqId, 'req-7');
    assert.equal(failed?.secret, '[REDACTED]');
    assert.deepEqual(failed?.user, { password: '[REDACTED]' });
    assert.equal(failed?.msg, 'request failed for sk-[REDACTED]');
    assert.equal(slow?.reqId, 'req-7');
    assert.equal(slow?.part, 'mail');
  });

  test('options such as a route’s own level make a real child at once', () => {
    const { logger, lines } = capture('warn');
    const log = requestLogger(logger, { reqId: 'req-8' }, { level: 'debug' });
    log.debug('now on');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.reqId, 'req-8');
  });
});

describe('request lines through the app, at info', () => {
  const { logger, lines } = capture('info');
  let env: Env;
  before(async () => {
    env = await createEnv('pglite', {}, { logger });
  });
  after(() => env.close());

  test('each request logs its incoming and completed lines under one reqId', async () => {
    const t = await env.tenant();
    lines.length = 0;
    const res = await t.request({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200, said(res));
    const incoming = lines.find((l) => l.msg === 'incoming request');
    const completed = lines.find((l) => l.msg === 'request completed');
    assert.ok(incoming && completed, JSON.stringify(lines));
    assert.equal(typeof incoming.reqId, 'string');
    assert.equal(completed.reqId, incoming.reqId);
    assert.deepEqual(completed.res, { statusCode: 200 });
  });
});

describe('%-encoded tokens outside token= (issue 14)', () => {
  const { logger, lines } = capture('info');
  let env: Env;
  before(async () => {
    env = await createEnv('pglite', {}, { logger });
  });
  after(() => env.close());

  /** Every escape of `text`'s characters, one at a time and all at once: what a client might send. */
  const encodings = (text: string) => {
    const all = [...text].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
    return [
      text.replace('-', '%2D'),
      text.replace(/b/, '%62'),
      text.slice(0, 10) + all.slice(10, 20).join('') + text.slice(20),
      all.join(''),
      text.replace('-', '%252D'),
    ];
  };

  test('a token in another query parameter or the path, escaped, is masked in the request lines', async () => {
    const t = await env.tenant();
    const { token } = generateToken('hubspot');
    const secret = token.replace(/^sk-hubspot-/, 'sk-hubspot-b');
    lines.length = 0;
    for (const encoded of encodings(secret)) {
      await t.request({ method: 'GET', url: `/apis/v1/nothing?x=${encoded}` });
      await t.request({ method: 'GET', url: `/apis/v1/files/${encoded}/download` });
    }
    assert.ok(lines.length >= 20, `${lines.length} lines`);
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    const tail = secret.slice(-30);
    for (const encoded of encodings(secret))
      assert.ok(!text.includes(encoded), `the log holds ${encoded.slice(0, 16)}…:\n${text.slice(0, 1500)}`);
    assert.ok(!text.includes(tail), `the log holds the secret decoded:\n${text.slice(0, 1500)}`);
    const incoming = lines.filter((l) => l.msg === 'incoming request').map((l) => parsed(Request, l).req.url);
    assert.ok(
      incoming.every((url) => url.includes('sk-[REDACTED]')),
      `each URL says where the token was: ${incoming.join('\n')}`,
    );
    // Escapes that hide nothing are logged as sent; a %22 is never decoded into the JSON line.
    lines.length = 0;
    await t.request({ method: 'GET', url: '/apis/v1/nothing?q=caf%C3%A9%20au%22lait%22' });
    const plain = lines.find((l) => l.msg === 'incoming request');
    assert.equal(parsed(Request, plain).req.url, '/apis/v1/nothing?q=caf%C3%A9%20au%22lait%22');
  });
});

describe('the sign-in callback’s code and state', () => {
  test('are redacted on the callback only; a list filter named state is kept', () => {
    assert.equal(
      redactUrl('/apis/v1/session/oidc/callback?code=abc123&state=xyz&iss=https%3A%2F%2Fidp'),
      '/apis/v1/session/oidc/callback?code=[REDACTED]&state=[REDACTED]&iss=https%3A%2F%2Fidp',
    );
    assert.equal(
      redactUrl('/apis/v1/api-tokens?state=active&token=t'),
      '/apis/v1/api-tokens?state=active&token=[REDACTED]',
    );
  });
});
