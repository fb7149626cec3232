// A modal built on the native <dialog>: showModal() traps focus and moves it inside, Escape asks the
// owner to close, and on unmount focus returns to whatever opened it (or to the page heading when that
// control is gone, e.g. the empty state's button once the first token exists).
import { type ReactNode, useId, useLayoutEffect, useRef } from 'react';

interface DialogProps {
  title: string;
  onClose: () => void;
  /** While true, Escape does nothing: a request is in flight. */
  busy?: boolean;
  wide?: boolean;
  children: ReactNode;
}

export function Dialog({ title, onClose, busy = false, wide = false, children }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  // A layout effect: focus moves in the same commit that shows or removes the dialog, never a frame later.
  useLayoutEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const dialog = ref.current;
    if (dialog && !dialog.open) {
      dialog.showModal();
      // showModal() focuses the first focusable element; a dialog may name a better start.
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    return () => {
      dialog?.close();
      const target = opener?.isConnected ? opener : document.querySelector<HTMLElement>('main h1');
      target?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={headingId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) onClose();
      }}
    >
      <h2 id={headingId} className="dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}

export function ErrorMessage({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="alert alert-error" role="alert">
      {message}
    </p>
  );
}

/**
 * A dialog form's Cancel and submit buttons, both disabled while its request is in flight; the submit
 * then says what is under way. `autoFocus` starts a confirmation's focus on the submit.
 */
export function DialogActions(props: {
  busy: boolean;
  label: string;
  busyLabel?: string;
  danger?: boolean;
  autoFocus?: boolean;
  onCancel: () => void;
}) {
  return (
    <div className="dialog-actions">
      <button type="button" className="button" onClick={props.onCancel} disabled={props.busy}>
        Cancel
      </button>
      <button
        type="submit"
        className={props.danger ? 'button button-danger' : 'button button-primary'}
        disabled={props.busy}
        data-autofocus={props.autoFocus ? '' : undefined}
      >
        {props.busy ? (props.busyLabel ?? 'Working…') : props.label}
      </button>
    </div>
  );
}
