// Shows a freshly issued secret exactly once, after Create or Rotate. The secret lives only in the
// state of the dialog that received it: closing the dialog unmounts it and nothing else keeps a copy.
// A webhook's signing secret is shown the same way, with its own label and warning.
import { type ReactNode, useId, useRef, useState } from 'react';

interface SecretRevealProps {
  secret: string;
  /** The field's label; a token's secret by default. */
  label?: string;
  tokenName?: string;
  /** Why it must be copied now; a token's warning by default. */
  warning?: ReactNode;
  onDone: () => void;
}

const tokenWarning = (
  <>
    <strong>Copy this token now.</strong> It will not be shown again: tokend keeps only a hash of it. Store it
    in a secrets manager, never in source code.
  </>
);

export function SecretReveal({
  secret,
  label,
  tokenName,
  warning = tokenWarning,
  onDone,
}: SecretRevealProps) {
  const id = useId();
  const input = useRef<HTMLTextAreaElement>(null);
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'failed'>('idle');

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopyState('copied');
    } catch {
      // Without clipboard access, select the text so the user can copy it by hand.
      input.current?.select();
      setCopyState('failed');
    }
  }

  return (
    <div className="secret-reveal">
      <p className="alert alert-warning" role="alert">
        {warning}
      </p>
      <div className="field">
        <label htmlFor={id}>{label ?? `API token for ${tokenName ?? ''}`}</label>
        <div className="secret-row">
          <textarea
            ref={input}
            id={id}
            className="secret"
            readOnly
            rows={2}
            value={secret}
            spellCheck={false}
            autoComplete="off"
            onFocus={(event) => event.currentTarget.select()}
          />
          {/* autoFocus: focus must land in the dialog's new content, which replaced the form. */}
          <button type="button" className="button" autoFocus onClick={() => void copy()}>
            Copy
          </button>
        </div>
        <p className="hint" aria-live="polite">
          {copyState === 'copied' ? 'Copied to the clipboard.' : null}
          {copyState === 'failed'
            ? 'Could not reach the clipboard: the secret is selected, copy it by hand.'
            : null}
        </p>
      </div>
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onDone}>
          Done, I have copied it
        </button>
      </div>
    </div>
  );
}
