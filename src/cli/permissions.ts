// `tokend permissions ...`: the operator's permission catalogue (SPEC section 8), shared by every
// institution. `add` of an existing key gives it the new description (exit 0, so a deploy script can run
// it every time); `list --json` prints `{items}` like GET /apis/v1/permissions; nothing is ever deleted.
import type { Command } from '@commander-js/extra-typings';
import { checkDescription, checkKey } from '../permissions/rules.js';
import type { Permission } from '../permissions/service.js';
import { print, unwrap, withContext } from './context.js';

const line = (p: Permission) =>
  `${p.key}  ${p.description}${p.builtIn ? '  (built in)' : ''}${p.deprecated ? '  (deprecated)' : ''}`;

export function registerPermissionCommands(program: Command): void {
  const permissions = program
    .command('permissions')
    .description('the catalogue of permissions tokens may hold');

  permissions
    .command('add')
    .description('add a permission, or give an existing one a new description')
    .argument('<key>', 'e.g. contacts.read: 2 to 5 dot-separated segments of a-z, 0-9 and _')
    .requiredOption('--description <text>', 'what it allows, one line of 1-200 characters')
    .option('--json', 'print the permission as JSON')
    .action(async (key, o) => {
      // Bad input is refused before the database is opened (the service checks the same again).
      unwrap(checkKey(key));
      unwrap(checkDescription(o.description));
      await withContext(async (ctx) => {
        const { permission, created } = unwrap(await ctx.permissions.add(key, o.description));
        print(o.json, permission, () => `${created ? 'added' : 'updated'}  ${line(permission)}`);
      });
    });

  permissions
    .command('list')
    .description('list the catalogue in key order')
    .option('--json', 'print {items} as the API does')
    .action(async (o) =>
      withContext(async (ctx) => {
        const items = await ctx.permissions.list();
        print(o.json, { items }, () => items.map(line).join('\n'));
      }),
    );

  for (const [name, deprecated] of [
    ['deprecate', true],
    ['undeprecate', false],
  ] as const) {
    permissions
      .command(name)
      .description(
        deprecated
          ? 'stop granting a permission anew (tokens that hold it keep it, and it keeps working)'
          : 'let a deprecated permission be granted again',
      )
      .argument('<key>', 'the permission')
      .option('--json', 'print the permission as JSON')
      .action(async (key, o) => {
        unwrap(checkKey(key));
        await withContext(async (ctx) => {
          const service = ctx.permissions;
          const { permission, changed } = unwrap(
            await (deprecated ? service.deprecate(key) : service.undeprecate(key)),
          );
          const already = deprecated ? 'was already deprecated' : 'was not deprecated';
          print(o.json, permission, () => `${changed ? `${name}d` : already}  ${line(permission)}`);
        });
      });
  }
}
