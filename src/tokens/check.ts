// The token check as a service (SPEC section 4): the verifier's decision at `now`, then its side effects —
// the token's usage, an audit event for a known token's failure (an address outside its network rule
// included; another institution's token reported to its owner as wrong_institution) and the recording
// of an expiry the check found. Those writes come after the answer and never change it: nothing here
// awaits one, and a failed one is reported to the watcher.
import { effectiveState, expiryUnrecorded } from './lifecycle.js';
import type { Carrier, UsageRecorder } from './usage.js';
import type { AuthFailure, RequiredPermissions, Verification, VerifiedToken } from './verdict.js';

/** What the check needs to know of the request besides the secret. */
export interface CheckContext {
  institutionId: string;
  /** The permissions the route needs (all of them), or null for none beyond an active token. */
  required: RequiredPermissions;
  /** The client's address, normalised: what the network rule, usage and failure events see. */
  ip: string;
  userAgent: string;
  carrier: Carrier;
}

/** `permission` is the first missing one, for insufficient_permission. */
export type CheckResult =
  { ok: true; token: VerifiedToken } | { ok: false; reason: AuthFailure; permission?: string };

/** Where the check's background failures go: the serving app logs and counts them (token-auth.ts). */
export interface CheckWatcher {
  /** A cache refresh failed; `streak` counts the failed refreshes in a row (1 for the first). */
  refreshFailed(error: unknown, streak: number): void;
  /** Recording an expiry the check found failed; the next check of that token tries again. */
  expiryFailed(error: unknown): void;
}

export interface CheckDeps {
  verifier: {
    verify(
      presented: string,
      institutionId: string,
      required: RequiredPermissions,
      address: string,
      now: Date,
    ): Verification | Promise<Verification>;
  };
  usage: Pick<UsageRecorder, 'recordUse' | 'recordFailure'>;
  tokens: { recordExpiry(ids: string[]): Promise<unknown> };
}

export class TokenCheck {
  // One expiry write per token at a time: during an outage, checks of the token do not pile up writes.
  private readonly expiring = new Map<string, Promise<void>>();
  private watcher: CheckWatcher;

  constructor(
    private readonly deps: CheckDeps,
    fallback: (error: unknown) => void = () => {},
  ) {
    this.watcher = { refreshFailed: fallback, expiryFailed: fallback };
  }

  /**
   * The answer at `now`: a value while the token is cached (or malformed), a promise when it is looked up.
   * `context` is read before this returns (a lookup keeps a copy), so a caller may reuse one object for
   * every check: the cached path then allocates nothing for it.
   */
  check(presented: string, context: CheckContext, now: Date): CheckResult | Promise<CheckResult> {
    const v = this.deps.verifier.verify(presented, context.institutionId, context.required, context.ip, now);
    if (!(v instanceof Promise)) return this.settle(v, context, now);
    const kept = { ...context };
    return v.then((r) => this.settle(r, kept, now));
  }

  /** Sends background failures to `watcher` from now on (the app that serves the checks). */
  watch(watcher: CheckWatcher): void {
    this.watcher = watcher;
  }

  /** Called by the verifier when a refresh fails. */
  refreshFailed(error: unknown, streak: number): void {
    this.watcher.refreshFailed(error, streak);
  }

  /** Resolves once the expiry writes started so far have ended (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all(this.expiring.values());
  }

  // Returns the verification itself: the cached path allocates nothing for its answer.
  private settle(result: Verification, context: CheckContext, now: Date): CheckResult {
    if (result.ok) {
      const { token } = result;
      this.deps.usage.recordUse(token.id, now.getTime(), context.ip, context.userAgent, context.carrier);
      return result;
    }
    const row = result.token;
    // A permission the token lacks is the route's refusal, not a failure of the token: no event.
    if (!row || result.reason === 'insufficient_permission') return result;
    const own = row.institutionId === context.institutionId;
    this.deps.usage.recordFailure({
      tokenId: row.id,
      institutionId: row.institutionId,
      failure: own ? result.reason : 'wrong_institution',
      at: now,
      ip: context.ip,
    });
    // token_expired is answered from the state in effect; the row learns of it here, once, by the system.
    if (own && expiryUnrecorded(row.state, effectiveState(row.state, row.expiresAt, now)))
      this.recordExpiry(row.id);
    return result;
  }

  private recordExpiry(tokenId: string): void {
    if (this.expiring.has(tokenId)) return;
    const write = this.deps.tokens.recordExpiry([tokenId]).then(
      () => {},
      (error: unknown) => this.watcher.expiryFailed(error),
    );
    this.expiring.set(tokenId, write);
    void write.finally(() => this.expiring.delete(tokenId));
  }
}
