// The catalogue's rules (SPEC section 8), pure: what a permission key and description may be, and
// which list of keys a token may be granted, decided from the catalogue's entries for those keys.
// Every answer is a result value naming the field at fault; nothing here throws or reads the database.
import { fail, ok, type Result } from '../errors.js';
import { textAllowed } from '../text-rules.js';

/** A catalogue entry as every face shows it. */
export interface Permission {
  key: string;
  description: string;
  deprecated: boolean;
  builtIn: boolean;
}

export const FILES_DOWNLOAD = 'core.core.files_download';
export const SELF_ROTATE = 'tokens.self_rotate';
/** What a token created without a choice holds (seed 001's default). */
export const DEFAULT_PERMISSIONS: readonly string[] = [FILES_DOWNLOAD];
export const MAX_PERMISSIONS = 50;

const KEY = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,4}$/;
const KEY_MAX = 100;
const DESCRIPTION_MAX = 200;
// Staff features live under this prefix: a token permission there would read as a staff right, and
// tokens never reach staff routes whatever they hold. `core.institutions` itself is refused with it.
const RESERVED = 'core.institutions';

/** Keys compare by their bytes (all ASCII), as PostgreSQL's `COLLATE "C"` orders them. */
export const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function checkKey(key: string): Result<string> {
  if (key.length > KEY_MAX) return fail('invalid_request', `a key has at most ${KEY_MAX} characters`, 'key');
  if (!KEY.test(key))
    return fail(
      'invalid_request',
      `"${printable(key)}" is not a key: 2 to 5 dot-separated segments of a-z, 0-9 and _, each starting with a letter`,
      'key',
    );
  if (key === RESERVED || key.startsWith(`${RESERVED}.`))
    return fail('invalid_request', `keys under ${RESERVED}. are reserved for staff features`, 'key');
  return ok(key);
}

/** A description is one line of 1 to 200 characters (code points, as the API's schemas count them). */
export function checkDescription(description: string): Result<string> {
  const trimmed = description.trim();
  const length = [...trimmed].length;
  if (length === 0) return fail('invalid_request', 'a description is required', 'description');
  if (length > DESCRIPTION_MAX)
    return fail('invalid_request', `a description has at most ${DESCRIPTION_MAX} characters`, 'description');
  if (!textAllowed(trimmed, 'line'))
    return fail('invalid_request', 'a description is one line without control characters', 'description');
  return ok(trimmed);
}

/**
 * The permissions a token may be given: 1 to 50 distinct catalogue keys, none deprecated unless the
 * token already holds it (retiring a permission never takes it from a token). `catalogue` holds at
 * least the entries for `keys`; an absent key is unknown. Answers the keys in key order.
 */
export function grantable(
  keys: readonly string[],
  catalogue: ReadonlyMap<string, Pick<Permission, 'deprecated'>>,
  alreadyHeld: readonly string[],
): Result<string[]> {
  const field = 'permissions';
  if (keys.length === 0) return fail('invalid_request', 'give at least one permission', field);
  if (keys.length > MAX_PERMISSIONS)
    return fail('invalid_request', `a token holds at most ${MAX_PERMISSIONS} permissions`, field);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) return fail('invalid_request', `"${printable(key)}" is given twice`, field);
    seen.add(key);
    const entry = catalogue.get(key);
    if (!entry) return fail('invalid_request', `"${printable(key)}" is not in the catalogue`, field);
    if (entry.deprecated && !alreadyHeld.includes(key))
      return fail('invalid_request', `"${key}" is deprecated and cannot be granted anew`, field);
  }
  return ok([...keys].sort(byKey));
}

// An unknown key is echoed in the message: cut and stripped of control characters, it cannot rewrite a
// terminal or a log line, nor make the message long.
const printable = (value: string) =>
  [...value]
    .slice(0, KEY_MAX)
    .map((c) => (textAllowed(c, 'name') ? c : '?'))
    .join('');
