// The institution's settings on Overview (SPEC 11): its name, notification addresses and token policy,
// a form for administrators (PATCH /apis/v1/institution, the server's refusal shown at its field) and the
// read-only list for staff (settings-view.tsx, with what the operator sets: hosts and single sign-on).
import { type FormEvent, useCallback, useState } from 'react';
import { api } from '../api.js';
import { ErrorMessage } from '../dialog.js';
import { FieldError, TextField } from '../fields.js';
import type { InstitutionSettings, Policy } from '../types.js';
import { LEAK_LABELS, SettingsList, SsoCard } from './settings-view.js';
import { useLoaded } from '../use-request.js';

export function InstitutionSettingsCard({ canEdit }: { canEdit: boolean }) {
  const load = useCallback(() => api.getInstitution(), []);
  const settings = useLoaded(load);
  if (!settings.data)
    return settings.error ? (
      <ErrorMessage message={settings.error.message} />
    ) : (
      <p className="muted">Loading…</p>
    );
  return (
    <>
      {canEdit ? (
        <SettingsForm settings={settings.data} onSaved={settings.setData} />
      ) : (
        <SettingsList settings={settings.data} />
      )}
      <SsoCard settings={settings.data} />
    </>
  );
}

/** A whole number of days, or null when empty; NaN (refused by the server) when not a number. */
const readDays = (text: string) => (text.trim() === '' ? null : Number(text));

function SettingsForm({
  settings,
  onSaved,
}: {
  settings: InstitutionSettings;
  onSaved: (s: InstitutionSettings) => void;
}) {
  const p = settings.policy;
  const [name, setName] = useState(settings.name);
  const [addresses, setAddresses] = useState(settings.notificationAddresses.join('\n'));
  const [requireExpiry, setRequireExpiry] = useState(p.requireExpiry);
  const [maxDays, setMaxDays] = useState(p.maxLifetimeDays?.toString() ?? '');
  const [requireAllowedIps, setRequireAllowedIps] = useState(p.requireAllowedIps);
  const [allowQueryToken, setAllowQueryToken] = useState(p.allowQueryToken);
  const [leakResponse, setLeakResponse] = useState(p.leakResponse);
  const [unusedDays, setUnusedDays] = useState(p.suspendUnusedAfterDays?.toString() ?? '');
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string | undefined } | null>(null);
  const at = (field: string) => (error?.field === field ? error.message : undefined);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setSaved(false);
    setError(null);
    api
      .updateInstitution({
        name: name.trim(),
        notificationAddresses: addresses.split(/[\s,]+/).filter(Boolean),
        policy: {
          requireExpiry,
          maxLifetimeDays: readDays(maxDays),
          requireAllowedIps,
          allowQueryToken,
          leakResponse,
          suspendUnusedAfterDays: readDays(unusedDays),
        },
      })
      .then(
        (next) => {
          setSaved(true);
          onSaved(next);
        },
        (failure: Error & { field?: string }) => setError({ message: failure.message, field: failure.field }),
      )
      .finally(() => setBusy(false));
  };

  return (
    <section className="card" aria-labelledby="policy-title">
      <h2 id="policy-title">Institution settings</h2>
      <form onSubmit={submit}>
        {error && !error.field ? <ErrorMessage message={error.message} /> : null}
        <TextField label="Name" value={name} onChange={setName} required maxLength={200} error={at('name')} />
        <TextField
          label="Notification addresses"
          value={addresses}
          onChange={setAddresses}
          multiline
          hint="One email address per line: who is told when a token leaks."
          error={at('notificationAddresses')}
        />
        <Check label="Tokens must expire" checked={requireExpiry} onChange={setRequireExpiry} />
        <DaysField
          label="Longest token lifetime (days)"
          hint="1 to 1826 days; empty for no limit."
          value={maxDays}
          onChange={setMaxDays}
          error={at('maxLifetimeDays')}
        />
        <Check
          label="Tokens must have allowed addresses"
          checked={requireAllowedIps}
          onChange={setRequireAllowedIps}
        />
        <Check
          label="Accept tokens in the ?token= query parameter"
          hint="Off: integrations must send the FF_AUTH or Authorization header (URLs end up in logs)."
          checked={allowQueryToken}
          onChange={setAllowQueryToken}
        />
        <div className="field">
          <label htmlFor="leak-response">When a token leaks</label>
          <select
            id="leak-response"
            value={leakResponse}
            onChange={(event) => setLeakResponse(event.target.value as Policy['leakResponse'])}
          >
            {Object.entries(LEAK_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          <FieldError id={undefined} message={at('leakResponse')} />
        </div>
        <DaysField
          label="Suspend tokens unused for (days)"
          hint="30 to 730 days; empty for never."
          value={unusedDays}
          onChange={setUnusedDays}
          error={at('suspendUnusedAfterDays')}
        />
        <div className="dialog-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save settings'}
          </button>
        </div>
        <p className="hint" role="status">
          {saved ? 'Settings saved.' : null}
        </p>
      </form>
    </section>
  );
}

function Check(props: { label: string; hint?: string; checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <div className="field">
      <label className="choice">
        <input
          type="checkbox"
          checked={props.checked}
          onChange={(event) => props.onChange(event.target.checked)}
        />
        {props.label}
      </label>
      {props.hint ? <p className="hint">{props.hint}</p> : null}
    </div>
  );
}

function DaysField(props: {
  label: string;
  hint: string;
  value: string;
  onChange: (v: string) => void;
  error: string | undefined;
}) {
  const id = props.label.toLowerCase().replace(/[^a-z]+/g, '-');
  return (
    <div className="field field-inline">
      <label htmlFor={id}>
        {props.label} <span className="optional">(optional)</span>
      </label>
      <input
        id={id}
        type="number"
        min={1}
        step={1}
        value={props.value}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${id}-hint${props.error ? ` ${id}-error` : ''}`}
        onChange={(event) => props.onChange(event.target.value)}
      />
      <p id={`${id}-hint`} className="hint">
        {props.hint}
      </p>
      <FieldError id={`${id}-error`} message={props.error} />
    </div>
  );
}
