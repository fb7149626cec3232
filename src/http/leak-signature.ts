// How the scanners' reports prove where they come from (SPEC section 9): GitHub signs the raw body with
// one of the ECDSA P-256 keys it publishes (the keys file, in the format of its
// meta/public_keys/secret_scanning answer); GitLab sends a shared revocation token. Both checks fail
// closed: a missing header, an unknown key, a malformed signature or key file are all a refusal.
import { createHash, timingSafeEqual, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';

interface PublicKey {
  key_identifier: string;
  key: string;
}

function keysOf(text: string): PublicKey[] {
  const parsed: unknown = JSON.parse(text);
  const list: unknown =
    typeof parsed === 'object' && parsed !== null ? Reflect.get(parsed, 'public_keys') : null;
  if (!Array.isArray(list)) throw new Error('the GitHub keys file holds no public_keys list');
  const keys: PublicKey[] = [];
  for (const entry of list as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const id: unknown = Reflect.get(entry, 'key_identifier');
    const key: unknown = Reflect.get(entry, 'key');
    if (typeof id === 'string' && typeof key === 'string') keys.push({ key_identifier: id, key });
  }
  return keys;
}

/**
 * Whether `signature` (base64 DER ECDSA over SHA-256) signs `body` by the listed key `keyId`. The file is
 * read on every report, so a cron job that refreshes it needs no restart (reports are rare). Any key
 * listed verifies, current or not: GitHub may sign with the one it is retiring.
 */
export async function githubSignatureValid(
  keysFile: string,
  keyId: string | undefined,
  signature: string | undefined,
  body: Buffer,
): Promise<boolean> {
  if (!keyId || !signature) return false;
  const key = keysOf(await readFile(keysFile, 'utf8')).find((k) => k.key_identifier === keyId);
  if (!key) return false;
  try {
    return verify('sha256', body, { key: key.key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    // A key that is not a public key, or a signature that is not DER: not a valid signature.
    return false;
  }
}

/** The Authorization header against the revocation token, in constant time whatever their lengths. */
export function revocationTokenMatches(given: string | undefined, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}
