// `tokend institutions ...` and `tokend users ...`: tenants and their staff are the operator's.
import type { Command } from '@commander-js/extra-typings';
import { generatePassword } from '../accounts/passwords.js';
import { LEAK_RESPONSES, type LeakResponse } from '../accounts/records.js';
import type { InstitutionChange } from '../accounts/institutions.js';
import type { Institution } from '../accounts/service.js';
import { userView } from '../accounts/users.js';
import {
  CliFailure,
  collect,
  institutionFor,
  print,
  readStdin,
  unwrap,
  wholeNumber,
  withContext,
} from './context.js';

const days = wholeNumber('--max-lifetime-days');
const unusedDays = wholeNumber('--suspend-unused-after-days');
const UNUSED_HELP = 'suspend active tokens unused this many days (30-730)';
const leakResponse = (value: string): LeakResponse => {
  const policy = LEAK_RESPONSES.find((p) => p === value);
  if (!policy)
    throw new CliFailure(`--leak-response must be ${LEAK_RESPONSES.join(', ')}, not "${value}"`, 2);
  return policy;
};
const LEAK_HELP = 'what a leak report does: suspend (default), revoke or notify';

export const institutionView = (i: Institution) => ({
  id: i.id,
  slug: i.slug,
  name: i.name,
  hostnames: i.hostnames,
  notify: i.notifyEmails,
  requireExpiry: i.requireExpiry,
  maxLifetimeDays: i.maxLifetimeDays,
  requireAllowedIps: i.requireAllowedIps,
  leakResponse: i.leakResponse,
  allowQueryToken: i.allowQueryToken,
  suspendUnusedAfterDays: i.suspendUnusedAfterDays,
  // The client secret is not in the record: it is never printed.
  sso: i.sso,
  passwordLogin: i.passwordLogin,
  createdAt: i.createdAt.toISOString(),
});

const describe = (i: Institution) =>
  [
    `${i.slug}  ${i.name}`,
    `  hosts:   ${i.hostnames.join(', ') || '(any: the only institution)'}`,
    `  notify:  ${i.notifyEmails.join(', ') || '-'}`,
    `  policy:  ${i.requireExpiry ? 'expiry required' : 'expiry optional'}${i.maxLifetimeDays ? `, at most ${i.maxLifetimeDays} days` : ''}, allowed addresses ${i.requireAllowedIps ? 'required' : 'optional'}`,
    `  leaks:   ${i.leakResponse}`,
    `  tokens:  ${i.allowQueryToken ? '?token= allowed' : '?token= refused'}, ${i.suspendUnusedAfterDays ? `suspended after ${i.suspendUnusedAfterDays} days unused` : 'never suspended for disuse'}`,
    `  sso:     ${i.sso ? `${i.sso.issuer} (client ${i.sso.clientId}; ${i.sso.groupsClaim}: admin ${i.sso.adminGroup}${i.sso.staffGroup ? `, staff ${i.sso.staffGroup}` : ''})` : '-'}`,
    `  login:   ${i.passwordLogin ? 'password open' : 'password only for break-glass administrators'}`,
  ].join('\n');

const OIDC_FLAGS = ['oidcIssuer', 'oidcClientId', 'oidcClientSecretStdin', 'oidcAdminGroup'] as const;
const OIDC_NAMES = '--oidc-issuer, --oidc-client-id, --oidc-client-secret-stdin and --oidc-admin-group';

/** The SSO change of `institutions update`'s flags: set whole, removed (`--no-oidc`), or left. */
async function ssoChange(o: {
  oidc?: boolean;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcClientSecretStdin?: true;
  oidcGroupsClaim?: string;
  oidcAdminGroup?: string;
  oidcStaffGroup?: string;
}): Promise<InstitutionChange['sso']> {
  const given = OIDC_FLAGS.filter((f) => o[f] !== undefined);
  const extra = o.oidcGroupsClaim !== undefined || o.oidcStaffGroup !== undefined;
  if (o.oidc === false) {
    if (given.length > 0 || extra) throw new CliFailure('--no-oidc takes no other --oidc-* option', 2);
    return null;
  }
  if (given.length === 0 && !extra) return undefined;
  if (given.length < OIDC_FLAGS.length) throw new CliFailure(`setting SSO takes ${OIDC_NAMES} together`, 2);
  const clientSecret = (await readStdin()).trim();
  if (!clientSecret) throw new CliFailure('--oidc-client-secret-stdin read nothing from standard input', 2);
  return {
    issuer: o.oidcIssuer ?? '',
    clientId: o.oidcClientId ?? '',
    clientSecret,
    groupsClaim: o.oidcGroupsClaim,
    adminGroup: o.oidcAdminGroup ?? '',
    staffGroup: o.oidcStaffGroup ?? null,
  };
}

