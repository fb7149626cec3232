// One attempt of one webhook message (SPEC section 10), outside any transaction: read the endpoint,
// check its URL again (a DNS answer can change), sign the body with every secret that signs now, POST
// it, then record the outcome in one short transaction: delivered on a 2xx, the next attempt by the
// schedule otherwise, failed after the last; a 410 disables the endpoint, and so do 5 days without a
// success, which also emails the institution's notification addresses once.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import type { Mailer } from '../mail/mailer.js';
import { insertEvent } from '../tokens/event-store.js';
import { type TokenRow, toToken } from '../tokens/store.js';
import { tokenView } from '../tokens/view.js';
import { checkTarget } from './address.js';
import { post } from './send.js';
import { signatureHeader } from './signing.js';
import * as messages from './message-store.js';
import * as store from './store.js';

/** tokend's version, from the package.json above this file: src/webhooks/ runs from source, dist/src/webhooks/ built. */
const VERSION = (() => {
  for (const path of ['../../package.json', '../../../package.json']) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
    } catch {
      continue;
    }
    if (typeof manifest === 'object' && manifest !== null && 'name' in manifest && manifest.name === 'tokend')
      return 'version' in manifest ? String(manifest.version) : '0';
  }
  return '0';
})();
export const USER_AGENT = `tokend/${VERSION}`;

/** A claim lasts this long; a deliverer that dies holding one is taken over after it. */
export const LEASE_MS = 60_000;
/** Five days without a successful delivery disable an endpoint. */
export const FAILING_LIMIT_MS = 5 * 86_400_000;

export type Outcome = 'delivered' | 'retry' | 'failed' | 'gone' | 'refused';

export interface DeliveryDeps {
  db: Db;
  clock: Clock;
  timeoutMs: number;
  allowedHosts: readonly string[];
  /** The waits after each failed attempt; after the last, the message fails. */
  scheduleMs: readonly number[];
  /** A mailer for the disabling email (made when needed, closed after). */
  mailer: () => Mailer;
  onError?: (error: unknown) => void;
}

/** The body `data` needs, from the trigger's snapshot: the event and the token as the API shows them. */
export function messageBody(m: messages.MessageRecord): string {
  const event = { ...m.payload.event };
  const at = new Date(String(event.at));
  event.at = at.toISOString();
  const row = m.payload.token;
  const token = row ? tokenView(toToken(tokenRowOf(row)), at) : null;
  return JSON.stringify({ type: m.type, timestamp: event.at, data: { event, token } });
}

// jsonb turns the row's timestamps into text: these are its timestamptz columns.
const TIMES = [
  'created_at',
  'expires_at',
  'expiry_set_at',
  'state_changed_at',
  'last_used_at',
  'previous_secret_valid_until',
  'compromised_at',
] as const;

function tokenRowOf(json: Record<string, unknown>): TokenRow {
  const row: Record<string, unknown> = { ...json };
  for (const k of TIMES) row[k] = typeof row[k] === 'string' ? new Date(row[k]) : null;
  // The snapshot is the api_tokens row of migration 010's trigger, with the users' columns joined.
  return row as unknown as TokenRow;
}

export class WebhookDelivery {
  /** Attempts by outcome since start: tokend_webhook_deliveries_total. */
  readonly outcomes = new Map<Outcome, number>();

  constructor(private readonly deps: DeliveryDeps) {}

  /** Attempts a leased message once and records what happened; answers the message as recorded. */
  async attempt(m: messages.MessageRecord, signal?: AbortSignal): Promise<messages.MessageRecord | null> {
    const { db, clock } = this.deps;
    const endpoint = await store.getEndpoint(db, null, m.endpointId);
    if (!endpoint) return null; // deleted: its messages are gone with it
    const check = await checkTarget(endpoint.url, this.deps.allowedHosts);
    const body = messageBody(m);
    const now = clock();
    let result: { status: number | null; body: string | null; error: string | null; durationMs: number };
    if (!check.ok)
      result = { status: null, body: null, error: `refused: url ${check.reason}`, durationMs: 0 };
    else {
      const timestamp = Math.floor(now.getTime() / 1000);
      const secrets = [endpoint.secret];
      if (endpoint.previousSecret && endpoint.previousSecretUntil && endpoint.previousSecretUntil > now)
        secrets.push(endpoint.previousSecret);
      result = await post(
        check.target,
        {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': m.eventId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(secrets, m.eventId, timestamp, body),
        },
        body,
        this.deps.timeoutMs,
        signal,
      );
    }
    const at = clock();
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const gone = result.status === 410;
    const wait = this.deps.scheduleMs[m.attempt];
    const outcome: Outcome = ok
      ? 'delivered'
      : gone
        ? 'gone'
        : !check.ok
          ? 'refused'
          : wait === undefined
            ? 'failed'
            : 'retry';
    const status = ok ? 'delivered' : gone || wait === undefined ? 'failed' : 'pending';
    const error = result.error ?? (ok ? null : `answered ${result.status ?? 'nothing'}`);
    const disabled: { reason: string; mail: boolean }[] = [];
    const recorded = await db.transaction(async (tx) => {
      const row = await messages.recordAttempt(
        tx,
        m,
        {
          status,
          nextAttemptAt: status === 'pending' && wait !== undefined ? new Date(at.getTime() + wait) : null,
          responseStatus: result.status,
          durationMs: result.durationMs,
          responseBody: result.body,
          error,
        },
        at,
        ok,
      );
      const failingSince = ok ? null : (endpoint.failingSince ?? at);
      const reason = gone
        ? 'the receiver answered 410 Gone'
        : failingSince && at.getTime() - failingSince.getTime() >= FAILING_LIMIT_MS
          ? 'no successful delivery for 5 days'
          : null;
      if (reason && (await store.disableEndpoint(tx, endpoint.id, reason))) {
        await insertEvent(tx, {
          institutionId: endpoint.institutionId,
          tokenId: null,
          type: 'webhook.disabled',
          at,
          actorId: null,
          ip: null,
          details: { webhookId: endpoint.id, url: endpoint.url, reason },
        });
        disabled.push({ reason, mail: !gone });
      }
      return row;
    });
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    for (const d of disabled) if (d.mail) await this.mailDisabled(endpoint, d.reason);
    return recorded;
  }

  private async mailDisabled(endpoint: store.EndpointRecord, reason: string): Promise<void> {
    const to = await store.notifyEmails(this.deps.db, endpoint.institutionId);
    if (to.length === 0) return;
    const mailer = this.deps.mailer();
    try {
      await mailer.send({
        to,
        subject: 'tokend: a webhook endpoint was disabled',
        text: `tokend disabled the webhook endpoint ${endpoint.url}: ${reason}.\nEnable it again under Settings → Webhooks once the receiver works; messages still within their schedule are then sent.\n`,
        html: `<p>tokend disabled the webhook endpoint <code>${escape(endpoint.url)}</code>: ${escape(reason)}.</p><p>Enable it again under Settings → Webhooks once the receiver works; messages still within their schedule are then sent.</p>`,
        messageId: `<webhook-disabled-${endpoint.id}-${randomUUID()}@tokend>`,
      });
    } catch (error) {
      this.deps.onError?.(error);
    } finally {
      await mailer.close();
    }
  }
}

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
