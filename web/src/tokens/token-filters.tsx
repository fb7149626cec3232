// The list's filters: free-text search, status checkboxes and "issued for". They live in the address
// (?q=&state=&issuedFor=&sort=&order=) so a reload or a shared link shows the same list.
import { useEffect, useId, useState } from 'react';
import { stateLabels } from '../format.js';
import type { TokenState } from '../types.js';

export interface Filters {
  q: string;
  states: TokenState[];
  issuedFor: string;
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

export function TokenFilters({
  filters,
  onChange,
}: {
  filters: Filters;
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
    states: allStates.filter((state) => search.getAll('state').includes(state)),
  };
}

export function hasFilters(filters: Filters): boolean {
  return filters.q !== '' || filters.issuedFor !== '' || filters.states.length > 0;
}
