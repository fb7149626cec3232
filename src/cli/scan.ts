// `tokend scan [PATH...]` (SPEC 9): finds tokend tokens in files, folders (recursively, without `.git` and
// `node_modules` unless named) and standard input (`-`), prints each by its display form — never the
// secret — and exits 1 when it found one, 2 on bad input. It opens no database: it runs anywhere, in CI
// too. Every file is read once, as a stream, binary files included (a token in a database dump or a
// build artefact is leaked all the same; only a valid checksum makes a finding).
import type { Command } from '@commander-js/extra-typings';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { reportLeaks, reportTarget } from '../leaks/report-client.js';
import { TokenScanner } from '../leaks/scan.js';
import { displayToken } from '../tokens/token.js';
import { CliFailure, unwrap } from './context.js';

const SKIPPED = new Set(['.git', 'node_modules']);

interface ScanOptions {
  json?: boolean;
  report?: string;
  url?: string;
  source?: string;
}

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('find tokend tokens in files, folders and standard input; exit 1 when one is found')
    .argument('[paths...]', 'files and folders (default: .); - reads standard input')
    .option('--json', 'print one JSON object per finding')
    .option('--report <url>', "send the tokens found to that tokend's POST /apis/v1/leaks (its base URL)")
    .option('--url <url>', 'with --report: where the tokens were found (a commit, a log)')
    .option('--source <name>', 'with --report: what found them')
    .action((paths, o) => scan(paths.length > 0 ? paths : ['.'], o));
}

async function scan(paths: string[], o: ScanOptions): Promise<void> {
  if ((o.url !== undefined || o.source !== undefined) && o.report === undefined)
    throw new CliFailure('--url and --source go with --report', 2);
  // Bad options are refused before anything is read.
  const target = o.report === undefined ? null : unwrap(reportTarget(o.report, o.url, o.source));
  const run = new ScanRun(Boolean(o.json));
  for (const path of paths) await run.path(path);
  run.progress.clear();
  const { found, files, filesWithTokens, bytes, unreadable } = run;
  const summary =
    found.length === 0
      ? `no tokens found in ${count(files, 'file')} (${size(bytes)})`
      : `${count(found.length, 'token')} found in ${filesWithTokens} of ${count(files, 'file')} (${size(bytes)})`;
  // With --json stdout holds only the findings.
  (o.json ? process.stderr : process.stdout).write(`${summary}\n`);
  if (target && found.length > 0) {
    const received = await reportLeaks(target, found);
    if (!received.ok) throw new CliFailure(received.message, 2);
    process.stderr.write(`reported ${count(new Set(found).size, 'token')} to ${target.endpoint.href}\n`);
  }
  if (unreadable > 0) throw new CliFailure(`${count(unreadable, 'path')} could not be read (see above)`, 2);
  if (found.length > 0)
    throw new CliFailure('rotate every token found: a leaked secret may already be in use', 1);
}

class ScanRun {
  /** The tokens found, one entry per place. */
  readonly found: string[] = [];
  files = 0;
  filesWithTokens = 0;
  bytes = 0;
  unreadable = 0;
  readonly progress = new Progress();

  constructor(private readonly json: boolean) {}

  async path(path: string): Promise<void> {
    if (path === '-') return this.file('-', process.stdin);
    try {
      // Named on the command line, a link is followed and anything but a folder is read (a FIFO from
      // `<(git log -p)` included); a folder named, or one inside `.git` or `node_modules`, is scanned whole.
      if ((await stat(path)).isDirectory()) return this.folder(path, !insideSkipped(path));
      return this.file(path, createReadStream(path));
    } catch (error) {
      this.cannotRead(path, error);
    }
  }

  private async folder(dir: string, skip: boolean): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      return this.cannotRead(dir, error);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      // Links, FIFOs, sockets and devices met on the way are left alone: a link may loop or leave the
      // tree, and reading a FIFO would wait forever.
      if (entry.isDirectory() && !(skip && SKIPPED.has(entry.name))) await this.folder(path, skip);
      else if (entry.isFile()) await this.file(path, createReadStream(path));
    }
  }

  private async file(path: string, stream: AsyncIterable<Buffer | string>): Promise<void> {
    const scanner = new TokenScanner();
    // Invalid UTF-8 (a binary file) becomes U+FFFD, which no token holds: the ASCII around it stays.
    const decoder = new TextDecoder();
    let found = 0;
    try {
      for await (const chunk of stream) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        this.bytes += bytes.length;
        found += this.print(path, scanner.push(decoder.decode(bytes, { stream: true })));
        this.progress.show(this.files, this.bytes);
      }
      found += this.print(path, [...scanner.push(decoder.decode()), ...scanner.end()]);
    } catch (error) {
      return this.cannotRead(path, error);
    }
    this.files++;
    if (found > 0) this.filesWithTokens++;
    this.progress.show(this.files, this.bytes);
  }

  private print(path: string, found: ReturnType<TokenScanner['end']>): number {
    if (found.length === 0) return 0;
    this.progress.clear();
    for (const { line, column, token } of found) {
      const display = displayToken(token);
      this.found.push(token);
      process.stdout.write(
        this.json
          ? `${JSON.stringify({ path, line, column, display })}\n`
          : `${path}:${line}:${column} ${display}\n`,
      );
    }
    return found.length;
  }

  private cannotRead(path: string, error: unknown): void {
    this.unreadable++;
    this.progress.clear();
    process.stderr.write(`cannot read ${path}: ${why(error)}\n`);
  }
}

function why(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return typeof code === 'string' ? code : String(error);
}

const insideSkipped = (path: string) =>
  resolve(path)
    .split(sep)
    .some((part) => SKIPPED.has(part));

/** Files and bytes read, on one stderr line drawn over in place; only on a terminal. */
class Progress {
  private shown = false;
  private last = 0;

  show(files: number, bytes: number): void {
    if (!process.stderr.isTTY || Date.now() - this.last < 100) return;
    this.last = Date.now();
    this.shown = true;
    process.stderr.write(`\r\x1b[Kscanning: ${count(files, 'file')}, ${size(bytes)} read`);
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function size(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let unit = 0;
  while (n >= 1000 && unit < units.length - 1) {
    n /= 1000;
    unit++;
  }
  return unit === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[unit]}`;
}
