// The Create token dialog: the token's details, expiry, permissions and allowed addresses, messages
// beside the field at fault (from the form's own checks or the API's 400 `field`), then the new secret
// shown once.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { Dialog, ErrorMessage } from '../dialog.js';
import { formField, TextField } from '../fields.js';
import type { Token, TokenWithSecret } from '../types.js';
import { useRequest } from '../use-request.js';
import { defaultExpiry, ExpiryField, type ExpiryValue, expiryRequest } from './expiry-field.js';
import {
  AllowedIpsField,
  addressLines,
  DEFAULT_PERMISSIONS,
  PermissionField,
  usePermissionCatalogue,
} from './permission-field.js';
import { SecretReveal } from './secret-reveal.js';
import { apiFields, checkDetails, type FieldErrors } from './token-form.js';

interface CreateTokenDialogProps {
  onCreated: (token: Token) => void;
  onClose: () => void;
}

export function CreateTokenDialog({ onCreated, onClose }: CreateTokenDialogProps) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [issuedFor, setIssuedFor] = useState('');
  const [expiry, setExpiry] = useState<ExpiryValue>(defaultExpiry);
  const [chosen, setPermissions] = useState<string[]>(DEFAULT_PERMISSIONS);
  const [allowedIps, setAllowedIps] = useState('');
  const catalogue = usePermissionCatalogue();
  // Only what the catalogue offers can be granted: a deprecated default is not chosen unseen.
  const grantable = catalogue.data?.items.filter((p) => !p.deprecated).map((p) => p.key);
  const permissions = grantable ? chosen.filter((key) => grantable.includes(key)) : chosen;
  const [checked, setChecked] = useState<FieldErrors>({});
  const { busy, error, run, clearError } = useRequest();
  const [created, setCreated] = useState<TokenWithSecret | null>(null);
  const form = useRef<HTMLFormElement>(null);
  // The API's 400 names a field: its message goes beside that field, any other failure above the form.
  const apiField = formField(apiFields, error?.field);
  const errors: FieldErrors = error && apiField ? { [apiField]: error.message } : checked;
  const formError = error && !apiField ? error.message : null;

  useEffect(() => {
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [checked, error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const found = checkDetails(name, description, issuedFor);
    const expiryBody = expiryRequest(expiry);
    if ('error' in expiryBody) found.expiry = expiryBody.error;
    if (permissions.length === 0) found.permissions = 'Choose at least one permission.';
    clearError();
    setChecked(found);
    if (Object.keys(found).length > 0 || 'error' in expiryBody) return;
    const details = {
      name: name.trim(),
      description: description.trim(),
      issuedFor: issuedFor.trim(),
      permissions,
      allowedIps: addressLines(allowedIps),
    };
    void run(
      () => api.createToken(details, expiryBody.body),
      (result) => {
        setCreated(result);
        onCreated(result.token);
      },
    );
  }

  if (created) {
    return (
      <Dialog title="Token created" onClose={onClose} wide>
        <SecretReveal secret={created.secret} tokenName={created.token.name} onDone={onClose} />
      </Dialog>
    );
  }
  return (
    <Dialog title="Create token" onClose={onClose} busy={busy} wide>
      <form ref={form} onSubmit={submit} noValidate>
        <ErrorMessage message={formError} />
        <TextField
          label="Name"
          value={name}
          onChange={setName}
          error={errors.name}
          required
          maxLength={200}
          autoFocus
          hint="A human-readable label for the integration or system that will use the token."
        />
        <TextField
          label="Description"
          value={description}
          onChange={setDescription}
          error={errors.description}
          multiline
          maxLength={2000}
        />
        <TextField
          label="Issued for"
          value={issuedFor}
          onChange={setIssuedFor}
          error={errors.issuedFor}
          maxLength={200}
          hint="The app, service or integration this token represents."
        />
        <ExpiryField value={expiry} onChange={setExpiry} error={errors.expiry} />
        <PermissionField
          catalogue={catalogue.data?.items ?? null}
          loadError={catalogue.error?.message ?? null}
          value={permissions}
          onChange={setPermissions}
          error={errors.permissions}
        />
        <AllowedIpsField value={allowedIps} onChange={setAllowedIps} error={errors.allowedIps} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
