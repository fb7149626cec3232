// One token: its metadata, the actions its state allows (nothing else is offered), the leak notice while
// its secret is compromised, the grace notice after a rotation, daily usage and the audit history. After each action the page shows the token the
// server answered with (no GET of it again) and reloads only the history and usage.
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.js';
import { ErrorMessage } from '../dialog.js';
import { Time } from '../format.js';
import { followLink, paths } from '../router.js';
import type { Token } from '../types.js';
import { useLoaded, useRequest } from '../use-request.js';
import { ReasonDialog, RenewDialog, RotateDialog } from './action-dialogs.js';
import { AuditHistory } from './audit-history.js';
import { EditTokenDialog } from './edit-token-dialog.js';
import { LeakNotice } from './leak-notice.js';
import { RecentAddresses } from './recent-addresses.js';
import { TokenMetadata } from './token-metadata.js';
import { UsageChart } from './usage-chart.js';

type Action = 'edit' | 'suspend' | 'revoke' | 'rotate' | 'renew';

export function TokenDetailPage({ id }: { id: string }) {
  // `version` counts the actions taken here: it re-keys the history, which an action adds to.
  const [version, setVersion] = useState(0);
  const loaded = useLoaded(useCallback(() => api.getToken(id), [id]));
  const usage = useLoaded(useCallback(() => api.getUsage(id), [id]));
  const [dialog, setDialog] = useState<Action | null>(null);
  const token = loaded.data;

  const changed = (next: Token) => {
    loaded.setData(next);
    setVersion((n) => n + 1);
    usage.reload();
  };

  // The heading is rendered in every state so focus placed on it survives the token's arrival.
  const header = (
    <>
      <BackLink />
      <div className="page-header">
        <h1 tabIndex={-1}>{token?.name ?? 'API token'}</h1>
        {/* Re-keyed by each change, so a refusal shown before it does not outlive it. */}
        {token ? <TokenActions key={version} token={token} onAction={setDialog} onChanged={changed} /> : null}
      </div>
    </>
  );
  if (!token) {
    return (
      <>
        {header}
        {loaded.error ? (
          <ErrorMessage message={`The token could not be loaded: ${loaded.error.message}`} />
        ) : (
          <p className="muted">Loading…</p>
        )}
      </>
    );
  }
  return (
    <>
      {header}
      <ErrorMessage message={usage.error?.message ?? null} />
      <LeakNotice token={token} onRotate={rotatable(token) ? () => setDialog('rotate') : null} />
      <GraceNotice until={token.previousSecretValidUntil} />
      <section className="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <TokenMetadata token={token} />
      </section>
      <section className="card" aria-labelledby="addresses-title">
        <h2 id="addresses-title">Recent addresses</h2>
        <RecentAddresses addresses={token.recentIps} />
      </section>
      <section className="card" aria-labelledby="usage-title">
        <h2 id="usage-title">Requests per day, last 90 days</h2>
        {usage.data ? <UsageChart items={usage.data.items} /> : <p className="muted">Loading…</p>}
      </section>
      <AuditHistory tokenId={token.id} version={version} />
      {dialog === 'suspend' || dialog === 'revoke' ? (
        <ReasonDialog action={dialog} token={token} onChanged={changed} onClose={() => setDialog(null)} />
      ) : null}
      {dialog === 'rotate' ? (
        <RotateDialog token={token} onChanged={changed} onClose={() => setDialog(null)} />
      ) : null}
      {dialog === 'edit' ? (
        <EditTokenDialog token={token} onChanged={changed} onClose={() => setDialog(null)} />
      ) : null}
      {dialog === 'renew' ? (
        <RenewDialog token={token} onChanged={changed} onClose={() => setDialog(null)} />
      ) : null}
    </>
  );
}

const rotatable = (token: Token) => token.state === 'active' || token.state === 'suspended';

function BackLink() {
  return (
    <p className="breadcrumb">
      <a href={paths.tokens} onClick={followLink}>
        ← Manage API Tokens
      </a>
    </p>
  );
}

function GraceNotice({ until }: { until: string | null }) {
  // The clock is read when the page opens and again when the grace ends, never during a render.
  const [now, setNow] = useState(Date.now);
  const ends = until ? new Date(until).getTime() : null;
  useEffect(() => {
    if (ends === null || ends <= now) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.min(Math.max(0, ends - Date.now()), MAX_DELAY));
    return () => clearTimeout(timer);
  }, [ends, now]);
  if (ends === null || ends <= now) return null;
  return (
    <p className="alert alert-info" role="status">
      The previous secret still works until <Time iso={until} />. Move the integration to the new secret
      before then.
    </p>
  );
}

/** setTimeout's longest delay (about 24.8 days); a longer grace is looked at again then. */
const MAX_DELAY = 2 ** 31 - 1;

interface TokenActionsProps {
  token: Token;
  onAction: (action: Action) => void;
  onChanged: (token: Token) => void;
}

function TokenActions({ token, onAction, onChanged }: TokenActionsProps) {
  const { busy, error, run } = useRequest();
  const reactivate = () => run(() => api.transition(token.id, 'reactivate'), onChanged);
  if (token.state === 'revoked' || token.state === 'expired') {
    return (
      <p className="muted actions-note">
        This token is {token.state} and can no longer be used; it stays listed for audit.
      </p>
    );
  }
  return (
    <div className="actions">
      <ErrorMessage message={error?.message ?? null} />
      <div className="button-group">
        <button type="button" className="button" onClick={() => onAction('edit')}>
          Edit
        </button>
        <button type="button" className="button" onClick={() => onAction('rotate')}>
          Rotate
        </button>
        {token.state === 'active' ? (
          <>
            <button type="button" className="button" onClick={() => onAction('renew')}>
              Renew
            </button>
            <button type="button" className="button button-warning" onClick={() => onAction('suspend')}>
              Suspend
            </button>
          </>
        ) : (
          <>
            <button type="button" className="button" disabled={busy} onClick={() => void reactivate()}>
              {busy ? 'Reactivating…' : 'Reactivate'}
            </button>
            <button type="button" className="button button-danger" onClick={() => onAction('revoke')}>
              Revoke token
            </button>
          </>
        )}
      </div>
    </div>
  );
}
