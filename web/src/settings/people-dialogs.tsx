// The People page's dialogs: Add person (email, name, role, the tokens feature; then the generated
// password, shown once), Edit (name, role, feature) and the confirmation of Deactivate or Reactivate.
import { type FormEvent, useState } from 'react';
import { api } from '../api.js';
import { Dialog, DialogActions, ErrorMessage } from '../dialog.js';
import { TextField } from '../fields.js';
import type { Person } from '../types.js';
import { TOKENS_FEATURE } from '../types.js';
import { useRequest } from '../use-request.js';
import { fieldError, PasswordReveal, ProfileFields, type Role } from './person-fields.js';

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
        <DialogActions busy={busy} label="Add person" onCancel={onClose} />
      </form>
    </Dialog>
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
        <DialogActions busy={busy} label="Save" onCancel={onClose} />
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
        <DialogActions
          busy={busy}
          danger={off}
          label={off ? 'Deactivate' : 'Reactivate'}
          onCancel={props.onClose}
        />
      </form>
    </Dialog>
  );
}
