// One webhook endpoint: its details (URL, description, events, enabled or why not, last delivery), the
// actions (Edit, Send test, Enable or Disable, Rotate secret, Delete) and its deliveries with Redeliver.
// After an action the page shows the endpoint the server answered with; a test's delivery is shown as
// the server answered it, and the deliveries are read again.
import { useCallback, useState } from 'react';
import { api } from '../api.js';
import { ErrorMessage } from '../dialog.js';
import { Person, Text, Time } from '../format.js';
import { followLink, navigate, paths } from '../router.js';
import type { Delivery, Webhook } from '../types.js';
import { useLoaded, useRequest } from '../use-request.js';
import { Deliveries } from './deliveries.js';
import { coversEvery } from './event-field.js';
import { DeleteWebhookDialog, RotateSecretDialog } from './webhook-dialogs.js';
import { DeliveryBadge, EndpointStatus, outcomeText } from './webhook-format.js';
import { WebhookFormDialog } from './webhook-form-dialog.js';

type Action = 'edit' | 'rotate' | 'delete';

export function WebhookDetailPage({ id }: { id: string }) {
  const loaded = useLoaded(useCallback(() => api.getWebhook(id), [id]));
  const [dialog, setDialog] = useState<Action | null>(null);
  // `version` counts the changes made here: the deliveries are read again after each (a test adds one).
  const [version, setVersion] = useState(0);
  const [tested, setTested] = useState<Delivery | null>(null);
  const webhook = loaded.data;
  const changed = (next: Webhook) => {
    loaded.setData(next);
    setVersion((n) => n + 1);
  };
  const sentTest = (delivery: Delivery) => {
    setTested(delivery);
    setVersion((n) => n + 1);
    loaded.reload();
  };

  const header = (
    <>
      <p className="breadcrumb">
        <a href={paths.webhooks} onClick={followLink}>
          ← Webhooks
        </a>
      </p>
      <div className="page-header">
        <h1 tabIndex={-1} className="webhook-url">
          {webhook?.url ?? 'Webhook'}
        </h1>
        {webhook ? (
          <WebhookActions
            key={version}
            webhook={webhook}
            onAction={setDialog}
            onChanged={changed}
            onTested={sentTest}
          />
        ) : null}
      </div>
    </>
  );
  if (!webhook) {
    return (
      <>
        {header}
        {loaded.error ? (
          <ErrorMessage message={`The webhook could not be loaded: ${loaded.error.message}`} />
        ) : (
          <p className="muted">Loading…</p>
        )}
      </>
    );
  }
  return (
    <>
      {header}
      {tested ? <TestResult delivery={tested} /> : null}
      {!webhook.enabled ? (
        <p className="alert alert-warning" role="status">
          This endpoint is disabled{webhook.disabledReason ? `: ${webhook.disabledReason}` : ''}. No events
          are sent to it until it is enabled again; messages still within their retry schedule are then sent.
        </p>
      ) : null}
      <section className="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <WebhookMetadata webhook={webhook} />
      </section>
      <Deliveries
        webhookId={webhook.id}
        enabled={webhook.enabled}
        version={version}
        onSettled={loaded.reload}
      />
      {dialog === 'edit' ? (
        <WebhookFormDialog webhook={webhook} onSaved={changed} onClose={() => setDialog(null)} />
      ) : null}
      {dialog === 'rotate' ? <RotateSecretDialog webhook={webhook} onClose={() => setDialog(null)} /> : null}
      {dialog === 'delete' ? (
        <DeleteWebhookDialog
          webhook={webhook}
          onClose={() => setDialog(null)}
          onDeleted={() => navigate(paths.webhooks)}
        />
      ) : null}
    </>
  );
}

function TestResult({ delivery }: { delivery: Delivery }) {
  const ok = delivery.status === 'delivered';
  return (
    <div className={`alert ${ok ? 'alert-info' : 'alert-error'} test-result`} role="status">
      Test event sent: <DeliveryBadge status={delivery.status} /> {outcomeText(delivery)}
      {!ok && delivery.status === 'pending' ? ' It will be retried on the schedule.' : null}
    </div>
  );
}

interface WebhookActionsProps {
  webhook: Webhook;
  onAction: (action: Action) => void;
  onChanged: (webhook: Webhook) => void;
  onTested: (delivery: Delivery) => void;
}

function WebhookActions({ webhook, onAction, onChanged, onTested }: WebhookActionsProps) {
  const toggle = useRequest();
  const test = useRequest();
  const error = toggle.error ?? test.error;
  const setEnabled = () =>
    void toggle.run(() => api.updateWebhook(webhook.id, { enabled: !webhook.enabled }), onChanged);
  const sendTest = () => void test.run(() => api.testWebhook(webhook.id), onTested);
  return (
    <div className="actions">
      <ErrorMessage message={error?.message ?? null} />
      <div className="button-group">
        <button type="button" className="button" onClick={() => onAction('edit')}>
          Edit
        </button>
        <button type="button" className="button" disabled={test.busy} onClick={sendTest}>
          {test.busy ? 'Sending…' : 'Send test'}
        </button>
        <button type="button" className="button" onClick={() => onAction('rotate')}>
          Rotate secret
        </button>
        <button
          type="button"
          className={webhook.enabled ? 'button button-warning' : 'button'}
          disabled={toggle.busy}
          onClick={setEnabled}
        >
          {webhook.enabled ? (toggle.busy ? 'Disabling…' : 'Disable') : toggle.busy ? 'Enabling…' : 'Enable'}
        </button>
        <button type="button" className="button button-danger" onClick={() => onAction('delete')}>
          Delete
        </button>
      </div>
    </div>
  );
}

function WebhookMetadata({ webhook }: { webhook: Webhook }) {
  return (
    <dl className="meta">
      <div className="meta-item">
        <dt>URL</dt>
        <dd>
          <code className="webhook-url">{webhook.url}</code>
        </dd>
      </div>
      <div className="meta-item">
        <dt>Status</dt>
        <dd>
          <EndpointStatus webhook={webhook} />
        </dd>
      </div>
      <div className="meta-item">
        <dt>Description</dt>
        <dd>
          <Text value={webhook.description} />
        </dd>
      </div>
      <div className="meta-item">
        <dt>Last delivery</dt>
        <dd>
          {webhook.lastDeliveryStatus ? (
            <>
              <DeliveryBadge status={webhook.lastDeliveryStatus} /> <Time iso={webhook.lastDeliveryAt} />
            </>
          ) : (
            <span className="muted">None yet</span>
          )}
        </dd>
      </div>
      <div className="meta-item">
        <dt>Created</dt>
        <dd>
          <Time iso={webhook.createdAt} /> by <Person user={webhook.createdBy} empty="unknown" />
        </dd>
      </div>
      <div className="meta-item">
        <dt>Events</dt>
        <dd>
          {coversEvery(webhook.events) ? (
            'Every event'
          ) : (
            <ul className="code-list">
              {webhook.events.map((type) => (
                <li key={type}>
                  <code>{type}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
      </div>
    </dl>
  );
}
