// The institution's audit log (SPEC 12): its filters checked (types from the one catalogue in events.ts,
// `token.*`-style prefixes, ids, ISO times), a page newest first with a cursor bound to the filters, and
// the export: every matching event, read in pages so no transaction stays open while a client reads.
import { createHash } from 'node:crypto';
import type { Institution } from '../accounts/store.js';
import type { Db } from '../db/db.js';
import { type Failure, fail, ok, type Result } from '../errors.js';
import { EVENT_TYPES } from '../events.js';
import { decodeCursor, pageOf } from '../pagination.js';
import { parseFilterTime } from '../tokens/list-query.js';
import { type AuditFilter, type AuditRecord, listAuditEvents } from './store.js';

export interface AuditInput {
  types?: string[] | undefined;
  tokenId?: string | undefined;
  actorId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export type AuditEntry = Omit<AuditRecord, 'seq' | 'at'> & { at: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EXPORT_PAGE = 500;
const entry = ({ seq: _seq, at, ...e }: AuditRecord): AuditEntry => ({ ...e, at: at.toISOString() });

export class AuditService {
  constructor(private readonly db: Db) {}

  async list(
    inst: Institution,
    input: AuditInput,
  ): Promise<Result<{ items: AuditEntry[]; nextCursor: string | null }>> {
    const filter = parseAuditInput(inst, input);
    if (!filter.ok) return filter;
    const limit = input.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return fail('invalid_request', 'limit must be 1-100', 'limit');
    const bound = fingerprint(filter.value);
    let beforeSeq: string | null = null;
    if (input.cursor !== undefined) {
      const c = decodeCursor(input.cursor, bound, 'seq');
      if (!c) return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
      beforeSeq = c.id;
    }
    const rows = await listAuditEvents(this.db, filter.value, limit + 1, beforeSeq);
    const cut = pageOf(rows, limit, bound, (e) => ({ key: e.at.toISOString(), id: e.seq }));
    return ok({ items: cut.items.map(entry), nextCursor: cut.nextCursor });
  }

  /** Every matching event, newest first; `limit` and `cursor` are ignored. */
  export(inst: Institution, input: AuditInput): Result<AsyncGenerator<AuditEntry>> {
    const filter = parseAuditInput(inst, input);
    if (!filter.ok) return filter;
    const db = this.db;
    const f = filter.value;
    async function* events() {
      let beforeSeq: string | null = null;
      for (;;) {
        const rows = await listAuditEvents(db, f, EXPORT_PAGE, beforeSeq);
        for (const row of rows) yield entry(row);
        const last = rows[rows.length - 1];
        if (!last || rows.length < EXPORT_PAGE) return;
        beforeSeq = last.seq;
      }
    }
    return ok(events());
  }
}

const fingerprint = (f: AuditFilter) =>
  `audit:${createHash('sha256').update(JSON.stringify(f)).digest('base64url').slice(0, 16)}`;

/** A type is one of the catalogue's, or a prefix `x.*` (`token.*`) that at least one of them has. */
function parseAuditInput(inst: Institution, input: AuditInput): Result<AuditFilter> {
  const types: string[] = [];
  const prefixes: string[] = [];
  for (const t of input.types ?? []) {
    if (t.endsWith('.*') && EVENT_TYPES.some((known) => known.startsWith(t.slice(0, -1))))
      prefixes.push(t.slice(0, -1));
    else if ((EVENT_TYPES as readonly string[]).includes(t)) types.push(t);
    else return fail('invalid_request', 'type must be an event type or a prefix such as token.*', 'type');
  }
  for (const field of ['tokenId', 'actorId'] as const) {
    const id = input[field];
    if (id !== undefined && !UUID.test(id)) return fail('invalid_request', `${field} must be an id`, field);
  }
  const since = time(input.since, 'since');
  if (since && 'ok' in since) return since;
  const until = time(input.until, 'until');
  if (until && 'ok' in until) return until;
  return ok({
    institutionId: inst.id,
    types: [...new Set(types)].sort(),
    prefixes: [...new Set(prefixes)].sort(),
    tokenId: input.tokenId?.toLowerCase() ?? null,
    actorId: input.actorId?.toLowerCase() ?? null,
    since,
    until,
  });
}

function time(value: string | undefined, field: string): Date | Failure | null {
  if (value === undefined) return null;
  return (
    parseFilterTime(value) ?? fail('invalid_request', `${field} must be an ISO-8601 time with a zone`, field)
  );
}
