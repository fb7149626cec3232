// Standard Webhooks signatures (SPEC section 10): `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
// keyed by the bytes of the secret (`whsec_` + standard padded base64 of 32 random bytes). During a
// rotation's 24 hours the previous secret signs too: the header then holds both, space-separated.
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret, shown once. */
export function newSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

const keyOf = (secret: string) => Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');

/** One `v1,` signature of a message by one secret. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The webhook-signature header: every secret that signs now. */
export function signatureHeader(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets.map((s) => sign(s, id, timestamp, body)).join(' ');
}
