// Settings → Webhooks: the institution's endpoints (SPEC section 10) with their URL, description,
// events, whether they are enabled (and why not) and their last delivery; Create webhook, and an empty
// state that says what webhooks are for. Each URL leads to the endpoint's own page.
import { useState } from 'react';
import { api } from '../api.js';
import { ErrorMessage } from '../dialog.js';
import { Time } from '../format.js';
import { followLink, paths } from '../router.js';
import type { Webhook } from '../types.js';
import { useLoaded } from '../use-request.js';
import { EventSummary } from './event-field.js';
import { DeliveryBadge, EndpointStatus } from './webhook-format.js';
import { WebhookFormDialog } from './webhook-form-dialog.js';

export function WebhookListPage() {
  const list = useLoaded(api.listWebhooks);
  const [creating, setCreating] = useState(false);
  const items = list.data?.items ?? null;
  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Webhooks</h1>
          <p className="lead">
            tokend sends each audit event to these endpoints as it happens, signed by the Standard Webhooks
            scheme, and retries until the receiver answers.
          </p>
        </div>
        {items && items.length > 0 ? (
          <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
            Create webhook
          </button>
        ) : null}
      </div>
      {list.error ? (
        <ErrorMessage message={`The webhooks could not be loaded: ${list.error.message}`} />
      ) : null}
      {items === null && !list.error ? <p className="muted">Loading webhooks…</p> : null}
      {items?.length === 0 ? <EmptyState onCreate={() => setCreating(true)} /> : null}
      {items && items.length > 0 ? <WebhookTable webhooks={items} busy={list.busy} /> : null}
      {creating ? <WebhookFormDialog onSaved={list.reload} onClose={() => setCreating(false)} /> : null}
    </>
  );
}

function WebhookTable({ webhooks, busy }: { webhooks: Webhook[]; busy: boolean }) {
  return (
    <div className="table-wrap">
      <table className="token-table webhook-table" aria-busy={busy}>
        <caption className="visually-hidden">Webhook endpoints of this institution</caption>
        <thead>
          <tr>
            <th scope="col">URL</th>
            <th scope="col">Status</th>
            <th scope="col">Events</th>
            <th scope="col">Last delivery</th>
          </tr>
        </thead>
        <tbody>
          {webhooks.map((webhook) => (
            <tr key={webhook.id} data-webhook-id={webhook.id}>
              <td>
                <a href={paths.webhook(webhook.id)} onClick={followLink} className="token-name webhook-url">
                  {webhook.url}
                </a>
                {webhook.description ? <div className="description">{webhook.description}</div> : null}
              </td>
              <td data-column="status">
                <EndpointStatus webhook={webhook} />
              </td>
              <td>
                <EventSummary events={webhook.events} />
              </td>
              <td data-column="last-delivery">
                {webhook.lastDeliveryStatus ? (
                  <>
                    <DeliveryBadge status={webhook.lastDeliveryStatus} />
                    <div className="description">
                      <Time iso={webhook.lastDeliveryAt} />
                    </div>
                  </>
                ) : (
                  <span className="muted">None yet</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EmptyState({ onCreate }: { onCreate: () => void }) {
  return (
    <section className="empty-state" aria-labelledby="empty-title">
      <h2 id="empty-title">No webhooks yet</h2>
      <p>
        A webhook pushes token events — created, suspended, rotated, expiring, leaked — to your own systems: a
        SIEM, a chat channel, a secret manager. Each message carries a <code>webhook-id</code> to deduplicate
        by and a signature to verify with the secret shown when the webhook is created.
      </p>
      <button type="button" className="button button-primary" onClick={onCreate}>
        Create webhook
      </button>
    </section>
  );
}
