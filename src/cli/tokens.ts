// `tokend tokens ...`: the management API's operations without HTTP, acting as the user named by --by.
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { Transition } from '../tokens/lifecycle.js';
import type { TokenView } from '../tokens/view.js';
import { FILES_DOWNLOAD } from '../permissions/rules.js';
import { parseDuration } from '../setting-parsers.js';
import {
  actingAs,
  CliFailure,
  collect,
  institutionFor,
  print,
  unwrap,
  wholeNumber,
  withContext,
} from './context.js';
import { registerTokenBulk } from './tokens-bulk.js';
import { listFilterOptions, listInputFrom } from './list-filters.js';

const date = (iso: string | null) => iso ?? '-';

export function describeToken(t: TokenView): string {
  return [
    `${t.display}  ${t.name}`,
    `  id:          ${t.id}`,
    `  state:       ${t.state}${t.stateReason ? ` (${t.stateReason})` : ''}${t.stateChangedAt ? ` since ${t.stateChangedAt}` : ''}`,
    `  issued for:  ${t.issuedFor || '-'}`,
    `  permissions: ${t.permissions.join(', ')}`,
    `  addresses:   ${t.allowedIps.join(', ') || 'any'}`,
    `  created:     ${t.createdAt} by ${t.createdBy?.email ?? '-'}`,
    `  expires:     ${date(t.expiresAt)}`,
    `  last used:   ${date(t.lastUsedAt)}${t.lastUsedIp ? ` from ${t.lastUsedIp} via ${t.lastUsedCarrier}` : ''}`,
  ].join('\n');
}

// Generic over the command so that the options added here stay in the type of its .opts() and action.
// 30, 90 or 365 and the institution's policy are the service's rules, as for the API (chooseExpiry).
const expiryOptions = <A extends unknown[], O extends OptionValues, G extends OptionValues>(
  c: Command<A, O, G>,
) =>
  c
    .option('--expires-in-days <n>', 'expire after 30, 90 or 365 days', wholeNumber('--expires-in-days'))
    .option('--expires-at <time>', 'expire at an ISO-8601 time (1 minute to 5 years ahead)');

const inst = <A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) =>
  c
    .option('--institution <slug>', 'institution (optional while there is one)')
    .option('--json', 'print the API JSON');

