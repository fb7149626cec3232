// Acting on many tokens at once (SPEC 12): the list's selection bar (Suspend / Reactivate / Revoke the
// selected tokens, confirmed with a reason, then what changed and what was refused), and the danger
// zone's "Suspend every active token", which shows the dry run's count first and asks for the
// institution's slug to be typed before it suspends. Both are POST /apis/v1/api-tokens/bulk.
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../api.js';
import { Dialog, ErrorMessage } from '../dialog.js';
import { TextField } from '../fields.js';
import type { BulkAnswer, BulkRequest, Token } from '../types.js';
import { useRequest } from '../use-request.js';

type Action = BulkRequest['action'];

const VERBS: Record<Action, { label: string; busy: string; past: string }> = {
  suspend: { label: 'Suspend', busy: 'Suspending…', past: 'suspended' },
  reactivate: { label: 'Reactivate', busy: 'Reactivating…', past: 'reactivated' },
  revoke: { label: 'Revoke', busy: 'Revoking…', past: 'revoked' },
};

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

const WHY: Record<BulkAnswer['refused'][number]['error'], string> = {
  invalid_transition: 'its state does not allow it',
  not_found: 'not found',
};

/** What a bulk action did: how many changed, and each refusal with the token's name when it is known. */
function Outcome({
  answer,
  action,
  names,
}: {
  answer: BulkAnswer;
  action: Action;
  names: Map<string, string>;
}) {
  return (
    <div className="bulk-outcome" role="status">
      <p>
        <strong>
          {plural(answer.changed, 'token')} {VERBS[action].past}
        </strong>{' '}
        of {answer.matched}.
        {answer.refused.length > 0
          ? ` ${answer.truncated ? 'More than ' : ''}${answer.refused.length} refused:`
          : ''}
      </p>
      {answer.refused.length > 0 ? (
        <ul className="bulk-refused">
          {answer.refused.map((r) => (
            <li key={r.id}>
              {names.get(r.id) ?? <code>{r.id}</code>}: {WHY[r.error]}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

interface SelectionBarProps {
  selected: Token[];
  onClear: () => void;
  /** After a change: the list reloads. */
  onChanged: () => void;
}

export function SelectionBar({ selected, onClear, onChanged }: SelectionBarProps) {
  const [action, setAction] = useState<Action | null>(null);
  if (selected.length === 0) return null;
  return (
    <div className="selection-bar" role="region" aria-label="Selected tokens">
      <span>
        <strong>{plural(selected.length, 'token')}</strong> selected
      </span>
      {(['suspend', 'reactivate', 'revoke'] as const).map((a) => (
        <button
          key={a}
          type="button"
          className={a === 'revoke' ? 'button button-danger' : 'button'}
          onClick={() => setAction(a)}
        >
          {VERBS[a].label}
        </button>
      ))}
      <button type="button" className="button" onClick={onClear}>
        Clear selection
      </button>
      {action ? (
        <SelectionDialog
          action={action}
          tokens={selected}
          onChanged={onChanged}
          onClose={() => setAction(null)}
        />
      ) : null}
    </div>
  );
}

function SelectionDialog(props: {
  action: Action;
  tokens: Token[];
  onChanged: () => void;
  onClose: () => void;
}) {
  const { action, tokens } = props;
  const verb = VERBS[action];
  const [reason, setReason] = useState('');
  const [answer, setAnswer] = useState<BulkAnswer | null>(null);
  const { busy, error, run } = useRequest();
  const names = new Map(tokens.map((t) => [t.id, t.name]));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(
      () =>
        api.bulk({
          action,
          ids: tokens.map((t) => t.id),
          ...(reason.trim() ? { reason: reason.trim() } : {}),
        }),
      (done) => {
        setAnswer(done);
        props.onChanged();
      },
    );
  };
  const title = `${verb.label} ${plural(tokens.length, 'token')}`;
  if (answer) {
    return (
      <Dialog title={title} onClose={props.onClose}>
        <Outcome answer={answer} action={action} names={names} />
        <div className="dialog-actions">
          <button type="button" className="button button-primary" onClick={props.onClose} data-autofocus="">
            Close
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title={title} onClose={props.onClose} busy={busy}>
      <form onSubmit={submit}>
        {action === 'revoke' ? (
          <p className="alert alert-error">
            <strong>This cannot be undone:</strong> every request with a revoked token is refused, forever.
            Only suspended tokens can be revoked.
          </p>
        ) : (
          <p>
            {action === 'suspend'
              ? 'Requests using these tokens will be refused until they are reactivated.'
              : 'These tokens will work again.'}{' '}
            Tokens whose state does not allow it are left as they are.
          </p>
        )}
        <ul className="bulk-names">
          {tokens.slice(0, 10).map((t) => (
            <li key={t.id}>{t.name}</li>
          ))}
          {tokens.length > 10 ? <li className="muted">and {tokens.length - 10} more</li> : null}
        </ul>
        <ErrorMessage message={error?.message ?? null} />
        <TextField label="Reason" value={reason} onChange={setReason} multiline maxLength={500} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            className={action === 'revoke' ? 'button button-danger' : 'button button-primary'}
            disabled={busy}
          >
            {busy ? verb.busy : title}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

const EVERY_ACTIVE = { action: 'suspend', filter: { state: ['active'] } } as const satisfies BulkRequest;

/** Manage API Tokens' danger zone: the emergency suspension of every active token. */
export function DangerZone({ onChanged }: { onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <section className="danger-zone" aria-labelledby="danger-zone-title">
      <h2 id="danger-zone-title">Danger zone</h2>
      <p>
        If credentials may have leaked — a stolen laptop, a compromised server — stop every token at once.
        Each can be reactivated afterwards.
      </p>
      <button type="button" className="button button-danger" onClick={() => setOpen(true)}>
        Suspend every active token
      </button>
      {open ? <EmergencyDialog onChanged={onChanged} onClose={() => setOpen(false)} /> : null}
    </section>
  );
}

function EmergencyDialog({ onChanged, onClose }: { onChanged: () => void; onClose: () => void }) {
  const [count, setCount] = useState<number | null>(null);
  const [slug, setSlug] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const [answer, setAnswer] = useState<BulkAnswer | null>(null);
  const preview = useRequest(true);
  const action = useRequest();
  const { run } = preview;
  useEffect(() => {
    void run(
      () => Promise.all([api.bulk({ ...EVERY_ACTIVE, dryRun: true }), api.getSession()]),
      ([dry, session]) => {
        setCount(dry.matched);
        setSlug(session.user.institution.slug);
      },
    );
  }, [run]);
  const confirmed = slug !== null && typed.trim() === slug;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!confirmed) return;
    void action.run(
      () => api.bulk({ ...EVERY_ACTIVE, ...(reason.trim() ? { reason: reason.trim() } : {}) }),
      (done) => {
        setAnswer(done);
        onChanged();
      },
    );
  };
  if (answer) {
    return (
      <Dialog title="Suspend every active token" onClose={onClose}>
        <Outcome answer={answer} action="suspend" names={new Map()} />
        <div className="dialog-actions">
          <button type="button" className="button button-primary" onClick={onClose} data-autofocus="">
            Close
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Suspend every active token" onClose={onClose} busy={action.busy}>
      <form onSubmit={submit}>
        {preview.busy ? <p className="muted">Counting active tokens…</p> : null}
        <ErrorMessage message={preview.error?.message ?? action.error?.message ?? null} />
        {count !== null && slug !== null ? (
          <>
            <p className="alert alert-error" role="status">
              This suspends <strong>{plural(count, 'active token')}</strong> of this institution at once:
              every integration using them stops working until its token is reactivated.
            </p>
            <TextField
              label={`Type ${slug} to confirm`}
              value={typed}
              onChange={setTyped}
              required
              autoComplete="off"
            />
            <TextField label="Reason" value={reason} onChange={setReason} multiline maxLength={500} />
          </>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={action.busy}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={!confirmed || action.busy}>
            {action.busy ? 'Suspending…' : count === null ? 'Suspend' : `Suspend ${plural(count, 'token')}`}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
