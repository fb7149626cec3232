// Bulk and emergency actions (SPEC 12): suspend, reactivate or revoke the tokens named by ids or by the
// list's filters, in chunks of at most CHUNK tokens, each chunk one transaction of the guarded-change
// pipeline (guarded-change.ts applyBatch): every token changed is an ordinary transition with its own
// event, whose details carry the bulk id; every instance honours it as it does a single suspension.
// The filter is the list's own: list-query.ts parses it and list-store.ts matches it, so a filter the
// list learns, the bulk action takes.
import { randomUUID } from 'node:crypto';
import type { Institution } from '../accounts/store.js';
import { fail, ok, type Result } from '../errors.js';
import {
  type Actor,
  applyBatch,
  type BatchOutcome,
  badId,
  batchRefusals,
  type TokenDeps,
} from './guarded-change.js';
import { canApply, TRANSITIONS, type Transition } from './lifecycle.js';
import { parseListInput } from './list-query.js';
import * as listStore from './list-store.js';
import * as bulkStore from './bulk-store.js';
import { checkText } from './fields.js';

/** Tokens per transaction. */
export const CHUNK = 500;
export const MAX_IDS = 1_000;
export const MAX_MATCHED = 100_000;
/** Entries of `refused` in an answer; past it, `truncated`. */
export const MAX_REFUSED = 1_000;

export interface BulkInput {
  action: string;
  ids?: string[] | undefined;
  /** The list's filters by their query names, with JSON types: `{state: ['active'], compromised: true}`. */
  filter?: Record<string, unknown> | undefined;
  reason?: string | undefined;
  dryRun?: boolean | undefined;
}

export interface BulkAnswer {
  matched: number;
  changed: number;
  refused: BatchOutcome['refused'];
  truncated?: true;
}

/** Called after each chunk: how many of the matched tokens have been dealt with. */
export type OnProgress = (done: number, matched: number) => void;

const isTransition = (a: string): a is Transition => Object.hasOwn(TRANSITIONS, a);

// The list's parameters that are not filters, and the parser's plural names of two query parameters.
const NOT_FILTERS = new Set(['sort', 'order', 'limit', 'cursor', 'states', 'permissions']);
const RENAMED: Record<string, string> = { state: 'states', permission: 'permissions' };

/**
 * The filter as the list's parser takes it. A key is a filter when the parser reads it: the input is
 * watched while it is parsed, so any key it never looked at is unknown (and a filter added to the
 * parser is known here with it).
 */
function parseFilter(filter: Record<string, unknown>) {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(filter)) {
    if (NOT_FILTERS.has(key)) return fail('invalid_request', `${key} is not a filter`, `filter.${key}`);
    // The parser takes what a query string or the CLI gives: text, booleans, lists of text.
    const plain = (v: unknown) => typeof v === 'string' || typeof v === 'boolean';
    if (!(plain(value) || (Array.isArray(value) && value.every((v) => typeof v === 'string'))))
      return fail('invalid_request', `${key} must be text, a boolean or a list of text`, `filter.${key}`);
    const name = RENAMED[key] ?? key;
    input[name] = key in RENAMED ? [value].flat() : value;
  }
  const read = new Set<string | symbol>();
  const watched = new Proxy(input, {
    get: (target, key) => {
      read.add(key);
      return Reflect.get(target, key) as unknown;
    },
  });
  const parsed = parseListInput(watched);
  for (const key of Object.keys(filter)) {
    if (!read.has(RENAMED[key] ?? key))
      return fail('invalid_request', `${key} is not a filter of the list`, `filter.${key}`);
  }
  if (!parsed.ok) return fail('invalid_request', `filter: ${parsed.message}`, `filter.${parsed.field}`);
  return parsed;
}

/** The ids the filter matches, oldest first, at most MAX_MATCHED + 1 of them (one more means too many). */
async function matchFilter(deps: TokenDeps, inst: Institution, filter: Record<string, unknown>) {
  const parsed = parseFilter(filter);
  if (!parsed.ok) return parsed;
  const query = { ...parsed.value, institutionId: inst.id, now: deps.clock() };
  const ids = await listStore.matchingIds(deps.db, query, MAX_MATCHED + 1);
  if (ids.length > MAX_MATCHED)
    return fail('invalid_request', `the filter matches more than ${MAX_MATCHED} tokens`, 'filter');
  return ok(ids);
}

function checkIds(ids: unknown): Result<string[]> {
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_IDS)
    return fail('invalid_request', `ids must hold 1-${MAX_IDS} token ids`, 'ids');
  for (const id of ids) {
    if (typeof id !== 'string' || badId(id))
      return fail('invalid_request', 'ids holds a malformed id', 'ids');
  }
  return ok([...new Set((ids as string[]).map((id) => id.toLowerCase()))]);
}

export async function bulkChange(
  deps: TokenDeps,
  inst: Institution,
  actor: Actor,
  input: BulkInput,
  onProgress: OnProgress = () => {},
): Promise<Result<BulkAnswer>> {
  if (!isTransition(input.action))
    return fail('invalid_request', 'action must be suspend, reactivate or revoke', 'action');
  const t = input.action;
  if ((input.ids === undefined) === (input.filter === undefined))
    return fail('invalid_request', 'give exactly one of ids and filter', input.ids ? 'filter' : 'ids');
  const why = checkText(input.reason, 'reason', 500, 'line');
  if (!why.ok) return why;
  let ids: Result<string[]>;
  if (input.filter !== undefined) {
    const filter = input.filter;
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter))
      return fail('invalid_request', 'filter must be an object of list filters', 'filter');
    ids = await matchFilter(deps, inst, filter);
  } else ids = checkIds(input.ids);
  if (!ids.ok) return ids;
  const matched = ids.value;
  const rule = TRANSITIONS[t];
  const refused: BulkAnswer['refused'] = [];
  let changed = 0;
  const bulk = randomUUID();
  const details = why.value ? { bulk, reason: why.value } : { bulk };
  for (let from = 0; from < matched.length; from += CHUNK) {
    const chunk = matched.slice(from, from + CHUNK);
    if (input.dryRun) {
      const now = deps.clock();
      const would = (state: Parameters<typeof canApply>[1], compromised: boolean) =>
        canApply(t, state) && !(rule.to === 'active' && compromised);
      refused.push(...(await batchRefusals(deps, inst, chunk, now, would)));
    } else {
      const done = await applyBatch(deps, inst, chunk, actor, {
        event: { type: rule.event, details },
        write: (tx, batch, now) =>
          bulkStore.transitionMany(tx, {
            ids: batch,
            institutionId: inst.id,
            from: rule.from,
            to: rule.to,
            now,
            actorId: actor.userId,
            reason: why.value || null,
          }),
      });
      changed += done.changed.length;
      refused.push(...done.refused);
    }
    onProgress(Math.min(from + CHUNK, matched.length), matched.length);
  }
  const answer: BulkAnswer = { matched: matched.length, changed, refused: refused.slice(0, MAX_REFUSED) };
  if (refused.length > MAX_REFUSED) answer.truncated = true;
  return ok(answer);
}
