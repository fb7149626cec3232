// Configuration: every bad value is reported at once with its variable, and the README documents
// every setting with its default.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, loadConfig, SETTINGS } from './config.js';
import { parseDuration } from './setting-parsers.js';

test('defaults load; durations parse', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.dataDir, './data');
  assert.equal(config.cacheTtlMs, 1000);
  assert.equal(config.reminderIntervalMs, 15 * 60_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.equal(parseDuration('2'), 2000);
});

test('bad values are all named in one error', () => {
  assert.throws(
    () =>
      loadConfig({
        PORT: 'eighty',
        TOKEND_CACHE_TTL: 'soon',
        TOKEND_TRUST_PROXY: 'true',
        DATABASE_URL: 'nope',
        TOKEND_TLS_CERT: '/x.pem',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      for (const name of [
        'PORT',
        'TOKEND_CACHE_TTL',
        'TOKEND_TRUST_PROXY',
        'DATABASE_URL',
        'TOKEND_TLS_KEY',
      ]) {
        assert.match(error.message, new RegExp(name));
      }
      return true;
    },
  );
  assert.deepEqual(loadConfig({ TOKEND_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1' }).trustProxy, [
    '10.0.0.1',
    '192.168.0.0/16',
    '::1',
  ]);
});

test('the README lists every setting with its default', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const s of Object.values(SETTINGS)) {
    const fallback = s.fallback === '' ? '(unset)' : `\`${s.fallback}\``;
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const row = new RegExp(`\\|\\s*${escape(`\`${s.env}\``)}\\s*\\|\\s*${escape(fallback)}\\s*\\|`);
    assert.match(readme, row, `README is missing ${s.env} with its default`);
  }
});
