// The SQL of sign-in with the institution's identity provider (SPEC 11): the sign-ins begun at the
// provider (oidc_flows, one row per browser cookie, taken once) and the client secret, read only to redeem
// a code. The institution's SSO columns are written with the institution (store.ts).
import type { Queryable } from '../db/db.js';

/** The institution's OpenID client secret: read only to redeem a code, never put in a record. */
export async function findOidcClientSecret(q: Queryable, institutionId: string): Promise<string | null> {
  const [row] = await q.query<{ oidc_client_secret: string | null }>(
    'SELECT oidc_client_secret FROM institutions WHERE id = $1',
    [institutionId],
  );
  return row?.oidc_client_secret ?? null;
}

export interface OidcFlow {
  institutionId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string | null;
  createdAt: Date;
}

/** A sign-in begun at the provider, under the SHA-256 of its browser cookie; old ones are swept here. */
export async function insertOidcFlow(
  q: Queryable,
  idHash: string,
  f: OidcFlow,
  sweepBefore: Date,
): Promise<void> {
  await q.query('DELETE FROM oidc_flows WHERE created_at < $1', [sweepBefore]);
  await q.query(
    `INSERT INTO oidc_flows (id_hash, institution_id, state, nonce, code_verifier, return_to, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [idHash, f.institutionId, f.state, f.nonce, f.codeVerifier, f.returnTo, f.createdAt],
  );
}

/** Takes a flow (deleted as it is read: a callback is answered once), or null. */
export async function takeOidcFlow(q: Queryable, idHash: string): Promise<OidcFlow | null> {
  const [row] = await q.query<{
    institution_id: string;
    state: string;
    nonce: string;
    code_verifier: string;
    return_to: string | null;
    created_at: Date;
  }>(
    `DELETE FROM oidc_flows WHERE id_hash = $1
     RETURNING institution_id, state, nonce, code_verifier, return_to, created_at`,
    [idHash],
  );
  return row
    ? {
        institutionId: row.institution_id,
        state: row.state,
        nonce: row.nonce,
        codeVerifier: row.code_verifier,
        returnTo: row.return_to,
        createdAt: row.created_at,
      }
    : null;
}
