// The events an endpoint is sent, shared by Create and Edit: every type (the default) or a chosen
// subset, as checkboxes in two groups, the token's events and the institution's own. The list is typed
// by the API's Webhook schema, so a type the server adds fails the page's compile until it is named here.
import { useId } from 'react';
import { FieldError } from '../fields.js';
import type { WebhookEvent } from '../types.js';

/** Every type, each named once: the compiler checks these keys against the API's list. */
const described: Record<WebhookEvent, string> = {
  'token.created': 'A token was created',
  'token.suspended': 'A token was suspended',
  'token.reactivated': 'A token was reactivated',
  'token.revoked': 'A token was revoked',
  'token.expired': 'A token expired',
  'token.rotated': 'A token’s secret was rotated',
  'token.renewed': 'A token’s expiry was extended',
  'token.reminder_sent': 'An expiry reminder was sent',
  'token.reminder_skipped': 'An expiry reminder could not be sent',
  'token.auth_failed': 'A request with a token was refused',
  'token.updated': 'A token’s details, permissions or addresses changed',
  'token.leaked': 'A token’s secret was reported leaked',
  'user.created': 'A person was added',
  'user.updated': 'A person’s details or role changed',
  'user.deactivated': 'A person was deactivated',
  'user.reactivated': 'A person was reactivated',
  'session.login': 'Someone signed in',
  'session.login_failed': 'A sign-in failed',
  'session.logout': 'Someone signed out',
  'institution.updated': 'The institution’s settings changed',
  'webhook.created': 'A webhook endpoint was added',
  'webhook.updated': 'A webhook endpoint was changed',
  'webhook.deleted': 'A webhook endpoint was deleted',
  'webhook.disabled': 'tokend disabled a webhook endpoint',
};

const isEvent = (type: string): type is WebhookEvent => Object.hasOwn(described, type);
export const ALL_EVENTS: WebhookEvent[] = Object.keys(described).filter(isEvent);

const groups = [
  { title: 'Token events', types: ALL_EVENTS.filter((t) => t.startsWith('token.')) },
  { title: 'Institution events', types: ALL_EVENTS.filter((t) => !t.startsWith('token.')) },
];

export const coversEvery = (events: readonly string[]) => ALL_EVENTS.every((t) => events.includes(t));

export interface EventsValue {
  all: boolean;
  chosen: WebhookEvent[];
}

interface EventFieldProps {
  value: EventsValue;
  onChange: (value: EventsValue) => void;
  error: string | undefined;
}

export function EventField({ value, onChange, error }: EventFieldProps) {
  const id = useId();
  const toggle = (type: WebhookEvent, on: boolean) =>
    onChange({
      all: false,
      chosen: on
        ? ALL_EVENTS.filter((t) => t === type || value.chosen.includes(t))
        : value.chosen.filter((t) => t !== type),
    });
  return (
    <fieldset className="field" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Events</legend>
      <div className="choices choices-stacked">
        <label className="choice">
          <input
            type="radio"
            name={`${id}-scope`}
            checked={value.all}
            aria-invalid={error ? true : undefined}
            onChange={() => onChange({ ...value, all: true })}
          />
          Every event ({ALL_EVENTS.length} types)
        </label>
        <label className="choice">
          <input
            type="radio"
            name={`${id}-scope`}
            checked={!value.all}
            aria-invalid={error ? true : undefined}
            onChange={() => onChange({ ...value, all: false })}
          />
          Only the events chosen below
        </label>
      </div>
      {value.all
        ? null
        : groups.map((group) => (
            <fieldset key={group.title} className="permission-group">
              <legend>{group.title}</legend>
              {group.types.map((type) => (
                <div key={type} className="permission-choice">
                  <input
                    type="checkbox"
                    id={`${id}-${type}`}
                    checked={value.chosen.includes(type)}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={`${id}-${type}-about`}
                    onChange={(event) => toggle(type, event.target.checked)}
                  />
                  <label htmlFor={`${id}-${type}`}>
                    <code>{type}</code>
                  </label>
                  <span id={`${id}-${type}-about`} className="description">
                    {described[type]}
                  </span>
                </div>
              ))}
            </fieldset>
          ))}
      <FieldError id={`${id}-error`} message={error} />
    </fieldset>
  );
}

/** The events a form's choice sends: every type, or the chosen ones in the list's order. */
export function chosenEvents(value: EventsValue): WebhookEvent[] {
  return value.all ? ALL_EVENTS : ALL_EVENTS.filter((t) => value.chosen.includes(t));
}

/** An endpoint's events, short: "Every event", or the first few types and how many more. */
export function EventSummary({ events }: { events: readonly string[] }) {
  if (coversEvery(events)) return <span>Every event</span>;
  const shown = events.slice(0, 3);
  return (
    <ul className="code-list code-list-compact" title={events.join(', ')}>
      {shown.map((type) => (
        <li key={type}>
          <code>{type}</code>
        </li>
      ))}
      {events.length > shown.length ? <li className="muted">+{events.length - shown.length} more</li> : null}
    </ul>
  );
}
