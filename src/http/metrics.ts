// A few Prometheus counters, written by hand (text format 0.0.4): requests by route and status, and
// token checks by outcome (unknown tokens are counted here only, never written to the database).
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly checks = new Map<string, number>();

  observe(route: string, status: number): void {
    const key = `route="${route.replace(/["\\\n]/g, '_')}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  tokenCheck(outcome: string): void {
    this.checks.set(outcome, (this.checks.get(outcome) ?? 0) + 1);
  }

  render(gauges: Record<string, number> = {}): string {
    const lines = [
      '# HELP tokend_http_requests_total HTTP requests by route and status.',
      '# TYPE tokend_http_requests_total counter',
      ...[...this.requests].map(([labels, n]) => `tokend_http_requests_total{${labels}} ${n}`),
      '# HELP tokend_token_checks_total Token checks by outcome.',
      '# TYPE tokend_token_checks_total counter',
      ...[...this.checks].map(([outcome, n]) => `tokend_token_checks_total{outcome="${outcome}"} ${n}`),
    ];
    for (const [name, value] of Object.entries(gauges))
      lines.push(`# TYPE ${name} gauge`, `${name} ${value}`);
    return `${lines.join('\n')}\n`;
  }
}
