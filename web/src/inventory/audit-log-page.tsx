// Settings → Audit log (SPEC 12): every event of the institution, newest first, filtered by kind of
// event and a time range (in the viewer's local time, sent as UTC), "Show older" for the next page, and
// an Export of what the filters select as a CSV file (the server streams it; the session cookie goes
// with the download).
import { useCallback, useEffect, useId, useState } from 'react';
import { api } from '../api.js';
import { Time } from '../format.js';
import { followLink, paths } from '../router.js';
import type { AuditEvent, AuditQuery } from '../types.js';
import { useRequest } from '../use-request.js';

const KINDS: [string, string][] = [
  ['', 'All events'],
  ['token.*', 'Tokens'],
  ['token.created', 'Tokens created'],
  ['token.suspended', 'Tokens suspended'],
  ['token.revoked', 'Tokens revoked'],
  ['token.auth_failed', 'Refused token requests'],
  ['user.*', 'People'],
  ['session.*', 'Sign-ins'],
  ['institution.updated', 'Settings'],
  ['webhook.*', 'Webhooks'],
];

interface Filters {
  type: string;
  /** `datetime-local` values: the viewer's local time, no zone. */
  since: string;
  until: string;
}

function queryOf(f: Filters): AuditQuery {
  const utc = (local: string) => (local ? new Date(local).toISOString() : undefined);
  const since = utc(f.since);
  const until = utc(f.until);
  return { ...(f.type ? { type: f.type } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) };
}

function exportAddress(f: Filters): string {
  const params = new URLSearchParams({ format: 'csv' });
  for (const [key, value] of Object.entries(queryOf(f))) params.set(key, String(value));
  return `/apis/v1/audit-events?${params.toString()}`;
}

export function AuditLogPage() {
  const [filters, setFilters] = useState<Filters>({ type: '', since: '', until: '' });
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const { run, busy, error } = useRequest(true);
  const ids = { type: useId(), since: useId(), until: useId() };

  const load = useCallback(
    (f: Filters, cursor: string | null) =>
      run(
        () => api.listAuditEvents({ ...queryOf(f), ...(cursor ? { cursor } : {}) }),
        (page) => {
          setEvents((shown) => (cursor && shown ? [...shown, ...page.items] : page.items));
          setNext(page.nextCursor);
        },
      ),
    [run],
  );
  useEffect(() => {
    void load(filters, null);
  }, [filters, load]);
  const change = (key: keyof Filters, value: string) => setFilters((f) => ({ ...f, [key]: value }));

  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Audit log</h1>
          <p className="lead">Everything that happened to this institution’s tokens, people and settings.</p>
        </div>
        <a className="button" href={exportAddress(filters)} download>
          Export CSV
        </a>
      </div>
      <div className="filters">
        <div className="field field-compact">
          <label htmlFor={ids.type}>Event</label>
          <select id={ids.type} value={filters.type} onChange={(e) => change('type', e.target.value)}>
            {KINDS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-compact">
          <label htmlFor={ids.since}>From</label>
          <input
            id={ids.since}
            type="datetime-local"
            value={filters.since}
            onChange={(e) => change('since', e.target.value)}
          />
        </div>
        <div className="field field-compact">
          <label htmlFor={ids.until}>Until</label>
          <input
            id={ids.until}
            type="datetime-local"
            value={filters.until}
            onChange={(e) => change('until', e.target.value)}
          />
        </div>
      </div>
      {error ? (
        <p className="alert alert-error" role="alert">
          The audit log could not be loaded: {error.message}
        </p>
      ) : null}
      {events === null && !error ? <p className="muted">Loading the audit log…</p> : null}
      {events?.length === 0 ? <p className="empty-state">No events match these filters.</p> : null}
      {events && events.length > 0 ? (
        <div className="table-wrap">
          <table className="token-table" aria-busy={busy}>
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Token</th>
                <th scope="col">By</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} data-event-type={e.type}>
                  <td>
                    <Time iso={e.at} />
                  </td>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>
                    {e.tokenId ? (
                      <a href={paths.token(e.tokenId)} onClick={followLink}>
                        {e.tokenName}
                      </a>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>{e.actor ? e.actor.email : <span className="muted">System</span>}</td>
                  <td>{e.ip ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {next ? (
        <button type="button" className="button" disabled={busy} onClick={() => void load(filters, next)}>
          Show older
        </button>
      ) : null}
    </>
  );
}
