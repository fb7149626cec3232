// How an endpoint and a delivery read on the page: enabled or disabled (with the reason tokend or a
// person gave), a delivery's status word, and its outcome (the receiver's status code, or the error).
// Badges reuse the token states' colours and always carry their text; the warning above a new secret.
import type { Delivery, DeliveryStatus, Webhook } from '../types.js';

const deliveryTones: Record<DeliveryStatus, string> = {
  delivered: 'status-active',
  pending: 'status-suspended',
  failed: 'status-revoked',
};

export function DeliveryBadge({ status }: { status: DeliveryStatus }) {
  return (
    <span className={`status ${deliveryTones[status]}`} data-status={status}>
      <span className="status-dot" aria-hidden="true" />
      {status}
    </span>
  );
}

export function EnabledBadge({ webhook }: { webhook: Webhook }) {
  return (
    <span className={`status ${webhook.enabled ? 'status-active' : 'status-expired'}`}>
      <span className="status-dot" aria-hidden="true" />
      {webhook.enabled ? 'Enabled' : 'Disabled'}
    </span>
  );
}

/** Enabled, or Disabled with why beneath it. */
export function EndpointStatus({ webhook }: { webhook: Webhook }) {
  return (
    <>
      <EnabledBadge webhook={webhook} />
      {!webhook.enabled && webhook.disabledReason ? (
        <div className="description">{webhook.disabledReason}</div>
      ) : null}
    </>
  );
}

/** "HTTP 200 in 12 ms", or the error when the receiver gave no answer tokend accepts. */
export function outcomeText(delivery: Delivery): string {
  if (delivery.attempt === 0) return 'Not attempted yet';
  const parts: string[] = [];
  if (delivery.responseStatus !== null) parts.push(`HTTP ${delivery.responseStatus}`);
  if (delivery.durationMs !== null) parts.push(`in ${delivery.durationMs} ms`);
  const answer = parts.join(' ');
  if (delivery.status === 'delivered' || !delivery.error) return answer || '—';
  return answer ? `${answer}: ${delivery.error}` : delivery.error;
}

/** Above a signing secret shown once (after Create and Rotate secret). */
export const secretWarning = (
  <>
    <strong>Copy this signing secret now.</strong> It will not be shown again. The receiver verifies each
    message’s <code>webhook-signature</code> with it (the Standard Webhooks scheme); keep it in a secrets
    manager.
  </>
);
