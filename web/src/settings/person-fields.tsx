// What the People dialogs share: the role and feature fields, the dialog's buttons, a field's message
// from the API's refusal, and the generated password shown once after Add person.
import { useId } from 'react';
import { FieldError } from '../fields.js';
import type { Person } from '../types.js';

export type Role = Person['role'];

export function ProfileFields(props: {
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

export const fieldError = (error: { message: string; field?: string | undefined } | null, field: string) =>
  error?.field === field ? error.message : undefined;

/** The generated password, shown once: it lives only in this dialog's state. */
export function PasswordReveal({
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
