// An endpoint's deliveries, newest first as the API answers them, older pages by nextCursor, each with
// Redeliver. While a delivery shown is due within moments (a redelivery, a test's retry), the first page
// is read again every POLL_MS so its outcome appears without a reload; `version` changing (a test sent
// from the page) reads it at once. A fresh first page replaces its rows; older rows already shown stay.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { ErrorMessage } from '../dialog.js';
import { Time } from '../format.js';
import type { Delivery, Page } from '../types.js';
import { useRequest } from '../use-request.js';
import { DeliveryBadge, outcomeText } from './webhook-format.js';

const POLL_MS = 1500;
/** At most this many reads in a row while nothing changes (a deliverer that is off, a stuck claim). */
const MAX_POLLS = 40;
const DUE_WITHIN_MS = 10_000;

interface Shown {
  items: Delivery[];
  /** The next older page's cursor. */
  cursor: string | null;
  /** Whether older pages were added (a fresh first page then keeps their cursor). */
  older: boolean;
}

function withFirstPage(shown: Shown | null, page: Page<Delivery>): Shown {
  if (!shown) return { items: page.items, cursor: page.nextCursor, older: false };
  const fresh = new Set(page.items.map((d) => d.id));
  return {
    items: [...page.items, ...shown.items.filter((d) => !fresh.has(d.id))],
    cursor: shown.older ? shown.cursor : page.nextCursor,
    older: shown.older,
  };
}

function withOlderPage(shown: Shown, page: Page<Delivery>): Shown {
  const known = new Set(shown.items.map((d) => d.id));
  return {
    items: [...shown.items, ...page.items.filter((d) => !known.has(d.id))],
    cursor: page.nextCursor,
    older: true,
  };
}

interface DeliveriesProps {
  webhookId: string;
  /** A disabled endpoint's messages wait until it is enabled: no Redeliver, nothing to poll for. */
  enabled: boolean;
  version: number;
  /** Polling ended: the endpoint's last delivery has changed. A stable callback (an effect's input). */
  onSettled: () => void;
}

export function Deliveries({ webhookId, enabled, version, onSettled }: DeliveriesProps) {
  const [shown, setShown] = useState<Shown | null>(null);
  const first = useRequest(true);
  const more = useRequest();
  const redelivery = useRequest();
  // `tick` only triggers a read of the first page; `polled` counts the reads since nothing was due.
  const [tick, setTick] = useState(0);
  const polled = useRef(0);
  const { run } = first;

  useEffect(() => {
    void run(
      () => api.listDeliveries(webhookId, null),
      (page) => setShown((current) => withFirstPage(current, page)),
    );
  }, [run, webhookId, version, tick]);

  useEffect(() => {
    if (!shown || !enabled) return;
    const soon = Date.now() + DUE_WITHIN_MS;
    const due = shown.items.some(
      (d) => d.status === 'pending' && (d.nextAttemptAt === null || Date.parse(d.nextAttemptAt) <= soon),
    );
    if (!due) {
      if (polled.current > 0) onSettled();
      polled.current = 0;
      return;
    }
    if (polled.current >= MAX_POLLS) return;
    const timer = setTimeout(() => {
      polled.current += 1;
      setTick((n) => n + 1);
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [shown, enabled, onSettled]);

  const showOlder = () => {
    if (!shown?.cursor) return;
    const cursor = shown.cursor;
    void more.run(
      () => api.listDeliveries(webhookId, cursor),
      (page) => setShown((current) => (current ? withOlderPage(current, page) : current)),
    );
  };
  const redeliver = (delivery: Delivery) =>
    void redelivery.run(
      () => api.redeliver(webhookId, delivery.id),
      (queued) => {
        polled.current = 0;
        setShown((current) =>
          current
            ? { ...current, items: current.items.map((d) => (d.id === queued.id ? queued : d)) }
            : current,
        );
      },
    );

  return (
    <section className="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <ErrorMessage
        message={first.error ? `The deliveries could not be loaded: ${first.error.message}` : null}
      />
      <ErrorMessage message={redelivery.error ? `Redeliver failed: ${redelivery.error.message}` : null} />
      {shown === null && !first.error ? <p className="muted">Loading…</p> : null}
      {shown?.items.length === 0 ? (
        <p className="muted">Nothing has been sent to this endpoint yet. Send a test to try it.</p>
      ) : null}
      {shown && shown.items.length > 0 ? (
        <DeliveryTable items={shown.items} busy={redelivery.busy} onRedeliver={enabled ? redeliver : null} />
      ) : null}
      <ErrorMessage message={more.error?.message ?? null} />
      {shown?.cursor ? (
        <button type="button" className="button" disabled={more.busy} onClick={showOlder}>
          {more.busy ? 'Loading…' : 'Show older deliveries'}
        </button>
      ) : null}
    </section>
  );
}

interface DeliveryTableProps {
  items: Delivery[];
  busy: boolean;
  /** None while the endpoint is disabled. */
  onRedeliver: ((delivery: Delivery) => void) | null;
}

function DeliveryTable({ items, busy, onRedeliver }: DeliveryTableProps) {
  return (
    <div className="table-wrap">
      <table className="history-table delivery-table">
        <caption className="visually-hidden">Deliveries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Outcome</th>
            <th scope="col">Created</th>
            <th scope="col">Next attempt</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((delivery) => (
            <tr key={delivery.id} data-delivery-id={delivery.id} data-event-id={delivery.eventId}>
              <td data-column="type">
                <code>{delivery.type}</code>
                <div className="description" title="The webhook-id header">
                  {delivery.eventId}
                </div>
              </td>
              <td data-column="status">
                <DeliveryBadge status={delivery.status} />
              </td>
              <td data-column="attempts">{delivery.attempt}</td>
              <td data-column="outcome">{outcomeText(delivery)}</td>
              <td>
                <Time iso={delivery.createdAt} />
              </td>
              <td>
                <Time iso={delivery.nextAttemptAt} />
              </td>
              <td>
                <button
                  type="button"
                  className="button"
                  disabled={busy || !onRedeliver}
                  title={onRedeliver ? undefined : 'Enable the endpoint to redeliver'}
                  aria-label={`Redeliver ${delivery.type} ${delivery.eventId}`}
                  onClick={() => onRedeliver?.(delivery)}
                >
                  Redeliver
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
