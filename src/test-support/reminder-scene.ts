// Shared by the reminder tests: one environment per file and database, emptied before each test (a
// sweep reports on every token, so each test starts from an empty database), a tenant whose admin
// creates tokens, a clock moved to "day N of this test", and the emails the SMTP sink received for this
// tenant only.
import { type Mailer, smtpMailer } from '../mail/mailer.js';
import { ReminderSweep, type SweepOptions } from '../reminders/sweep.js';
import type { Agent, DbKind, Env, Tenant } from './harness.js';
import { createEnv } from './harness.js';
import type { ReceivedMail, SmtpSink } from './smtp-sink.js';

export const DAY = 86_400_000;
export const PUBLIC_URL = 'https://tokend.example.test';

export interface Scene {
  env: Env;
  tenant: Tenant;
  admin: Agent;
  /** Creates a token as the admin; day 0 is its creation. */
  token(body?: Record<string, unknown>): ReturnType<Agent['createToken']>;
  /** Moves the clock to `days` after day 0 (the last token's creation, else the scene's start). */
  at(days: number): void;
  sweep(options?: SweepOptions): ReturnType<ReminderSweep['run']>;
  /** Emails this tenant's admin received, oldest first. */
  mails(): ReceivedMail[];
  /** The notice kind of each of them. */
  kinds(): string[];
  /** A newly logged-in admin: sessions of the first one end as the clock moves on by days. */
  agent(): Promise<Agent>;
  /** The token's audit events of these types, oldest first, as GET .../events shows them. */
  events(tokenId: string, ...types: string[]): Promise<{ type: string; details: Record<string, unknown> }[]>;
}

// The file's environment per database kind, made by the first scene and closed by closeScenes().
const envs = new Map<DbKind, Promise<Env>>();

/** Closes the environments the file's scenes used: call it in the file's `after`. */
export async function closeScenes(): Promise<void> {
  const open = [...envs.values()];
  envs.clear();
  for (const env of open) await (await env).close();
}

/**
 * Runs `fn` on the file's environment, emptied as a new one would be (Env.reset), and its own mailer;
 * closes the mailer whatever happens.
 */
export async function withScene(kind: DbKind, sink: SmtpSink, fn: (s: Scene) => Promise<void>) {
  let made = envs.get(kind);
  if (!made) envs.set(kind, (made = createEnv(kind)));
  const env = await made;
  await env.reset();
  const mailer: Mailer = smtpMailer(sink.url, 'tokend <tokend@example.test>');
  try {
    const tenant = await env.tenant();
    const admin = await tenant.adminAgent();
    let start = env.clock().getTime();
    const reminders = new ReminderSweep({
      db: env.db,
      tokens: env.services.tokens,
      mailer,
      clock: env.clock,
      publicUrl: PUBLIC_URL,
    });
    const mails = () => sink.messages.filter((m) => m.to.includes(admin.user.email));
    await fn({
      env,
      tenant,
      admin,
      async token(body) {
        const created = await admin.createToken(body);
        start = new Date(created.token.createdAt).getTime();
        return created;
      },
      at: (days) => env.clock.advance(start + days * DAY - env.clock().getTime()),
      sweep: (options) => reminders.run(options),
      mails,
      kinds: () => mails().map((m) => m.headers.get('x-tokend-notice') ?? '?'),
      agent: () => tenant.user('admin'),
      async events(tokenId, ...types) {
        const res = await (
          await tenant.user('admin')
        ).request({
          method: 'GET',
          url: `/apis/v1/api-tokens/${tokenId}/events`,
        });
        if (res.statusCode !== 200) throw new Error(`events: ${res.statusCode} ${res.body}`);
        const { items } = res.json<{ items: { type: string; details: Record<string, unknown> }[] }>();
        return items.filter((e) => types.includes(e.type)).reverse();
      },
    });
  } finally {
    await mailer.close();
  }
}
