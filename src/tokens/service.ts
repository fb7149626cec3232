// Token management: create, list, get, transition, events and usage, as the page, the API and the CLI
// need them. Decide purely (lifecycle, expiry), write atomically (one guarded statement and its audit
// event in one transaction), then tell the verifier so this instance never serves a stale answer.
import { createHash, randomUUID } from 'node:crypto';
import type { Institution } from '../accounts/store.js';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { chooseExpiry, type ExpiryChoice } from './expiry.js';
import { effectiveState, type TokenState, TRANSITIONS, type Transition } from './lifecycle.js';
import type { TokenRecord } from './store.js';
import * as store from './store.js';
import { generateToken } from './token.js';

export const PERMISSIONS = ['core.core.files_download'] as const;
export const STATES: readonly TokenState[] = ['active', 'suspended', 'revoked', 'expired'];

export interface Actor {
  userId: string | null;
  ip: string | null;
}

export interface CreateInput extends ExpiryChoice {
  name: string;
  description?: string | undefined;
  issuedFor?: string | undefined;
}

export interface RotateInput extends ExpiryChoice {
  graceSeconds?: number | undefined;
  expectedDisplay?: string | undefined;
}

export const MAX_GRACE_SECONDS = 7 * 86_400;

export interface ListInput {
  states?: string[];
  q?: string | undefined;
  issuedFor?: string | undefined;
  sort?: string | undefined;
  order?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const badId = (id: string) => (UUID.test(id) ? null : fail('invalid_request', 'id is not a token id', 'id'));

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The API's Token: the state in effect at `now`; never the secret or its hash. */
export function tokenView(t: TokenRecord, now: Date) {
  const state = effectiveState(t.state, t.expiresAt, now);
  const unrecordedExpiry = state === 'expired' && t.state !== 'expired';
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    issuedFor: t.issuedFor,
    display: t.display,
    state,
    permissions: t.permissions,
    createdAt: t.createdAt.toISOString(),
    createdBy: t.createdBy,
    expiresAt: iso(t.expiresAt),
    expirySetAt: t.expirySetAt.toISOString(),
    lastUsedAt: iso(t.lastUsedAt),
    lastUsedIp: t.lastUsedIp,
    lastUsedUserAgent: t.lastUsedUserAgent,
    lastUsedCarrier: t.lastUsedCarrier,
    stateChangedAt: unrecordedExpiry ? iso(t.expiresAt) : iso(t.stateChangedAt),
    stateChangedBy: unrecordedExpiry ? null : t.stateChangedBy,
    stateReason: unrecordedExpiry ? null : t.stateReason,
    previousSecretValidUntil: iso(t.previousSecretValidUntil),
  };
}

export type TokenView = ReturnType<typeof tokenView>;

function checkText(value: string | undefined, field: string, max: number, min = 0): Result<string> {
  const v = (value ?? '').trim();
  if (v.length < min || v.length > max)
    return fail('invalid_request', `${field} must be ${min}-${max} characters`, field);
  return ok(v);
}

