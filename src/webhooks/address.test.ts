// The webhook URL rules and signatures, without a database: which addresses are refused (IPv4, IPv6,
// IPv4-mapped), what the allow-list lets through, that a delivery connects to the address that was
// checked whatever the name would resolve to now, and that standardwebhooks verifies our signatures.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startReceiver } from '../test-support/webhook-receiver.js';
import { checkTarget, isRefusedAddress } from './address.js';
import { post } from './send.js';
import { newSecret, signatureHeader } from './signing.js';

describe('webhook addresses', () => {
  test('loopback, private, link-local and unique-local addresses are refused; public ones are not', () => {
    for (const a of [
      '127.0.0.1',
      '127.8.9.10',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.1.2.3',
      '::FFFF:192.168.0.1',
      '::ffff:7f00:1',
      '::ffff:a01:203',
      'not-an-address',
    ])
      assert.equal(isRefusedAddress(a), true, a);
    for (const a of [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '::ffff:808:808',
    ])
      assert.equal(isRefusedAddress(a), false, a);
  });

  test('https only, unless the exact hostname is allowed (port ignored); then http and any address', async () => {
    const refused = async (url: string, allowed: string[] = []) => {
      const c = await checkTarget(url, allowed);
      return c.ok ? null : c.reason;
    };
    assert.match((await refused('http://93.184.216.34/x')) ?? '', /https/);
    assert.equal(await refused('https://93.184.216.34/x'), null);
    assert.match((await refused('https://127.0.0.1:8443/x')) ?? '', /loopback/);
    assert.equal(await refused('http://127.0.0.1:8443/x', ['127.0.0.1']), null);
    assert.match((await refused('http://127.0.0.1/x', ['127.0.0.2'])) ?? '', /https/);
    assert.match((await refused('https://127.0.0.1.nip.example/x', ['127.0.0.1'])) ?? '', /resolve/);
    assert.match((await refused('https://localhost/x')) ?? '', /loopback/);
    assert.match((await refused('https://[::ffff:7f00:1]/x')) ?? '', /loopback/);
    assert.match((await refused('ftp://93.184.216.34/x')) ?? '', /https/);
    assert.match((await refused('https://user:pw@93.184.216.34/x')) ?? '', /credentials/);
    assert.match((await refused(`https://a.example/${'x'.repeat(2000)}`)) ?? '', /2000/);
  });

  test('a delivery connects to the checked address, not to what the name resolves to', async () => {
    const receiver = await startReceiver();
    try {
      // The name never resolves here: only the checked address can have carried the request.
      const url = new URL(`http://rebind.invalid:${receiver.port}/hook`);
      const result = await post({ url, address: '127.0.0.1', family: 4 }, { 'x-probe': '1' }, '{}', 2000);
      assert.equal(result.status, 200, result.error ?? '');
      assert.equal(receiver.received[0]?.headers.host, `rebind.invalid:${receiver.port}`);
      receiver.answer = () => 302;
      const redirect = await post({ url, address: '127.0.0.1', family: 4 }, {}, '{}', 2000);
      assert.equal(redirect.status, 302, 'a redirect is an answer, not followed');
      assert.equal(receiver.received.length, 2);
    } finally {
      await receiver.stop();
    }
  });

  test('a receiver that does not answer in time is an error, not a wait', async () => {
    const receiver = await startReceiver();
    receiver.hang = true;
    try {
      const url = new URL(receiver.url);
      const started = performance.now();
      const result = await post({ url, address: '127.0.0.1', family: 4 }, {}, '{}', 300);
      assert.equal(result.status, null);
      assert.match(result.error ?? '', /300 ms/);
      assert.ok(performance.now() - started < 5000);
    } finally {
      await receiver.stop();
    }
  });

  test('attempts under one stop signal leave no listener on it; aborting it ends an attempt in flight', async () => {
    const receiver = await startReceiver();
    const stop = new AbortController();
    try {
      const target = { url: new URL(receiver.url), address: '127.0.0.1', family: 4 as const };
      for (let i = 0; i < 12; i++) {
        const result = await post(target, {}, '{}', 2000, stop.signal);
        assert.equal(result.status, 200, result.error ?? '');
      }
      assert.equal(getEventListeners(stop.signal, 'abort').length, 0, 'every attempt took its listener away');
      receiver.hang = true;
      const inFlight = post(target, {}, '{}', 30_000, stop.signal);
      stop.abort();
      const cut = await inFlight;
      assert.equal(cut.status, null);
      assert.equal(cut.error, 'tokend stopped during the attempt');
    } finally {
      await receiver.stop();
    }
  });
});

describe('webhook signatures', () => {
  test('whsec_ secrets sign as Standard Webhooks; each of two signatures verifies', () => {
    const [a, b] = [newSecret(), newSecret()];
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const id = 'f7a1c2d3-0000-4000-8000-000000000001';
    const body = JSON.stringify({ type: 'token.suspended' });
    const now = new Date();
    const timestamp = Math.floor(now.getTime() / 1000);
    const header = signatureHeader([a, b], id, timestamp, body);
    assert.equal(header.split(' ').length, 2);
    // The package's own signature of the same message is one of ours.
    assert.equal(header.split(' ')[0], new Webhook(a).sign(id, now, body));
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': header };
    for (const s of [a, b]) assert.deepEqual(new Webhook(s).verify(body, headers), JSON.parse(body));
    assert.throws(() => new Webhook(newSecret()).verify(body, headers));
  });
});
