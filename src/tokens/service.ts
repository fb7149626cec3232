// Token management: create, list, get, transition, events and usage, as the page, the API and the CLI
// need them. Decide purely (lifecycle, expiry), write atomically (one guarded statement and its audit
// event in one transaction), then tell the verifier so this instance never serves a stale answer.
import { createHash, randomUUID } from 'node:crypto';
import type { Institution } from '../accounts/store.js';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { chooseExpiry, type ExpiryChoice } from './expiry.js';
import { type ListInput, parseListInput } from './list-query.js';
import { effectiveState, TRANSITIONS, type Transition } from './lifecycle.js';
import type { TokenRecord } from './store.js';
import * as eventStore from './event-store.js';
import * as store from './store.js';
import * as secrets from './secret-store.js';
import * as usageStore from './usage-store.js';
import { generateToken } from './token.js';
import { iso, type TokenView, tokenView } from './view.js';
import { decodeCursor, pageOf } from '../pagination.js';

export const PERMISSIONS = ['core.core.files_download'] as const;

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const badId = (id: string) => (UUID.test(id) ? null : fail('invalid_request', 'id is not a token id', 'id'));

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
    return ok({ token: await this.reread(inst, id, now), secret: minted.token });
  }

  async get(inst: Institution, id: string): Promise<Result<TokenView>> {
    const token = await this.owned(inst, id);
    return token.ok ? ok(tokenView(token.value, this.clock())) : token;
  }

  /** The token of this institution with this id: 400 for a malformed id, 404 when there is none. */
  private async owned(inst: Institution, id: string): Promise<Result<TokenRecord>> {
    const bad = badId(id);
    if (bad) return bad;
    const token = await store.findToken(this.db, inst.id, id);
    return token ? ok(token) : fail('not_found', 'token not found');
  }

  /** The token as it stands after a change this call committed. */
  private async reread(inst: Institution, id: string, now: Date): Promise<TokenView> {
    return tokenView((await store.findToken(this.db, inst.id, id)) as TokenRecord, now);
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
    return ok(await this.reread(inst, id, now));
  }

  async events(inst: Institution, id: string, cursor: string | undefined, limit = 50) {
    const token = await this.owned(inst, id);
    if (!token.ok) return token;
    let beforeSeq: string | null = null;
    if (cursor !== undefined) {
      const c = decodeCursor(cursor, `events:${id}`);
      if (!c) return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
      beforeSeq = c.id;
    }
    const rows = await eventStore.listEvents(this.db, id, limit + 1, beforeSeq);
    const cut = pageOf(rows, limit, `events:${id}`, (e) => ({ key: e.at.toISOString(), id: e.seq }));
    const items = cut.items.map(({ seq: _seq, at, ...e }) => ({ ...e, at: at.toISOString() }));
    return ok({ items, nextCursor: cut.nextCursor });
  }

  async usage(inst: Institution, id: string): Promise<Result<{ items: { date: string; count: number }[] }>> {
    const token = await this.owned(inst, id);
    if (!token.ok) return token;
    const since = new Date(this.clock().getTime() - 89 * 86_400_000).toISOString().slice(0, 10);
    return ok({ items: await usageStore.usageSince(this.db, id, since) });
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
    const existing = await this.owned(inst, id);
    if (!existing.ok) return existing;
    const minted = generateToken(existing.value.name);
    const rotated = await this.db.transaction(async (tx) => {
      const done = await secrets.rotateSecret(tx, {
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
    return ok({ token: await this.reread(inst, id, now), secret: minted.token });
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
      const done = await secrets.renewExpiry(tx, {
        id,
        institutionId: inst.id,
        now,
        expiresAt: chosen.value,
      });
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
    return ok(await this.reread(inst, id, now));
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
    return eventStore.insertEvent(tx, {
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