export function registerAccountCommands(program: Command): void {
  const institutions = program.command('institutions').description('create, change and list institutions');
  institutions
    .command('create')
    .description('create an institution')
    .requiredOption('--slug <slug>', 'short name (a-z, 0-9, -)')
    .requiredOption('--name <name>', 'display name')
    .option('--host <hostname>', 'hostname it answers on (repeatable)', collect, [])
    .option('--notify <email>', 'address for expiry reminders (repeatable)', collect, [])
    .option('--require-expiry', 'tokens must have an expiry')
    .option('--max-lifetime-days <n>', 'longest token lifetime allowed', days)
    .option('--require-allowed-ips', 'tokens must have allowed addresses (a network rule)')
    .option('--leak-response <policy>', LEAK_HELP, leakResponse)
    .option('--no-allow-query-token', 'refuse tokens sent in ?token= (headers only)')
    .option('--suspend-unused-after-days <n>', UNUSED_HELP, unusedDays)
    .option('--json', 'print JSON')
    .action(async (o) =>
      withContext(async (ctx) => {
        const i = unwrap(
          await ctx.accounts.createInstitution({
            slug: o.slug,
            name: o.name,
            hosts: o.host,
            notify: o.notify,
            requireExpiry: Boolean(o.requireExpiry),
            maxLifetimeDays: o.maxLifetimeDays ?? null,
            requireAllowedIps: Boolean(o.requireAllowedIps),
            leakResponse: o.leakResponse,
            allowQueryToken: o.allowQueryToken,
            suspendUnusedAfterDays: o.suspendUnusedAfterDays ?? null,
          }),
        );
        print(o.json, institutionView(i), () => describe(i));
      }),
    );

  institutions
    .command('update <slug>')
    .description('change an institution')
    .option('--name <name>', 'new display name')
    .option('--add-host <hostname>', 'add a hostname (repeatable)', collect)
    .option('--remove-host <hostname>', 'remove a hostname (repeatable)', collect)
    .option('--add-notify <email>', 'add a reminder address (repeatable)', collect)
    .option('--remove-notify <email>', 'remove a reminder address (repeatable)', collect)
    .option('--require-expiry', 'tokens must have an expiry')
    .option('--no-require-expiry', 'tokens may have no expiry')
    .option('--max-lifetime-days <n>', 'longest token lifetime allowed', days)
    .option('--no-max-lifetime', 'remove the lifetime limit')
    .option('--require-allowed-ips', 'tokens must have allowed addresses (a network rule)')
    .option('--no-require-allowed-ips', 'tokens may be used from any address')
    .option('--leak-response <policy>', LEAK_HELP, leakResponse)
    .option('--allow-query-token', 'accept tokens sent in ?token=')
    .option('--no-allow-query-token', 'refuse tokens sent in ?token= (headers only)')
    .option('--suspend-unused-after-days <n>', UNUSED_HELP, unusedDays)
    .option('--no-suspend-unused', 'never suspend tokens for disuse')
    .option('--oidc-issuer <url>', 'SSO: the identity provider (https://)')
    .option('--oidc-client-id <id>', 'SSO: the client id registered at the provider')
    .option('--oidc-client-secret-stdin', 'SSO: read the client secret from standard input')
    .option('--oidc-groups-claim <claim>', 'SSO: the claim holding the groups (default groups)')
    .option('--oidc-admin-group <group>', 'SSO: the group whose members are administrators')
    .option('--oidc-staff-group <group>', 'SSO: the group whose members are staff (API tokens)')
    .option('--no-oidc', 'remove SSO')
    .option('--password-login', 'everyone may sign in with a password')
    .option('--no-password-login', 'password login only for break-glass administrators')
    .option('--json', 'print JSON')
    .action(async (slug, o) => {
      const sso = await ssoChange(o);
      await withContext(async (ctx) => {
        const i = unwrap(
          await ctx.accounts.updateInstitution(slug, {
            name: o.name,
            addHosts: o.addHost,
            removeHosts: o.removeHost,
            addNotify: o.addNotify,
            removeNotify: o.removeNotify,
            requireExpiry: o.requireExpiry,
            maxLifetimeDays: o.maxLifetime === false ? null : o.maxLifetimeDays,
            requireAllowedIps: o.requireAllowedIps,
            leakResponse: o.leakResponse,
            allowQueryToken: o.allowQueryToken,
            suspendUnusedAfterDays: o.suspendUnused === false ? null : o.suspendUnusedAfterDays,
            sso,
            passwordLogin: o.passwordLogin,
          }),
        );
        ctx.institutions.invalidate();
        print(o.json, institutionView(i), () => describe(i));
      });
    });

  institutions
    .command('list')
    .description('list institutions')
    .option('--json', 'print JSON')
    .action(async (o) =>
      withContext(async (ctx) => {
        const all = await ctx.accounts.listInstitutions();
        print(o.json, all.map(institutionView), () => all.map(describe).join('\n'));
      }),
    );

  const users = program.command('users').description('create staff and administrators');
  users
    .command('create')
    .description('create a user; without --password-stdin a password is generated and printed once')
    .requiredOption('--email <email>', 'login email')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--role <role>', 'admin or staff')
    .option('--feature <feature>', 'feature granted to staff (repeatable)', collect, [])
    .option('--institution <slug>', 'institution (optional while there is one)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const given = o.passwordStdin ? await readStdin() : null;
      const password = given ?? generatePassword();
      await withContext(async (ctx) => {
        const institution = await institutionFor(ctx, o.institution);
        const user = unwrap(
          await ctx.accounts.createUser({
            institutionId: institution.id,
            email: o.email,
            name: o.name,
            role: o.role,
            features: o.feature,
            password,
            // An operator's administrator is a break-glass account (SPEC 11).
            breakGlass: true,
          }),
        );
        const view = { ...userView(user), institution: { slug: institution.slug, name: institution.name } };
        print(
          o.json,
          given ? view : { ...view, password },
          () =>
            `created ${user.role} ${user.email} in ${institution.slug}${given ? '' : `\npassword (shown once): ${password}`}`,
        );
      });
    });
}
