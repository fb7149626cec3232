// Webhook endpoints and their deliveries (SPEC section 10), for staff with the tokens feature: create
// (the secret answered once), list, read, edit, delete, rotate the secret (the old one signs 24 hours
// more), send a test event and wait for it, list deliveries and redeliver one. Each change records its
// webhook.* audit event in the same transaction. URL rules are address.ts's, at creation and on PATCH.
import { randomUUID } from 'node:crypto';
import type { Institution } from '../accounts/store.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { EVENT_TYPES, type EventType } from '../events.js';
import { decodeCursor, pageOf } from '../pagination.js';
import { insertEvent } from '../tokens/event-store.js';
import type { Actor } from '../tokens/guarded-change.js';
import type { UserRef } from '../tokens/store.js';
import { iso } from '../tokens/view.js';
import { checkTarget } from './address.js';
import { LEASE_MS, type WebhookDelivery } from './delivery.js';
import { newSecret } from './signing.js';
import * as messages from './message-store.js';
import * as store from './store.js';

/** The types an endpoint may subscribe to: every audit event (webhook.test is the test route's only). */
export const SUBSCRIBABLE = EVENT_TYPES;
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

export interface WebhookDeps {
  db: Db;
  clock: Clock;
  allowedHosts: readonly string[];
  delivery: WebhookDelivery;
  /** Wakes this instance's deliverer (after a redeliver). */
  wake?: () => void;
}

export interface CreateInput {
  url: string;
  description?: string;
  events?: string[];
}
export type UpdateInput = Partial<CreateInput & { enabled: boolean }>;

const isEventType = (t: string): t is EventType => (EVENT_TYPES as readonly string[]).includes(t);
const STATUSES = ['pending', 'delivered', 'failed'] as const;
const statusOf = (s: string | null) => STATUSES.find((x) => x === s) ?? null;

/** A message's type as answered: an audit event's, or the test route's own. */
function messageType(t: string): EventType | 'webhook.test' {
  if (t === 'webhook.test' || isEventType(t)) return t;
  throw new Error(`a webhook message of unknown type ${t}`);
}

export function webhookView(e: store.EndpointRecord) {
  return {
    id: e.id,
    url: e.url,
    description: e.description || null,
    // Every stored type was checked against the list when it was written.
    events: e.events.filter(isEventType),
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    createdAt: e.createdAt.toISOString(),
    createdBy: e.createdBy,
    lastDeliveryAt: iso(e.lastDeliveryAt),
    lastDeliveryStatus: statusOf(e.lastDeliveryStatus),
  };
}
export type WebhookView = ReturnType<typeof webhookView>;

export function deliveryView(m: messages.MessageRecord) {
  return {
    id: m.id,
    eventId: m.eventId,
    type: messageType(m.type),
    attempt: m.attempt,
    status: m.status,
    responseStatus: m.responseStatus,
    durationMs: m.durationMs,
    error: m.error,
    nextAttemptAt: m.status === 'pending' ? iso(m.nextAttemptAt) : null,
    createdAt: m.createdAt.toISOString(),
  };
}
export type DeliveryView = ReturnType<typeof deliveryView>;

const notFound = () => fail('not_found', 'no such webhook');

export class WebhookService {
  constructor(private readonly deps: WebhookDeps) {}

  private async url(raw: string): Promise<Result<string>> {
    const check = await checkTarget(raw, this.deps.allowedHosts);
    return check.ok ? ok(raw) : fail('invalid_request', `url ${check.reason}`, 'url');
  }

  private events(list: string[]): Result<string[]> {
    if (list.length === 0) return fail('invalid_request', 'events must name at least one type', 'events');
    const unknown = list.find((t) => !(SUBSCRIBABLE as readonly string[]).includes(t));
    if (unknown !== undefined) return fail('invalid_request', `unknown event type "${unknown}"`, 'events');
    return ok([...new Set(list)]);
  }

  async create(
    inst: Institution,
    actor: Actor,
    input: CreateInput,
  ): Promise<Result<{ webhook: WebhookView; secret: string }>> {
    const url = await this.url(input.url);
    if (!url.ok) return url;
    const events = this.events(input.events ?? [...SUBSCRIBABLE]);
    if (!events.ok) return events;
    const id = randomUUID();
    const secret = newSecret();
    const now = this.deps.clock();
    const created = await this.deps.db.transaction(async (tx) => {
      await store.insertEndpoint(tx, {
        id,
        institutionId: inst.id,
        url: url.value,
        description: input.description ?? '',
        events: events.value,
        secret,
        createdAt: now,
        createdBy: actor.userId,
      });
      await this.record(tx, inst, actor, 'webhook.created', now, { webhookId: id, url: url.value });
      return store.getEndpoint(tx, inst.id, id);
    });
    if (!created) throw new Error('a webhook just created is not there');
    return ok({ webhook: webhookView(created), secret });
  }

  async list(inst: Institution): Promise<{ items: WebhookView[] }> {
    return { items: (await store.listEndpoints(this.deps.db, inst.id)).map(webhookView) };
  }

  async get(inst: Institution, id: string): Promise<Result<WebhookView>> {
    const e = await store.getEndpoint(this.deps.db, inst.id, id);
    return e ? ok(webhookView(e)) : notFound();
  }

