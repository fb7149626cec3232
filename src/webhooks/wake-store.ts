// On PostgreSQL, wakes this instance's deliverer as soon as a message is written by any instance, the
// CLI or hand-written SQL: migration 010's trigger sends pg_notify('tokend_webhooks') with each audit
// event that has subscribers. One dedicated connection LISTENs; when it is lost it reconnects after a
// second, and the deliverer's polling (TOKEND_WEBHOOK_POLL_INTERVAL) covers what it missed meanwhile.
import pg from 'pg';

export const WEBHOOK_CHANNEL = 'tokend_webhooks';

export function listenForWebhooks(
  url: string,
  wake: () => void,
  onError?: (error: unknown) => void,
): { stop(): Promise<void> } {
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  const connect = async () => {
    retry = null;
    const c = new pg.Client({ connectionString: url, application_name: 'tokend-webhooks' });
    let lost = false;
    const drop = (error: unknown) => {
      if (lost) return;
      lost = true;
      void c.end().catch(() => {});
      if (client === c) client = null;
      if (stopped) return;
      onError?.(error);
      retry = setTimeout(() => void connect(), 1000);
      retry.unref();
    };
    c.on('notification', (n) => {
      if (n.channel === WEBHOOK_CHANNEL) wake();
    });
    c.on('error', drop);
    c.on('end', () => drop(new Error('webhook listener connection ended')));
    try {
      await c.connect();
      await c.query(`LISTEN ${WEBHOOK_CHANNEL}`);
    } catch (error) {
      drop(error);
      return;
    }
    if (stopped) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
    wake();
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
