// Keyset pagination shared by every list: opaque cursors (base64url JSON of the last row's sort key
// and id) bound to the query that produced them, and the one way a page is cut from `limit + 1` rows.
export interface CursorKey {
  key: string;
  id: string;
}

export function encodeCursor(c: CursorKey, bound: string): string {
  return Buffer.from(JSON.stringify([c.key, c.id, bound])).toString('base64url');
}

/** The key a cursor holds, or null when it is malformed or was made for another query. */
export function decodeCursor(cursor: string, bound: string): CursorKey | null {
  if (cursor.length > 300 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const [key, id, b] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (b !== bound || typeof key !== 'string' || typeof id !== 'string') return null;
    if (!/^(-?infinity|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z)$/.test(key)) return null;
    if (!/^([0-9a-f-]{36}|\d{1,19})$/.test(id)) return null;
    return { key, id };
  } catch {
    return null;
  }
}

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
