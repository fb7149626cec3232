// One webhook attempt over the network: a POST to the address that was checked (the `lookup` option
// answers it, so a DNS change between check and connect cannot redirect the request), redirects not
// followed, at most `timeoutMs` for the whole exchange, and only the first 1 KB of the answer kept.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Target } from './address.js';

export const KEPT_BYTES = 1024;

export interface SendResult {
  status: number | null;
  body: string | null;
  error: string | null;
  durationMs: number;
}

export function post(
  target: Target,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<SendResult> {
  const started = performance.now();
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const { url } = target;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort); // the signal outlives the attempt: no listener left on it
      resolve({ ...r, durationMs: Math.round(performance.now() - started) });
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const status = response.statusCode ?? null;
          finish({
            status,
            body: Buffer.concat(chunks).subarray(0, KEPT_BYTES).toString('utf8'),
            error: null,
          });
          response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          if (size < KEPT_BYTES) chunks.push(chunk);
          size += chunk.length;
          if (size >= KEPT_BYTES) done();
        });
        response.on('end', done);
        response.on('error', done);
      },
    );
    const timer = setTimeout(() => {
      finish({ status: null, body: null, error: `no answer within ${timeoutMs} ms` });
      request.destroy();
    }, timeoutMs);
    request.on('error', (err) => finish({ status: null, body: null, error: err.message.slice(0, 300) }));
    // A stopping instance does not wait for a slow receiver: the attempt ends as failed, to be retried.
    const abort = () => {
      finish({ status: null, body: null, error: 'tokend stopped during the attempt' });
      request.destroy();
    };
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
    request.end(body);
  });
}
