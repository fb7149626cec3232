// The Edit dialog of an active or suspended token: name, description, issued for, permissions and
// allowed addresses, filled in from the token. Only the fields that changed are sent (PATCH), so an
// unchanged form sends nothing and the history gets no empty event; the server's 400 shows at its field.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { Dialog, ErrorMessage } from '../dialog.js';
import { formField, TextField } from '../fields.js';
import type { Token, TokenChanges } from '../types.js';
import { useRequest } from '../use-request.js';
import {
  AllowedIpsField,
  addressLines,
  PermissionField,
  usePermissionCatalogue,
} from './permission-field.js';
import { apiFields, checkDetails, type FieldErrors } from './token-form.js';

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((item, i) => item === b[i]);

interface EditForm {
  name: string;
  description: string;
  issuedFor: string;
  permissions: string[];
  allowedIps: string;
}

/** The PATCH body: each field whose value differs from the token's; empty texts clear theirs. */
function changesOf(token: Token, form: EditForm): TokenChanges {
  const changes: TokenChanges = {};
  const name = form.name.trim();
  const description = form.description.trim() || null;
  const issuedFor = form.issuedFor.trim() || null;
  const allowedIps = addressLines(form.allowedIps);
  if (name !== token.name) changes.name = name;
  if (description !== token.description) changes.description = description;
  if (issuedFor !== token.issuedFor) changes.issuedFor = issuedFor;
  if (!sameList([...form.permissions].sort(), [...token.permissions].sort()))
    changes.permissions = form.permissions;
  if (!sameList(allowedIps, token.allowedIps)) changes.allowedIps = allowedIps;
  return changes;
}

interface EditTokenDialogProps {
  token: Token;
  onChanged: (token: Token) => void;
  onClose: () => void;
}

export function EditTokenDialog({ token, onChanged, onClose }: EditTokenDialogProps) {
  const [form, setForm] = useState<EditForm>({
    name: token.name,
    description: token.description ?? '',
    issuedFor: token.issuedFor ?? '',
    permissions: token.permissions,
    allowedIps: token.allowedIps.join('\n'),
  });
  const set =
    <K extends keyof EditForm>(key: K) =>
    (value: EditForm[K]) =>
      setForm((f) => ({ ...f, [key]: value }));
  const [checked, setChecked] = useState<FieldErrors>({});
  const catalogue = usePermissionCatalogue();
  const { busy, error, run, clearError } = useRequest();
  const ref = useRef<HTMLFormElement>(null);
  const apiField = formField(apiFields, error?.field);
  const errors: FieldErrors = error && apiField ? { [apiField]: error.message } : checked;
  const formError = error && !apiField ? error.message : null;

  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [checked, error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const found = checkDetails(form.name, form.description, form.issuedFor);
    if (form.permissions.length === 0) found.permissions = 'Choose at least one permission.';
    clearError();
    setChecked(found);
    if (Object.keys(found).length > 0) return;
    const changes = changesOf(token, form);
    if (Object.keys(changes).length === 0) {
      onClose();
      return;
    }
    void run(
      () => api.updateToken(token.id, changes),
      (next) => {
        onChanged(next);
        onClose();
      },
    );
  }

  return (
    <Dialog title="Edit token" onClose={onClose} busy={busy} wide>
      <form ref={ref} onSubmit={submit} noValidate>
        <ErrorMessage message={formError} />
        <TextField
          label="Name"
          value={form.name}
          onChange={set('name')}
          error={errors.name}
          required
          maxLength={200}
          autoFocus
        />
        <TextField
          label="Description"
          value={form.description}
          onChange={set('description')}
          error={errors.description}
          multiline
          maxLength={2000}
        />
        <TextField
          label="Issued for"
          value={form.issuedFor}
          onChange={set('issuedFor')}
          error={errors.issuedFor}
          maxLength={200}
        />
        <PermissionField
          catalogue={catalogue.data?.items ?? null}
          loadError={catalogue.error?.message ?? null}
          value={form.permissions}
          onChange={set('permissions')}
          held={token.permissions}
          error={errors.permissions}
        />
        <AllowedIpsField value={form.allowedIps} onChange={set('allowedIps')} error={errors.allowedIps} />
        <p className="hint">Changes apply to the token at once, on every instance.</p>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
