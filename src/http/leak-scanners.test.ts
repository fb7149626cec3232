// The scanners' channels (SPEC section 9): GitHub's secret scanning partner format, signed with a key
// pair this test makes and publishes in a keys file as GitHub does, and GitLab's token revocation API
// with its shared token. A report that does not prove its origin changes nothing at all.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { errorOf } from '../test-support/answers.js';
import { createEnv, databaseKinds, type Env, said, type Tenant } from '../test-support/harness.js';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import { formatToken, hashToken } from '../tokens/token.js';

const GITLAB_TOKEN = `gl-${randomBytes(16).toString('hex')}`;
const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const github = keyPair();
const stranger = keyPair();
const KEY_ID = 'f'.repeat(64);

const signed = (raw: string, key = github.privateKey) =>
  sign('sha256', Buffer.from(raw), { key, dsaEncoding: 'der' }).toString('base64');

for (const kind of databaseKinds()) {
  describe(`leak reports from scanners (${kind})`, () => {
    let env: Env;
    let unset: Env;
    let sink: SmtpSink;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tokend-keys-'));
      const keysFile = join(dir, 'secret_scanning.json');
      const pem = github.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      writeFileSync(
        keysFile,
        JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: pem, is_current: true }] }),
      );
      sink = await startSmtpSink();
      env = await createEnv(kind, {
        smtpUrl: sink.url,
        authFailureLimit: 10_000,
        githubScanningKeys: keysFile,
        gitlabRevocationToken: GITLAB_TOKEN,
      });
      unset = await createEnv(kind);
    });
    after(async () => {
      await env.close();
      await unset.close();
      await sink.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const fromGithub = (raw: string, headers: Record<string, string>, on = env) =>
      on.app.inject({
        method: 'POST',
        url: '/apis/v1/leaks/github',
        headers: { 'content-type': 'application/json', ...headers },
        payload: raw,
      });
    const use = async (t: Tenant, secret: string) => {
      const res = await t.request({ method: 'GET', url: '/apis/v1/token', headers: { FF_AUTH: secret } });
      return res.statusCode === 200 ? 'ok' : errorOf(res);
    };
    const leakedEvents = async (t: Tenant, id: string) => {
      const res = await (
        await t.adminAgent()
      ).request({ method: 'GET', url: `/apis/v1/api-tokens/${id}/events` });
      const { items } = res.json<{ items: { type: string; details: Record<string, unknown> }[] }>();
      return items.filter((e) => e.type === 'token.leaked');
    };

    test('GitHub: a verified report is acted on and answered with a label per token', async () => {
      const t = await env.tenant();
      const { token, secret } = await (await t.adminAgent()).createToken({ name: 'Scanned' });
      const unknown = formatToken(randomBytes(32), '');
      const url = 'https://github.com/acme/app/blob/abc/config.yml';
      const raw = JSON.stringify([
        { token: secret, type: 'tokend_api_token', url, source: 'content' },
        { token: unknown, type: 'tokend_api_token', url, source: 'commit' },
        { token: 'sk-proj-something-else', type: 'tokend_api_token', url, source: 'commit' },
      ]);
      const res = await fromGithub(raw, {
        'Github-Public-Key-Identifier': KEY_ID,
        'Github-Public-Key-Signature': signed(raw),
      });
      assert.equal(res.statusCode, 200, said(res));
      assert.deepEqual(res.json(), [
        { token_hash: hashToken(secret), token_type: 'tokend_api_token', label: 'true_positive' },
        { token_hash: hashToken(unknown), token_type: 'tokend_api_token', label: 'false_positive' },
        {
          token_hash: hashToken('sk-proj-something-else'),
          token_type: 'tokend_api_token',
          label: 'false_positive',
        },
      ]);
      assert.equal(await use(t, secret), 'token_suspended');
      const [leaked] = await leakedEvents(t, token.id);
      assert.deepEqual(leaked?.details, { channel: 'github', secret: 'current', url, source: 'content' });
      const mails = sink.messages.filter((m) => m.headers.get('x-tokend-token-id') === token.id);
      assert.equal(mails.length, 1);
      assert.ok(mails[0]?.decoded.includes('GitHub secret scanning'));
      // Reported again: still a genuine token (suspended, not revoked), and nothing more happens.
      const again = await fromGithub(raw, {
        'Github-Public-Key-Identifier': KEY_ID,
        'Github-Public-Key-Signature': signed(raw),
      });
      assert.equal(again.json<{ label: string }[]>()[0]?.label, 'true_positive');
      assert.equal((await leakedEvents(t, token.id)).length, 1);
    });

    test('GitHub: a tampered body, an unknown key, a stranger’s key or no signature: 401 and nothing changes', async () => {
      const t = await env.tenant();
      const { token, secret } = await (await t.adminAgent()).createToken({ name: 'Untouched' });
      const raw = JSON.stringify([{ token: secret, type: 'tokend_api_token', url: 'u', source: 'content' }]);
      const tampered = raw.replace('"content"', '"commit"');
      const attempts: [string, Record<string, string>][] = [
        [tampered, { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': signed(raw) }],
        [raw, { 'Github-Public-Key-Identifier': 'e'.repeat(64), 'Github-Public-Key-Signature': signed(raw) }],
        [
          raw,
          {
            'Github-Public-Key-Identifier': KEY_ID,
            'Github-Public-Key-Signature': signed(raw, stranger.privateKey),
          },
        ],
        [raw, { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': 'bm90IGEgc2ln' }],
        [raw, { 'Github-Public-Key-Identifier': KEY_ID }],
        [raw, {}],
      ];
      for (const [body, headers] of attempts) {
        const res = await fromGithub(body, headers);
        assert.equal(res.statusCode, 401, said(res));
        assert.equal(errorOf(res), 'invalid_signature');
      }
      assert.equal(await use(t, secret), 'ok');
      assert.equal((await leakedEvents(t, token.id)).length, 0);
      // Signed but not GitHub's shape: checked only after the signature, then refused.
      const odd = JSON.stringify({ token: secret });
      const shape = await fromGithub(odd, {
        'Github-Public-Key-Identifier': KEY_ID,
        'Github-Public-Key-Signature': signed(odd),
      });
      assert.equal(shape.statusCode, 400, said(shape));
      assert.equal(await use(t, secret), 'ok');
    });

    test('GitLab: the token types and revoke_tokens with the revocation token; 401 without it', async () => {
      const t = await env.tenant();
      const { token, secret } = await (await t.adminAgent()).createToken({ name: 'In a merge request' });
      const types = (authorization?: string) =>
        env.app.inject({
          method: 'GET',
          url: '/apis/v1/leaks/gitlab/v1/revocable_token_types',
          headers: authorization ? { authorization } : {},
        });
      const revoke = (authorization?: string) =>
        env.app.inject({
          method: 'POST',
          url: '/apis/v1/leaks/gitlab/v1/revoke_tokens',
          headers: authorization ? { authorization } : {},
          payload: [
            { type: 'tokend_api_token', token: secret, location: 'https://gitlab.example/a/b/-/blob/x' },
          ],
        });
      const listed = await types(GITLAB_TOKEN);
      assert.equal(listed.statusCode, 200, said(listed));
      assert.deepEqual(listed.json(), { types: ['tokend_api_token'] });
      for (const wrong of [undefined, `${GITLAB_TOKEN}x`, GITLAB_TOKEN.slice(1), `Bearer ${GITLAB_TOKEN}`]) {
        for (const res of [await types(wrong), await revoke(wrong)]) {
          assert.equal(res.statusCode, 401, said(res));
          assert.equal(errorOf(res), 'invalid_signature');
        }
      }
      assert.equal(await use(t, secret), 'ok', 'refused reports change nothing');
      const done = await revoke(GITLAB_TOKEN);
      assert.equal(done.statusCode, 204, said(done));
      assert.equal(done.body, '');
      assert.equal(await use(t, secret), 'token_suspended');
      const [leaked] = await leakedEvents(t, token.id);
      assert.deepEqual(leaked?.details, {
        channel: 'gitlab',
        secret: 'current',
        url: 'https://gitlab.example/a/b/-/blob/x',
        source: 'gitlab secret detection',
      });
    });

    test('while their settings are unset, the GitHub and GitLab routes answer 404', async () => {
      const raw = '[]';
      const answers = [
        await fromGithub(
          raw,
          { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': signed(raw) },
          unset,
        ),
        await unset.app.inject({
          method: 'GET',
          url: '/apis/v1/leaks/gitlab/v1/revocable_token_types',
          headers: { authorization: GITLAB_TOKEN },
        }),
        await unset.app.inject({
          method: 'POST',
          url: '/apis/v1/leaks/gitlab/v1/revoke_tokens',
          headers: { authorization: GITLAB_TOKEN },
          payload: [],
        }),
      ];
      for (const res of answers) {
        assert.equal(res.statusCode, 404, said(res));
        assert.equal(errorOf(res), 'not_found');
      }
    });
  });
}
