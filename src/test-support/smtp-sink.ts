// A real SMTP server for tests (smtp-server on 127.0.0.1, any port, no auth, no TLS) that keeps every
// message it accepts. It can refuse mail (`failing`), stop, and start again on the same port, so tests
// can watch a sweep fail and then recover.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** Headers, one per name (lower case), unfolded. */
  headers: Map<string, string>;
  /** The raw text with quoted-printable soft breaks and escapes decoded: good enough for `includes`. */
  decoded: string;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** When true, every MAIL FROM is refused with a temporary error. */
  failing: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  let server: SMTPServer | null = null;
  const sink: SmtpSink = {
    port: 0,
    url: '',
    messages: [],
    failing: false,
    async start() {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        disableReverseLookup: true,
        closeTimeout: 50,
        onMailFrom(_address, _session, callback) {
          if (!sink.failing) return callback();
          const error = Object.assign(new Error('mailbox unavailable, try later'), { responseCode: 451 });
          callback(error);
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            const to = session.envelope.rcptTo.map((r) => r.address);
            sink.messages.push({ from, to, raw, headers: parseHeaders(raw), decoded: decodeQp(raw) });
            callback();
          });
        },
      });
      const s = server;
      await new Promise<void>((resolve) => s.listen(sink.port, '127.0.0.1', () => resolve()));
      sink.port = (s.server.address() as AddressInfo).port;
      sink.url = `smtp://127.0.0.1:${sink.port}`;
    },
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await sink.start();
  return sink;
}

function parseHeaders(raw: string): Map<string, string> {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const map = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) map.set(line.slice(0, at).toLowerCase(), decodeWords(line.slice(at + 1).trim()));
  }
  return map;
}

function decodeQp(raw: string): string {
  return raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** RFC 2047 encoded words (nodemailer encodes a subject with quotes or non-ASCII). */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}
