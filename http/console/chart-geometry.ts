// The arithmetic of the console's line charts: scales, tick positions and SVG path data. No
// chart library: a time axis, a value axis from zero, one path per series. A gap of two or
// more missing buckets, or a null value, breaks the line instead of bridging it, so an outage
// shows as an outage; one missing bucket is bridged (samples are jittered ±10 %, so a bucket
// as wide as the sampling interval is sometimes empty).

/** [epoch milliseconds, value]. */
export type ChartPoint = readonly [number, number | null];

export interface ChartSeries {
  name: string;
  points: readonly ChartPoint[];
}

export interface ChartSpec {
  from: number;
  to: number;
  stepMs: number;
  /** A fixed top of the value axis (100 for percentages); else a round number above the data. */
  yMax?: number;
  /** Round the axis in powers of 1024 (byte values: 10 GiB, not 10.7 GiB). */
  binary?: boolean;
}

export interface ChartLine {
  name: string;
  /** SVG path data of the runs of two points or more; empty when there is none. */
  d: string;
  /** Points with no neighbour to join: drawn as dots. */
  dots: { x: number; y: number }[];
  /** The newest value, for the legend. */
  last: number | null;
}

export interface ChartGeometry {
  width: number;
  height: number;
  plot: { left: number; top: number; right: number; bottom: number };
  lines: ChartLine[];
  yTicks: { y: number; value: number }[];
  xTicks: { x: number; time: number }[];
  /** No series has a single value. */
  empty: boolean;
}

export const CHART_SIZE = { width: 640, height: 200 } as const;
const PLOT = { left: 64, top: 10, right: 630, bottom: 178 } as const;
const Y_TICKS = 4;
const X_TICKS = 5;
const GAP_STEPS = 2.5;

/** The smallest of 1, 2, 2.5, 5, 10 × 10^k that is ≥ value (1 for 0 or less). */
export function niceCeil(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) {
    // The tolerance keeps 0.3/0.1 = 2.9999999999999996 from rounding up a step.
    if (m * magnitude >= value * (1 - 1e-12)) return m * magnitude;
  }
  return 10 * magnitude;
}

/**
 * The value axis: a round step (at most Y_TICKS of them reach the largest value) and the top
 * as a whole number of steps. With `binary`, steps are round in the largest power of 1024
 * below the data.
 */
export function valueAxis(max: number, binary = false): { top: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { top: 1, step: 1 };
  const unit = binary ? 1024 ** Math.max(0, Math.floor(Math.log(max) / Math.log(1024))) : 1;
  const step = niceCeil(max / unit / Y_TICKS) * unit;
  return { top: Math.ceil((max / step) * (1 - 1e-12)) * step, step };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export function chartGeometry(series: readonly ChartSeries[], spec: ChartSpec): ChartGeometry {
  const sorted = series.map((s) => ({
    name: s.name,
    points: [...s.points].sort((a, b) => a[0] - b[0]),
  }));
  const values = sorted.flatMap((s) =>
    s.points.map((p) => p[1]).filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  const times = sorted.flatMap((s) => s.points.map((p) => p[0]));
  // Buckets start at or before `from` (the first holds it whole): widen the axis to them.
  const t0 = Math.min(spec.from, ...times);
  const t1 = Math.max(spec.to, ...times, t0 + 1);
  const axis =
    spec.yMax !== undefined
      ? { top: spec.yMax, step: spec.yMax / Y_TICKS }
      : valueAxis(Math.max(0, ...values), spec.binary);
  const yMax = axis.top;
  const plotW = PLOT.right - PLOT.left;
  const plotH = PLOT.bottom - PLOT.top;
  const x = (t: number) => round1(PLOT.left + ((t - t0) / (t1 - t0)) * plotW);
  const y = (v: number) => round1(PLOT.bottom - (Math.min(Math.max(v, 0), yMax) / yMax) * plotH);

  const lines = sorted.map((s) => {
    const segments: [number, number][][] = [];
    let previous: number | null = null;
    let last: number | null = null;
    for (const [t, v] of s.points) {
      if (v === null || !Number.isFinite(v)) {
        previous = null;
        continue;
      }
      const joined = previous !== null && t - previous <= spec.stepMs * GAP_STEPS;
      if (!joined) segments.push([]);
      segments.at(-1)?.push([x(t), y(v)]);
      previous = t;
      last = v;
    }
    const d = segments
      .filter((run) => run.length > 1)
      .map(
        ([first, ...rest]) =>
          `M${first?.[0]} ${first?.[1]}${rest.map(([px, py]) => `L${px} ${py}`).join('')}`,
      )
      .join('');
    const dots = segments
      .filter((run) => run.length === 1)
      .flatMap(([point]) => (point ? [{ x: point[0], y: point[1] }] : []));
    return { name: s.name, d, dots, last };
  });

  return {
    ...CHART_SIZE,
    plot: { ...PLOT },
    lines,
    yTicks: Array.from({ length: Math.round(yMax / axis.step) + 1 }, (_, i) => {
      const value = axis.step * i;
      return { y: y(value), value };
    }),
    xTicks: Array.from({ length: X_TICKS }, (_, i) => {
      const time = t0 + ((t1 - t0) * i) / (X_TICKS - 1);
      return { x: x(time), time };
    }),
    empty: values.length === 0,
  };
}
