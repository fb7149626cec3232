// `tokend tokens bulk suspend|reactivate|revoke`: the bulk action of SPEC 12 without HTTP, by --id (up
// to 1,000, repeatable) or by the list's filters, acting as the user of --by. The filters are passed on
// as `tokens list` takes them (`--state active --issued-for X --compromised`): every `--flag [value]`
// that is not one of this command's own becomes the filter `flag` in camelCase, repeated flags a list,
// a flag without a value `true`, so the list's parser (through the service) decides what is a filter.
// A progress bar on stderr when it is a terminal; the API's answer with --json. Exit 2 for bad input.
import type { Command } from '@commander-js/extra-typings';
import type { BulkAnswer } from '../tokens/bulk.js';
import { actingAs, CliFailure, collect, print, unwrap, withContext } from './context.js';

const ACTIONS = ['suspend', 'reactivate', 'revoke'] as const;

/** The filters among the command's unknown options: `--issued-for X` → {issuedFor: 'X'}. */
export function filterOf(args: string[]): Record<string, string | boolean | string[]> {
  const filter: Record<string, string | boolean | string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const flag = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!flag) throw new CliFailure(`unexpected argument "${arg}"`, 2);
    const key = (flag[1] as string).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    let value: string | boolean = true;
    if (flag[2] !== undefined) value = flag[2];
    else if (i + 1 < args.length && !(args[i + 1] as string).startsWith('--')) value = args[++i] as string;
    const before = filter[key];
    if (before === undefined) filter[key] = value;
    else if (typeof value === 'boolean' || typeof before === 'boolean')
      throw new CliFailure(`--${flag[1]} is given twice`, 2);
    else filter[key] = [before, value].flat();
  }
  // The list's repeatable filters are lists in the API's JSON.
  for (const key of ['state', 'permission']) {
    const v = filter[key];
    if (typeof v === 'string') filter[key] = [v];
  }
  return filter;
}

/** A bar redrawn in place, chunk by chunk: `[######------] 5000/10000`. */
function progressBar(stream: NodeJS.WriteStream) {
  let drawn = false;
  return {
    update(done: number, matched: number) {
      const width = 30;
      const full = matched === 0 ? width : Math.round((done / matched) * width);
      stream.write(`\r[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${done}/${matched}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}

const human = (a: BulkAnswer, dryRun: boolean) =>
  [
    `matched ${a.matched}, ${dryRun ? 'changed 0 (dry run)' : `changed ${a.changed}`}, refused ${a.refused.length}${a.truncated ? ' (more not listed)' : ''}`,
    ...a.refused.map((r) => `  ${r.id}  ${r.error}`),
  ].join('\n');

export function registerTokenBulk(tokens: Command): void {
  tokens
    .command('bulk')
    .description('suspend, reactivate or revoke many tokens: by --id, or by the filters of `tokens list`')
    .argument('<action>', 'suspend, reactivate or revoke')
    .option('--id <id>', 'a token id (repeatable, up to 1,000); instead of filters', collect)
    .option('--reason <text>', 'why (kept in each token’s audit history)')
    .requiredOption('--by <email>', 'the user making the change')
    .option('--dry-run', 'change nothing; print what matched and would be refused')
    .option('--institution <slug>', 'institution (optional while there is one)')
    .option('--json', 'print the API JSON')
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      'after',
      '\nFilters: those of `tokens list`, e.g. --state active --issued-for "Laptop 42" --compromised',
    )
    .action(async (action, o, command) => {
      if (!(ACTIONS as readonly string[]).includes(action))
        throw new CliFailure('the action must be suspend, reactivate or revoke', 2);
      const filter = filterOf(command.args.slice(1));
      const byIds = o.id !== undefined;
      if (byIds && Object.keys(filter).length > 0)
        throw new CliFailure('give either --id or filters, not both', 2);
      await withContext(async (ctx) => {
        const { institution, actor } = await actingAs(ctx, o);
        const bar = process.stderr.isTTY ? progressBar(process.stderr) : null;
        const answer = await ctx.tokens.bulk(
          institution,
          actor,
          {
            action,
            ...(byIds ? { ids: o.id } : { filter }),
            reason: o.reason,
            dryRun: o.dryRun === true,
          },
          bar ? (done, matched) => bar.update(done, matched) : undefined,
        );
        bar?.end();
        const value = unwrap(answer);
        print(o.json, value, () => human(value, o.dryRun === true));
      });
    });
}
