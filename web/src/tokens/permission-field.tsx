// The permissions and allowed addresses a token is given, shared by Create and Edit: the operator's
// catalogue as checkboxes grouped by the key's first segment (a deprecated permission only where the
// token already holds it, marked: it cannot be granted anew), and the network rule one entry a line.
// The server decides every rule; the page only keeps the choice and shows the server's message here.
import { useId } from 'react';
import { api } from '../api.js';
import { FieldError, TextField } from '../fields.js';
import type { Permission } from '../types.js';
import { useLoaded } from '../use-request.js';

/** What a token created without a choice gets (SPEC section 1), checked by default in Create. */
export const DEFAULT_PERMISSIONS = ['core.core.files_download'];

export function usePermissionCatalogue() {
  return useLoaded(api.listPermissions);
}

/** The catalogue's entries by first segment, in key order (the API answers in key order). */
export function groupByFirstSegment(permissions: Permission[]): [string, Permission[]][] {
  const groups = new Map<string, Permission[]>();
  for (const permission of permissions) {
    const segment = permission.key.split('.')[0] ?? permission.key;
    groups.set(segment, [...(groups.get(segment) ?? []), permission]);
  }
  return [...groups];
}

interface PermissionFieldProps {
  catalogue: Permission[] | null;
  /** The catalogue could not be loaded. */
  loadError: string | null;
  value: string[];
  onChange: (keys: string[]) => void;
  /** The permissions the token holds now: deprecated ones among them stay offered. */
  held?: string[];
  error: string | undefined;
}

export function PermissionField({
  catalogue,
  loadError,
  value,
  onChange,
  held = [],
  error,
}: PermissionFieldProps) {
  const id = useId();
  const offered = (catalogue ?? []).filter((p) => !p.deprecated || held.includes(p.key));
  const toggle = (key: string, on: boolean) =>
    onChange(on ? [...value, key].sort() : value.filter((k) => k !== key));
  return (
    <fieldset
      className="field permission-field"
      aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
    >
      <legend>Permissions</legend>
      <p id={`${id}-hint`} className="hint">
        What the token may do. Give it only what the integration needs.
      </p>
      {loadError ? <p className="field-error">The permissions could not be loaded: {loadError}</p> : null}
      {catalogue === null && !loadError ? <p className="muted">Loading permissions…</p> : null}
      {groupByFirstSegment(offered).map(([segment, permissions]) => (
        <fieldset key={segment} className="permission-group">
          <legend>{segment}</legend>
          {permissions.map((permission) => (
            <div key={permission.key} className="permission-choice">
              <input
                type="checkbox"
                id={`${id}-${permission.key}`}
                checked={value.includes(permission.key)}
                aria-invalid={error ? true : undefined}
                aria-describedby={`${id}-${permission.key}-about`}
                onChange={(event) => toggle(permission.key, event.target.checked)}
              />
              <label htmlFor={`${id}-${permission.key}`}>
                <code>{permission.key}</code>
              </label>
              <span id={`${id}-${permission.key}-about`} className="description">
                {permission.deprecated ? (
                  <>
                    <span className="tag tag-deprecated">deprecated</span>{' '}
                  </>
                ) : null}
                {permission.description}
              </span>
            </div>
          ))}
        </fieldset>
      ))}
      <FieldError id={`${id}-error`} message={error} />
    </fieldset>
  );
}

/** The textarea's lines as the request's list: blank lines dropped, each entry trimmed. */
export function addressLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

export function AllowedIpsField(props: {
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
}) {
  return (
    <TextField
      label="Allowed addresses"
      value={props.value}
      onChange={props.onChange}
      error={props.error}
      multiline
      hint="One IPv4 or IPv6 address or CIDR range per line, e.g. 203.0.113.7 or 198.51.100.0/24. Requests from anywhere else are refused. Leave empty to allow any address."
    />
  );
}
