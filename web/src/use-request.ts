// The page's one way to run a request from a component: `busy` while it runs, its failure kept as a
// message (with the API's `field`) for the component to show. A later run supersedes an earlier one,
// whose answer is then dropped: a reset of a list cannot be undone by an older page arriving after it,
// and an answer for a component that is gone changes nothing.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from './api.js';

export interface RequestError {
  message: string;
  field?: string | undefined;
}

export interface Request {
  busy: boolean;
  error: RequestError | null;
  /** Sends; hands the answer to `apply` only if no later run has started. Resolves whether it applied. */
  run: <T>(send: () => Promise<T>, apply: (answer: T) => void) => Promise<boolean>;
  /** Forgets the last failure (the form's own checks replace it). */
  clearError: () => void;
}

export function useRequest(initiallyBusy = false): Request {
  const [busy, setBusy] = useState(initiallyBusy);
  const [error, setError] = useState<RequestError | null>(null);
  const latest = useRef(0);
  useEffect(() => {
    return () => {
      latest.current += 1;
    };
  }, []);

  const run = useCallback(async <T>(send: () => Promise<T>, apply: (answer: T) => void) => {
    latest.current += 1;
    const ticket = latest.current;
    setBusy(true);
    setError(null);
    try {
      const answer = await send();
      if (ticket !== latest.current) return false;
      apply(answer);
      return true;
    } catch (failure) {
      if (ticket === latest.current) {
        const message = failure instanceof Error ? failure.message : 'The request failed.';
        setError({ message, field: failure instanceof ApiError ? failure.field : undefined });
      }
      return false;
    } finally {
      if (ticket === latest.current) setBusy(false);
    }
  }, []);
  const clearError = useCallback(() => setError(null), []);
  return { busy, error, run, clearError };
}

export interface Loaded<T> extends Request {
  data: T | null;
  /** Replaces what is shown with an answer the page already has (an action's result), without a GET. */
  setData: (data: T) => void;
  /** Loads again with the same inputs (after an action that changed what `load` reads). */
  reload: () => void;
}

/**
 * Loads with `load` whenever it changes; until the next answer the previous one stays shown. `load` is
 * the caller's useCallback over the load's inputs, so the lint checks that they are all named.
 */
export function useLoaded<T>(load: () => Promise<T>): Loaded<T> {
  const request = useRequest(true);
  const [data, setData] = useState<T | null>(null);
  const [reloads, setReloads] = useState(0);
  const { run } = request;
  // `reloads` is only the trigger for reload().
  useEffect(() => {
    void run(load, setData);
  }, [run, load, reloads]);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  return { ...request, data, setData, reload };
}