  async update(
    inst: Institution,
    id: string,
    actor: Actor,
    input: UpdateInput,
  ): Promise<Result<WebhookView>> {
    const change: store.EndpointChange = {};
    if (input.url !== undefined) {
      const url = await this.url(input.url);
      if (!url.ok) return url;
      change.url = url.value;
    }
    if (input.events !== undefined) {
      const events = this.events(input.events);
      if (!events.ok) return events;
      change.events = events.value;
    }
    if (input.description !== undefined) change.description = input.description;
    if (input.enabled !== undefined) change.enabled = input.enabled;
    const now = this.deps.clock();
    const updated = await this.deps.db.transaction(async (tx) => {
      const before = await store.getEndpoint(tx, inst.id, id, true);
      if (!before) return null;
      await store.updateEndpoint(tx, id, change);
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const k of ['url', 'description', 'events', 'enabled'] as const)
        if (change[k] !== undefined) changes[k] = { from: before[k], to: change[k] };
      await this.record(tx, inst, actor, 'webhook.updated', now, { webhookId: id, changes });
      return store.getEndpoint(tx, inst.id, id);
    });
    if (!updated) return notFound();
    // Enabled again: its pending messages still within their schedule go now.
    if (input.enabled) this.deps.wake?.();
    return ok(webhookView(updated));
  }

  async remove(inst: Institution, id: string, actor: Actor): Promise<Result<null>> {
    const now = this.deps.clock();
    const done = await this.deps.db.transaction(async (tx) => {
      const before = await store.getEndpoint(tx, inst.id, id, true);
      if (!before) return false;
      await store.deleteEndpoint(tx, id);
      await this.record(tx, inst, actor, 'webhook.deleted', now, { webhookId: id, url: before.url });
      return true;
    });
    return done ? ok(null) : notFound();
  }

  async rotateSecret(inst: Institution, id: string, actor: Actor): Promise<Result<{ secret: string }>> {
    const secret = newSecret();
    const now = this.deps.clock();
    const done = await this.deps.db.transaction(async (tx) => {
      const before = await store.getEndpoint(tx, inst.id, id, true);
      if (!before) return false;
      const until = new Date(now.getTime() + SECRET_OVERLAP_MS);
      await store.rotateSecret(tx, id, secret, until);
      await this.record(tx, inst, actor, 'webhook.updated', now, {
        webhookId: id,
        secretRotated: true,
        previousSecretValidUntil: until.toISOString(),
      });
      return true;
    });
    return done ? ok({ secret }) : notFound();
  }

  /** Sends a webhook.test event now, waits for the attempt, and answers its delivery. */
  async test(inst: Institution, id: string, actor: Actor & { user: UserRef }): Promise<Result<DeliveryView>> {
    const endpoint = await store.getEndpoint(this.deps.db, inst.id, id);
    if (!endpoint) return notFound();
    const now = this.deps.clock();
    const eventId = randomUUID();
    const event = {
      id: eventId,
      type: 'webhook.test',
      at: now.toISOString(),
      actor: actor.user,
      ip: actor.ip,
    };
    const m = await messages.insertLeasedMessage(
      this.deps.db,
      {
        endpointId: id,
        eventId,
        type: 'webhook.test',
        payload: { event: { ...event, details: { webhookId: id } }, token: null },
        at: now,
      },
      `test-${eventId}`,
      new Date(now.getTime() + LEASE_MS),
    );
    const attempted = await this.deps.delivery.attempt(m);
    return attempted ? ok(deliveryView(attempted)) : notFound();
  }

  async deliveries(
    inst: Institution,
    id: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Result<{ items: DeliveryView[]; nextCursor: string | null }>> {
    const endpoint = await store.getEndpoint(this.deps.db, inst.id, id);
    if (!endpoint) return notFound();
    const bound = `deliveries:${id}`;
    let beforeSeq: string | null = null;
    if (cursor !== undefined) {
      const c = decodeCursor(cursor, bound, 'seq');
      if (!c) return fail('invalid_request', 'cursor is not valid for this query', 'cursor');
      beforeSeq = c.id;
    }
    const rows = await messages.listMessages(this.deps.db, id, limit + 1, beforeSeq);
    const cut = pageOf(rows, limit, bound, (m) => ({ key: m.createdAt.toISOString(), id: m.seq }));
    return ok({ items: cut.items.map(deliveryView), nextCursor: cut.nextCursor });
  }

  async redeliver(inst: Institution, id: string, deliveryId: string): Promise<Result<DeliveryView>> {
    const endpoint = await store.getEndpoint(this.deps.db, inst.id, id);
    if (!endpoint) return notFound();
    const m = await messages.getMessage(this.deps.db, id, deliveryId);
    if (!m) return fail('not_found', 'no such delivery');
    const queued = await messages.requeue(this.deps.db, deliveryId, this.deps.clock());
    if (!queued) return fail('not_found', 'no such delivery');
    this.deps.wake?.();
    return ok(deliveryView(queued));
  }

  /** Messages waiting for an attempt, every institution's: the metrics' gauge. */
  pending(): Promise<number> {
    return messages.countPending(this.deps.db);
  }

  private record(
    tx: Parameters<typeof insertEvent>[0],
    inst: Institution,
    actor: Actor,
    type: 'webhook.created' | 'webhook.updated' | 'webhook.deleted',
    at: Date,
    details: Record<string, unknown>,
  ) {
    return insertEvent(tx, {
      institutionId: inst.id,
      tokenId: null,
      type,
      at,
      actorId: actor.userId,
      ip: actor.ip,
      details,
    });
  }
}
