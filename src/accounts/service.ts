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
import type { Institution, User } from './records.js';
import { findSession, login, logout, type Session, type SessionPolicy } from './sessions.js';
import { findUserByEmail } from './store.js';
import { createUser, type UserInput } from './users.js';

export type { Institution, User } from './records.js';
export type { Session } from './sessions.js';

export class AccountService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly policy: SessionPolicy,
  ) {}

  /** A new session for the right email and password, or null: which of the two was wrong stays unsaid. */
  login(institution: Pick<Institution, 'id' | 'passwordLogin'>, email: string, password: string) {
    return login(this.db, this.clock, institution, email, password);
  }

  logout(session: Session): Promise<void> {
    return logout(this.db, session);
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
}
