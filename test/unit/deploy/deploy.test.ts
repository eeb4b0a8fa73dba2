// The deployment files, checked by reading them (no Docker engine or Grafana runs here):
// they parse, agree with each other, and the image gets what the app loads at run time.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  dashboardQueries,
  formatInterval,
  interpolateGrafanaSql,
  parseInterval,
} from './grafana-sql.ts';

const repo = path.resolve(import.meta.dirname, '../../..');
const deploy = path.join(repo, 'deploy');
const read = (...parts: string[]) => readFileSync(path.join(repo, ...parts), 'utf8');

type Json = Record<string, unknown>;
const compose = parseYaml(read('deploy/compose.yaml')) as {
  services: Record<string, Json & { environment?: Record<string, string>; volumes?: string[] }>;
  volumes: Record<string, unknown>;
};
const datasources = parseYaml(read('deploy/grafana/provisioning/datasources/timescaledb.yaml')) as {
  datasources: (Json & { uid: string; jsonData: Json })[];
};
const providers = parseYaml(read('deploy/grafana/provisioning/dashboards/hostintel.yaml')) as {
  providers: { options: { path: string } }[];
};
const dashboardFiles = readdirSync(path.join(deploy, 'grafana/dashboards')).filter((f) =>
  f.endsWith('.json'),
);
const dashboards = dashboardFiles.map((file) => ({
  file,
  json: JSON.parse(read('deploy/grafana/dashboards', file)) as Json & {
    uid: string;
    panels: (Json & { id: number; datasource?: { uid: string }; targets?: Json[] })[];
    templating: { list: (Json & { name: string; type: string; query?: unknown })[] };
  },
}));

/** Tables the migrations create: what the panels may read. */
const tables = new Set(
  readdirSync(path.join(repo, 'sql/migrations'))
    .filter((f) => f.endsWith('.sql'))
    .flatMap((f) =>
      [...read('sql/migrations', f).matchAll(/create table (\w+)/g)].map((m) => m[1]),
    ),
);

