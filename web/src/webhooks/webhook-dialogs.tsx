// The confirmations behind an endpoint's destructive actions: Delete (names the URL, says its pending
// messages are dropped) and Rotate secret (the old secret signs 24 hours more; the new one is shown once).
import { type FormEvent, useState } from 'react';
import { api } from '../api.js';
import { Dialog, DialogActions, ErrorMessage } from '../dialog.js';
import { SecretReveal } from '../tokens/secret-reveal.js';
import type { Webhook } from '../types.js';
import { useRequest } from '../use-request.js';
import { secretWarning } from './webhook-format.js';

interface ConfirmProps {
  webhook: Webhook;
  onClose: () => void;
}

export function DeleteWebhookDialog({
  webhook,
  onClose,
  onDeleted,
}: ConfirmProps & { onDeleted: () => void }) {
  const { busy, error, run } = useRequest();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(() => api.deleteWebhook(webhook.id), onDeleted);
  };
  return (
    <Dialog title="Delete webhook" onClose={onClose} busy={busy}>
      <form onSubmit={submit}>
        <p className="alert alert-error">
          Delete the endpoint <code className="webhook-url">{webhook.url}</code>?{' '}
          <strong>This cannot be undone:</strong> no more events are sent to it, and messages still waiting
          for delivery are dropped. Its deliveries are deleted with it.
        </p>
        <ErrorMessage message={error?.message ?? null} />
        <DialogActions
          autoFocus
          busy={busy}
          danger
          label="Delete webhook"
          busyLabel="Deleting…"
          onCancel={onClose}
        />
      </form>
    </Dialog>
  );
}

export function RotateSecretDialog({ webhook, onClose }: ConfirmProps) {
  const [secret, setSecret] = useState<string | null>(null);
  const { busy, error, run } = useRequest();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(
      () => api.rotateWebhookSecret(webhook.id),
      (answer) => setSecret(answer.secret),
    );
  };
  if (secret) {
    return (
      <Dialog title="Secret rotated" onClose={onClose} wide>
        <SecretReveal
          secret={secret}
          label={`Signing secret for ${webhook.url}`}
          warning={secretWarning}
          onDone={onClose}
        />
      </Dialog>
    );
  }
  return (
    <Dialog title="Rotate signing secret" onClose={onClose} busy={busy}>
      <form onSubmit={submit}>
        <p>
          A new secret signs the messages to <code className="webhook-url">{webhook.url}</code>. For 24 hours
          the current secret signs them too (two <code>v1,</code> signatures), so the receiver can switch
          without missing a message.
        </p>
        <ErrorMessage message={error?.message ?? null} />
        <DialogActions autoFocus busy={busy} label="Rotate secret" busyLabel="Rotating…" onCancel={onClose} />
      </form>
    </Dialog>
  );
}
