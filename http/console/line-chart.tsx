// A line chart as inline SVG, drawn on the server from chart-geometry.ts. Colours come from
// the stylesheet (classes s0…s7), so the page needs no inline style under its CSP.
import type { FC } from 'hono/jsx';
import { type ChartSeries, type ChartSpec, chartGeometry } from './chart-geometry.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** A time tick: hours and minutes (UTC) over short ranges, month and day over long ones. */
export function tickLabel(time: number, spanMs: number): string {
  const d = new Date(time);
  return spanMs <= 2 * 86_400_000
    ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
    : `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export const LineChart: FC<{
  title: string;
  series: readonly ChartSeries[];
  spec: ChartSpec;
  format: (value: number) => string;
}> = ({ title, series, spec, format }) => {
  const g = chartGeometry(series, spec);
  const span = spec.to - spec.from;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      {g.empty ? (
        <p class="empty">No samples in this range.</p>
      ) : (
        <svg
          viewBox={`0 0 ${g.width} ${g.height}`}
          class="chart-svg"
          role="img"
          aria-label={title}
          xmlns="http://www.w3.org/2000/svg"
        >
          {g.yTicks.map((t) => (
            <g class="tick">
              <line x1={g.plot.left} x2={g.plot.right} y1={t.y} y2={t.y} />
              <text x={g.plot.left - 6} y={t.y + 4} text-anchor="end">
                {format(t.value)}
              </text>
            </g>
          ))}
          {g.xTicks.map((t, i) => (
            <text
              class="tick"
              x={t.x}
              y={g.height - 4}
              text-anchor={i === g.xTicks.length - 1 ? 'end' : 'middle'}
            >
              {tickLabel(t.time, span)}
            </text>
          ))}
          {g.lines.map((line, i) => (
            <g class={`series s${i % 8}`}>
              <title>{line.name}</title>
              {line.d ? <path class="line" d={line.d} /> : null}
              {line.dots.map((dot) => (
                <circle class="dot" cx={dot.x} cy={dot.y} r={3} />
              ))}
            </g>
          ))}
        </svg>
      )}
      <ul class="legend">
        {g.lines.map((line, i) => (
          <li>
            <span class={`swatch s${i % 8}`} />
            {line.name} <span class="latest">{line.last === null ? '—' : format(line.last)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
};