export class TokenService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Called after a commit that changed a token's state, secret or expiry. */
    private readonly changed: (tokenId: string) => void = () => {},
  ) {}

  async create(
    inst: Institution,
    actor: Actor,
    input: CreateInput,
  ): Promise<Result<{ token: TokenView; secret: string }>> {
    const now = this.clock();
    const name = checkText(input.name, 'name', 200, 1);
    if (!name.ok) return name;
    const description = checkText(input.description, 'description', 2000);
    if (!description.ok) return description;
    const issuedFor = checkText(input.issuedFor, 'issuedFor', 200);
    if (!issuedFor.ok) return issuedFor;
    const expiry = chooseExpiry(input, inst, now);
    if (!expiry.ok) return expiry;
    const minted = generateToken(name.value);
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await store.insertToken(tx, {
        id,
        institutionId: inst.id,
        hash: minted.hash,
        display: minted.display,
        name: name.value,
        description: description.value,
        issuedFor: issuedFor.value,
        permissions: [...PERMISSIONS],
        createdAt: now,
        createdBy: actor.userId,
        expiresAt: expiry.value,
      });
      await this.event(tx, inst.id, id, 'token.created', now, actor, { expiresAt: iso(expiry.value) });
    });
    const token = (await store.findToken(this.db, inst.id, id)) as TokenRecord;
    return ok({ token: tokenView(token, now), secret: minted.token });
  }

  async get(inst: Institution, id: string): Promise<Result<TokenView>> {
    const bad = badId(id);
    if (bad) return bad;
    const token = await store.findToken(this.db, inst.id, id);
    return token ? ok(tokenView(token, this.clock())) : fail('not_found', 'token not found');
  }

  async list(
    inst: Institution,
    input: ListInput,
  ): Promise<Result<{ items: TokenView[]; nextCursor: string | null }>> {
    const query = parseListInput(input);
    if (!query.ok) return query;
    const { cursor, ...filters } = query.value;
    const fingerprint = createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 16);
    let after: store.ListQuery['after'] = null;
    if (cursor !== undefined) {
      after = decodeCursor(cursor, fingerprint);
      if (!after) return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
    }
    const now = this.clock();
    const page = await store.listTokens(this.db, {
      ...filters,
      institutionId: inst.id,
      now,
      limit: filters.limit + 1,
      after,
    });
    const more = page.rows.length > filters.limit;
    const rows = page.rows.slice(0, filters.limit);
    const last = rows[rows.length - 1];
    const nextCursor =
      more && last
        ? encodeCursor({ key: page.keys[rows.length - 1] as string, id: last.id }, fingerprint)
        : null;
    return ok({ items: rows.map((t) => tokenView(t, now)), nextCursor });
  }

  async transition(
    inst: Institution,
    id: string,
    t: Transition,
    actor: Actor,
    reason?: string,
  ): Promise<Result<TokenView>> {
    const bad = badId(id);
    if (bad) return bad;
    const why = checkText(reason, 'reason', 500);
    if (!why.ok) return why;
    const rule = TRANSITIONS[t];
    const now = this.clock();
    const applied = await this.db.transaction(async (tx) => {
      const done = await store.applyTransition(tx, {
        id,
        institutionId: inst.id,
        from: rule.from,
        to: rule.to,
        now,
        actorId: actor.userId,
        reason: why.value || null,
      });
      if (done)
        await this.event(tx, inst.id, id, rule.event, now, actor, why.value ? { reason: why.value } : {});
      return done;
    });
    if (!applied) return this.refusal(inst, id, t, now);
    this.changed(id);
    return ok(tokenView((await store.findToken(this.db, inst.id, id)) as TokenRecord, now));
  }

  async events(inst: Institution, id: string, cursor: string | undefined, limit = 50) {
    const bad = badId(id);
    if (bad) return bad;
    const token = await store.findToken(this.db, inst.id, id);
    if (!token) return fail('not_found', 'token not found');
    let beforeSeq: string | null = null;
    if (cursor !== undefined) {
      const c = decodeCursor(cursor, `events:${id}`);
      if (!c) return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
      beforeSeq = c.id;
    }
    const rows = await store.listEvents(this.db, id, limit + 1, beforeSeq);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor({ key: last.at.toISOString(), id: last.seq }, `events:${id}`)
        : null;
    const items = page.map(({ seq: _seq, at, ...e }) => ({ ...e, at: at.toISOString() }));
    return ok({ items, nextCursor });
  }

  async usage(inst: Institution, id: string): Promise<Result<{ items: { date: string; count: number }[] }>> {
    const bad = badId(id);
    if (bad) return bad;
    const token = await store.findToken(this.db, inst.id, id);
    if (!token) return fail('not_found', 'token not found');
    const since = new Date(this.clock().getTime() - 89 * 86_400_000).toISOString().slice(0, 10);
    return ok({ items: await store.usageSince(this.db, id, since) });
  }

  async rotate(
    inst: Institution,
    id: string,
    actor: Actor,
    input: RotateInput,
  ): Promise<Result<{ token: TokenView; secret: string }>> {
    const bad = badId(id);
    if (bad) return bad;
    const grace = input.graceSeconds ?? 0;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
      return fail('invalid_request', 'graceSeconds must be 0 to 604800 (7 days)', 'graceSeconds');
    }
    const now = this.clock();
    const chosen =
      input.expiresInDays === undefined && input.expiresAt === undefined
        ? null
        : chooseExpiry(input, inst, now);
    if (chosen && !chosen.ok) return chosen;
    const existing = await store.findToken(this.db, inst.id, id);
    if (!existing) return fail('not_found', 'token not found');
    const minted = generateToken(existing.name);
    const rotated = await this.db.transaction(async (tx) => {
      const done = await store.rotateSecret(tx, {
        id,
        institutionId: inst.id,
        now,
        hash: minted.hash,
        display: minted.display,
        graceMs: grace * 1000,
        expectedDisplay: input.expectedDisplay ?? null,
        expiresAt: chosen ? chosen.value : undefined,
      });
      if (done) {
        await this.event(tx, inst.id, id, 'token.rotated', now, actor, {
          graceUntil: iso(done.graceUntil),
          display: minted.display,
          previousDisplay: done.previousDisplay,
          ...(chosen ? { expiresAt: iso(chosen.value) } : {}),
        });
      }
      return done;
    });
    if (!rotated) return this.refusal(inst, id, 'rotate', now, input.expectedDisplay);
    this.changed(id);
    return ok({
      token: tokenView((await store.findToken(this.db, inst.id, id)) as TokenRecord, now),
      secret: minted.token,
    });
  }

  async renew(inst: Institution, id: string, actor: Actor, input: ExpiryChoice): Promise<Result<TokenView>> {
    const bad = badId(id);
    if (bad) return bad;
    if (input.expiresInDays === undefined && input.expiresAt === undefined) {
      return fail('invalid_request', 'give expiresInDays (30, 90 or 365) or expiresAt', 'expiresAt');
    }
    const now = this.clock();
    const chosen = chooseExpiry(input, inst, now);
    if (!chosen.ok) return chosen;
    const renewed = await this.db.transaction(async (tx) => {
      const done = await store.renewExpiry(tx, { id, institutionId: inst.id, now, expiresAt: chosen.value });
      if (done) {
        await this.event(tx, inst.id, id, 'token.renewed', now, actor, {
          oldExpiresAt: iso(done.oldExpiresAt),
          newExpiresAt: iso(chosen.value),
        });
      }
      return done;
    });
    if (!renewed) return this.refusal(inst, id, 'renew', now);
    this.changed(id);
    return ok(tokenView((await store.findToken(this.db, inst.id, id)) as TokenRecord, now));
  }

  /** Why a guarded change wrote nothing: gone (404), or a state or display that no longer allows it (409). */
  private async refusal(inst: Institution, id: string, action: string, now: Date, expectedDisplay?: string) {
    const token = await store.findToken(this.db, inst.id, id);
    if (!token) return fail('not_found', 'token not found');
    const state = effectiveState(token.state, token.expiresAt, now);
    if (state === 'expired' && token.state !== 'expired') await this.recordExpiry([id]);
    if (
      expectedDisplay !== undefined &&
      token.display !== expectedDisplay &&
      (state === 'active' || state === 'suspended')
    ) {
      return fail(
        'invalid_transition',
        'the token was rotated meanwhile: its display no longer matches expectedDisplay',
      );
    }
    return fail('invalid_transition', `cannot ${action} a token that is ${state}`);
  }

  /** Records expiry (by the system) for the given tokens, or for every token past it; returns what it recorded. */
  async recordExpiry(ids: string[] | null = null): Promise<store.ExpiredRow[]> {
    const now = this.clock();
    const expired = await this.db.transaction(async (tx) => {
      const rows = await store.recordExpiry(tx, now, ids);
      for (const r of rows) {
        await this.event(
          tx,
          r.institutionId,
          r.id,
          'token.expired',
          now,
          { userId: null, ip: null },
          {
            expiredAt: r.expiresAt.toISOString(),
            previousState: r.previousState,
          },
        );
      }
      return rows;
    });
    for (const r of expired) this.changed(r.id);
    return expired;
  }

  private event(
    tx: Queryable,
    institutionId: string,
    tokenId: string,
    type: string,
    at: Date,
    actor: Actor,
    details: Record<string, unknown>,
  ) {
    return store.insertEvent(tx, {
      institutionId,
      tokenId,
      type,
      at,
      actorId: actor.userId,
      ip: actor.ip,
      details,
    });
  }
}

