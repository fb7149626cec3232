// The export files of SPEC 12, from the API's own answers: each record flattened to one text cell per
// field (a user as its email, a list `;`-joined, details as JSON), then written as CSV (RFC 4180: a
// header row, CRLF, quotes doubled) or as one JSON object a line. CSV cells that a spreadsheet would
// run as a formula (starting with = + - @ tab or CR) get a leading `'`; NDJSON is data, left as it is.
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

export type ExportFormat = 'csv' | 'ndjson';

/** One field as a cell: null as empty, a user as its email, a list `;`-joined, other objects as JSON. */
export function cellOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // A recent address (SPEC 12's recentIps) is its address in a list's cell.
  if (Array.isArray(value))
    return value.map((v: unknown) => (isObject(v) && typeof v.ip === 'string' ? v.ip : cellOf(v))).join(';');
  if (isObject(value) && typeof value.email === 'string') return value.email;
  return JSON.stringify(value);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const FORMULA = /^[=+\-@\t\r]/;

export function csvCell(text: string): string {
  const safe = FORMULA.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

async function* lines(
  format: ExportFormat,
  columns: readonly string[],
  records: AsyncIterable<Record<string, unknown>>,
): AsyncGenerator<string> {
  if (format === 'csv') yield `${columns.map(csvCell).join(',')}\r\n`;
  for await (const record of records) {
    const cells = columns.map((c) => cellOf(record[c]));
    yield format === 'csv'
      ? `${cells.map(csvCell).join(',')}\r\n`
      : `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, cells[i]])))}\n`;
  }
}

/** Sends the records as a streamed attachment named `<name>-<UTC date>.<format>`. */
export function sendExport(
  reply: FastifyReply,
  format: ExportFormat,
  name: string,
  now: Date,
  columns: readonly string[],
  records: AsyncIterable<Record<string, unknown>>,
): FastifyReply {
  const file = `${name}-${now.toISOString().slice(0, 10)}.${format}`;
  void reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
  void reply.header('content-disposition', `attachment; filename="${file}"`);
  void reply.header('cache-control', 'no-store');
  return reply.send(Readable.from(lines(format, columns, records)));
}

/** The document's 200 of an export: the two types, the attachment header. */
export const exportAnswer = (description: string) => ({
  description,
  headers: {
    'Content-Disposition': { type: 'string', description: '`attachment` with a file name' },
    'Cache-Control': { type: 'string', description: '`no-store`' },
  },
  content: {
    'text/csv': { schema: { type: 'string' } },
    'application/x-ndjson': { schema: { type: 'string' } },
  },
});
