// Runs a gateway from the README's own configuration block: extracted as a user would copy it, with
// only the addresses, ports, file paths and host name changed, in a temporary folder, as a child process
// (never a daemon, never a system port), stopped by the test. Also a small HTTPS client for it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './live-server.js';

export type GatewayKind = 'nginx' | 'caddy' | 'haproxy';

const BINARIES: Record<GatewayKind, string[]> = {
  nginx: ['/usr/sbin/nginx', '/usr/bin/nginx'],
  caddy: ['/usr/bin/caddy', '/usr/local/bin/caddy'],
  haproxy: ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy'],
};

/** The installed binary, or null (the gateway test then skips). */
export function gatewayBinary(kind: GatewayKind): string | null {
  for (const path of BINARIES[kind]) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next place
    }
  }
  return null;
}

/** The first fenced block of `language` in the README. */
export function readmeBlock(language: string): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('```' + language + '\n');
  if (start < 0) throw new Error(`README.md has no \`\`\`${language} block`);
  const body = start + language.length + 4;
  return readme.slice(body, readme.indexOf('\n```', body) + 1);
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Gateway {
  port: number;
  /** `from`: the loopback address the client connects from (Linux routes all of 127/8 to lo). */
  request(
    path: string,
    options?: { method?: string; headers?: Record<string, string>; from?: string },
  ): Promise<Answer>;
  stop(): Promise<void>;
}

interface Addresses {
  host: string;
  tokend: number;
  platform: number;
}

/** Swaps every literal for this run's; throws when one is missing, so a README edit cannot go untested. */
function adapt(text: string, swaps: [string, string][]): string {
  for (const [from, to] of swaps) {
    if (!text.includes(from)) throw new Error(`the README's block no longer holds ${from}`);
    text = text.split(from).join(to);
  }
  return text;
}

function configure(kind: GatewayKind, dir: string, port: number, at: Addresses, admin: number) {
  const common: [string, string][] = [
    ['127.0.0.1:3000', `127.0.0.1:${at.tokend}`],
    ['127.0.0.1:8081', `127.0.0.1:${at.platform}`],
    ['/etc/ssl/', `${dir}/`],
    ['api.example.com', at.host],
  ];
  if (kind === 'nginx') {
    const site = adapt(readmeBlock('nginx'), [
      ...common,
      ['listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`],
      ['/var/log/nginx/', `${dir}/`],
    ]);
    writeFileSync(join(dir, 'tokend.conf'), site);
    // The rest of a Debian nginx.conf, with the paths of a non-root nginx in the foreground.
    const main = [`pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log info;`, 'daemon off;', 'events {}'];
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (p) => `${p}_temp_path ${dir}/${p};`,
    );
    writeFileSync(
      join(dir, 'nginx.conf'),
      `${main.join('\n')}\nhttp {\n${temp.join('\n')}\ninclude ${dir}/tokend.conf;\n}\n`,
    );
    return { args: ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'startup.log')], env: {} };
  }
  if (kind === 'haproxy') {
    writeFileSync(join(dir, 'tokend-auth.lua'), adapt(readmeBlock('lua'), common.slice(0, 1)));
    const cfg = adapt(readmeBlock('haproxy'), [
      ...common.slice(0, 3),
      ['/etc/haproxy/', `${dir}/`],
      ['bind :443 ssl', `bind 127.0.0.1:${port} ssl`],
    ]);
    writeFileSync(join(dir, 'haproxy.cfg'), cfg);
    return { args: ['-db', '-f', join(dir, 'haproxy.cfg')], env: {} };
  }
  const site = adapt(readmeBlock('caddyfile'), [
    ...common,
    [`${at.host} {`, `${at.host}:${port} {\n\tbind 127.0.0.1`],
    ['tokens.example.com {', `tokens.example.com:${port} {\n\tbind 127.0.0.1`],
  ]);
  // The global options a test run needs: no admin endpoint, no certificate authority, no system ports.
  const global = `{\n\tadmin off\n\tauto_https disable_redirects\n\thttp_port ${admin}\n\thttps_port ${port}\n\tstorage file_system ${dir}/data\n}\n\n`;
  writeFileSync(join(dir, 'Caddyfile'), global + site);
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  return { args: ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], env };
}

/** One self-signed certificate for both of the README's host names. */
function certificate(dir: string, host: string) {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${host}`,
    '-addext', `subjectAltName=DNS:${host},DNS:tokens.example.com`,
    '-keyout', join(dir, 'api.key'), '-out', join(dir, 'api.pem'),
  ], { stdio: 'ignore' }); // prettier-ignore
  copyFileSync(join(dir, 'api.key'), join(dir, 'tokens.key'));
  copyFileSync(join(dir, 'api.key'), join(dir, 'api.pem.key')); // where HAProxy looks for the key
  copyFileSync(join(dir, 'api.pem'), join(dir, 'tokens.pem'));
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket.end() && true));
    socket.once('error', () => resolve(false));
  });
}

export async function startGateway(kind: GatewayKind, at: Addresses): Promise<Gateway> {
  const binary = gatewayBinary(kind);
  if (!binary) throw new Error(`${kind} is not installed`);
  const dir = mkdtempSync(join(tmpdir(), `tokend-${kind}-`));
  const port = await freePort();
  let setup;
  try {
    certificate(dir, at.host);
    setup = configure(kind, dir, port, at, await freePort());
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const { args, env } = setup;
  let output = '';
  const child: ChildProcess = spawn(binary, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await accepting(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${kind} did not start: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    request: (path, options = {}) =>
      new Promise<Answer>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            path,
            ...(options.from ? { localAddress: options.from } : {}),
            method: options.method ?? 'GET',
            servername: at.host,
            rejectUnauthorized: false,
            agent: false,
            headers: { host: at.host, ...(options.headers ?? {}) },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
          },
        );
        req.on('error', reject);
        req.end();
      }),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
