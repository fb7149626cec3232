// The dialogs behind the detail page's actions: Suspend and Revoke (with an optional reason; Revoke
// names the token and says it is final), Rotate (grace period, new secret shown once) and Renew.
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api.js';
import { Dialog, DialogActions, ErrorMessage } from '../dialog.js';
import { TextField } from '../fields.js';
import type { Token, TokenWithSecret } from '../types.js';
import { useRequest } from '../use-request.js';
import { defaultExpiry, ExpiryField, type ExpiryValue, expiryRequest } from './expiry-field.js';
import { SecretReveal } from './secret-reveal.js';

interface ActionDialogProps {
  token: Token;
  onChanged: (token: Token) => void;
  onClose: () => void;
}

export function ReasonDialog({
  token,
  onChanged,
  onClose,
  action,
}: ActionDialogProps & { action: 'suspend' | 'revoke' }) {
  const [reason, setReason] = useState('');
  const { busy, error, run } = useRequest();
  const revoke = action === 'revoke';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(
      () => api.transition(token.id, action, reason.trim() || undefined),
      (next) => {
        onChanged(next);
        onClose();
      },
    );
  };
  return (
    <Dialog title={revoke ? 'Revoke token' : 'Suspend token'} onClose={onClose} busy={busy}>
      <form onSubmit={submit}>
        {revoke ? (
          <p className="alert alert-error">
            Revoke <strong>{token.name}</strong> (<code>{token.display}</code>)?{' '}
            <strong>This cannot be undone:</strong> every request with this token will be refused, forever. It
            stays listed for audit.
          </p>
        ) : (
          <p>
            Requests using <strong>{token.name}</strong> (<code>{token.display}</code>) will be refused until
            it is reactivated.
          </p>
        )}
        <ErrorMessage message={error?.message ?? null} />
        <TextField label="Reason" value={reason} onChange={setReason} multiline maxLength={500} />
        <DialogActions
          busy={busy}
          danger={revoke}
          label={revoke ? 'Revoke token' : 'Suspend token'}
          busyLabel={revoke ? 'Revoking…' : 'Suspending…'}
          onCancel={onClose}
        />
      </form>
    </Dialog>
  );
}

const graceChoices = [
  { seconds: 0, label: 'None: the current secret stops working now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '1 day' },
  { seconds: 604800, label: '7 days' },
];

export function RotateDialog({ token, onChanged, onClose }: ActionDialogProps) {
  const hintId = useId();
  // A leaked secret must stop working with the rotation: no grace is the default then.
  const [grace, setGrace] = useState(token.compromisedAt ? 0 : 3600);
  const [rotated, setRotated] = useState<TokenWithSecret | null>(null);
  const { busy, error, run } = useRequest();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(
      () => api.rotate(token.id, grace, token.display),
      (result) => {
        setRotated(result);
        onChanged(result.token);
      },
    );
  };
  if (rotated) {
    return (
      <Dialog title="Token rotated" onClose={onClose} wide>
        <SecretReveal secret={rotated.secret} tokenName={rotated.token.name} onDone={onClose} />
      </Dialog>
    );
  }
  return (
    <Dialog title="Rotate token" onClose={onClose} busy={busy} wide>
      <form onSubmit={submit}>
        <p>
          A new secret replaces the current one of <strong>{token.name}</strong>. The token keeps its id,
          name, expiry and history.
        </p>
        <ErrorMessage message={error?.message ?? null} />
        <fieldset className="field" aria-describedby={hintId}>
          <legend>Grace period for the current secret</legend>
          <div className="choices choices-stacked">
            {graceChoices.map((choice) => (
              <label key={choice.seconds} className="choice">
                <input
                  type="radio"
                  name={`${hintId}-grace`}
                  checked={grace === choice.seconds}
                  data-autofocus={choice.seconds === grace ? '' : undefined}
                  onChange={() => setGrace(choice.seconds)}
                />
                {choice.label}
              </label>
            ))}
          </div>
          <p id={hintId} className="hint">
            A grace period lets the integration switch to the new secret without downtime. Choose none if the
            current secret may have leaked.
          </p>
        </fieldset>
        <DialogActions busy={busy} label="Rotate token" busyLabel="Rotating…" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

export function RenewDialog({ token, onChanged, onClose }: ActionDialogProps) {
  const [expiry, setExpiry] = useState<ExpiryValue>(defaultExpiry);
  const [expiryError, setExpiryError] = useState<string | undefined>();
  const { busy, error, run } = useRequest();
  const onExpiryField = error?.field === 'expiresAt' || error?.field === 'expiresInDays';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const request = expiryRequest(expiry);
    setExpiryError('error' in request ? request.error : undefined);
    if ('error' in request) return;
    void run(
      () => api.renew(token.id, request.body),
      (next) => {
        onChanged(next);
        onClose();
      },
    );
  };
  return (
    <Dialog title="Renew token" onClose={onClose} busy={busy} wide>
      <form onSubmit={submit} noValidate>
        <p>
          Choose a new expiry for <strong>{token.name}</strong>. The secret stays the same.
        </p>
        <ErrorMessage message={onExpiryField ? null : (error?.message ?? null)} />
        <ExpiryField
          value={expiry}
          onChange={setExpiry}
          error={expiryError ?? (onExpiryField ? error?.message : undefined)}
          legend="New expiry"
          allowNone={false}
        />
        <DialogActions busy={busy} label="Renew token" busyLabel="Renewing…" onCancel={onClose} />
      </form>
    </Dialog>
  );
}
