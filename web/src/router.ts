// A tiny history-API router: the page has a handful of addresses, so a routing library would be more code to
// read than this. tokend answers every non-API path with index.html, so any address survives a reload.
import { type MouseEvent, useEffect, useState } from 'react';

const CHANGE = 'tokend:navigate';

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

const read = () => ({ path: window.location.pathname, search: new URLSearchParams(window.location.search) });

export function useLocation(): { path: string; search: URLSearchParams } {
  const [location, setLocation] = useState(read);
  useEffect(() => {
    const update = () => setLocation(read());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return location;
}

/** onClick for an in-app <a href>: a plain click navigates in place; modified clicks keep their meaning. */
export function followLink(event: MouseEvent<HTMLAnchorElement>): void {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(event.currentTarget.getAttribute('href') ?? '/');
}

export const paths = {
  settings: '/settings',
  people: '/settings/people',
  tokens: '/settings/api-tokens',
  applications: '/settings/applications',
  auditLog: '/settings/audit-log',
  token: (id: string) => `/settings/api-tokens/${encodeURIComponent(id)}`,
  webhooks: '/settings/webhooks',
  webhook: (id: string) => `/settings/webhooks/${encodeURIComponent(id)}`,
};