export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('create, list and change API tokens');

  expiryOptions(inst(tokens.command('create').description('create a token; prints its secret once')))
    .requiredOption('--name <name>', 'what the token is for (1-200 chars)')
    .option('--description <text>', 'longer description')
    .option('--issued-for <system>', 'the app or system that will use it')
    .option('--permission <key>', `a permission it holds (repeatable; default ${FILES_DOWNLOAD})`, collect)
    .option(
      '--allow-ip <cidr>',
      'an address or CIDR range it may be used from (repeatable; default any)',
      collect,
    )
    .requiredOption('--by <email>', 'the user creating it')
    .action(async (o) =>
      withContext(async (ctx) => {
        const { institution, actor } = await actingAs(ctx, o);
        const created = unwrap(
          await ctx.tokens.create(institution, actor, {
            name: o.name,
            description: o.description,
            issuedFor: o.issuedFor,
            expiresInDays: o.expiresInDays,
            expiresAt: o.expiresAt,
            permissions: o.permission,
            allowedIps: o.allowIp,
          }),
        );
        print(
          o.json,
          created,
          () => `${describeToken(created.token)}\n\nsecret (shown once, store it now):\n${created.secret}`,
        );
      }),
    );

  listFilterOptions(inst(tokens.command('list').description('list tokens, newest first')))
    .option('--limit <n>', '1-100', wholeNumber('--limit'))
    .option('--cursor <cursor>', 'the nextCursor of the previous page')
    .action(async (o) =>
      withContext(async (ctx) => {
        const institution = await institutionFor(ctx, o.institution);
        const { limit, cursor } = o;
        const page = unwrap(await ctx.tokens.list(institution, { ...listInputFrom(o), limit, cursor }));
        print(o.json, page, () =>
          [
            ...page.items.map((t) => `${t.id}  ${t.state.padEnd(9)}  ${t.display}  ${t.name}`),
            page.items.length === 0 ? 'no tokens' : '',
            page.nextCursor ? `more: --cursor ${page.nextCursor}` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      }),
    );

  inst(tokens.command('show <id>').description('show one token')).action(async (id, o) =>
    withContext(async (ctx) => {
      const institution = await institutionFor(ctx, o.institution);
      const token = unwrap(await ctx.tokens.get(institution, id));
      print(o.json, token, () => describeToken(token));
    }),
  );

  inst(tokens.command('update <id>').description('edit an active or suspended token'))
    .option('--name <name>', 'new name (1-200 chars)')
    .option('--description <text>', 'new description ("" clears it)')
    .option('--issued-for <system>', 'new app or system ("" clears it)')
    .option('--permission <key>', 'a permission it holds (repeatable; replaces the set)', collect)
    .option(
      '--allow-ip <cidr>',
      'an address or CIDR range it may be used from (repeatable; replaces the rule)',
      collect,
    )
    .option('--no-allow-ip', 'clear the rule: any address')
    .requiredOption('--by <email>', 'the user making the change')
    .action(async (id, o) =>
      withContext(async (ctx) => {
        const { institution, actor } = await actingAs(ctx, o);
        const token = unwrap(
          await ctx.tokens.update(institution, id, actor, {
            name: o.name,
            description: o.description,
            issuedFor: o.issuedFor,
            permissions: o.permission,
            allowedIps: o.allowIp === false ? null : o.allowIp,
          }),
        );
        print(o.json, token, () => describeToken(token));
      }),
    );

  registerTokenBulk(tokens);

  for (const t of ['suspend', 'reactivate', 'revoke'] as const satisfies readonly Transition[]) {
    inst(tokens.command(`${t} <id>`).description(`${t} a token`))
      .requiredOption('--by <email>', 'the user making the change')
      .option('--reason <text>', 'why (kept in the audit history)')
      .action(async (id, o) =>
        withContext(async (ctx) => {
          const { institution, actor } = await actingAs(ctx, o);
          const token = unwrap(await ctx.tokens.transition(institution, id, t, actor, o.reason));
          print(o.json, token, () => describeToken(token));
        }),
      );
  }

  expiryOptions(
    inst(
      tokens
        .command('rotate <id>')
        .description('give a token a new secret (printed once); same id and history'),
    ),
  )
    .option('--grace <duration>', 'how long the previous secret keeps working (0 to 7d, e.g. 1h, 2d)', '0')
    .option(
      '--expected-display <display>',
      'only if the current display form is this (guards against a concurrent rotation)',
    )
    .requiredOption('--by <email>', 'the user rotating it')
    .action(async (id, o) =>
      withContext(async (ctx) => {
        const { institution, actor } = await actingAs(ctx, o);
        const graceSeconds = graceToSeconds(o.grace);
        const rotated = unwrap(
          await ctx.tokens.rotate(institution, id, actor, {
            graceSeconds,
            expectedDisplay: o.expectedDisplay,
            expiresInDays: o.expiresInDays,
            expiresAt: o.expiresAt,
          }),
        );
        print(o.json, rotated, () => {
          const grace = rotated.token.previousSecretValidUntil;
          return `${describeToken(rotated.token)}\n\nprevious secret ${grace ? `works until ${grace}` : 'no longer works'}\nnew secret (shown once, store it now):\n${rotated.secret}`;
        });
      }),
    );

  expiryOptions(inst(tokens.command('renew <id>').description('set a new expiry without a new secret')))
    .requiredOption('--by <email>', 'the user renewing it')
    .action(async (id, o) =>
      withContext(async (ctx) => {
        const { institution, actor } = await actingAs(ctx, o);
        const token = unwrap(
          await ctx.tokens.renew(institution, id, actor, {
            expiresInDays: o.expiresInDays,
            expiresAt: o.expiresAt,
          }),
        );
        print(o.json, token, () => describeToken(token));
      }),
    );
}

function graceToSeconds(value: string): number {
  try {
    return Math.round(parseDuration(value) / 1000);
  } catch {
    throw new CliFailure(`--grace must be a duration such as 0, 1h or 2d, not "${value}"`, 2);
  }
}
