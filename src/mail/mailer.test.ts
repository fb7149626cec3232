import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type SmtpSink, startSmtpSink } from '../test-support/smtp-sink.js';
import { createMailer } from './mailer.js';

const message = {
  to: ['ann@example.test', 'ops@example.test'],
  subject: 'API token "CRM" expires within 7 days',
  text: 'plain part',
  html: '<p>html part</p>',
  messageId: '<0123456789abcdef0123456789abcdef@tokend>',
  headers: { 'X-Tokend-Notice': 'expiry_7d' },
};

describe('mailer', () => {
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
  });
  after(() => sink.stop());

  test('SMTP when TOKEND_SMTP_URL is set: both parts, the Message-ID and the From address', async () => {
    const mailer = createMailer({
      smtpUrl: sink.url,
      mailFrom: 'tokend <tokend@example.test>',
      dataDir: '/nonexistent',
    });
    try {
      await mailer.send(message);
    } finally {
      await mailer.close();
    }
    const [mail] = sink.messages;
    assert.deepEqual(mail?.to, message.to);
    assert.equal(mail?.from, 'tokend@example.test');
    assert.equal(mail?.headers.get('message-id'), message.messageId);
    assert.equal(mail?.headers.get('x-tokend-notice'), 'expiry_7d');
    assert.match(mail?.headers.get('content-type') ?? '', /multipart\/alternative/);
    assert.ok(mail?.decoded.includes('plain part') && mail.decoded.includes('<p>html part</p>'));
  });

  test('an unreachable SMTP server makes send throw', async () => {
    const down = await startSmtpSink();
    await down.stop();
    const mailer = createMailer({
      smtpUrl: down.url,
      mailFrom: 'tokend@example.test',
      dataDir: '/nonexistent',
    });
    try {
      await assert.rejects(mailer.send(message), /ECONNREFUSED|connect/i);
    } finally {
      await mailer.close();
    }
  });

  test('without SMTP each email is an .eml file in TOKEND_DATA_DIR/outbox', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tokend-outbox-'));
    const mailer = createMailer({ smtpUrl: undefined, mailFrom: 'tokend@example.test', dataDir });
    await mailer.send(message);
    await mailer.send({ ...message, messageId: '<fedcba9876543210fedcba9876543210@tokend>' });
    const files = readdirSync(join(dataDir, 'outbox'));
    assert.equal(files.length, 2);
    assert.ok(files.every((f) => f.endsWith('.eml')));
    const eml = readFileSync(join(dataDir, 'outbox', files.sort()[0] ?? ''), 'utf8');
    assert.match(eml, /^To: ann@example.test, ops@example.test$/m);
    assert.match(eml, /^Message-ID: <0123456789abcdef0123456789abcdef@tokend>$/m);
    assert.match(eml, /plain part/);
    assert.equal(mailer.describe, `outbox ${join(dataDir, 'outbox')}`);
  });
});
