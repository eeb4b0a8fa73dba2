// What Grafana does to a panel's SQL before PostgreSQL sees it, so that tests can check every
// dashboard query and run it against a real TimescaleDB. Follows Grafana's PostgreSQL data
// source (pkg/tsdb/grafana-postgresql-datasource/macros.go and sqleng's Interpolate): template
// variables first (as the browser does), then $__interval(_ms), then the $__macros().

export interface GrafanaQueryContext {
  from: Date;
  to: Date;
  /** What Grafana computed for $__interval; at least the data source's timeInterval. */
  intervalMs: number;
  /** Dashboard variables: a string as a single value, an array as a multi-value. */
  variables?: Readonly<Record<string, string | readonly string[]>>;
  /** The data source's `timescaledb` flag: $__timeGroup becomes time_bucket. */
  timescaledb?: boolean;
}

export interface DashboardQuery {
  /** The panel title, or `variable <name>` for a templating query. */
  source: string;
  refId: string;
  format: 'time_series' | 'table';
  rawSql: string;
}

const MACRO = /\$([_a-zA-Z0-9]+)\(([^)]*)\)/g;

export function interpolateGrafanaSql(sql: string, context: GrafanaQueryContext): string {
  let text = sql;
  for (const [name, value] of Object.entries(context.variables ?? {})) {
    const formatted =
      typeof value === 'string'
        ? value.replaceAll("'", "''")
        : value.map((v) => `'${v.replaceAll("'", "''")}'`).join(',');
    text = text
      .replaceAll(`\${${name}}`, formatted)
      .replaceAll(`[[${name}]]`, formatted)
      .replace(new RegExp(`\\$${name}(?![A-Za-z0-9_])`, 'g'), formatted);
  }
  text = text
    .replaceAll('$__interval_ms', String(Math.round(context.intervalMs)))
    .replaceAll('$__interval', formatInterval(context.intervalMs))
    .replaceAll('$__unixEpochFrom()', String(Math.floor(context.from.getTime() / 1000)))
    .replaceAll('$__unixEpochTo()', String(Math.floor(context.to.getTime() / 1000)));

  const original = text;
  text = text.replace(MACRO, (match: string, name: string, rawArgs: string, offset: number) => {
    let macro = name;
    // Grafana's pre-5.3 compatibility: `$__timeGroup(…),` is taken as the aliased form.
    if (macro === '__timeGroup' && original[offset + match.length] === ',')
      macro = '__timeGroupAlias';
    const args = rawArgs.split(',').map((a) => a.trim());
    return evaluateMacro(macro, args, context);
  });

  const leftover = /\$[A-Za-z_{]|\[\[/.exec(text);
  if (leftover) {
    const around = text.slice(Math.max(0, leftover.index - 20), leftover.index + 30);
    throw new Error(`unsubstituted Grafana variable or macro near ${JSON.stringify(around)}`);
  }
  return text;
}

function evaluateMacro(name: string, args: string[], context: GrafanaQueryContext): string {
  const column = () => {
    if (!args[0]) throw new Error(`missing time column argument for macro $${name}`);
    return args[0];
  };
  const from = rfc3339Nano(context.from);
  const to = rfc3339Nano(context.to);
  switch (name) {
    case '__time':
      return `${column()} AS "time"`;
    case '__timeEpoch':
      return `extract(epoch from ${column()}) as "time"`;
    case '__timeFilter':
      return `${column()} BETWEEN '${from}' AND '${to}'`;
    case '__timeFrom':
      return `'${from}'`;
    case '__timeTo':
      return `'${to}'`;
    case '__timeGroup':
    case '__timeGroupAlias': {
      if (args.length < 2) throw new Error(`macro $${name} needs a time column and an interval`);
      const seconds = parseInterval((args[1] as string).replace(/^'|'$/g, '')) / 1000;
      const group = context.timescaledb
        ? `time_bucket('${seconds.toFixed(3)}s',${column()})`
        : `floor(extract(epoch from ${column()})/${seconds})*${seconds}`;
      return name === '__timeGroupAlias' ? `${group} AS "time"` : group;
    }
    case '__unixEpochFilter': {
      const c = column();
      const f = Math.floor(context.from.getTime() / 1000);
      const t = Math.floor(context.to.getTime() / 1000);
      return `${c} >= ${f} AND ${c} <= ${t}`;
    }
    default:
      throw new Error(`unknown macro $${name}`);
  }
}

/** Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros. */
function rfc3339Nano(date: Date): string {
  return date.toISOString().replace(/\.?0+Z$/, 'Z');
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** gtime.ParseInterval: `30s`, `5m`, `1h`, `1d`… */
export function parseInterval(text: string): number {
  const match = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(text);
  if (!match?.[1] || !match[2]) throw new Error(`error parsing interval ${text}`);
  return Number(match[1]) * (UNIT_MS[match[2]] as number);
}

/** gtime.FormatInterval: the largest whole unit, as Grafana prints $__interval. */
export function formatInterval(ms: number): string {
  for (const unit of ['y', 'd', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  }
  return '1ms';
}

interface PanelLike {
  title?: string;
  type?: string;
  targets?: { refId?: string; format?: string; rawSql?: string }[];
  panels?: PanelLike[];
}

/** Every SQL query of a dashboard: panel targets (rows' nested panels too) and variables. */
export function dashboardQueries(dashboard: {
  panels?: PanelLike[];
  templating?: { list?: { name: string; type: string; query?: unknown }[] };
}): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (panels: readonly PanelLike[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (typeof target.rawSql !== 'string') continue;
        queries.push({
          source: panel.title ?? '(untitled)',
          refId: target.refId ?? 'A',
          format: target.format === 'table' ? 'table' : 'time_series',
          rawSql: target.rawSql,
        });
      }
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels ?? []);
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query = variable.query;
    const rawSql =
      typeof query === 'string' ? query : (query as { rawSql?: string } | undefined)?.rawSql;
    if (typeof rawSql !== 'string') continue;
    queries.push({ source: `variable ${variable.name}`, refId: 'A', format: 'table', rawSql });
  }
  return queries;
}
