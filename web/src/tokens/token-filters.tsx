// The list's filters: free-text search, status checkboxes, "issued for", a permission from the
// catalogue and "Compromised only". They live in the address
// (?q=&state=&issuedFor=&permission=&compromised=true&sort=&order=) so a reload or a shared link shows the
// same list.
import { useEffect, useId, useState } from 'react';
import { stateLabels } from '../format.js';
import type { Permission, TokenState } from '../types.js';

export interface Filters {
  q: string;
  states: TokenState[];
  issuedFor: string;
  /** Tokens holding any of these (the address may repeat `permission`; the page sets one). */
  permissions: string[];
  /** Only tokens whose current secret was reported leaked. */
  compromised: boolean;
}

const allStates = Object.keys(stateLabels) as TokenState[];

/** A text input whose value reaches `onSettle` once typing pauses, so each keystroke is not a request. */
function DebouncedInput(props: {
  label: string;
  value: string;
  onSettle: (value: string) => void;
  type?: string;
}) {
  const id = useId();
  const { value, onSettle } = props;
  const [text, setText] = useState(value);
  // A value changed from outside (the address) replaces what was typed, during the render that brings it.
  const [given, setGiven] = useState(value);
  if (given !== value) {
    setGiven(value);
    setText(value);
  }
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onSettle(text), 300);
    return () => clearTimeout(timer);
  }, [text, value, onSettle]);
  return (
    <div className="field field-compact">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? 'text'}
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
    </div>
  );
}

/** One permission of the catalogue; a deprecated one too, since tokens may still hold it. */
function PermissionFilter(props: {
  catalogue: Permission[] | null;
  value: string[];
  onChange: (permissions: string[]) => void;
}) {
  const id = useId();
  const known = (props.catalogue ?? []).map((p) => ({ key: p.key, deprecated: p.deprecated }));
  // A key from the address that the catalogue does not list stays choosable (and visibly chosen).
  const extra = props.value.filter((key) => !known.some((p) => p.key === key));
  const options = [...known, ...extra.map((key) => ({ key, deprecated: false }))];
  return (
    <div className="field field-compact">
      <label htmlFor={id}>Permission</label>
      <select
        id={id}
        value={props.value[0] ?? ''}
        onChange={(event) => props.onChange(event.target.value ? [event.target.value] : [])}
      >
        <option value="">Any permission</option>
        {options.map((p) => (
          <option key={p.key} value={p.key}>
            {p.deprecated ? `${p.key} (deprecated)` : p.key}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TokenFilters({
  filters,
  catalogue,
  onChange,
}: {
  filters: Filters;
  catalogue: Permission[] | null;
  onChange: (filters: Filters) => void;
}) {
  const toggle = (state: TokenState, on: boolean) => {
    const states = on ? [...filters.states, state] : filters.states.filter((s) => s !== state);
    onChange({ ...filters, states: allStates.filter((s) => states.includes(s)) });
  };
  return (
    <search className="filters" aria-label="Filter tokens">
      <DebouncedInput
        label="Search"
        type="search"
        value={filters.q}
        onSettle={(q) => onChange({ ...filters, q })}
      />
      <DebouncedInput
        label="Issued for"
        value={filters.issuedFor}
        onSettle={(issuedFor) => onChange({ ...filters, issuedFor })}
      />
      <PermissionFilter
        catalogue={catalogue}
        value={filters.permissions}
        onChange={(permissions) => onChange({ ...filters, permissions })}
      />
      <div className="field field-compact compromised-filter">
        <label className="choice">
          <input
            type="checkbox"
            checked={filters.compromised}
            onChange={(event) => onChange({ ...filters, compromised: event.target.checked })}
          />
          Compromised only
        </label>
      </div>
      <fieldset className="field field-compact status-filter">
        <legend>Status</legend>
        <div className="choices">
          {allStates.map((state) => (
            <label key={state} className="choice">
              <input
                type="checkbox"
                checked={filters.states.includes(state)}
                onChange={(event) => toggle(state, event.target.checked)}
              />
              {stateLabels[state]}
            </label>
          ))}
        </div>
      </fieldset>
    </search>
  );
}

export function readFilters(search: URLSearchParams): Filters {
  return {
    q: search.get('q') ?? '',
    issuedFor: search.get('issuedFor') ?? '',
    permissions: search.getAll('permission').filter((key) => key !== ''),
    states: allStates.filter((state) => search.getAll('state').includes(state)),
    compromised: search.get('compromised') === 'true',
  };
}

export function hasFilters(filters: Filters): boolean {
  return (
    filters.q !== '' ||
    filters.issuedFor !== '' ||
    filters.states.length > 0 ||
    filters.permissions.length > 0 ||
    filters.compromised
  );
}
