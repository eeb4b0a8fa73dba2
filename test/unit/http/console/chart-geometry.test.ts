import { describe, expect, it } from 'vitest';
import {
  CHART_SIZE,
  chartGeometry,
  niceCeil,
  valueAxis,
} from '../../../../http/console/chart-geometry.ts';

const MIN = 60_000;
const from = Date.UTC(2026, 2, 1, 10, 0, 0);
const spec = { from, to: from + 10 * MIN, stepMs: MIN };

describe('niceCeil', () => {
  it('rounds up to 1, 2, 2.5, 5 or 10 times a power of ten', () => {
    expect([0.3, 1, 1.2, 2.2, 3, 7, 10, 11, 230, 0.07].map(niceCeil)).toEqual([
      0.5, 1, 2, 2.5, 5, 10, 10, 20, 250, 0.1,
    ]);
    expect(niceCeil(0)).toBe(1);
    expect(niceCeil(-3)).toBe(1);
    expect(niceCeil(Number.NaN)).toBe(1);
  });
});

describe('valueAxis', () => {
  it('takes a round step and a top that is a whole number of steps', () => {
    expect(valueAxis(11)).toEqual({ top: 15, step: 5 });
    expect(valueAxis(89)).toEqual({ top: 100, step: 25 });
    expect(valueAxis(20)).toEqual({ top: 20, step: 5 });
  });

  it('rounds byte values in binary units', () => {
    const GiB = 1024 ** 3;
    expect(valueAxis(20.1 * GiB, true)).toEqual({ top: 30 * GiB, step: 10 * GiB });
    expect(valueAxis(700, true)).toEqual({ top: 800, step: 200 });
  });

  it('has an axis even with no positive value', () => {
    expect(valueAxis(0)).toEqual({ top: 1, step: 1 });
  });
});

describe('chartGeometry', () => {
  it('maps time to x and value to y inside the plot', () => {
    const g = chartGeometry(
      [
        {
          name: 'a',
          points: [
            [from, 0],
            [from + MIN, 100],
          ],
        },
      ],
      {
        ...spec,
        yMax: 100,
      },
    );
    const { left, right, top, bottom } = g.plot;
    const x1 = left + (right - left) / 10;
    expect(g.lines[0]?.d).toBe(`M${left} ${bottom}L${Math.round(x1 * 10) / 10} ${top}`);
    expect(g.width).toBe(CHART_SIZE.width);
    expect(g.empty).toBe(false);
    expect(g.lines[0]?.last).toBe(100);
  });

  it('breaks the line at a null value and at two missing buckets, bridges one', () => {
    const points: [number, number | null][] = [
      [from, 1],
      [from + MIN, 2],
      [from + 2 * MIN, null],
      [from + 3 * MIN, 3],
      [from + 5 * MIN, 4], // one bucket missing: bridged
      [from + 8 * MIN, 5], // two missing: a new run, alone, so a dot
    ];
    const g = chartGeometry([{ name: 'a', points }], spec);
    const line = g.lines[0];
    const runs = (line?.d ?? '').split('M').slice(1);
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(run).toMatch(/^[\d.]+ [\d.]+L[\d.]+ [\d.]+$/);
    // 8 of 10 minutes across; 5 of a 0–6 axis (steps of 2) up.
    const { left, right, top, bottom } = g.plot;
    expect(g.yTicks.at(-1)?.value).toBe(6);
    expect(line?.dots).toEqual([
      {
        x: Math.round((left + 0.8 * (right - left)) * 10) / 10,
        y: Math.round((bottom - (5 / 6) * (bottom - top)) * 10) / 10,
      },
    ]);
    expect(line?.last).toBe(5);
  });

  it('sorts points by time and widens the axis to a bucket starting before `from`', () => {
    const g = chartGeometry(
      [
        {
          name: 'a',
          points: [
            [from + MIN, 2],
            [from - 30_000, 1],
          ],
        },
      ],
      spec,
    );
    expect(g.lines[0]?.d.startsWith(`M${g.plot.left} `)).toBe(true);
    expect(g.xTicks[0]?.time).toBe(from - 30_000);
    expect(g.lines[0]?.last).toBe(2);
  });

  it('clamps values above a fixed top and below zero', () => {
    const g = chartGeometry(
      [
        {
          name: 'a',
          points: [
            [from, -5],
            [from + MIN, 250],
          ],
        },
      ],
      { ...spec, yMax: 100 },
    );
    expect(g.lines[0]?.d).toMatch(new RegExp(`^M[\\d.]+ ${g.plot.bottom}L[\\d.]+ ${g.plot.top}$`));
  });

  it('gives y ticks from zero to the top, and five x ticks over the range', () => {
    const g = chartGeometry([{ name: 'a', points: [[from, 11]] }], spec);
    expect(g.yTicks.map((t) => t.value)).toEqual([0, 5, 10, 15]);
    expect(g.yTicks[0]?.y).toBe(g.plot.bottom);
    expect(g.yTicks.at(-1)?.y).toBe(g.plot.top);
    expect(g.xTicks.map((t) => t.time)).toEqual([0, 1, 2, 3, 4].map((i) => from + i * 2.5 * MIN));
  });

  it('is empty when no series has a value', () => {
    const g = chartGeometry(
      [
        { name: 'a', points: [] },
        { name: 'b', points: [[from, null]] },
      ],
      spec,
    );
    expect(g.empty).toBe(true);
    expect(g.lines.map((l) => [l.d, l.dots])).toEqual([
      ['', []],
      ['', []],
    ]);
  });
});
