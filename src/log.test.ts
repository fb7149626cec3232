// Request loggers: Fastify asks for one per request, and tokend makes the pino child only when the request
// logs at an enabled level. The lines must be what a pino child would write: the reqId, the redaction,
// the masking of token-shaped text, and nothing at all for levels that are off.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger, requestLogger } from './log.js';
import { createEnv, type Env, said } from './test-support/harness.js';
import { generateToken } from './tokens/token.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, { write: (line: string) => void lines.push(JSON.parse(line)) });
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
