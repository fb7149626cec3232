// The list's filters as `tokend tokens` options (SPEC 12: the CLI takes the API's filters), written once
// for every command that selects tokens by them (list, export, bulk). A boolean filter is a flag that may
// take `true` or `false` (`--never-used`, `--never-used false`); list-query.ts checks every value.
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { ListInput } from '../tokens/list-query.js';
import { collect } from './context.js';

// Generic over the command so that the options added here stay in the type of its .opts() and action.
export const listFilterOptions = <A extends unknown[], O extends OptionValues, G extends OptionValues>(
  c: Command<A, O, G>,
) =>
  c
    .option('--state <state>', 'active, suspended, revoked or expired (repeatable)', collect)
    .option('--q <text>', 'search name, description and issued for')
    .option('--issued-for <system>', 'only tokens issued for this system (case-insensitive)')
    .option('--permission <key>', 'only tokens holding this permission (repeatable: any of them)', collect)
    .option(
      '--compromised [bool]',
      'only tokens whose current secret was (or, false, was not) reported leaked',
    )
    .option('--expires-before <time>', 'only tokens expiring before this ISO-8601 time')
    // Commander reads `--no-…` as the negation of `--expiry`: no flag leaves `expiry` true, the bare
    // flag makes it false, and a value is kept as given.
    .option('--no-expiry [bool]', 'only tokens without (or, false, with) an expiry')
    .option(
      '--last-used-before <time>',
      'last used before this ISO-8601 time, or never used and created before it',
    )
    .option('--never-used [bool]', 'only tokens never (or, false, ever) used')
    .option('--created-by <userId>', 'only tokens created by this user')
    .option('--ip-restricted [bool]', 'only tokens with (or, false, without) a network rule')
    .option('--sort <field>', 'createdAt, expiresAt or lastUsedAt')
    .option('--order <order>', 'desc or asc');

interface FilterOptions {
  state?: string[] | undefined;
  q?: string | undefined;
  issuedFor?: string | undefined;
  permission?: string[] | undefined;
  compromised?: string | boolean | undefined;
  expiresBefore?: string | undefined;
  expiry?: string | boolean | undefined;
  lastUsedBefore?: string | undefined;
  neverUsed?: string | boolean | undefined;
  createdBy?: string | undefined;
  ipRestricted?: string | boolean | undefined;
  sort?: string | undefined;
  order?: string | undefined;
}

/** The parsed options as the list's input (list-query.ts checks them, as for the API). */
export function listInputFrom(o: FilterOptions): ListInput {
  return {
    states: o.state,
    q: o.q,
    issuedFor: o.issuedFor,
    permissions: o.permission,
    compromised: o.compromised,
    expiresBefore: o.expiresBefore,
    noExpiry: o.expiry === true ? undefined : o.expiry === false ? true : o.expiry,
    lastUsedBefore: o.lastUsedBefore,
    neverUsed: o.neverUsed,
    createdBy: o.createdBy,
    ipRestricted: o.ipRestricted,
    sort: o.sort,
    order: o.order,
  };
}
