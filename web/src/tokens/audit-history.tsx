// The token's audit history, newest first as the API answers it, one page at a time through
// nextCursor; a token.updated event's changes read as "field: before → after", a token.leaked one as
// "Reported leaked (github): <url>". `version` changes after an action on the page, which reloads the first page; an older
// page still in flight then is dropped (one request runs the history, a later run supersedes it).
import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { ErrorMessage } from '../dialog.js';
import { Person, Time } from '../format.js';
import type { Page, TokenEvent } from '../types.js';
import { useRequest } from '../use-request.js';

const eventLabels: Record<string, string> = {
  'token.created': 'Created',
  'token.suspended': 'Suspended',
  'token.reactivated': 'Reactivated',
  'token.revoked': 'Revoked',
  'token.expired': 'Expired',
  'token.rotated': 'Rotated',
  'token.renewed': 'Renewed',
  'token.reminder_sent': 'Expiry reminder sent',
  'token.reminder_skipped': 'Expiry reminder skipped',
  'token.auth_failed': 'Request refused',
  'token.updated': 'Updated',
  'token.leaked': 'Reported leaked',
};

const isoTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function words(key: string): string {
  const spaced = key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** A leak report's details: the channel and where it was found, which secret, and the scanner. */
function LeakDetails({ details }: { details: TokenEvent['details'] }) {
  const text = (key: string) => (typeof details[key] === 'string' ? details[key] : '');
  const secret = text('secret') === 'previous' ? 'a previous secret (its grace ended)' : 'the current secret';
  return (
    <ul className="details">
      <li className="leak-url">
        Reported leaked ({text('channel') || 'unknown channel'}): {text('url') || 'no address given'}
      </li>
      <li>Secret: {secret}</li>
      {text('source') ? <li>Source: {text('source')}</li> : null}
    </ul>
  );
}

function Details({ details }: { details: TokenEvent['details'] }) {
  const entries = Object.entries(details ?? {}).filter(([, value]) => value !== null && value !== '');
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="details">
      {entries.map(([key, value]) =>
        key === 'changes' && isRecord(value) ? (
          Object.entries(value).map(([field, change]) => (
            <li key={`changes.${field}`}>{changeText(field, change)}</li>
          ))
        ) : (
          <li key={key}>
            {words(key)}: {detailValue(value)}
          </li>
        ),
      )}
    </ul>
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const changedFields: Record<string, string> = {
  name: 'name',
  description: 'description',
  issuedFor: 'issued for',
  permissions: 'permissions',
  allowedIps: 'allowed addresses',
};

/** A token.updated change `{from, to}` as one line: "allowed addresses: any → 10.0.0.0/8". */
function changeText(field: string, change: unknown): string {
  const label = changedFields[field] ?? words(field).toLowerCase();
  if (!isRecord(change)) return `${label}: ${JSON.stringify(change)}`;
  // An empty network rule allows any address; any other empty value is simply none.
  const empty = field === 'allowedIps' ? 'any' : 'none';
  const shown = (value: unknown): string => {
    if (value === null || value === undefined || value === '') return empty;
    if (Array.isArray(value)) return value.length === 0 ? empty : value.map(String).join(', ');
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
  return `${label}: ${shown(change.from)} → ${shown(change.to)}`;
}

/** A detail's value from the event's JSON: a time as a time, text and numbers as they are, the rest as JSON. */
function detailValue(value: unknown) {
  if (typeof value === 'string') return isoTime.test(value) ? <Time iso={value} /> : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function AuditHistory({ tokenId, version }: { tokenId: string; version: number }) {
  const [shown, setShown] = useState<Page<TokenEvent>>({ items: [], nextCursor: null });
  const { busy: loading, error, run } = useRequest(true);
  const { items: events, nextCursor } = shown;

  // `version` changes after an action: it is the trigger for a reload.
  useEffect(() => {
    void run(() => api.listEvents(tokenId, null), setShown);
  }, [tokenId, version, run]);

  const showOlder = (cursor: string) =>
    run(
      () => api.listEvents(tokenId, cursor),
      (page) =>
        setShown((before) => ({ items: [...before.items, ...page.items], nextCursor: page.nextCursor })),
    );

  return (
    <section className="card" aria-labelledby="history-title">
      <h2 id="history-title">Audit history</h2>
      <ErrorMessage message={error?.message ?? null} />
      {events.length === 0 && !loading && !error ? <p className="muted">No events recorded.</p> : null}
      {events.length > 0 ? (
        <div className="table-wrap">
          <table className="history-table" aria-busy={loading}>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">By</th>
                <th scope="col">IP address</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td>
                    <Time iso={event.at} />
                  </td>
                  <td>{eventLabels[event.type] ?? event.type}</td>
                  <td>
                    <Person user={event.actor} />
                  </td>
                  <td>{event.ip ?? <span className="muted">—</span>}</td>
                  <td>
                    {event.type === 'token.leaked' ? (
                      <LeakDetails details={event.details} />
                    ) : (
                      <Details details={event.details} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {nextCursor ? (
        <button
          type="button"
          className="button"
          disabled={loading}
          onClick={() => void showOlder(nextCursor)}
        >
          Show older events
        </button>
      ) : null}
    </section>
  );
}
