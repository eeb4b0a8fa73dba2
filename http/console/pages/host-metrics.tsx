// A host's metrics over a selectable range as server-drawn charts: CPU, memory, load,
// filesystems and network. Buckets are never narrower than the host's sampling interval, and
// the long ranges use whole-hour steps so the hourly rollups answer them.
import type { Context } from 'hono';
import { DEFAULT_HOST_SETTINGS } from '../../../actors/host-machine.ts';
import type { MetricPoint } from '../../../sql/metrics-range.ts';
import { metricsRange } from '../../../sql/metrics-range.ts';
import type { ChartSeries } from '../chart-geometry.ts';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { bytes, num } from '../format.ts';
import { HostFrame, loadHost } from '../host-frame.tsx';
import { pageContext } from '../layout.tsx';
import { LineChart } from '../line-chart.tsx';
import { hostPath } from '../paths.ts';
import { render } from '../render.ts';
import { notFoundPage } from './problem.tsx';

const HOUR = 3600;

export const metricRanges = {
  '1h': { seconds: HOUR, step: 15 },
  '6h': { seconds: 6 * HOUR, step: 60 },
  '24h': { seconds: 24 * HOUR, step: 300 },
  '7d': { seconds: 7 * 24 * HOUR, step: HOUR },
  '30d': { seconds: 30 * 24 * HOUR, step: 3 * HOUR },
} as const;

type RangeName = keyof typeof metricRanges;
const MAX_INTERFACES = 4;

/** The bucket width: the range's, widened to the sampling interval (in whole hours past one). */
export function bucketSeconds(range: RangeName, metricsIntervalS: number): number {
  const step = Math.max(metricsIntervalS, metricRanges[range].step);
  return step > HOUR ? Math.ceil(step / HOUR) * HOUR : step;
}

function line<P extends MetricPoint>(
  name: string,
  points: readonly P[],
  value: (p: P) => number | null,
): ChartSeries {
  return { name, points: points.map((p) => [p.time.getTime(), value(p)] as const) };
}

function byLabel<P extends MetricPoint>(points: readonly P[]): Map<string, P[]> {
  const groups = new Map<string, P[]>();
  for (const p of points) {
    const key = p.label ?? '';
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return groups;
}

const pct = (v: number) => `${num(v, 1)} %`;
const rate = (v: number) => `${bytes(v)}/s`;

export function createHostMetricsPage(deps: ConsoleDeps) {
  return async (c: Context<ConsoleEnv>) => {
    const id = c.req.param('id') ?? '';
    const data = await loadHost(deps, id);
    if (!data) return notFoundPage(c, deps, 'No such host.');
    const asked = c.req.query('range');
    const range: RangeName =
      asked && Object.hasOwn(metricRanges, asked) ? (asked as RangeName) : '1h';
    const interval = data.host.metricsIntervalS ?? DEFAULT_HOST_SETTINGS.metricsIntervalMs / 1000;
    const stepSeconds = bucketSeconds(range, interval);
    const to = new Date();
    const from = new Date(to.getTime() - metricRanges[range].seconds * 1000);
    const query = { from, to, stepSeconds };
    const [host, fs, net] = await Promise.all([
      metricsRange(deps.sql, id, { series: 'host', ...query }),
      metricsRange(deps.sql, id, { series: 'fs', ...query }),
      metricsRange(deps.sql, id, { series: 'net', ...query }),
    ]);
    const spec = { from: from.getTime(), to: to.getTime(), stepMs: stepSeconds * 1000 };
    const h = host.points;
    const cpu = [
      line('user', h, (p) => p.avg.cpuUserPct),
      line('system', h, (p) => p.avg.cpuSystemPct),
      line('iowait', h, (p) => p.avg.cpuIowaitPct),
      line('steal', h, (p) => p.avg.cpuStealPct),
    ];
    const memory = [
      line('used', h, (p) => p.avg.memUsedBytes),
      line('available', h, (p) => p.avg.memAvailableBytes),
      line('swap used', h, (p) => p.avg.swapUsedBytes),
    ];
    const load = [
      line('1 min', h, (p) => p.avg.load1),
      line('5 min', h, (p) => p.avg.load5),
      line('15 min', h, (p) => p.avg.load15),
    ];
    const filesystems = [...byLabel(fs.points)].map(([mount, points]) =>
      line(mount, points, (p) => {
        const { usedBytes, sizeBytes } = p.avg;
        return usedBytes !== null && sizeBytes ? (usedBytes / sizeBytes) * 100 : null;
      }),
    );
    const traffic = (points: typeof net.points) =>
      points.reduce((sum, p) => sum + (p.avg.rxBytesPerSec ?? 0) + (p.avg.txBytesPerSec ?? 0), 0);
    // Loopback is the host talking to itself; the busiest few real interfaces are shown.
    const interfaces = [...byLabel(net.points)]
      .filter(([iface]) => iface !== 'lo')
      .sort(([, a], [, b]) => traffic(b) - traffic(a))
      .slice(0, MAX_INTERFACES);
    const network = interfaces.flatMap(([iface, points]) => [
      line(`${iface} rx`, points, (p) => p.avg.rxBytesPerSec),
      line(`${iface} tx`, points, (p) => p.avg.txBytesPerSec),
    ]);
    const ctx = pageContext(c, deps.assets);
    return render(
      c,
      <HostFrame ctx={ctx} data={data} tab="metrics">
        <nav class="ranges">
          Range:{' '}
          {Object.keys(metricRanges).map((r) => (
            <a
              href={`${hostPath(id, 'metrics')}?range=${r}`}
              class={r === range ? 'active' : undefined}
            >
              {r}
            </a>
          ))}
          <span class="muted">
            {' '}
            · buckets of {stepSeconds} s ({host.source === 'hourly' ? 'hourly rollups' : 'samples'}
            ), averages, UTC
          </span>
        </nav>
        <div class="charts">
          <LineChart title="CPU" series={cpu} spec={{ ...spec, yMax: 100 }} format={pct} />
          <LineChart
            title="Memory"
            series={memory}
            spec={{ ...spec, binary: true }}
            format={bytes}
          />
          <LineChart title="Load" series={load} spec={spec} format={(v) => num(v, 2)} />
          <LineChart
            title="Filesystems used"
            series={filesystems}
            spec={{ ...spec, yMax: 100 }}
            format={pct}
          />
          <LineChart
            title="Network"
            series={network}
            spec={{ ...spec, binary: true }}
            format={rate}
          />
        </div>
      </HostFrame>,
    );
  };
}
