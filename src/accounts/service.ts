// The one way HTTP and the CLI reach accounts: login, logout and the session behind a cookie; users;
// institutions as the operator manages them. It holds the database, the clock and the session
// lifetimes, so callers pass only what the request or the command brings.
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import type { Result } from '../errors.js';
import {
  createInstitution,
  type InstitutionChange,
  type InstitutionInput,
  listInstitutions,
  pickInstitution,
  updateInstitution,
} from './institutions.js';
import type { Actor } from './audit.js';
import {
  addPerson,
  listPeople,
  type NewPerson,
  type PersonChange,
  setPersonActive,
  updatePerson,
} from './people.js';
import type { Institution, Person, User } from './records.js';
import { changeSettings, getSettings, type Settings, type SettingsChange } from './settings.js';
import { findSession, login, logout, type Session, type SessionPolicy } from './sessions.js';
import { findUserByEmail } from './store.js';
import { createUser, type UserInput } from './users.js';

export type { Actor } from './audit.js';
export type { Institution, Person, User } from './records.js';
export type { Settings } from './settings.js';
export type { Session } from './sessions.js';

export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly policy: SessionPolicy,
  ) {}

  /** A new session for the right email and password, or null: which of the two was wrong stays unsaid. */
  login(
    institution: Pick<Institution, 'id' | 'passwordLogin'>,
    email: string,
    password: string,
    ip: string | null = null,
  ) {
    return login(this.db, this.clock, institution, email, password, ip);
  }

  logout(session: Session, ip: string | null = null): Promise<void> {
    return logout(this.db, this.clock, session, ip);
  }

  /** The live session of this institution behind a cookie value, or null. */
  async session(institutionId: string, sessionId: string): Promise<Session | null> {
    const session = await findSession(this.db, this.clock, this.policy, sessionId);
    // Another institution's session is no session here: a cookie is not a key to every tenant.
    return session && session.user.institutionId === institutionId ? session : null;
  }

  createUser(input: UserInput): Promise<Result<User>> {
    return createUser(this.db, this.clock, input);
  }

  findUser(institutionId: string, email: string): Promise<User | null> {
    return findUserByEmail(this.db, institutionId, email);
  }

  createInstitution(input: InstitutionInput): Promise<Result<Institution>> {
    return createInstitution(this.db, this.clock, input);
  }

  updateInstitution(slug: string, change: InstitutionChange): Promise<Result<Institution>> {
    return updateInstitution(this.db, slug, change);
  }

  listInstitutions(): Promise<Institution[]> {
    return listInstitutions(this.db);
  }

  /** `--institution SLUG` for the CLI: optional while there is exactly one. */
  pickInstitution(slug: string | undefined): Promise<Result<Institution>> {
    return pickInstitution(this.db, slug);
  }

  // People (SPEC 11): the HTTP face checks that the caller is an administrator.

  listPeople(institutionId: string): Promise<Person[]> {
    return listPeople(this.db, institutionId);
  }

  addPerson(institutionId: string, input: NewPerson, actor: Actor) {
    return addPerson(this.db, this.clock, institutionId, input, actor);
  }

  updatePerson(
    institutionId: string,
    id: string,
    change: PersonChange,
    actor: Actor,
  ): Promise<Result<Person>> {
    return updatePerson(this.db, this.clock, institutionId, id, change, actor);
  }

  /** Deactivates (`active` false) or reactivates a user: people.ts's setPersonActive. */
  setPersonActive(institutionId: string, id: string, active: boolean, actor: Actor): Promise<Result<Person>> {
    return setPersonActive(this.db, this.clock, institutionId, id, active, actor);
  }

  /** The institution's settings (SPEC 11): its policies and the operator's SSO, never a secret. */
  settings(institutionId: string): Promise<Result<Settings>> {
    return getSettings(this.db, institutionId);
  }

  changeSettings(slug: string, change: SettingsChange, actor: Actor): Promise<Result<Settings>> {
    return changeSettings(this.db, this.clock, slug, change, actor);
  }
}
