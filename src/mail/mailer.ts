// Sending email: SMTP through nodemailer when TOKEND_SMTP_URL is set, otherwise (the embedded default)
// each message is written as an .eml file under TOKEND_DATA_DIR/outbox/ and logged, so a trial install
// shows its reminders without a mail server. A failed send throws; the caller records it and retries.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Extra headers, e.g. for recipients' mail filters. */
  headers?: Record<string, string>;
}

export interface Mailer {
  /** Where mail goes, for people: the SMTP host or the outbox folder. */
  readonly describe: string;
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

const fields = (from: string, m: MailMessage) => ({
  ...m,
  from,
  // nodemailer's quoted-printable folding keeps short lines whole only when they end in CRLF.
  text: crlf(m.text),
  html: crlf(m.html),
  // Automated mail must say so: auto-responders and vacation replies then stay quiet (RFC 3834).
  headers: { 'Auto-Submitted': 'auto-generated', ...m.headers },
});

export function createMailer(
  config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir'>,
  logger?: Logger,
): Mailer {
  return config.smtpUrl
    ? smtpMailer(config.smtpUrl, config.mailFrom)
    : outboxMailer(join(config.dataDir, 'outbox'), config.mailFrom, logger);
}

export function smtpMailer(url: string, from: string): Mailer {
  // A few pooled connections (the sweep sends a few at once), reused across a sweep; short timeouts so
  // that a dead server fails a send (retried by the next sweep) instead of stalling it for minutes.
  const transport = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 4,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    describe: `SMTP ${new URL(url).host}`,
    async send(m) {
      await transport.sendMail(fields(from, m));
    },
    // The pool closes its connections by itself; nothing to wait for.
    close() {
      transport.close();
      return Promise.resolve();
    },
  };
}

export function outboxMailer(dir: string, from: string, logger?: Logger): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    describe: `outbox ${dir}`,
    async send(m) {
      const info = await transport.sendMail(fields(from, m));
      await mkdir(dir, { recursive: true });
      // Time first so a folder listing reads in order; the id part keeps same-millisecond files apart.
      const stamp = new Date().toISOString().replace(/[-:.]/g, '');
      const file = join(dir, `${stamp}-${m.messageId.slice(1, 13)}.eml`);
      await writeFile(file, info.message as Buffer);
      logger?.info({ file, to: m.to, subject: m.subject }, 'email written to the outbox');
    },
    async close() {},
  };
}