function parseListInput(input: ListInput) {
  const states = input.states ?? [];
  const bad = states.find((s) => !(STATES as readonly string[]).includes(s));
  if (bad !== undefined)
    return fail('invalid_request', 'state must be active, suspended, revoked or expired', 'state');
  const sort = input.sort ?? 'createdAt';
  if (sort !== 'createdAt' && sort !== 'expiresAt')
    return fail('invalid_request', 'sort must be createdAt or expiresAt', 'sort');
  const order = input.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    return fail('invalid_request', 'order must be asc or desc', 'order');
  const limit = input.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return fail('invalid_request', 'limit must be 1-100', 'limit');
  if ((input.q ?? '').length > 200) return fail('invalid_request', 'q must be at most 200 characters', 'q');
  if ((input.issuedFor ?? '').length > 200)
    return fail('invalid_request', 'issuedFor must be at most 200 characters', 'issuedFor');
  return ok({
    states: [...new Set(states)].sort() as TokenState[],
    q: input.q?.trim() || null,
    issuedFor: input.issuedFor?.trim() || null,
    sort: sort as 'createdAt' | 'expiresAt',
    order: order as 'asc' | 'desc',
    limit,
    cursor: input.cursor,
  });
}

/** Cursors are opaque: base64url JSON of the last row's key, bound to the query that produced it. */
function encodeCursor(c: { key: string; id: string }, bound: string): string {
  return Buffer.from(JSON.stringify([c.key, c.id, bound])).toString('base64url');
}

function decodeCursor(cursor: string, bound: string): { key: string; id: string } | null {
  if (cursor.length > 300 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const [key, id, b] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (b !== bound || typeof key !== 'string' || typeof id !== 'string') return null;
    if (!/^(-?infinity|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,6}Z)$/.test(key)) return null;
    if (!/^([0-9a-f-]{36}|\d{1,19})$/.test(id)) return null;
    return { key, id };
  } catch {
    return null;
  }
}