describe('deploy/compose.yaml', () => {
  const { timescaledb, hostintel, grafana } = compose.services;

  it('runs TimescaleDB on a volume with a health check', () => {
    expect(timescaledb?.image).toBe('timescale/timescaledb:latest-pg17');
    expect(timescaledb?.volumes).toContain('timescaledb-data:/var/lib/postgresql/data');
    expect(JSON.stringify(timescaledb?.healthcheck)).toContain('pg_isready');
    expect(Object.keys(compose.volumes)).toEqual(
      expect.arrayContaining(['timescaledb-data', 'hostintel-data', 'grafana-data']),
    );
  });

  it('builds hostintel from deploy/Dockerfile and hands it the database and its secrets', () => {
    expect(hostintel?.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    expect(existsSync(path.resolve(deploy, '..', 'deploy/Dockerfile'))).toBe(true);
    const env = hostintel?.environment ?? {};
    expect(env.DATABASE_URL).toMatch(
      /^postgres:\/\/hostintel:\$\{POSTGRES_PASSWORD:\?.*\}@timescaledb:5432\/hostintel$/,
    );
    expect(env.HOSTINTEL_SECRET_KEY).toMatch(/^\$\{HOSTINTEL_SECRET_KEY:\?/);
    expect(env.HOSTINTEL_ADMIN_TOKEN).toMatch(/^\$\{HOSTINTEL_ADMIN_TOKEN:\?/);
    expect(hostintel?.depends_on).toEqual({ timescaledb: { condition: 'service_healthy' } });
  });

  it('mounts the Grafana provisioning and dashboards where the provider looks', () => {
    const volumes = grafana?.volumes ?? [];
    expect(volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    const dashboardsMount = volumes.find((v) => v.startsWith('./grafana/dashboards:'));
    expect(dashboardsMount?.split(':')[1]).toBe(providers.providers[0]?.options.path);
    for (const volume of [...volumes, ...(timescaledb?.volumes ?? [])]) {
      const source = volume.split(':')[0] as string;
      if (source.startsWith('.'))
        expect(existsSync(path.resolve(deploy, source)), source).toBe(true);
    }
  });

  it("sets every variable Grafana's provisioning reads", () => {
    const used = new Set<string>();
    for (const file of ['datasources/timescaledb.yaml', 'dashboards/hostintel.yaml']) {
      const text = read('deploy/grafana/provisioning', file);
      for (const m of text.matchAll(/\$__env\{(\w+)\}|\$\{(\w+)\}/g))
        used.add((m[1] ?? m[2]) as string);
    }
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(grafana?.environment, name).toHaveProperty(name);
  });
});

describe('Grafana provisioning', () => {
  const [source] = datasources.datasources;

  it('provisions the PostgreSQL data source with TimescaleDB on', () => {
    expect(source).toMatchObject({ uid: 'hostintel-timescaledb', type: 'postgres' });
    expect(source?.jsonData.timescaledb).toBe(true);
    expect(datasources.datasources).toHaveLength(1);
  });

  it('has both dashboards, with unique uids and panel ids', () => {
    expect(dashboardFiles.sort()).toEqual(['fleet-overview.json', 'host-detail.json']);
    expect(new Set(dashboards.map((d) => d.json.uid)).size).toBe(dashboards.length);
    for (const { file, json } of dashboards) {
      const ids = json.panels.map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
    }
  });

  it('points every panel and query at the provisioned data source', () => {
    for (const { json } of dashboards) {
      for (const panel of json.panels) {
        if (panel.type === 'row') continue;
        expect(panel.datasource?.uid, String(panel.title)).toBe(source?.uid);
        for (const target of panel.targets ?? []) {
          expect((target.datasource as { uid: string }).uid).toBe(source?.uid);
        }
      }
    }
  });

  it('host detail has a host variable listing the hosts by name', () => {
    const detail = dashboards.find((d) => d.file === 'host-detail.json')?.json;
    const variable = detail?.templating.list.find((v) => v.name === 'host');
    expect(variable?.type).toBe('query');
    expect(String(variable?.query)).toMatch(/^select name as __text, id as __value from hosts\b/);
    for (const query of dashboardQueries(detail ?? {})) {
      if (query.source.startsWith('variable')) continue;
      expect(query.rawSql, query.source).toContain("host_id = '$host'");
    }
  });
});

describe.each(dashboards)('$file queries', ({ json }) => {
  const queries = dashboardQueries(json);
  const context = {
    from: new Date('2026-11-29T04:00:00Z'),
    to: new Date('2026-11-29T10:00:00.250Z'),
    intervalMs: 60_000,
    variables: { host: '0b7f6d0e-5a52-4c3e-9d7e-2f1b9a6c4d21' },
    timescaledb: true,
  };

  it('has queries', () => {
    expect(queries.length).toBeGreaterThan(5);
  });

  it.each(queries.map((q) => [q.source, q] as const))('%s: macros substitute', (_, query) => {
    const sql = interpolateGrafanaSql(query.rawSql, context);
    expect(sql).not.toMatch(/\$__|\$host/);
    if (query.rawSql.includes('$__timeFilter')) {
      expect(sql).toMatch(/BETWEEN '2026-11-29T04:00:00Z' AND '2026-11-29T10:00:00.25Z'/);
    }
    if (query.format === 'time_series') expect(sql).toMatch(/\bas "time"/i);
    // Table names after from/join, not extract(epoch from <column>).
    for (const m of sql.matchAll(
      /(?<!\bepoch\s+)\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b(?!\s*\()/gi,
    )) {
      const name = m[1] as string;
      const cte = new RegExp(`\\b${name}\\s+as\\s*\\(`, 'i').test(sql);
      if (!cte) expect(tables, `${name} in ${query.source}`).toContain(name);
    }
  });
});

describe('interpolateGrafanaSql', () => {
  const context = {
    from: new Date('2026-11-29T04:00:00Z'),
    to: new Date('2026-11-29T10:00:00Z'),
    intervalMs: 300_000,
  };

  it('substitutes as Grafana does, with and without TimescaleDB', () => {
    const sql =
      'select $__timeGroupAlias(time, $__interval), avg(x) from t where $__timeFilter(time)';
    expect(interpolateGrafanaSql(sql, { ...context, timescaledb: true })).toBe(
      `select time_bucket('300.000s',time) AS "time", avg(x) from t where time BETWEEN '2026-11-29T04:00:00Z' AND '2026-11-29T10:00:00Z'`,
    );
    expect(interpolateGrafanaSql('select $__timeGroup(t, 5m) as b', context)).toBe(
      'select floor(extract(epoch from t)/300)*300 as b',
    );
    // Followed by a comma, $__timeGroup is the aliased form (Grafana < 5.3 compatibility).
    expect(interpolateGrafanaSql('select $__timeGroup(t, 1h), 1', context)).toBe(
      'select floor(extract(epoch from t)/3600)*3600 AS "time", 1',
    );
    expect(interpolateGrafanaSql('$__interval_ms $__timeFrom() $__unixEpochFrom()', context)).toBe(
      `300000 '2026-11-29T04:00:00Z' 1795924800`,
    );
  });

  it('quotes multi-value variables and escapes single ones', () => {
    const variables = { host: "it's", hosts: ['a', "b'c"] };
    expect(
      interpolateGrafanaSql("x = '$host' and y in ($hosts) and ${host}", { ...context, variables }),
    ).toBe("x = 'it''s' and y in ('a','b''c') and it''s");
  });

  it('refuses unknown macros and leftover variables', () => {
    expect(() => interpolateGrafanaSql('$__nope(x)', context)).toThrow('unknown macro $__nope');
    expect(() => interpolateGrafanaSql("where id = '$host'", context)).toThrow('unsubstituted');
  });

  it('formats and parses intervals like gtime', () => {
    expect([formatInterval(250), formatInterval(60_000), formatInterval(90_000)]).toEqual([
      '250ms',
      '1m',
      '1m',
    ]);
    expect([parseInterval('30s'), parseInterval('1d')]).toEqual([30_000, 86_400_000]);
  });
});

// ---------------------------------------------------------------------------------------------
// The Dockerfile

interface Instruction {
  op: string;
  args: string;
}

function dockerfile(): Instruction[] {
  const joined = read('deploy/Dockerfile')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** Every file the running app loads, from bin/hostintel.js through static and dynamic imports. */
function runtimeGraph(): { folders: Set<string>; packages: Set<string> } {
  const folders = new Set<string>();
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [path.join(repo, 'bin/hostintel.js'), path.join(repo, 'cli/main.ts')];
  const specifiers =
    /(?:^|\n)\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    folders.add(path.relative(repo, file).split(path.sep)[0] as string);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(specifiers)) {
      const spec = (m[1] ?? m[2]) as string;
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec);
        if (existsSync(target)) queue.push(target);
        continue;
      }
      const parts = spec.split('/');
      packages.add((spec.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/'));
    }
  }
  return { folders, packages };
}

describe('deploy/Dockerfile', () => {
  const steps = dockerfile();
  const pkg = JSON.parse(read('package.json')) as {
    dependencies: Record<string, string>;
    allowScripts?: Record<string, boolean>;
  };
  const index = (predicate: (i: Instruction) => boolean) => steps.findIndex(predicate);

  it('starts from node:20-bookworm-slim and installs the production dependencies with npm ci', () => {
    expect(steps[0]).toEqual({ op: 'FROM', args: 'node:20-bookworm-slim' });
    const install = index((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args));
    expect(install).toBeGreaterThan(0);
    expect(steps[install]?.args).toMatch(/npm ci\b[^&]*--omit=dev/);
    const lockfile = index(
      (s) => s.op === 'COPY' && /package\.json package-lock\.json/.test(s.args),
    );
    expect(lockfile).toBeGreaterThan(-1);
    expect(lockfile).toBeLessThan(install);
  });

  it('runs the install scripts package.json allows, and only those', () => {
    const allowed = Object.entries(pkg.allowScripts ?? {})
      .filter(([, allow]) => allow)
      .map(([name]) => name)
      .sort();
    const run = steps.find((s) => s.op === 'RUN' && /\bnpm ci\b/.test(s.args))?.args ?? '';
    expect(run).toContain('--ignore-scripts');
    const rebuilt = /npm rebuild ([^&]+)/.exec(run)?.[1]?.trim().split(/\s+/).sort();
    expect(rebuilt).toEqual(allowed);
  });

  it('copies every folder the app loads at run time, and tsconfig.json for tsx', () => {
    const copied = new Set(
      steps.filter((s) => s.op === 'COPY').map((s) => s.args.split(/\s+/)[0] as string),
    );
    const { folders } = runtimeGraph();
    for (const folder of ['actors', 'collectors', 'http', 'sql', 'vuln', 'cli', 'bin']) {
      expect(copied, folder).toContain(folder);
    }
    for (const folder of folders)
      expect(copied, `${folder} is imported at run time`).toContain(folder);
    expect(copied).toContain('tsconfig.json');
    expect(copied).not.toContain('test');
    expect(copied).not.toContain('.');
  });

  it('needs no devDependency at run time (npm ci --omit=dev leaves them out)', () => {
    const { packages } = runtimeGraph();
    expect(packages.size).toBeGreaterThan(3);
    for (const name of packages) expect(pkg.dependencies, name).toHaveProperty(name);
    expect(pkg.dependencies).toHaveProperty('tsx');
  });

  it('serves on all interfaces as a non-root user, with a health check on /healthz', () => {
    const env = steps
      .filter((s) => s.op === 'ENV')
      .map((s) => s.args)
      .join(' ');
    expect(env).toMatch(/HOSTINTEL_HOST=0\.0\.0\.0/);
    const user = steps.filter((s) => s.op === 'USER').at(-1);
    expect(user?.args).toBe('hostintel');
    expect(index((s) => s.op === 'USER')).toBeGreaterThan(index((s) => s.op === 'RUN'));
    expect(steps.find((s) => s.op === 'HEALTHCHECK')?.args).toContain('/healthz');
  });

  it('runs bin/hostintel.js serve', () => {
    const cmd = steps.filter((s) => s.op === 'CMD').at(-1);
    expect(JSON.parse(cmd?.args ?? 'null')).toEqual(['node', 'bin/hostintel.js', 'serve']);
    expect(existsSync(path.join(repo, 'bin/hostintel.js'))).toBe(true);
  });
});

describe('deploy/hostintel.service', () => {
  const unit = new Map<string, string[]>();
  for (const line of read('deploy/hostintel.service').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) unit.set(m[1], [...(unit.get(m[1]) ?? []), m[2] as string]);
  }
  const one = (key: string) => unit.get(key)?.at(-1);

  it('runs hostintel serve as its own user with its environment file', () => {
    expect(one('User')).toBe('hostintel');
    expect(one('EnvironmentFile')).toBe('/etc/hostintel/env');
    expect(one('ExecStart')).toMatch(/^\/usr\/bin\/node bin\/hostintel\.js serve$/);
    expect(one('Restart')).toBe('on-failure');
    expect(Number.parseInt(one('TimeoutStopSec') ?? '', 10)).toBeGreaterThanOrEqual(10);
  });

  it('is hardened, with only the data directory writable', () => {
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('ReadWritePaths')).toBe('/var/lib/hostintel');
    expect(one('Environment')).toContain('HOSTINTEL_DATA_DIR=/var/lib/hostintel');
    // V8 needs writable executable memory for its JIT.
    expect(unit.has('MemoryDenyWriteExecute')).toBe(false);
  });
});
