// Starting tokend: first start creates one institution and one administrator, also when two instances
// start together on an empty PostgreSQL; probes, metrics and the OpenAPI document answer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from './config.js';
import { startServer } from './main.js';
import { jsonOf, parsed, tokend } from './test-support/cli.js';
import { migratedDataDir } from './test-support/harness.js';

// The parts of the answers (and of the database) these tests read.
const Ready = Type.Object({ checks: Type.Object({ database: Type.Boolean() }) });
const OpenApi = Type.Object({
  paths: Type.Record(Type.String(), Type.Unknown()),
  components: Type.Object({ securitySchemes: Type.Record(Type.String(), Type.Unknown()) }),
});
const Login = Type.Object({
  user: Type.Object({ role: Type.String(), institution: Type.Object({ slug: Type.String() }) }),
});
const Counts = Type.Object({ i: Type.Number(), u: Type.Number(), m: Type.Number() });

describe('first start on the embedded database', () => {
  test('serves probes, metrics, the OpenAPI document, and the admin can log in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokend-start-'));
    const config = loadConfig({
      TOKEND_DATA_DIR: dir,
      PORT: '0',
      TOKEND_ADMIN_PASSWORD: 'first-admin-password',
    });
    const server = await startServer(config, { logger: pino({ level: 'silent' }) });
    try {
      assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(jsonOf(Ready, await ready.text()).checks.database, true);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /tokend_http_requests_total/);
      const openapi = jsonOf(OpenApi, await (await fetch(`${server.url}/apis/v1/openapi.json`)).text());
      assert.ok(openapi.paths['/apis/v1/api-tokens']);
      assert.ok(openapi.paths['/apis/v1/files/{id}/download']);
      assert.deepEqual(Object.keys(openapi.components.securitySchemes).sort(), [
        'bearer',
        'ffAuth',
        'ffAuthHyphen',
        'session',
        'tokenQuery',
      ]);
      const docs = await fetch(`${server.url}/apis/v1/docs/`);
      assert.equal(docs.status, 200);
      const login = await fetch(`${server.url}/apis/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@localhost', password: 'first-admin-password' }),
      });
      assert.equal(login.status, 200, await login.clone().text());
      const body = jsonOf(Login, await login.text());
      assert.equal(body.user.role, 'admin');
      assert.equal(body.user.institution.slug, 'default');
      assert.match(login.headers.get('set-cookie') ?? '', /HttpOnly; SameSite=Strict/);
      assert.equal(login.headers.get('referrer-policy'), 'no-referrer');
    } finally {
      await server.stop();
    }
  });
});

describe('npm start, the README first command', () => {
  test('serves the page and the API from the build on the embedded database', async () => {
    // A migrated folder: the first start on an empty one is the test above.
    const dir = await migratedDataDir('tokend-npm-start-');
    const child = spawn('npm', ['start'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, PORT: '0', TOKEND_DATA_DIR: dir, TOKEND_ADMIN_PASSWORD: 'first-admin-password' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += chunk;
          const found = /"url":"(http:[^"]+)".*"msg":"tokend listening"/.exec(out);
          if (found?.[1]) resolve(found[1]);
        });
        child.on('exit', (code) => reject(new Error(`npm start exited with ${code}: ${out}`)));
      });
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="root">/);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-(child.pid as number), 'SIGTERM'); // npm and the server it started
        await exited;
      }
    }
  });
});

const url = process.env.TEST_DATABASE_URL;
describe(
  'two instances starting together on an empty PostgreSQL',
  {
    skip: !url && 'TEST_DATABASE_URL not set',
  },
  () => {
    test('end with one schema, one default institution and one administrator', async () => {
      assert.ok(url, 'TEST_DATABASE_URL');
      const name = `tokend_boot_${randomBytes(5).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const target = new URL(url);
      target.pathname = `/${name}`;
      try {
        const env = { DATABASE_URL: target.toString(), TOKEND_ADMIN_PASSWORD: 'first-admin-password' };
        const [a, b] = await Promise.all([tokend(['migrate'], env), tokend(['migrate'], env)]);
        assert.equal(a.code, 0, a.stderr);
        assert.equal(b.code, 0, b.stderr);
        const db = new pg.Client({ connectionString: target.toString() });
        await db.connect();
        const counts = await db.query(
          'SELECT (SELECT count(*)::int FROM institutions) AS i, (SELECT count(*)::int FROM users) AS u, (SELECT count(*)::int FROM schema_migrations) AS m',
        );
        await db.end();
        const row = parsed(Counts, counts.rows[0]);
        assert.equal(row.i, 1);
        assert.equal(row.u, 1);
        assert.ok(row.m >= 1);
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    });
  },
);
