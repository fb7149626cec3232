// Settings → Applications (SPEC 12, seed 000's "app-based grouping"): the institution's tokens grouped by
// what they are issued for, with their counts, latest use and next expiry; each group links to the token
// list filtered by it. Tokens issued for nothing are one group, last, shown without a link.
import { useCallback } from 'react';
import { api } from '../api.js';
import { Time } from '../format.js';
import { followLink, paths } from '../router.js';
import { useLoaded } from '../use-request.js';

export function ApplicationsPage() {
  const load = useCallback(() => api.listApplications(), []);
  const { data, error, busy, reload } = useLoaded(load);
  return (
    <>
      <h1 tabIndex={-1}>Applications</h1>
      <p className="lead">
        Tokens grouped by the app or system they are issued for. Open a group to see and manage its tokens.
      </p>
      {error ? (
        <div className="alert alert-error" role="alert">
          <p>The applications could not be loaded: {error.message}</p>
          <button type="button" className="button" onClick={reload}>
            Try again
          </button>
        </div>
      ) : null}
      {data === null && !error ? <p className="muted">Loading applications…</p> : null}
      {data?.items.length === 0 ? <p className="empty-state">No tokens yet, so no applications.</p> : null}
      {data && data.items.length > 0 ? (
        <div className="table-wrap">
          <table className="token-table" aria-busy={busy}>
            <caption className="visually-hidden">Applications and their tokens</caption>
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col">Tokens</th>
                <th scope="col">Active</th>
                <th scope="col">Suspended</th>
                <th scope="col">Last used</th>
                <th scope="col">Next expiry</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((app) => (
                <tr key={app.issuedFor ?? ''} data-application={app.issuedFor ?? ''}>
                  <td>
                    {app.issuedFor === null ? (
                      <span className="muted">Not issued for an application</span>
                    ) : (
                      <a
                        href={`${paths.tokens}?${new URLSearchParams({ issuedFor: app.issuedFor }).toString()}`}
                        onClick={followLink}
                        className="token-name"
                      >
                        {app.issuedFor}
                      </a>
                    )}
                  </td>
                  <td>{app.tokens}</td>
                  <td>{app.active}</td>
                  <td>{app.suspended}</td>
                  <td>
                    <Time iso={app.lastUsedAt} empty="Never" />
                  </td>
                  <td>
                    <Time iso={app.nextExpiresAt} empty="None" />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
