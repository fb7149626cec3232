// The SQL of a token's edit (SPEC 8's PATCH): lock the row in an editable state, unexpired, for the
// rest of the transaction, then write the editable fields of the row so locked. A concurrent edit,
// transition or rotation waits on the lock, and whichever comes second sees what the first committed.
import type { Queryable } from '../db/db.js';
import { ROTATABLE_STATES } from './lifecycle.js';
import { onlyRow, returningToken, SELECT_TOKEN, type TokenRecord, type TokenRow, toToken } from './store.js';

/** The fields a PATCH may change, as stored (an absent description or issued-for is empty). */
export type EditableFields = Pick<
  TokenRecord,
  'name' | 'description' | 'issuedFor' | 'permissions' | 'allowedIps'
>;

/**
 * The token, locked, if it is active or suspended and unexpired at `now`; null when the guard matches
 * nothing. Only the token's row is locked (the users joined beside it are not).
 */
export async function lockEditable(
  q: Queryable,
  c: { id: string; institutionId: string; now: Date },
): Promise<TokenRecord | null> {
  const [row] = await q.query<TokenRow>(
    `${SELECT_TOKEN} WHERE t.id = $1 AND t.institution_id = $2 AND t.state = ANY($3)
       AND (t.expires_at IS NULL OR t.expires_at > $4)
     FOR UPDATE OF t`,
    [c.id, c.institutionId, ROTATABLE_STATES, c.now],
  );
  return row ? toToken(row) : null;
}

/** Writes the editable fields of a token locked by lockEditable; the row as it now stands. */
export async function writeEdit(q: Queryable, id: string, f: EditableFields): Promise<TokenRecord> {
  const rows = await q.query<TokenRow>(
    returningToken(`UPDATE api_tokens SET name = $2, description = $3, issued_for = $4, permissions = $5,
       allowed_ips = $6 WHERE id = $1 RETURNING *`),
    [id, f.name, f.description, f.issuedFor, f.permissions, f.allowedIps],
  );
  return toToken(onlyRow(rows));
}
