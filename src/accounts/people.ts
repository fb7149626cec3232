// People (SPEC 11): administrators list, add, change, deactivate and reactivate the institution's users.
// Every change runs in one transaction with its audit event. The last active administrator can be
// neither deactivated nor demoted: the active administrators' rows are locked first, so two changes that
// would each leave one wait for each other and the second sees the first's result.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { type Actor, changesOf, recordInstitutionEvent } from './audit.js';
import type { Person, User } from './records.js';
import * as store from './people-store.js';
import { createUser, validProfile } from './users.js';

export interface NewPerson {
  email: string;
  name: string;
  role: string;
  features?: string[] | undefined;
}

export interface PersonChange {
  name?: string | undefined;
  role?: string | undefined;
  features?: string[] | undefined;
}

/** A generated password, shown once: 144 random bits, 24 characters. */
const newPassword = () => randomBytes(18).toString('base64url');

export const listPeople = (q: Queryable, institutionId: string) => store.listPeople(q, institutionId);

export async function addPerson(
  db: Db,
  clock: Clock,
  institutionId: string,
  input: NewPerson,
  actor: Actor,
): Promise<Result<{ user: Person; password: string }>> {
  const password = newPassword();
  return db.transaction(async (tx) => {
    const made = await createUser(tx, clock, {
      institutionId,
      email: input.email,
      name: input.name,
      role: input.role,
      features: input.features ?? [],
      password,
      featureField: 'features',
    });
    if (!made.ok) return made;
    const { id, email, role, features } = made.value;
    await recordInstitutionEvent(tx, {
      institutionId,
      type: 'user.created',
      at: clock(),
      actor,
      details: { userId: id, email, role, features },
    });
    return ok({ user: { ...made.value, signIn: 'password' as const }, password });
  });
}

/** The user of this institution behind `id`, locked, after the active administrators (lock order). */
async function lockTarget(tx: Queryable, institutionId: string, id: string) {
  const admins = await store.lockActiveAdmins(tx, institutionId);
  const user = await store.lockUser(tx, institutionId, id);
  return { admins, user };
}

const notFound = () => fail('not_found', 'no such user in this institution', 'id');
const lastAdmin = (what: string) =>
  fail('invalid_transition', `the last active administrator cannot be ${what}`, 'id');
const isLastAdmin = (admins: string[], user: User) =>
  user.role === 'admin' && user.deactivatedAt === null && admins.length <= 1 && admins.includes(user.id);

export async function updatePerson(
  db: Db,
  clock: Clock,
  institutionId: string,
  id: string,
  change: PersonChange,
  actor: Actor,
): Promise<Result<Person>> {
  return db.transaction(async (tx) => {
    const { admins, user } = await lockTarget(tx, institutionId, id);
    if (!user) return notFound();
    const valid = validProfile({
      name: change.name ?? user.name,
      role: change.role ?? user.role,
      features: change.features ?? user.features,
    });
    if (!valid.ok) return valid;
    const next = valid.value;
    if (next.role !== 'admin' && isLastAdmin(admins, user)) return lastAdmin('demoted');
    const before = { name: user.name, role: user.role, features: user.features };
    const changes = changesOf(before, next);
    if (Object.keys(changes).length > 0) {
      await store.updateUser(tx, id, next);
      await recordInstitutionEvent(tx, {
        institutionId,
        type: 'user.updated',
        at: clock(),
        actor,
        details: { userId: id, email: user.email, changes },
      });
    }
    return ok(await read(tx, institutionId, id));
  });
}

/**
 * Deactivates (`active` false) or reactivates a user. Deactivation ends their sessions (rows gone: every
 * instance refuses the cookie at once) and is refused for the last active administrator.
 */
export async function setPersonActive(
  db: Db,
  clock: Clock,
  institutionId: string,
  id: string,
  active: boolean,
  actor: Actor,
): Promise<Result<Person>> {
  return db.transaction(async (tx) => {
    const { admins, user } = await lockTarget(tx, institutionId, id);
    if (!user) return notFound();
    if ((user.deactivatedAt === null) === active)
      return fail(
        'invalid_transition',
        active ? 'the user is active' : 'the user is already deactivated',
        'id',
      );
    if (!active && isLastAdmin(admins, user)) return lastAdmin('deactivated');
    const at = clock();
    await store.setDeactivated(tx, id, active ? null : at);
    if (!active) await store.deleteSessionsOf(tx, id);
    await recordInstitutionEvent(tx, {
      institutionId,
      type: active ? 'user.reactivated' : 'user.deactivated',
      at,
      actor,
      details: { userId: id, email: user.email },
    });
    return ok(await read(tx, institutionId, id));
  });
}

async function read(tx: Queryable, institutionId: string, id: string): Promise<Person> {
  const [found] = await store.listPeople(tx, institutionId, id);
  if (!found) throw new Error(`user ${id} is missing inside the transaction that changed it`);
  return found;
}
