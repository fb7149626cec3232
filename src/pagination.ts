// Keyset pagination shared by every list: opaque cursors (base64url JSON of the last row's sort key
// and id) bound to the query that produced them, and the one way a page is cut from `limit + 1` rows.
// A cursor is the client's text: it is decoded and checked in full (a real time, a real uuid or bigint)
// so that a hand-made one is a 400, never a database error.
export interface CursorKey {
  key: string;
  id: string;
}

/** What a cursor's id is: a row's uuid (tokens, files) or an audit event's sequence number. */
export type CursorId = 'uuid' | 'seq';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEQ = /^\d{1,19}$/;
const BIGINT_MAX = 2n ** 63n - 1n;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z$/;

export function encodeCursor(c: CursorKey, bound: string): string {
  return Buffer.from(JSON.stringify([c.key, c.id, bound])).toString('base64url');
}

/**
 * The key a cursor holds, or null when it is malformed or was made for another query. Without `idKind`
 * the id may be either kind; callers that know theirs say so (or check it with cursorHolds).
 */
export function decodeCursor(cursor: string, bound: string, idKind?: CursorId): CursorKey | null {
  const c = readCursor(cursor);
  if (!c || c.bound !== bound) return null;
  if (idKind === undefined ? !isId(c.id, 'uuid') && !isId(c.id, 'seq') : !isId(c.id, idKind)) return null;
  return { key: c.key, id: c.id };
}

/** Whether a cursor is well-formed with an id of this kind, whatever query it was made for. */
export function cursorHolds(cursor: string, idKind: CursorId): boolean {
  const c = readCursor(cursor);
  return c !== null && isId(c.id, idKind);
}

function readCursor(cursor: string): (CursorKey & { bound: unknown }) | null {
  if (cursor.length > 300 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [key, id, bound] = parsed as unknown[];
  if (typeof key !== 'string' || typeof id !== 'string' || !isKey(key)) return null;
  return { key, id, bound };
}

// A time the database can read back: `9999-99-99T…` has the shape but no such day, nor has year 0.
function isKey(key: string): boolean {
  if (key === 'infinity' || key === '-infinity') return true;
  if (!TIME.test(key) || key.startsWith('0000')) return false;
  const at = new Date(`${key.slice(0, 19)}Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 19) === key.slice(0, 19);
}

const isId = (id: string, kind: CursorId) =>
  kind === 'uuid' ? UUID.test(id) : SEQ.test(id) && BigInt(id) <= BIGINT_MAX;

/** Rows fetched with `limit + 1`: the page, and the cursor after its last row when more follow. */
export function pageOf<T>(
  rows: T[],
  limit: number,
  bound: string,
  keyOf: (row: T, index: number) => CursorKey,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const more = rows.length > limit && last !== undefined;
  return { items, nextCursor: more ? encodeCursor(keyOf(last, items.length - 1), bound) : null };
}
