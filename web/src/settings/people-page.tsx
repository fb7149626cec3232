// People (SPEC 11), for administrators: the institution's users with their role, sign-in, status and last
// login; Add person (the generated password shown once), Edit (name, role, the tokens feature) and
// Deactivate / Reactivate, each confirmed. The server decides (the last administrator stays: its 409 is shown).
import { useCallback, useState } from 'react';
import { api } from '../api.js';
import { ErrorMessage } from '../dialog.js';
import { Time } from '../format.js';
import type { Person } from '../types.js';
import { TOKENS_FEATURE } from '../types.js';
import { useLoaded } from '../use-request.js';
import { AddPersonDialog, ConfirmDialog, EditPersonDialog } from './people-dialogs.js';

type Open =
  | { kind: 'add' }
  | { kind: 'edit'; person: Person }
  | { kind: 'deactivate' | 'reactivate'; person: Person }
  | null;

const roleLabel = (p: Person) =>
  p.role === 'admin' ? 'Administrator' : p.features.includes(TOKENS_FEATURE) ? 'Staff (API tokens)' : 'Staff';

export function PeoplePage() {
  const load = useCallback(() => api.listUsers(), []);
  const list = useLoaded(load);
  const [open, setOpen] = useState<Open>(null);
  const close = () => setOpen(null);
  const changed = () => {
    list.reload();
  };
  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>People</h1>
          <p className="lead">Who may sign in to this institution, and what they may do.</p>
        </div>
        <button type="button" className="button button-primary" onClick={() => setOpen({ kind: 'add' })}>
          Add person
        </button>
      </div>
      <ErrorMessage message={list.error?.message ?? null} />
      {list.data ? (
        <div className="table-wrap">
          <table className="token-table">
            <caption className="visually-hidden">People of this institution</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Sign-in</th>
                <th scope="col">Status</th>
                <th scope="col">Last login</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id}>
                  <th scope="row">{p.name}</th>
                  <td>{p.email}</td>
                  <td>{roleLabel(p)}</td>
                  <td>{p.signIn === 'oidc' ? 'Single sign-on' : 'Password'}</td>
                  <td>
                    <span className={`status status-${p.active ? 'active' : 'revoked'}`}>
                      <span className="status-dot" aria-hidden="true" />
                      {p.active ? 'Active' : 'Deactivated'}
                    </span>
                  </td>
                  <td>
                    <Time iso={p.lastLoginAt} empty="Never" />
                  </td>
                  <td>
                    <div className="button-group">
                      <button
                        type="button"
                        className="button"
                        aria-label={`Edit ${p.name}`}
                        onClick={() => setOpen({ kind: 'edit', person: p })}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className={p.active ? 'button button-danger' : 'button'}
                        aria-label={`${p.active ? 'Deactivate' : 'Reactivate'} ${p.name}`}
                        onClick={() => setOpen({ kind: p.active ? 'deactivate' : 'reactivate', person: p })}
                      >
                        {p.active ? 'Deactivate' : 'Reactivate'}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : list.error ? null : (
        <p className="muted">Loading…</p>
      )}
      {open?.kind === 'add' ? <AddPersonDialog onAdded={changed} onClose={close} /> : null}
      {open?.kind === 'edit' ? (
        <EditPersonDialog person={open.person} onChanged={changed} onClose={close} />
      ) : null}
      {open?.kind === 'deactivate' || open?.kind === 'reactivate' ? (
        <ConfirmDialog action={open.kind} person={open.person} onChanged={changed} onClose={close} />
      ) : null}
    </>
  );
}

export function AdministratorsOnly() {
  return (
    <>
      <h1 tabIndex={-1}>People</h1>
      <p className="alert alert-error" role="alert">
        Only administrators can manage people.
      </p>
    </>
  );
}
