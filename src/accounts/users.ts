// Users (admin or staff) and their features. `admin` holds every feature; `staff` holds those granted.
// The feature that guards tokens is TOKENS_FEATURE, for viewing and managing alike.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { EMAIL } from './institutions.js';
import { hashPassword } from './passwords.js';
import type { User } from './records.js';
import * as store from './store.js';

export const TOKENS_FEATURE = 'core.institutions.settings_api_tokens_change';
export const FEATURES = [TOKENS_FEATURE] as const;

export function hasFeature(user: Pick<User, 'role' | 'features'>, feature: string): boolean {
  return user.role === 'admin' || user.features.includes(feature);
}

/** The public view of a user: never the password hash. */
export function userView(user: User) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    features: user.role === 'admin' ? [...FEATURES] : user.features,
  };
}

export interface UserInput {
  institutionId: string;
  email: string;
  name: string;
  role: string;
  features: string[];
  password: string;
  /** The name a bad feature is reported under (default `feature`, the CLI's flag). */
  featureField?: string;
  /** The operator's own administrators (`tokend users create`): they keep password login always. */
  breakGlass?: boolean;
}

/**
 * The checked name, role and features of a user (creating or changing one), or the field at fault
 * (`featureField`: the CLI's flag is `--feature`, the API's field `features`).
 */
export function validProfile(
  input: { name: string; role: string; features: string[] },
  featureField = 'features',
): Result<Pick<User, 'name' | 'role' | 'features'>> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 200)
    return fail('invalid_request', 'name must be 1-200 chars', 'name');
  if (input.role !== 'admin' && input.role !== 'staff')
    return fail('invalid_request', 'role must be admin or staff', 'role');
  const unknown = input.features.find((f) => !(FEATURES as readonly string[]).includes(f));
  if (unknown !== undefined)
    return fail(
      'invalid_request',
      `unknown feature "${unknown}"; known: ${FEATURES.join(', ')}`,
      featureField,
    );
  return ok({ name, role: input.role, features: [...new Set(input.features)] });
}

export async function createUser(q: Queryable, clock: Clock, input: UserInput): Promise<Result<User>> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) return fail('invalid_request', 'email is not an email address', 'email');
  const profile = validProfile(input, input.featureField ?? 'feature');
  if (!profile.ok) return profile;
  if (input.password.length < 12 || input.password.length > 1024) {
    return fail('invalid_request', 'password must be 12-1024 chars', 'password');
  }
  const user: User = {
    breakGlass: input.breakGlass === true && input.role === 'admin',
    id: randomUUID(),
    institutionId: input.institutionId,
    email,
    ...profile.value,
    passwordHash: await hashPassword(input.password),
    createdAt: clock(),
    deactivatedAt: null,
    lastLoginAt: null,
  };
  if (!(await store.insertUser(q, user))) return fail('invalid_request', `user ${email} exists`, 'email');
  return ok(user);
}
