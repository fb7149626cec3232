// A token's edit (SPEC 8's PATCH): name, description, issued for, permissions and the network rule, as
// one guarded change (guarded-change.ts) on an active or suspended, unexpired token. The input's own
// rules are checked before anything is locked; under the row's lock, the catalogue's (a deprecated key
// may stay if the token holds it) and the institution's policy as they stand now, and the changes are
// taken from the row as locked, so concurrent edits apply one after another and their from/to chain.
import { findInstitutionById, type Institution } from '../accounts/store.js';
import type { Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import type { PermissionService } from '../permissions/service.js';
import { checkDescription, checkIssuedFor, checkName } from './fields.js';
import { type Actor, applyChange, type TokenDeps } from './guarded-change.js';
import { canRotate } from './lifecycle.js';
import { parseAllowedIps } from './network-rules.js';
import type { TokenRecord } from './store.js';
import { type EditableFields, lockEditable, writeEdit } from './update-store.js';
import type { TokenView } from './view.js';

export interface UpdateInput {
  name?: string | undefined;
  /** null (or empty) clears it. */
  description?: string | null | undefined;
  issuedFor?: string | null | undefined;
  /** Replaces the set. */
  permissions?: readonly string[] | undefined;
  /** null or [] clears the rule: any address. */
  allowedIps?: readonly string[] | null | undefined;
}

type Edit = Partial<EditableFields>;

export async function update(
  deps: TokenDeps,
  permissions: PermissionService,
  inst: Institution,
  id: string,
  actor: Actor,
  input: UpdateInput,
): Promise<Result<TokenView>> {
  const done = await applyChange(deps, inst, id, actor, (now) => {
    const wanted = checkInput(input);
    if (!wanted.ok) return wanted;
    return ok({
      action: 'edit',
      // The states a token can be edited in are those it can be rotated in: active and suspended.
      allowed: canRotate,
      write: (tx: Queryable) => edit(tx, permissions, inst, { id, now, wanted: wanted.value }),
    });
  });
  return done.ok ? ok(done.value.view) : done;
}

/** The fields given, checked by their own rules and in their stored form; at least one is needed. */
function checkInput(input: UpdateInput): Result<Edit> {
  const wanted: Edit = {};
  if (input.name !== undefined) {
    const name = checkName(input.name);
    if (!name.ok) return name;
    wanted.name = name.value;
  }
  if (input.description !== undefined) {
    const description = checkDescription(input.description);
    if (!description.ok) return description;
    wanted.description = description.value;
  }
  if (input.issuedFor !== undefined) {
    const issuedFor = checkIssuedFor(input.issuedFor);
    if (!issuedFor.ok) return issuedFor;
    wanted.issuedFor = issuedFor.value;
  }
  // Against the catalogue under the lock, where the keys the token holds are known.
  if (input.permissions !== undefined) wanted.permissions = [...input.permissions];
  if (input.allowedIps !== undefined) {
    const allowedIps = parseAllowedIps(input.allowedIps);
    if (!allowedIps.ok) return allowedIps;
    wanted.allowedIps = allowedIps.value;
  }
  if (Object.keys(wanted).length === 0)
    return fail('invalid_request', 'give at least one field to change', 'body');
  return ok(wanted);
}

/** The guarded write: lock, check what depends on the row, compare, and write only what changed. */
async function edit(
  tx: Queryable,
  permissions: PermissionService,
  inst: Institution,
  e: { id: string; now: Date; wanted: Edit },
) {
  const token = await lockEditable(tx, { id: e.id, institutionId: inst.id, now: e.now });
  if (!token) return null;
  const next: EditableFields = {
    name: e.wanted.name ?? token.name,
    description: e.wanted.description ?? token.description,
    issuedFor: e.wanted.issuedFor ?? token.issuedFor,
    permissions: token.permissions,
    allowedIps: e.wanted.allowedIps ?? token.allowedIps,
  };
  if (e.wanted.permissions) {
    const granted = await permissions.checkGrantable(e.wanted.permissions, token.permissions, tx);
    if (!granted.ok) return granted;
    next.permissions = granted.value;
  }
  // The policy binds a rule being set, not other edits of a token made before it (a rename stays allowed).
  if (e.wanted.allowedIps?.length === 0 && (await requiresAllowedIps(tx, inst)))
    return fail('invalid_request', RULE_REQUIRED, 'allowedIps');
  const changes = changesOf(token, next);
  if (Object.keys(changes).length === 0) return { token, event: null };
  const written = await writeEdit(tx, e.id, next);
  return { token: written, event: { type: 'token.updated', details: { changes } } };
}

export const RULE_REQUIRED = 'this institution requires every token to have allowed addresses';

/** The institution's policy as it stands now: a request's institution may be a cached snapshot. */
async function requiresAllowedIps(q: Queryable, inst: Institution): Promise<boolean> {
  return (await findInstitutionById(q, inst.id))?.requireAllowedIps ?? inst.requireAllowedIps;
}

/** `{field: {from, to}}` for the fields that differ, as the API shows them (an empty text is null). */
function changesOf(from: TokenRecord, to: EditableFields): Record<string, { from: unknown; to: unknown }> {
  const shown = (f: EditableFields) => ({
    name: f.name,
    description: f.description || null,
    issuedFor: f.issuedFor || null,
    permissions: f.permissions,
    allowedIps: f.allowedIps,
  });
  const before = shown(from);
  const after = shown(to);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of Object.keys(after) as (keyof typeof after)[]) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field]))
      changes[field] = { from: before[field], to: after[field] };
  }
  return changes;
}
