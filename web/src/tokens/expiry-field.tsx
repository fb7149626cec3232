// The expiry choice shared by Create and Renew: 30, 90 or 365 days, a custom date, or none. A custom
// date means the end of that day in the viewer's time zone; the server checks the policy window.
import { useId } from 'react';
import type { ExpiryChoice } from '../api.js';
import { FieldError } from '../fields.js';

export type ExpiryKind = '30' | '90' | '365' | 'custom' | 'none';
export interface ExpiryValue {
  kind: ExpiryKind;
  date: string;
}

export const defaultExpiry: ExpiryValue = { kind: '30', date: '' };

const options: { kind: ExpiryKind; label: string }[] = [
  { kind: '30', label: '30 days' },
  { kind: '90', label: '90 days' },
  { kind: '365', label: '365 days' },
  { kind: 'custom', label: 'Custom date' },
  { kind: 'none', label: 'No expiry' },
];

function localDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The request body for a choice, or a message for the field when the choice is incomplete. */
export function expiryRequest(value: ExpiryValue): { body: ExpiryChoice } | { error: string } {
  if (value.kind === 'none') return { body: {} };
  if (value.kind !== 'custom') return { body: { expiresInDays: Number(value.kind) as 30 | 90 | 365 } };
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.date);
  if (!match) return { error: 'Choose the date the token should stop working.' };
  const end = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59, 999);
  if (end.getTime() <= Date.now()) return { error: 'Choose a date in the future.' };
  return { body: { expiresAt: end.toISOString() } };
}

interface ExpiryFieldProps {
  value: ExpiryValue;
  onChange: (value: ExpiryValue) => void;
  error: string | undefined;
  allowNone?: boolean;
  legend?: string;
}

export function ExpiryField({
  value,
  onChange,
  error,
  allowNone = true,
  legend = 'Expiry',
}: ExpiryFieldProps) {
  const id = useId();
  const today = new Date();
  const fiveYears = new Date(today.getFullYear() + 5, today.getMonth(), today.getDate());
  return (
    <fieldset className="field" aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}>
      <legend>{legend}</legend>
      <div className="choices">
        {options
          .filter((option) => allowNone || option.kind !== 'none')
          .map((option) => (
            <label key={option.kind} className="choice">
              <input
                type="radio"
                name={`${id}-expiry`}
                value={option.kind}
                checked={value.kind === option.kind}
                onChange={() => onChange({ ...value, kind: option.kind })}
              />
              {option.label}
            </label>
          ))}
      </div>
      {value.kind === 'custom' ? (
        <div className="field field-inline">
          <label htmlFor={`${id}-date`}>Expiry date</label>
          <input
            id={`${id}-date`}
            type="date"
            value={value.date}
            min={localDate(today)}
            max={localDate(fiveYears)}
            aria-invalid={error ? true : undefined}
            onChange={(event) => onChange({ ...value, date: event.target.value })}
          />
        </div>
      ) : null}
      <p id={`${id}-hint`} className="hint">
        Short-lived tokens are best practice: choose the shortest lifetime the integration can live with and
        rotate the token regularly. A custom date lasts until the end of that day in your time zone.
      </p>
      <FieldError id={`${id}-error`} message={error} />
    </fieldset>
  );
}
