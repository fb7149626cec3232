// Daily requests over the last 90 UTC days as a plain SVG bar chart. Days without requests are absent
// from the API's answer and drawn as zero; the summary sentence gives screen readers the same facts.
import type { UsageDay } from '../types.js';

const DAYS = 90;
const WIDTH = 720;
const HEIGHT = 160;
const LEFT = 40;
const BOTTOM = 20;

function lastDays(now: Date): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: DAYS }, (_, i) =>
    new Date(today - (DAYS - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

const requests = (n: number) => `${n.toLocaleString()} request${n === 1 ? '' : 's'}`;

export function UsageChart({ items }: { items: UsageDay[] }) {
  const counts = new Map(items.map((item) => [item.date, item.count]));
  const days = lastDays(new Date()).map((date) => ({ date, count: counts.get(date) ?? 0 }));
  const total = days.reduce((sum, day) => sum + day.count, 0);
  const peak = days.reduce((best, day) => (day.count > best.count ? day : best), { date: '', count: 0 });
  const scale = Math.max(peak.count, 1);
  const slot = (WIDTH - LEFT) / DAYS;
  const plotHeight = HEIGHT - BOTTOM - 8;
  const summary =
    total === 0
      ? 'No requests in the last 90 days.'
      : `${requests(total)} in the last 90 days; the busiest day was ${peak.date} (UTC) with ${requests(peak.count)}.`;
  return (
    <figure className="usage-chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`Daily requests. ${summary}`}>
        <line className="axis" x1={LEFT} x2={WIDTH} y1={HEIGHT - BOTTOM} y2={HEIGHT - BOTTOM} />
        <text className="tick" x={LEFT - 6} y={HEIGHT - BOTTOM - plotHeight + 4} textAnchor="end">
          {scale.toLocaleString()}
        </text>
        <text className="tick" x={LEFT - 6} y={HEIGHT - BOTTOM} textAnchor="end">
          0
        </text>
        {days.map((day, i) => {
          const height = (day.count / scale) * plotHeight;
          return (
            <rect
              key={day.date}
              className="bar"
              x={LEFT + i * slot + 1}
              y={HEIGHT - BOTTOM - height}
              width={Math.max(slot - 2, 1)}
              height={height}
            >
              <title>{`${day.date}: ${requests(day.count)}`}</title>
            </rect>
          );
        })}
        {(
          [
            [0, LEFT, 'start'],
            [45, LEFT + 45.5 * slot, 'middle'],
            [DAYS - 1, WIDTH, 'end'],
          ] as const
        ).map(([i, x, anchor]) => (
          <text key={i} className="tick" x={x} y={HEIGHT - 4} textAnchor={anchor}>
            {days[i]?.date}
          </text>
        ))}
      </svg>
      <figcaption>{summary} Dates are UTC days.</figcaption>
    </figure>
  );
}
