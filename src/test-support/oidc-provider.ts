// A real OpenID provider for the sign-in tests: `oidc-provider` on 127.0.0.1 over HTTPS with a
// self-signed certificate made here (openssl), its development login form (any login id, any password),
// clients registered for tokend's callback, and accounts whose claims (email, email_verified, groups) a
// test may change between sign-ins. `signIn` drives the provider's pages with fetch and a cookie jar,
// as a browser would, and returns where the provider sends the browser back.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider, { type ProviderContext } from 'oidc-provider';
import { type FetchLike, fetchTrusting } from '../accounts/oidc-fetch.js';

export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  groups?: string[];
  name?: string;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface TestProvider {
  issuer: string;
  /** The self-signed certificate (PEM): the CA tokend and the test's fetch trust. */
  ca: string;
  caFile: string;
  /** Login id → claims; change them between sign-ins. */
  accounts: Map<string, TestAccount>;
  fetch: FetchLike;
  stop(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 and localhost, in a temporary folder. */
export function selfSignedCert(): { dir: string; cert: string; key: string; certFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tokend-oidc-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { dir, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile };
}

export async function startProvider(options: {
  clients: TestClient[];
  accounts?: Record<string, TestAccount>;
  /** Seconds an ID token lives (default 60). */
  idTokenTtl?: number;
}): Promise<TestProvider> {
  const tls = selfSignedCert();
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `https://127.0.0.1:${port}`;
  const accounts = new Map(Object.entries(options.accounts ?? {}));
  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    findAccount: (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...account }) };
    },
    // Every client is first-party here: consent is taken as given, so the login form is the only page.
    loadExistingGrant: async (ctx: ProviderContext) => {
      const { oidc } = ctx;
      const accountId = oidc.session?.accountId;
      if (!oidc.client || !accountId) return undefined;
      const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['tokend-test-provider-cookie-key'] },
    ttl: { IdToken: options.idTokenTtl ?? 60 },
  });
  // Silence the provider's own console warnings about its development defaults.
  provider.on('server_error', () => {});
  handler = provider.callback();
  return {
    issuer,
    ca: tls.cert,
    caFile: tls.certFile,
    accounts,
    fetch: fetchTrusting(tls.cert),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(tls.dir, { recursive: true, force: true });
    },
  };
}

/** A minimal cookie jar for fetch: name=value pairs per origin, path and attributes ignored. */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();

  header(url: string): string {
    const jar = this.cookies.get(new URL(url).host);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  take(url: string, response: Response): void {
    const host = new URL(url).host;
    const jar = this.cookies.get(host) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(host, jar);
  }
}

/**
 * Signs in at the provider as `login`, starting from its authorization URL, following its redirects
 * and posting its login form. Returns the URL the provider sends the browser back to (tokend's callback
 * with code, state and iss, or an error).
 */
export async function signInAtProvider(
  provider: Pick<TestProvider, 'fetch' | 'issuer'>,
  jar: CookieJar,
  authorizationUrl: string,
  login: string,
): Promise<string> {
  let url = authorizationUrl;
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = { cookie: jar.header(url) };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await provider.fetch(url, { method, headers, body: body ?? null });
    jar.take(url, response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url).href;
      if (!next.startsWith(provider.issuer)) return next;
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const page = await response.text();
    if (response.status === 200 && page.includes('name="login"')) {
      method = 'POST';
      body = new URLSearchParams({ prompt: 'login', login, password: 'any password' }).toString();
      continue;
    }
    throw new Error(`the provider answered ${response.status} at ${url}: ${page.slice(0, 500)}`);
  }
  throw new Error('the provider redirected too often');
}
