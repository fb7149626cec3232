// The sweep inside `tokend serve`, every TOKEND_REMINDER_INTERVAL (0 turns it off). On PostgreSQL one
// instance sweeps at a time: the others find the lock taken and skip that round. The claims alone
// would keep them from sending twice; the lock saves the duplicated work. stop() ends a running sweep
// between two tokens, so shutting down never waits for a long run of emails.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { type Db, LOCKS } from '../db/db.js';
import { createMailer } from '../mail/mailer.js';
import type { TokenService } from '../tokens/service.js';
import { ReminderSweep } from './sweep.js';

/** The first sweep comes soon after start, not a whole interval later. */
const FIRST_SWEEP_MS = 5_000;

export interface ReminderLoopDeps {
  config: Pick<Config, 'reminderIntervalMs' | 'smtpUrl' | 'mailFrom' | 'dataDir' | 'publicUrl'>;
  db: Db;
  tokens: Pick<TokenService, 'recordExpiry' | 'suspendUnused'>;
  clock: Clock;
  logger: Logger;
}

export function startReminderLoop(deps: ReminderLoopDeps): { stop(): Promise<void> } {
  const { config, db, logger } = deps;
  const interval = config.reminderIntervalMs;
  if (interval <= 0) return { stop: async () => {} };
  const mailer = createMailer(config, logger);
  const sweep = new ReminderSweep({ ...deps, mailer, publicUrl: config.publicUrl });
  const abort = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  const once = async () => {
    try {
      const report = await db.tryAdvisoryLock(LOCKS.reminders, () =>
        sweep.run({
          signal: abort.signal,
          onNotice: (n) => {
            if (n.status === 'failed') logger.warn({ notice: n }, 'reminder not sent');
          },
        }),
      );
      if (report === null) logger.debug('reminder sweep skipped: another instance is sweeping');
      else if (report.expired + report.suspended + report.sent + report.skipped + report.failed > 0)
        logger.info({ report, mail: mailer.describe }, 'reminder sweep done');
    } catch (err) {
      logger.error({ err }, 'reminder sweep failed');
    }
  };
  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      running = once().finally(() => {
        if (!abort.signal.aborted) schedule(interval);
      });
    }, ms);
    timer.unref();
  };
  schedule(Math.min(interval, FIRST_SWEEP_MS));

  return {
    async stop() {
      abort.abort();
      if (timer) clearTimeout(timer);
      await running;
      await mailer.close();
    },
  };
}
