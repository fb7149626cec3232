// `tokend scan --report`: sends the tokens a scan found to a tokend's public leak report (SPEC 9,
// `POST /apis/v1/leaks` `{tokens, url?, source?}`), in batches of the route's limit. The tokens are
// secrets, so they go only over HTTPS, or plain HTTP to this machine (as tokend itself allows).
import { fail, ok, type Result } from '../errors.js';

/** The route takes at most this many tokens per report. */
export const REPORT_BATCH = 1_000;
const URL_MAX = 2_000;
const SOURCE_MAX = 100;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

export interface ReportTarget {
  endpoint: URL;
  url?: string;
  source?: string;
}

/** The report's address from tokend's base URL, and the `--url`/`--source` the route would accept. */
export function reportTarget(base: string, url?: string, source?: string): Result<ReportTarget> {
  let endpoint: URL;
  try {
    const parsed = new URL(base);
    if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
    endpoint = new URL('apis/v1/leaks', parsed);
  } catch {
    return fail('invalid_request', `--report must be tokend's base URL, e.g. https://tokend.example.com`);
  }
  if (endpoint.protocol !== 'https:' && !(endpoint.protocol === 'http:' && LOOPBACK.test(endpoint.hostname)))
    return fail('invalid_request', '--report must be an https:// URL (plain http only to this machine)');
  if (url !== undefined && url.length > URL_MAX)
    return fail('invalid_request', `--url must be at most ${URL_MAX} characters`);
  if (source !== undefined && source.length > SOURCE_MAX)
    return fail('invalid_request', `--source must be at most ${SOURCE_MAX} characters`);
  return ok({ endpoint, url, source });
}

/** Sends every token (each once); the number the server says it received, or why it refused. */
export async function reportLeaks(target: ReportTarget, tokens: string[]): Promise<Result<number>> {
  const unique = [...new Set(tokens)];
  let received = 0;
  for (let i = 0; i < unique.length; i += REPORT_BATCH) {
    const body = { tokens: unique.slice(i, i + REPORT_BATCH), url: target.url, source: target.source };
    const sent = await post(target.endpoint, body);
    if (!sent.ok) return sent;
    received += sent.value;
  }
  return ok(received);
}

async function post(endpoint: URL, body: object): Promise<Result<number>> {
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    return fail('unavailable', `cannot reach ${endpoint.href}: ${reason(error)}`);
  }
  const text = await response.text().catch(() => '');
  const answer = parseJson(text);
  if (response.status !== 202)
    // The server's error message is shown: it says what to fix (a tokend never echoes tokens back).
    return fail(
      'invalid_request',
      `${endpoint.href} refused the report: ${response.status} ${describe(answer) ?? text.slice(0, 200)}`,
    );
  const count = (answer as { received?: unknown } | null)?.received;
  return ok(typeof count === 'number' ? count : 0);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function describe(answer: unknown): string | null {
  if (!answer || typeof answer !== 'object') return null;
  const { error, message } = answer as { error?: unknown; message?: unknown };
  return typeof error === 'string' ? `${error}${typeof message === 'string' ? `: ${message}` : ''}` : null;
}

// fetch says only "fetch failed"; why is in its cause (ECONNREFUSED, a bad certificate, a blocked port).
function reason(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
