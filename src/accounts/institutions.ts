// Institutions (tenants): the operator's to create and change (CLI), resolved per request from the
// Host header. While one institution exists it answers on any host; a second may only be created once
// every institution has a hostname, so that no request can land on the wrong tenant.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { type Institution, LEAK_RESPONSES, type LeakResponse, type Sso } from './records.js';
import * as store from './store.js';

export interface InstitutionInput {
  slug: string;
  name: string;
  hosts: string[];
  notify: string[];
  requireExpiry: boolean;
  maxLifetimeDays: number | null;
  /** Every token must carry a network rule (SPEC 8); off unless given. */
  requireAllowedIps?: boolean | undefined;
  /** Default `suspend`. */
  leakResponse?: LeakResponse | undefined;
  /** Default true: a token may arrive in `?token=`. */
  allowQueryToken?: boolean | undefined;
  /** 30-730 days, or null (the default): no inactivity suspension. */
  suspendUnusedAfterDays?: number | null | undefined;
}

export interface InstitutionChange {
  name?: string;
  addHosts?: string[];
  removeHosts?: string[];
  addNotify?: string[];
  removeNotify?: string[];
  /** The whole list of notification addresses (the API's PATCH), instead of adding and removing. */
  notify?: string[] | undefined;
  requireExpiry?: boolean;
  maxLifetimeDays?: number | null;
  requireAllowedIps?: boolean;
  leakResponse?: LeakResponse | undefined;
  allowQueryToken?: boolean | undefined;
  /** null turns the inactivity policy off; undefined leaves it. */
  suspendUnusedAfterDays?: number | null | undefined;
  /** Sign-in with an OpenID provider (SPEC 11): set it whole, remove it (null), or leave it (undefined). */
  sso?: SsoInput | null | undefined;
  /** false: password logins only for break-glass administrators. */
  passwordLogin?: boolean | undefined;
}

export interface SsoInput {
  issuer: string;
  clientId: string;
  clientSecret: string;
  groupsClaim?: string | undefined;
  adminGroup: string;
  staffGroup?: string | null | undefined;
}

const CLAIM_TEXT = /^[\x21-\x7e]{1,200}$/;

/** The operator's client, checked: an `https://` issuer, a client id and secret, the groups. */
export function validateSso(input: SsoInput): Result<Sso & { clientSecret: string }> {
  let issuer: URL;
  try {
    issuer = new URL(input.issuer);
  } catch {
    return fail('invalid_request', 'the issuer must be an https:// URL', 'oidcIssuer');
  }
  if (issuer.protocol !== 'https:' || issuer.search || issuer.hash || issuer.username || issuer.password)
    return fail('invalid_request', 'the issuer must be an https:// URL without query', 'oidcIssuer');
  if (!CLAIM_TEXT.test(input.clientId))
    return fail('invalid_request', 'the client id must be 1-200 printable characters', 'oidcClientId');
  if (input.clientSecret.length < 1 || input.clientSecret.length > 1000)
    return fail('invalid_request', 'the client secret must be 1-1000 characters', 'oidcClientSecret');
  const groupsClaim = input.groupsClaim ?? 'groups';
  if (!CLAIM_TEXT.test(groupsClaim))
    return fail('invalid_request', 'the groups claim must be 1-200 printable characters', 'oidcGroupsClaim');
  const adminGroup = input.adminGroup.trim();
  if (adminGroup.length < 1 || adminGroup.length > 200)
    return fail('invalid_request', 'the admin group must be 1-200 characters', 'oidcAdminGroup');
  const staffGroup = input.staffGroup?.trim() || null;
  if (staffGroup !== null && staffGroup.length > 200)
    return fail('invalid_request', 'the staff group must be at most 200 characters', 'oidcStaffGroup');
  // The issuer as the operator wrote it (discovery compares it exactly), without a trailing `/` added.
  const written = input.issuer.trim();
  return ok({
    issuer: written,
    clientId: input.clientId,
    clientSecret: input.clientSecret,
    groupsClaim,
    adminGroup,
    staffGroup,
  });
}

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
export const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** Lower case, without port or trailing dot: the form hosts are stored and looked up in. */
export function normalizeHost(host: string): string {
  const h = host.trim().toLowerCase();
  // The name without its port (an IPv6 literal keeps its brackets) and one trailing dot. Runs on every
  // request when there are several institutions, so an already bare name is returned as it is.
  const colon = h.indexOf(':');
  let end = h.length;
  if (h.startsWith('[')) end = h.indexOf(']') + 1;
  else if (colon >= 0) end = colon;
  if (end > 0 && h[end - 1] === '.') end--;
  return end === h.length ? h : h.slice(0, end);
}

