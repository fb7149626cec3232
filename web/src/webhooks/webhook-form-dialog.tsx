// Create and Edit of a webhook endpoint: its URL, description and events, the message beside the field
// at fault (the form's own checks, or the API's 400 `field`: url, description, events), then, after
// Create, the signing secret shown once. Edit sends only what changed (PATCH).
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { Dialog, ErrorMessage } from '../dialog.js';
import { formField, TextField } from '../fields.js';
import { SecretReveal } from '../tokens/secret-reveal.js';
import type { Webhook, WebhookChanges, WebhookWithSecret } from '../types.js';
import { useRequest } from '../use-request.js';
import { chosenEvents, coversEvery, EventField, type EventsValue } from './event-field.js';
import { secretWarning } from './webhook-format.js';

type FieldName = 'url' | 'description' | 'events';
type FieldErrors = Partial<Record<FieldName, string>>;
const apiFields: Record<string, FieldName> = { url: 'url', description: 'description', events: 'events' };

interface Form {
  url: string;
  description: string;
  events: EventsValue;
}

function check(form: Form): FieldErrors {
  const errors: FieldErrors = {};
  const url = form.url.trim();
  if (!url) errors.url = 'Give the receiver’s address, e.g. https://siem.example.com/tokend.';
  else if (url.length > 2000) errors.url = 'Use at most 2,000 characters.';
  if (form.description.length > 2000) errors.description = 'Use at most 2,000 characters.';
  if (!form.events.all && form.events.chosen.length === 0) errors.events = 'Choose at least one event.';
  return errors;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item) => b.includes(item));

/** The PATCH body: each field whose value differs from the endpoint's. */
function changesOf(webhook: Webhook, form: Form): WebhookChanges {
  const changes: WebhookChanges = {};
  const events = chosenEvents(form.events);
  if (form.url.trim() !== webhook.url) changes.url = form.url.trim();
  if (form.description.trim() !== (webhook.description ?? '')) changes.description = form.description.trim();
  if (!sameList(events, webhook.events)) changes.events = events;
  return changes;
}

interface WebhookFormDialogProps {
  /** The endpoint to edit; none: Create. */
  webhook?: Webhook;
  onSaved: (webhook: Webhook) => void;
  onClose: () => void;
}

export function WebhookFormDialog({ webhook, onSaved, onClose }: WebhookFormDialogProps) {
  const [form, setForm] = useState<Form>(() => ({
    url: webhook?.url ?? '',
    description: webhook?.description ?? '',
    // Choosing starts from nothing checked, unless the endpoint already has a subset.
    events:
      webhook && !coversEvery(webhook.events)
        ? { all: false, chosen: webhook.events }
        : { all: true, chosen: [] },
  }));
  const set =
    <K extends keyof Form>(key: K) =>
    (value: Form[K]) =>
      setForm((current) => ({ ...current, [key]: value }));
  const [checked, setChecked] = useState<FieldErrors>({});
  const { busy, error, run, clearError } = useRequest();
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const apiField = formField(apiFields, error?.field);
  const errors: FieldErrors = error && apiField ? { [apiField]: error.message } : checked;
  const formError = error && !apiField ? error.message : null;

  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [checked, error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const found = check(form);
    clearError();
    setChecked(found);
    if (Object.keys(found).length > 0) return;
    if (webhook) {
      const changes = changesOf(webhook, form);
      if (Object.keys(changes).length === 0) return onClose();
      void run(
        () => api.updateWebhook(webhook.id, changes),
        (saved) => {
          onSaved(saved);
          onClose();
        },
      );
      return;
    }
    const description = form.description.trim();
    const body = {
      url: form.url.trim(),
      ...(description ? { description } : {}),
      // Omitted: every type (SPEC section 10).
      ...(form.events.all ? {} : { events: chosenEvents(form.events) }),
    };
    void run(
      () => api.createWebhook(body),
      (result) => {
        setCreated(result);
        onSaved(result.webhook);
      },
    );
  }

  if (created) {
    return (
      <Dialog title="Webhook created" onClose={onClose} wide>
        <SecretReveal
          secret={created.secret}
          label={`Signing secret for ${created.webhook.url}`}
          warning={secretWarning}
          onDone={onClose}
        />
      </Dialog>
    );
  }
  const title = webhook ? 'Edit webhook' : 'Create webhook';
  return (
    <Dialog title={title} onClose={onClose} busy={busy} wide>
      <form ref={formRef} onSubmit={submit} noValidate>
        <ErrorMessage message={formError} />
        <TextField
          label="URL"
          value={form.url}
          onChange={set('url')}
          error={errors.url}
          required
          maxLength={2000}
          autoFocus
          hint="Where tokend POSTs each event: an https:// address of a public host."
        />
        <TextField
          label="Description"
          value={form.description}
          onChange={set('description')}
          error={errors.description}
          multiline
          maxLength={2000}
        />
        <EventField value={form.events} onChange={set('events')} error={errors.events} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : webhook ? 'Save changes' : 'Create webhook'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
