// Talks to running tokend instances over real HTTP, as staff automation and integrations do: log in,
// create and change tokens, use one, and time how long an instance takes to refuse it. Used by the
// multi-instance tests and by the benchmark, which both need real servers rather than app.inject.
import { type AddressInfo, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Staff {
  base: string;
  cookie: string;
  csrf: string;
}

export interface Created {
  token: { id: string; display: string } & Record<string, unknown>;
  secret: string;
}

export async function login(base: string, email: string, password: string): Promise<Staff> {
  const res = await fetch(`${base}/apis/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { base, cookie, csrf: csrfToken };
}

export async function staffCall(s: Staff, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${s.base}${path}`, {
    method,
    headers: {
      cookie: s.cookie,
      'x-csrf-token': s.csrf,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

export async function createToken(s: Staff, body: Record<string, unknown> = {}): Promise<Created> {
  const res = await staffCall(s, 'POST', '/apis/v1/api-tokens', { name: 'Live token', ...body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Created;
}

/** suspend, reactivate or revoke; throws unless the API answers 200. */
export async function transition(s: Staff, id: string, action: string): Promise<void> {
  const res = await staffCall(s, 'POST', `/apis/v1/api-tokens/${id}/${action}`, {});
  if (res.status !== 200) throw new Error(`${action} failed: ${res.status} ${await res.text()}`);
}

/** One token-authenticated request: the status and, for a refusal, the error code. */
export async function useToken(
  base: string,
  secret: string,
  path = '/apis/v1/token',
): Promise<{ status: number; error: string | null }> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${secret}` } });
  const body = await res.text();
  const error = res.status === 200 ? null : ((JSON.parse(body) as { error?: string }).error ?? null);
  return { status: res.status, error };
}

/**
 * Polls `base` with the token until it is refused; returns the milliseconds since `since` (a
 * performance.now() reading), how many requests still succeeded, and the refusal's error code.
 */
export async function timeToRefusal(
  base: string,
  secret: string,
  since: number,
  timeoutMs: number,
): Promise<{ ms: number; accepted: number; error: string | null }> {
  let accepted = 0;
  for (;;) {
    const answer = await useToken(base, secret);
    const ms = performance.now() - since;
    if (answer.status !== 200) return { ms, accepted, error: answer.error };
    accepted++;
    if (ms > timeoutMs) throw new Error(`still accepted after ${Math.round(ms)} ms`);
  }
}

/** Waits until `check` holds, polling; throws with `what` after timeoutMs. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A TCP port free right now on the loopback interface, for a server started in another process. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}
