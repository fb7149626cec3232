// Token management: create, list, get, transition, edit, events and usage, as the page, the API and the
// CLI need them (rotation and renewal live in rotation.ts, the edit in update.ts). Decide purely
// (lifecycle, expiry), write atomically through the one guarded-change pipeline (guarded-change.ts),
// then tell the verifier so this instance never serves a stale answer.
import { createHash, randomUUID } from 'node:crypto';
import { findInstitutionById, type Institution } from '../accounts/store.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { type BulkAnswer, bulkChange, type BulkInput, type OnProgress } from './bulk.js';
import { chooseExpiry, type ExpiryChoice } from './expiry.js';
import { type ListInput, parseListInput } from './list-query.js';
import { canApply, TRANSITIONS, type Transition } from './lifecycle.js';
import * as eventStore from './event-store.js';
import type { ExpiredRow } from './expiry-store.js';
import {
  type Actor,
  applyChange,
  badId,
  recordEvent,
  recordExpiry,
  type TokenDeps,
} from './guarded-change.js';
import * as inactivity from './inactivity.js';
import * as rotation from './rotation.js';
import * as listStore from './list-store.js';
import * as store from './store.js';
import * as usageStore from './usage-store.js';
import { generateToken } from './token.js';
import { checkDescription, checkIssuedFor, checkName, checkText } from './fields.js';
import { parseAllowedIps } from './network-rules.js';
import { RULE_REQUIRED, update, type UpdateInput } from './update.js';
import { iso, type TokenView, tokenView } from './view.js';
import { decodeCursor, pageOf } from '../pagination.js';
import { DEFAULT_PERMISSIONS } from '../permissions/rules.js';
import { PermissionService } from '../permissions/service.js';

export interface CreateInput extends ExpiryChoice {
  name: string;
  description?: string | undefined;
  issuedFor?: string | undefined;
  /** Catalogue keys; default DEFAULT_PERMISSIONS. */
  permissions?: readonly string[] | undefined;
  /** null or [] allows any address. */
  allowedIps?: readonly string[] | null | undefined;
}

/** The token of this institution with this id: 400 for a malformed id, 404 when there is none. */
async function owned(db: Db, inst: Institution, id: string): Promise<Result<store.TokenRecord>> {
  const bad = badId(id);
  if (bad) return bad;
  const token = await store.findToken(db, inst.id, id);
  return token ? ok(token) : fail('not_found', 'token not found');
}

export class TokenService {
  private readonly deps: TokenDeps;
  private readonly permissions: PermissionService;

  constructor(
    db: Db,
    clock: Clock,
    /** Called after a commit that changed a token: state, secret, expiry, permissions or other fields. */
    changed: (tokenId: string) => void = () => {},
  ) {
    this.deps = { db, clock, changed };
    this.permissions = new PermissionService(db, clock);
  }

  async create(
    inst: Institution,
    actor: Actor,
    input: CreateInput,
  ): Promise<Result<{ token: TokenView; secret: string }>> {
    const now = this.deps.clock();
    const name = checkName(input.name);
    if (!name.ok) return name;
    const description = checkDescription(input.description);
    if (!description.ok) return description;
    const issuedFor = checkIssuedFor(input.issuedFor);
    if (!issuedFor.ok) return issuedFor;
    // The policy as it stands now: the request's institution may be a snapshot up to its cache's age.
    const policy = (await findInstitutionById(this.deps.db, inst.id)) ?? inst;
    const expiry = chooseExpiry(input, policy, now);
    if (!expiry.ok) return expiry;
    const permissions = await this.permissions.checkGrantable(input.permissions ?? DEFAULT_PERMISSIONS);
    if (!permissions.ok) return permissions;
    const allowedIps = parseAllowedIps(input.allowedIps);
    if (!allowedIps.ok) return allowedIps;
    if (policy.requireAllowedIps && allowedIps.value.length === 0)
      return fail('invalid_request', RULE_REQUIRED, 'allowedIps');
    const minted = generateToken(name.value);
    const id = randomUUID();
    const token = await this.deps.db.transaction(async (tx) => {
      const inserted = await store.insertToken(tx, {
        id,
        institutionId: inst.id,
        hash: minted.hash,
        display: minted.display,
        name: name.value,
        description: description.value,
        issuedFor: issuedFor.value,
        permissions: permissions.value,
        allowedIps: allowedIps.value,
        createdAt: now,
        createdBy: actor.userId,
        expiresAt: expiry.value,
      });
      await recordEvent(tx, inst.id, id, 'token.created', now, actor, { expiresAt: iso(expiry.value) });
      return inserted;
    });
    return ok({ token: tokenView(token, now), secret: minted.token });
  }

  async get(inst: Institution, id: string): Promise<Result<TokenView>> {
    const token = await owned(this.deps.db, inst, id);
    return token.ok ? ok(tokenView(token.value, this.deps.clock())) : token;
  }

