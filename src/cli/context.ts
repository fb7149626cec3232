// What every CLI command shares: config, the database (locked for this process when embedded), the
// services, and how results are printed — exactly the API's JSON with --json, readable text otherwise;
// logs go to stderr. Expected failures print `error: ...` and exit 1 (2 for bad input).

import type { Institution, User } from '../accounts/service.js';
import { systemClock } from '../clock.js';
import { type Config, loadConfig } from '../config.js';
import type { Failure, Result } from '../errors.js';
import { createLogger } from '../log.js';
import { buildServices, type Services } from '../services.js';
import { openDatabase } from '../setup.js';

export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface Ctx extends Services {
  config: Config;
  logger: ReturnType<typeof createLogger>;
}

/** Opens everything, runs `fn`, and always closes (flushing usage, releasing the data folder). */
export async function withContext<T>(fn: (ctx: Ctx) => T | Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr);
  const opened = await openDatabase(config, systemClock, 'cli');
  if (opened.generatedPassword) {
    process.stderr.write(
      `created the administrator ${config.adminEmail}; password (shown once): ${opened.generatedPassword}\n`,
    );
  }
  const services = buildServices(config, opened.db, systemClock);
  try {
    return await fn({ ...services, config, logger });
  } finally {
    await services.usage.stop();
    await opened.close();
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw failureToCli(result);
  return result.value;
}

export function failureToCli(f: Failure): CliFailure {
  return new CliFailure(
    f.field ? `${f.message} (${f.field})` : f.message,
    f.code === 'invalid_request' ? 2 : 1,
  );
}

export async function institutionFor(ctx: Ctx, slug: string | undefined): Promise<Institution> {
  return unwrap(await ctx.accounts.pickInstitution(slug));
}

export async function userFor(ctx: Ctx, institution: Institution, email: string): Promise<User> {
  const user = await ctx.accounts.findUser(institution.id, email);
  if (!user) throw new CliFailure(`no user ${email} in institution "${institution.slug}" (--by)`, 2);
  return user;
}

/** The institution of `--institution` and the actor of `--by`, as a change made from the CLI records them. */
export async function actingAs(ctx: Ctx, o: { institution?: string; by: string }) {
  const institution = await institutionFor(ctx, o.institution);
  const user = await userFor(ctx, institution, o.by);
  return { institution, actor: { userId: user.id, ip: null } };
}

/** Prints `value` as JSON when asked, otherwise the human text. */
export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** An option's parser for a count (days, a page size): digits only, so `1e3`, `0x1e` or ` 30` are refused. */
export const wholeNumber =
  (flag: string) =>
  (value: string): number => {
    if (!/^\d+$/.test(value)) throw new CliFailure(`${flag} must be a whole number, not "${value}"`, 2);
    return Number(value);
  };

export function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      data += chunk;
    });
    process.stdin.on('end', () => resolve(data.replace(/\r?\n$/, '')));
    process.stdin.on('error', reject);
  });
}