function validate(i: InstitutionInput): Result<InstitutionInput> {
  if (!SLUG.test(i.slug))
    return fail('invalid_request', 'slug must be lower-case letters, digits and -', 'slug');
  if (i.name.trim().length < 1 || i.name.length > 200)
    return fail('invalid_request', 'name must be 1-200 chars', 'name');
  const hosts = [...new Set(i.hosts.map(normalizeHost))];
  const badHost = hosts.find((h) => !HOST.test(h) && !/^\[[0-9a-f:.]+\]$/.test(h));
  if (badHost !== undefined) return fail('invalid_request', `"${badHost}" is not a hostname`, 'host');
  const notify = [...new Set(i.notify.map((e) => e.trim()))];
  const badEmail = notify.find((e) => !EMAIL.test(e));
  if (badEmail !== undefined)
    return fail('invalid_request', `"${badEmail}" is not an email address`, 'notify');
  const max = i.maxLifetimeDays;
  if (max !== null && !(Number.isInteger(max) && max >= 1 && max <= 1826)) {
    return fail('invalid_request', 'max lifetime must be 1-1826 days', 'maxLifetimeDays');
  }
  // The CLI passes the operator's text: checked here rather than trusted as the type says.
  if (i.leakResponse !== undefined && !(LEAK_RESPONSES as readonly string[]).includes(i.leakResponse))
    return fail(
      'invalid_request',
      `leak response must be one of ${LEAK_RESPONSES.join(', ')}`,
      'leakResponse',
    );
  const unused = i.suspendUnusedAfterDays ?? null;
  if (unused !== null && !(Number.isInteger(unused) && unused >= 30 && unused <= 730))
    return fail('invalid_request', 'unused tokens are suspended after 30-730 days', 'suspendUnusedAfterDays');
  return ok({
    ...i,
    hosts,
    notify,
    name: i.name.trim(),
    requireAllowedIps: i.requireAllowedIps ?? false,
    allowQueryToken: i.allowQueryToken ?? true,
    suspendUnusedAfterDays: unused,
  });
}

export async function createInstitution(
  db: Db,
  clock: Clock,
  input: InstitutionInput,
): Promise<Result<Institution>> {
  const valid = validate(input);
  if (!valid.ok) return valid;
  const i = valid.value;
  return db
    .transaction(async (tx) => {
      const existing = await store.listInstitutions(tx);
      if (existing.some((e) => e.slug === i.slug))
        return fail('invalid_request', `institution "${i.slug}" exists`, 'slug');
      const hostless = existing.find((e) => e.hostnames.length === 0);
      if (hostless || (existing.length > 0 && i.hosts.length === 0)) {
        const who = hostless ? `"${hostless.slug}" has` : 'the new one would have';
        return fail(
          'invalid_request',
          `every institution needs a hostname once there are two: ${who} none`,
          'host',
        );
      }
      const id = randomUUID();
      await store.insertInstitution(tx, { ...i, id, notifyEmails: i.notify, createdAt: clock() });
      const taken = await store.setHosts(tx, id, i.hosts);
      if (taken.length > 0) throw new HostTaken(taken);
      return ok(await written(tx, id));
    })
    .catch((error: unknown) => {
      if (error instanceof HostTaken) return fail('invalid_request', error.message, 'host');
      throw error;
    });
}

/** The institution this transaction has just written, read back with its hostnames. */
async function written(tx: Queryable, id: string): Promise<Institution> {
  const found = await store.findInstitutionById(tx, id);
  if (!found) throw new Error(`institution ${id} is missing inside the transaction that wrote it`);
  return found;
}

// Thrown inside a transaction to roll it back; turned into a failure value outside.
class HostTaken extends Error {
  constructor(hosts: string[]) {
    super(`hostname already used by another institution: ${hosts.join(', ')}`);
  }
}

/** Runs inside the change's transaction once it is written: its audit event (settings.ts). */
export type AfterChange = (tx: Queryable, before: Institution, after: Institution) => Promise<void>;

