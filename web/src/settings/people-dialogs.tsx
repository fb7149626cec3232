// The People page's dialogs: Add person (email, name, role, the tokens feature; then the generated
// password, shown once), Edit (name, role, feature) and the confirmation of Deactivate or Reactivate.
import { type FormEvent, useId, useState } from 'react';
import { api } from '../api.js';
import { Dialog, ErrorMessage } from '../dialog.js';
import { FieldError, TextField } from '../fields.js';
import type { Person } from '../types.js';
import { TOKENS_FEATURE } from '../types.js';
import { useRequest } from '../use-request.js';

type Role = Person['role'];

function ProfileFields(props: {
  role: Role;
  setRole: (r: Role) => void;
  tokens: boolean;
  setTokens: (b: boolean) => void;
  error: { message: string; field?: string | undefined } | null;
}) {
  const roleId = useId();
  return (
    <>
      <div className="field">
        <label htmlFor={roleId}>Role</label>
        <select
          id={roleId}
          value={props.role}
          onChange={(event) => props.setRole(event.target.value as Role)}
        >
          <option value="staff">Staff</option>
          <option value="admin">Administrator</option>
        </select>
        <FieldError
          id={undefined}
          message={props.error?.field === 'role' ? props.error.message : undefined}
        />
      </div>
      {props.role === 'staff' ? (
        <div className="field">
          <label className="choice">
            <input
              type="checkbox"
              checked={props.tokens}
              onChange={(event) => props.setTokens(event.target.checked)}
            />
            May manage API tokens
          </label>
          <FieldError
            id={undefined}
            message={props.error?.field === 'features' ? props.error.message : undefined}
          />
        </div>
      ) : (
        <p className="hint">Administrators may do everything, People and settings included.</p>
      )}
    </>
  );
}

function Actions({
  busy,
  label,
  danger,
  onCancel,
}: {
  busy: boolean;
  label: string;
  danger?: boolean;
  onCancel: () => void;
}) {
  return (
    <div className="dialog-actions">
      <button type="button" className="button" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
      <button
        type="submit"
        className={danger ? 'button button-danger' : 'button button-primary'}
        disabled={busy}
      >
        {busy ? 'Working…' : label}
      </button>
    </div>
  );
}

const fieldError = (error: { message: string; field?: string | undefined } | null, field: string) =>
  error?.field === field ? error.message : undefined;

export function AddPersonDialog({ onAdded, onClose }: { onAdded: () => void; onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('staff');
  const [tokens, setTokens] = useState(true);
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);
  const { busy, error, run } = useRequest();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const features = role === 'staff' && tokens ? [TOKENS_FEATURE] : [];
    void run(
      () => api.createUser({ email: email.trim(), name: name.trim(), role, features }),
      (answer) => {
        setCreated({ email: answer.user.email, password: answer.password });
        onAdded();
      },
    );
  };
  if (created)
    return (
      <Dialog title="Person added" onClose={onClose}>
        <PasswordReveal email={created.email} password={created.password} onDone={onClose} />
      </Dialog>
    );
  const unplaced =
    error && !['email', 'name', 'role', 'features'].includes(error.field ?? '') ? error.message : null;
  return (
    <Dialog title="Add person" onClose={onClose} busy={busy}>
      <form onSubmit={submit}>
        <ErrorMessage message={unplaced} />
        <TextField
          label="Email"
          type="email"
          value={email}
          onChange={setEmail}
          required
          autoFocus
          error={fieldError(error, 'email')}
        />
        <TextField
          label="Name"
          value={name}
          onChange={setName}
          required
          maxLength={200}
          error={fieldError(error, 'name')}
        />
        <ProfileFields role={role} setRole={setRole} tokens={tokens} setTokens={setTokens} error={error} />
        <Actions busy={busy} label="Add person" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

/** The generated password, shown once: it lives only in this dialog's state. */
function PasswordReveal({
  email,
  password,
  onDone,
}: {
  email: string;
  password: string;
  onDone: () => void;
}) {
  const id = useId();
  return (
    <div className="secret-reveal">
      <p className="alert alert-warning" role="alert">
        <strong>Copy this password now.</strong> It will not be shown again. Give it to {email} by a safe
        channel.
      </p>
      <div className="field">
        <label htmlFor={id}>Password for {email}</label>
        <input
          id={id}
          type="text"
          className="secret"
          readOnly
          value={password}
          autoFocus
          spellCheck={false}
          autoComplete="off"
          onFocus={(event) => event.currentTarget.select()}
        />
      </div>
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onDone}>
          Done, I have copied it
        </button>
      </div>
    </div>
  );
}

export function EditPersonDialog({
  person,
  onChanged,
  onClose,
}: {
  person: Person;
  onChanged: () => void;
  onClose: () => void;
}) {
  const [name, setName] = useState(person.name);
  const [role, setRole] = useState<Role>(person.role);
  const [tokens, setTokens] = useState(person.role === 'admin' || person.features.includes(TOKENS_FEATURE));
  const { busy, error, run } = useRequest();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const features = role === 'staff' && tokens ? [TOKENS_FEATURE] : [];
    void run(
      () => api.updateUser(person.id, { name: name.trim(), role, features }),
      () => {
        onChanged();
        onClose();
      },
    );
  };
  const unplaced = error && !['name', 'role', 'features'].includes(error.field ?? '') ? error.message : null;
  return (
    <Dialog title="Edit person" onClose={onClose} busy={busy}>
      <form onSubmit={submit}>
        <p>{person.email}</p>
        <ErrorMessage message={unplaced} />
        <TextField
          label="Name"
          value={name}
          onChange={setName}
          required
          maxLength={200}
          error={fieldError(error, 'name')}
        />
        <ProfileFields role={role} setRole={setRole} tokens={tokens} setTokens={setTokens} error={error} />
        <Actions busy={busy} label="Save" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

export function ConfirmDialog(props: {
  action: 'deactivate' | 'reactivate';
  person: Person;
  onChanged: () => void;
  onClose: () => void;
}) {
  const { action, person } = props;
  const { busy, error, run } = useRequest();
  const off = action === 'deactivate';
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(
      () => api.userAction(person.id, action),
      () => {
        props.onChanged();
        props.onClose();
      },
    );
  };
  return (
    <Dialog title={off ? 'Deactivate person' : 'Reactivate person'} onClose={props.onClose} busy={busy}>
      <form onSubmit={submit}>
        {off ? (
          <p>
            Deactivate <strong>{person.name}</strong> ({person.email})? They are signed out at once and cannot
            sign in until reactivated. The tokens they created keep working.
          </p>
        ) : (
          <p>
            Reactivate <strong>{person.name}</strong> ({person.email})? They can sign in again.
          </p>
        )}
        <ErrorMessage message={error?.message ?? null} />
        <Actions
          busy={busy}
          danger={off}
          label={off ? 'Deactivate' : 'Reactivate'}
          onCancel={props.onClose}
        />
      </form>
    </Dialog>
  );
}
