// Labelled form fields whose hint and validation message sit beside the field and are tied to it with
// aria-describedby, so a screen reader announces why a field was refused when it gets focus.
import { useId } from 'react';

interface TextFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  required?: boolean;
  multiline?: boolean;
  maxLength?: number;
  type?: 'text' | 'email' | 'password' | 'search';
  autoComplete?: string;
  autoFocus?: boolean;
}

export function TextField(props: TextFieldProps) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const shared = {
    id,
    value: props.value,
    required: props.required,
    maxLength: props.maxLength,
    autoFocus: props.autoFocus,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' ') || undefined,
  };
  return (
    <div className="field">
      <label htmlFor={id}>
        {props.label}
        {props.required ? null : <span className="optional"> (optional)</span>}
      </label>
      {props.multiline ? (
        <textarea {...shared} rows={3} onChange={(event) => props.onChange(event.target.value)} />
      ) : (
        <input
          {...shared}
          type={props.type ?? 'text'}
          autoComplete={props.autoComplete}
          onChange={(event) => props.onChange(event.target.value)}
        />
      )}
      {props.hint ? (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      ) : null}
      <FieldError id={errorId} message={props.error} />
    </div>
  );
}

export function FieldError({ id, message }: { id: string | undefined; message: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="field-error">
      {message}
    </p>
  );
}

/** The form's field for the API's 400 `field`, which may name an entry of a list (`allowedIps/1`). */
export function formField<F extends string>(
  fields: Record<string, F>,
  field: string | undefined,
): F | undefined {
  return field ? fields[field.split(/[./[]/)[0] ?? field] : undefined;
}