export async function updateInstitution(
  db: Db,
  slug: string,
  change: InstitutionChange,
  afterChange?: AfterChange,
): Promise<Result<Institution>> {
  const sso = change.sso ? validateSso(change.sso) : null;
  if (sso && !sso.ok) return sso;
  return db
    .transaction(async (tx) => {
      const current = await store.findInstitutionBySlug(tx, slug);
      if (!current) return fail('not_found', `no institution "${slug}"`, 'slug');
      const without = (list: string[], remove: string[] = [], norm = (s: string) => s) =>
        list.filter((x) => !remove.map(norm).includes(x));
      const valid = validate({
        slug,
        name: change.name ?? current.name,
        hosts: [...without(current.hostnames, change.removeHosts, normalizeHost), ...(change.addHosts ?? [])],
        notify: change.notify ?? [
          ...without(current.notifyEmails, change.removeNotify),
          ...(change.addNotify ?? []),
        ],
        requireExpiry: change.requireExpiry ?? current.requireExpiry,
        maxLifetimeDays:
          change.maxLifetimeDays === undefined ? current.maxLifetimeDays : change.maxLifetimeDays,
        requireAllowedIps: change.requireAllowedIps ?? current.requireAllowedIps,
        leakResponse: change.leakResponse ?? current.leakResponse,
        allowQueryToken: change.allowQueryToken ?? current.allowQueryToken,
        suspendUnusedAfterDays:
          change.suspendUnusedAfterDays === undefined
            ? current.suspendUnusedAfterDays
            : change.suspendUnusedAfterDays,
      });
      if (!valid.ok) return valid;
      const next = valid.value;
      const count = (await store.listInstitutions(tx)).length;
      if (count > 1 && next.hosts.length === 0) {
        return fail('invalid_request', 'an institution needs a hostname while there are several', 'host');
      }
      await store.updateInstitution(tx, current.id, {
        ...next,
        notifyEmails: next.notify,
        requireAllowedIps: next.requireAllowedIps ?? false,
        leakResponse: next.leakResponse ?? current.leakResponse,
        allowQueryToken: next.allowQueryToken ?? true,
        suspendUnusedAfterDays: next.suspendUnusedAfterDays ?? null,
      });
      if (change.sso !== undefined) await store.setInstitutionSso(tx, current.id, sso?.value ?? null);
      if (change.passwordLogin !== undefined)
        await store.setPasswordLogin(tx, current.id, change.passwordLogin);
      const taken = await store.setHosts(tx, current.id, next.hosts);
      if (taken.length > 0) throw new HostTaken(taken);
      const after = await written(tx, current.id);
      if (afterChange) await afterChange(tx, current, after);
      return ok(after);
    })
    .catch((error: unknown) => {
      if (error instanceof HostTaken) return fail('invalid_request', error.message, 'host');
      throw error;
    });
}

export const listInstitutions = (q: Queryable) => store.listInstitutions(q);

/** Resolves `--institution SLUG` for the CLI: optional while there is exactly one. */
export async function pickInstitution(q: Queryable, slug: string | undefined): Promise<Result<Institution>> {
  if (slug) {
    const found = await store.findInstitutionBySlug(q, slug);
    return found ? ok(found) : fail('not_found', `no institution "${slug}"`, 'institution');
  }
  const [only, ...others] = await store.listInstitutions(q);
  if (only && others.length === 0) return ok(only);
  return fail(
    'invalid_request',
    'several institutions exist: name one with --institution SLUG',
    'institution',
  );
}

/**
 * Host → institution, refreshed at most every `ttlMs` (institutions change rarely and only through the
 * CLI; a request must not pay a query for it). One refresh at a time serves every waiting request.
 */
export function institutionResolver(q: Queryable, ttlMs = 1000) {
  type Snapshot = { at: number; all: Institution[]; byHost: Map<string, Institution> };
  let cached: Snapshot | null = null;
  let loading: Promise<Snapshot> | null = null;
  const refresh = () => {
    loading ??= store
      .listInstitutions(q)
      .then((all) => {
        const byHost = new Map(all.flatMap((i) => i.hostnames.map((h) => [h, i] as const)));
        cached = { at: performance.now(), all, byHost };
        return cached;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  };
  const pick = ({ all, byHost }: Snapshot, host: string | undefined) =>
    all.length === 1 ? (all[0] ?? null) : (byHost.get(normalizeHost(host ?? '')) ?? null);
  // A snapshot's age is measured on the monotonic clock: it is a cache's lifetime, not business time.
  const fresh = () => (cached && performance.now() - cached.at < ttlMs ? cached : null);
  return {
    /** The answer without waiting, or undefined when the snapshot is stale (then call resolve). */
    cached(host: string | undefined): Institution | null | undefined {
      const snapshot = fresh();
      return snapshot ? pick(snapshot, host) : undefined;
    },
    async resolve(host: string | undefined): Promise<Institution | null> {
      return pick(fresh() ?? (await refresh()), host);
    },
    invalidate() {
      cached = null;
    },
  };
}

export type InstitutionResolver = ReturnType<typeof institutionResolver>;
