// The HTTP client of sign-in with an identity provider: global fetch, or, when the operator names a
// private certificate authority (TOKEND_OIDC_CA_FILE), node:https trusting it beside the system's roots.
// Certificates are always verified: there is no way to turn the check off.
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';

/** What openid-client's customFetch passes: a method, headers, a body and an abort signal. */
export interface FetchInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | ReadableStream | null;
  signal?: AbortSignal | null;
  redirect?: string;
}
export type FetchLike = (url: string, init?: FetchInit) => Promise<Response>;

/** A fetch over node:https that trusts `extraCa` (PEM) and the system's roots; redirects are not followed. */
export function fetchTrusting(extraCa: string): FetchLike {
  const ca = [...rootCertificates, extraCa];
  return (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') return reject(new Error('the identity provider must use https'));
      const headers = new Headers(init.headers);
      const given = init.body;
      if (given instanceof ReadableStream) return reject(new Error('streamed bodies are not sent'));
      const body =
        given === undefined || given === null
          ? undefined
          : given instanceof Uint8Array || given instanceof ArrayBuffer
            ? Buffer.from(given instanceof ArrayBuffer ? new Uint8Array(given) : given)
            : String(given);
      if (body !== undefined && !headers.has('content-type') && given instanceof URLSearchParams)
        headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
      const req = request(
        target,
        {
          method: init.method ?? 'GET',
          headers: Object.fromEntries(headers.entries()),
          ca,
          timeout: 10_000,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const answer = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
                answer.append(name, v);
            }
            const status = res.statusCode ?? 502;
            const empty = status === 204 || status === 304;
            resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: answer }));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('the identity provider did not answer in time')));
      req.on('error', reject);
      req.end(body);
    });
}
