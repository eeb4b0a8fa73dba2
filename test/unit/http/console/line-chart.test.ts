import { describe, expect, it } from 'vitest';
import { LineChart, tickLabel } from '../../../../http/console/line-chart.tsx';

const from = Date.UTC(2026, 2, 1, 10, 0, 0);
const spec = { from, to: from + 3_600_000, stepMs: 60_000 };

const render = async (series: Parameters<typeof LineChart>[0]['series']) =>
  String(await LineChart({ title: 'Disk <used>', series, spec, format: (v) => `${v} %` }));

describe('LineChart', () => {
  it('draws an SVG with a path per series, a legend and the latest value', async () => {
    const html = await render([
      {
        name: '/',
        points: [
          [from, 10],
          [from + 60_000, 20],
        ],
      },
      { name: '/var', points: [[from, 5]] },
    ]);
    expect(html).toContain('<svg viewBox="0 0 640 200"');
    expect(
      html.match(/<g class="series s\d"><title>[^<]*<\/title><path class="line"/g),
    ).toHaveLength(1);
    expect(html).toContain('<g class="series s1"><title>/var</title><circle class="dot"');
    expect(html).toContain('<span class="swatch s1"></span>/var <span class="latest">5 %</span>');
    expect(html).toContain('aria-label="Disk &lt;used&gt;"');
  });

  it('escapes host-supplied series names (mount points, interfaces)', async () => {
    const html = await render([{ name: '<script>alert(1)</script>', points: [[from, 1]] }]);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('says so instead of drawing an empty chart', async () => {
    const html = await render([{ name: 'a', points: [] }]);
    expect(html).not.toContain('<svg');
    expect(html).toContain('No samples in this range.');
  });
});

describe('tickLabel', () => {
  it('shows UTC hours and minutes over short ranges, month-day over long ones', () => {
    const t = Date.UTC(2026, 2, 1, 9, 5);
    expect(tickLabel(t, 3_600_000)).toBe('09:05');
    expect(tickLabel(t, 7 * 86_400_000)).toBe('03-01');
  });
});
