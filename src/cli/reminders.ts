// `tokend reminders run`: the server's expiry and reminder sweep, on demand. --at rehearses it as if it
// were that moment (a future one only reports, unless --apply, which is meant for test data); --dry-run
// reports and changes nothing. Prints each notice, a progress line on stderr for large runs and a total;
// exits 1 when a send failed (the next sweep retries it). Claims make it safe beside a running server.
import type { Command } from '@commander-js/extra-typings';
import { type Clock, systemClock } from '../clock.js';
import { createMailer } from '../mail/mailer.js';
import { type NoticeOutcome, ReminderSweep, type SweepReport } from '../reminders/sweep.js';
import { parseIsoTime } from '../tokens/expiry.js';
import { TokenService } from '../tokens/service.js';
import { CliFailure, type Ctx, print, withContext } from './context.js';

interface RunOptions {
  at?: string;
  dryRun?: boolean;
  apply?: boolean;
  json?: boolean;
}

export function registerReminderCommands(program: Command): void {
  const reminders = program.command('reminders').description('expiry reminders and the expiry sweep');
  reminders
    .command('run')
    .description('record expiry of tokens past it and send the reminders due, each once')
    .option('--at <time>', 'sweep as if it were this ISO-8601 time (a future one: dry run unless --apply)')
    .option('--dry-run', 'print what would be sent and skipped; change nothing')
    .option('--apply', 'with a future --at: really record and send (for test data)')
    .option('--json', 'print the report as JSON')
    .action(async (o) => {
      // Bad options are refused before the database is opened.
      const at = o.at === undefined ? null : parseIsoTime(o.at);
      if (o.at !== undefined && !at)
        throw new CliFailure('--at must be an ISO-8601 time with a zone, e.g. 2030-01-31T09:00:00Z', 2);
      if (o.dryRun && o.apply) throw new CliFailure('give --dry-run or --apply, not both', 2);
      await withContext((ctx) => runSweep(ctx, o, at));
    });
}

async function runSweep(ctx: Ctx, o: RunOptions, at: Date | null): Promise<void> {
  const started = Date.now();
  // The rehearsed moment moves on in real time, so claims made during the run are stamped truthfully.
  const clock: Clock = at ? () => new Date(at.getTime() + (Date.now() - started)) : systemClock;
  const future = at !== null && at.getTime() > started;
  const dryRun = Boolean(o.dryRun) || (future && !o.apply);
  const mailer = createMailer(ctx.config, ctx.logger);
  const tokens = new TokenService(ctx.db, clock, (id) => ctx.verifier.invalidate(id));
  const sweep = new ReminderSweep({ db: ctx.db, tokens, mailer, clock, publicUrl: ctx.config.publicUrl });
  const notices: NoticeOutcome[] = [];
  const report = await sweep
    .run({
      dryRun,
      onNotice: (n) => {
        if (o.json) notices.push(n);
        else process.stdout.write(`${noticeLine(n)}\n`);
      },
      onProgress: (n) => process.stderr.write(`... ${n} tokens checked\n`),
    })
    .finally(() => mailer.close());
  print(o.json, { ...report, mail: mailer.describe, notices }, () =>
    total(report, mailer.describe, future && dryRun && !o.dryRun),
  );
  if (report.failed > 0)
    throw new CliFailure(`${report.failed} reminder(s) not sent; the next sweep retries them`, 1);
}

const LABELS: Record<NoticeOutcome['status'], string> = {
  sent: 'sent',
  skipped: 'skipped',
  failed: 'FAILED',
  would_send: 'would send',
  would_skip: 'would skip',
};

export function noticeLine(n: NoticeOutcome): string {
  const detail =
    n.status === 'sent' || n.status === 'would_send' ? `to ${n.recipients.join(', ')}` : `(${n.reason})`;
  return `${LABELS[n.status].padEnd(10)}  ${n.kind.padEnd(10)}  ${n.tokenId}  ${n.display}  ${JSON.stringify(n.tokenName)} (${n.institution})  ${detail}`;
}

function total(r: SweepReport, mail: string, futureAt: boolean): string {
  if (r.dryRun) {
    const why = futureAt ? ' (--at is in the future: add --apply to really send, for test data)' : '';
    const idle = r.suspended > 0 ? `, ${r.suspended} would be suspended as unused` : '';
    return `dry run as of ${r.at}: ${r.tokens} tokens checked, ${r.sent} would be sent, ${r.skipped} would be skipped${idle}; nothing changed${why}`;
  }
  const idle = r.suspended > 0 ? `, ${r.suspended} suspended as unused` : '';
  return `sweep as of ${r.at}: ${r.expired} tokens recorded expired${idle}, ${r.tokens} tokens checked: ${r.sent} sent, ${r.skipped} skipped, ${r.failed} failed (mail: ${mail})`;
}
