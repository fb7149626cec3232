// The red notice on a token whose current secret was reported leaked (SPEC 9): when, where it was found
// (the newest token.leaked event of a current secret), what tokend did (the leak's own suspension or
// revocation that followed it in the history), and that a rotation clears it.
import { useCallback } from 'react';
import { api } from '../api.js';
import { Time } from '../format.js';
import type { Token, TokenEvent } from '../types.js';
import { useLoaded } from '../use-request.js';

const LEAK_REASON = 'leaked';

const text = (details: TokenEvent['details'] | undefined, key: string): string | null => {
  const value = details?.[key];
  return typeof value === 'string' && value !== '' ? value : null;
};

/** What tokend did about the report, from the events after it (newest first, so before it here). */
function response(events: TokenEvent[], leak: number, token: Token): string {
  const after = events.slice(0, leak).filter((e) => text(e.details, 'reason') === LEAK_REASON);
  if (after.some((e) => e.type === 'token.revoked')) return 'tokend suspended and revoked the token.';
  if (after.some((e) => e.type === 'token.suspended'))
    return 'tokend suspended the token: it refuses every request, and cannot be reactivated until it is rotated.';
  if (token.state === 'suspended')
    return 'The token was already suspended; tokend marked it compromised, so it cannot be reactivated until it is rotated.';
  return 'tokend only noted the report (the institution’s policy): the token still works.';
}

export function LeakNotice({ token, onRotate }: { token: Token; onRotate: (() => void) | null }) {
  const { compromisedAt, id } = token;
  // Loaded only for a compromised token, and again when it is reported anew (the audit history below
  // has its own copy).
  const events = useLoaded(
    useCallback(
      () => (compromisedAt ? api.listEvents(id, null) : Promise.resolve(null)),
      [id, compromisedAt],
    ),
  );
  if (!compromisedAt) return null;
  const items = events.data?.items ?? [];
  const leak = items.findIndex((e) => e.type === 'token.leaked' && text(e.details, 'secret') === 'current');
  const found = leak >= 0 ? items[leak] : undefined;
  const url = text(found?.details, 'url');
  const source = text(found?.details, 'source');
  const channel = text(found?.details, 'channel');
  return (
    <div className="alert alert-error leak-notice" role="alert" aria-labelledby="leak-title">
      <h2 id="leak-title">This token’s secret was reported leaked</h2>
      <p>
        Reported <Time iso={compromisedAt} />
        {channel ? ` through the ${channel} channel` : ''}
        {source ? ` by ${source}` : ''}.
      </p>
      {/* Text, not a link: anyone may send a report, so the address is not to be followed blindly. */}
      {url ? (
        <p>
          Found at <span className="leak-url">{url}</span>
        </p>
      ) : null}
      {found ? <p>{response(items, leak, token)}</p> : null}
      <p>
        Rotate to clear: a new secret replaces the leaked one, and the integration must move to it.{' '}
        {onRotate ? (
          <button type="button" className="button" onClick={onRotate}>
            Rotate now
          </button>
        ) : null}
      </p>
    </div>
  );
}
