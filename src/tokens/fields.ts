// The rules of a token's text fields (SPEC 1 and 5), shared by create and edit: trimmed, within their
// lengths, without the characters SPEC 5 refuses. The HTTP schemas hold the same rules; the CLI reaches
// the services without them.
import { fail, ok, type Result } from '../errors.js';
import { type TextKind, textAllowed } from '../text-rules.js';

export function checkText(
  value: string | undefined,
  field: string,
  max: number,
  kind: TextKind,
  min = 0,
): Result<string> {
  const v = (value ?? '').trim();
  if (v.length < min || v.length > max)
    return fail('invalid_request', `${field} must be ${min}-${max} characters`, field);
  if (!textAllowed(v, kind))
    return fail('invalid_request', `${field} holds a character that is not allowed`, field);
  return ok(v);
}

export const checkName = (value: string) => checkText(value, 'name', 200, 'name', 1);
/** An absent or null description is stored empty (and shown as null). */
export const checkDescription = (value: string | null | undefined) =>
  checkText(value ?? undefined, 'description', 2000, 'text');
export const checkIssuedFor = (value: string | null | undefined) =>
  checkText(value ?? undefined, 'issuedFor', 200, 'line');