  async list(
    inst: Institution,
    input: ListInput,
  ): Promise<Result<{ items: TokenView[]; nextCursor: string | null }>> {
    const query = parseListInput(input);
    if (!query.ok) return query;
    const { cursor, ...filters } = query.value;
    const fingerprint = createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 16);
    let after: listStore.ListQuery['after'] = null;
    if (cursor !== undefined) {
      after = decodeCursor(cursor, fingerprint);
      if (!after) return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
    }
    const now = this.deps.clock();
    const page = await listStore.listTokens(this.deps.db, {
      ...filters,
      institutionId: inst.id,
      now,
      limit: filters.limit + 1,
      after,
    });
    const cut = pageOf(page.rows, filters.limit, fingerprint, (t, i) => ({
      key: page.keys[i] as string,
      id: t.id,
    }));
    return ok({ items: cut.items.map((t) => tokenView(t, now)), nextCursor: cut.nextCursor });
  }

  async transition(
    inst: Institution,
    id: string,
    t: Transition,
    actor: Actor,
    reason?: string,
  ): Promise<Result<TokenView>> {
    const rule = TRANSITIONS[t];
    const done = await applyChange(this.deps, inst, id, actor, (now) => {
      const why = checkText(reason, 'reason', 500, 'line');
      if (!why.ok) return why;
      return ok({
        action: t,
        allowed: (state) => canApply(t, state),
        write: async (tx) => {
          const token = await store.applyTransition(tx, {
            id,
            institutionId: inst.id,
            from: rule.from,
            to: rule.to,
            now,
            actorId: actor.userId,
            reason: why.value || null,
          });
          const details = why.value ? { reason: why.value } : {};
          return token && { token, event: { type: rule.event, details } };
        },
      });
    });
    return done.ok ? ok(done.value.view) : done;
  }

  /** SPEC 12's bulk action: by ids or by the list's filters, chunk by chunk (bulk.ts). */
  bulk(
    inst: Institution,
    actor: Actor,
    input: BulkInput,
    onProgress?: OnProgress,
  ): Promise<Result<BulkAnswer>> {
    return bulkChange(this.deps, inst, actor, input, onProgress);
  }

  /** SPEC 8's PATCH: the fields given, as one guarded change with one `token.updated` event. */
  update(inst: Institution, id: string, actor: Actor, input: UpdateInput): Promise<Result<TokenView>> {
    return update(this.deps, this.permissions, inst, id, actor, input);
  }

  async events(inst: Institution, id: string, cursor: string | undefined, limit = 50) {
    const token = await owned(this.deps.db, inst, id);
    if (!token.ok) return token;
    let beforeSeq: string | null = null;
    if (cursor !== undefined) {
      const c = decodeCursor(cursor, `events:${id}`);
      if (!c) return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
      beforeSeq = c.id;
    }
    const rows = await eventStore.listEvents(this.deps.db, id, limit + 1, beforeSeq);
    const cut = pageOf(rows, limit, `events:${id}`, (e) => ({ key: e.at.toISOString(), id: e.seq }));
    const items = cut.items.map(({ seq: _seq, at, ...e }) => ({ ...e, at: at.toISOString() }));
    return ok({ items, nextCursor: cut.nextCursor });
  }

  async usage(inst: Institution, id: string): Promise<Result<{ items: { date: string; count: number }[] }>> {
    const token = await owned(this.deps.db, inst, id);
    if (!token.ok) return token;
    const since = new Date(this.deps.clock().getTime() - 89 * 86_400_000).toISOString().slice(0, 10);
    return ok({ items: await usageStore.usageSince(this.deps.db, id, since) });
  }

  rotate(
    inst: Institution,
    id: string,
    actor: Actor,
    input: rotation.RotateInput,
  ): Promise<Result<{ token: TokenView; secret: string }>> {
    return rotation.rotate(this.deps, inst, id, actor, input);
  }

  renew(inst: Institution, id: string, actor: Actor, input: ExpiryChoice): Promise<Result<TokenView>> {
    return rotation.renew(this.deps, inst, id, actor, input);
  }

  /** The token `id` rotates itself with its secret `presented` (verified by the caller), from `ip`. */
  selfRotate(
    inst: Institution,
    id: string,
    presented: string,
    ip: string | null,
    input: rotation.SelfRotateInput,
  ): Promise<Result<{ secret: string; token: rotation.OwnView; previousSecretValidUntil: string }>> {
    return rotation.selfRotate(this.deps, inst, id, presented, ip, input);
  }

  /** The inactivity policy's suspension (SPEC 12), by the system: 409 if no longer idle since then. */
  suspendUnused(t: inactivity.IdleToken): Promise<Result<TokenView>> {
    return inactivity.suspendUnused(this.deps, t);
  }

  /** Records expiry (by the system) for the given tokens, or for every token past it; returns what it recorded. */
  recordExpiry(ids: string[] | null = null): Promise<ExpiredRow[]> {
    return recordExpiry(this.deps, ids);
  }
}
