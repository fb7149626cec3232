// A few Prometheus counters, written by hand (text format 0.0.4): requests by route and status, and
// token checks by outcome (unknown tokens are counted here only, never written to the database), and
// failed refreshes of the token cache (the first sign of an outage, before checks answer 503), and the
// webhook deliveries by outcome with the pending messages (SPEC section 10).
import type { AuthFailure } from '../tokens/verdict.js';

export interface WebhookCounts {
  outcomes: ReadonlyMap<string, number>;
  pending: number | null;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly checks = new Map<string, number>();
  private refreshFailures = 0;
  private webhooks: (() => WebhookCounts) | null = null;

  observe(route: string, status: number): void {
    const key = `route="${route.replace(/["\\\n]/g, '_')}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  tokenCheck(outcome: 'ok' | AuthFailure): void {
    this.checks.set(outcome, (this.checks.get(outcome) ?? 0) + 1);
  }

  cacheRefreshFailed(): void {
    this.refreshFailures++;
  }

  /** Webhook deliveries by outcome and the pending messages (null until the deliverer has counted). */
  watchWebhooks(source: () => WebhookCounts): void {
    this.webhooks = source;
  }

  render(gauges: Record<string, number> = {}): string {
    const lines = [
      '# HELP tokend_http_requests_total HTTP requests by route and status.',
      '# TYPE tokend_http_requests_total counter',
      ...[...this.requests].map(([labels, n]) => `tokend_http_requests_total{${labels}} ${n}`),
      '# HELP tokend_token_checks_total Token checks by outcome.',
      '# TYPE tokend_token_checks_total counter',
      ...[...this.checks].map(([outcome, n]) => `tokend_token_checks_total{outcome="${outcome}"} ${n}`),
      '# HELP tokend_token_cache_refresh_failures_total Failed background refreshes of the token cache.',
      '# TYPE tokend_token_cache_refresh_failures_total counter',
      `tokend_token_cache_refresh_failures_total ${this.refreshFailures}`,
    ];
    if (this.webhooks) {
      const { outcomes, pending } = this.webhooks();
      lines.push(
        '# HELP tokend_webhook_deliveries_total Webhook delivery attempts by outcome.',
        '# TYPE tokend_webhook_deliveries_total counter',
        ...[...outcomes].map(([outcome, n]) => `tokend_webhook_deliveries_total{outcome="${outcome}"} ${n}`),
      );
      if (pending !== null)
        lines.push(
          '# HELP tokend_webhook_pending_messages Webhook messages waiting for an attempt.',
          '# TYPE tokend_webhook_pending_messages gauge',
          `tokend_webhook_pending_messages ${pending}`,
        );
    }
    for (const [name, value] of Object.entries(gauges))
      lines.push(`# TYPE ${name} gauge`, `${name} ${value}`);
    return `${lines.join('\n')}\n`;
  }
}
