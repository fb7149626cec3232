// The institution's settings as administrators see and change them on the page (SPEC 11): name,
// notification addresses and the token policies. Hosts and single sign-on stay the operator's (CLI); the
// validation is the CLI's own (institutions.ts), and `institution.updated` is written in its transaction.
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { type Actor, changesOf, recordInstitutionEvent } from './audit.js';
import { updateInstitution } from './institutions.js';
import type { Institution, LeakResponse } from './records.js';
import * as store from './store.js';

export interface Policy {
  requireExpiry: boolean;
  maxLifetimeDays: number | null;
  requireAllowedIps: boolean;
  allowQueryToken: boolean;
  leakResponse: LeakResponse;
  suspendUnusedAfterDays: number | null;
}

/** The operator's single sign-on as the API shows it: never the client secret. */
export interface SsoView {
  issuer: string;
  clientId: string;
  adminGroup: string;
  staffGroup: string | null;
  passwordLogin: boolean;
}

export interface Settings {
  slug: string;
  name: string;
  hosts: string[];
  notificationAddresses: string[];
  policy: Policy;
  sso: SsoView | null;
}

export interface SettingsChange {
  name?: string | undefined;
  notificationAddresses?: string[] | undefined;
  policy?: Partial<Policy> | undefined;
}

const policyOf = (i: Institution): Policy => ({
  requireExpiry: i.requireExpiry,
  maxLifetimeDays: i.maxLifetimeDays,
  requireAllowedIps: i.requireAllowedIps,
  allowQueryToken: i.allowQueryToken,
  leakResponse: i.leakResponse,
  suspendUnusedAfterDays: i.suspendUnusedAfterDays,
});

/** What an institution.updated event compares: the settings a PATCH may change, flat. */
const editable = (i: Institution) => ({
  name: i.name,
  notificationAddresses: i.notifyEmails,
  ...policyOf(i),
});

const ssoOf = (i: Institution): SsoView | null =>
  i.sso && {
    issuer: i.sso.issuer,
    clientId: i.sso.clientId,
    adminGroup: i.sso.adminGroup,
    staffGroup: i.sso.staffGroup,
    passwordLogin: i.passwordLogin,
  };

function view(i: Institution): Settings {
  return {
    slug: i.slug,
    name: i.name,
    hosts: i.hostnames,
    notificationAddresses: i.notifyEmails,
    policy: policyOf(i),
    sso: ssoOf(i),
  };
}

export async function getSettings(q: Queryable, institutionId: string): Promise<Result<Settings>> {
  const found = await store.findInstitutionById(q, institutionId);
  return found ? ok(view(found)) : fail('unknown_institution', 'no such institution');
}

/** Merges the change into the settings; an event names the fields that changed (none: no event). */
export async function changeSettings(
  db: Db,
  clock: Clock,
  slug: string,
  change: SettingsChange,
  actor: Actor,
): Promise<Result<Settings>> {
  const p = change.policy ?? {};
  const result = await updateInstitution(
    db,
    slug,
    {
      name: change.name,
      notify: change.notificationAddresses,
      requireExpiry: p.requireExpiry,
      maxLifetimeDays: p.maxLifetimeDays,
      requireAllowedIps: p.requireAllowedIps,
      leakResponse: p.leakResponse,
      allowQueryToken: p.allowQueryToken,
      suspendUnusedAfterDays: p.suspendUnusedAfterDays,
    },
    async (tx, before, after) => {
      const changes = changesOf(editable(before), editable(after));
      if (Object.keys(changes).length > 0)
        await recordInstitutionEvent(tx, {
          institutionId: after.id,
          type: 'institution.updated',
          at: clock(),
          actor,
          details: { changes },
        });
    },
  );
  if (!result.ok)
    // The CLI's names for the same things: the API's fields are the answer's.
    return result.field === 'notify' ? { ...result, field: 'notificationAddresses' } : result;
  return ok(view(result.value));
}
