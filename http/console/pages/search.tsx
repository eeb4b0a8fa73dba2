// Fleet search: which hosts have a package (optionally by version, compared with each host's
// own scheme), are affected by a CVE, run a service, listen on a port, or have a user. The
// same sql/ queries and version filter as the /v1 fleet questions.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { advisoryIdsFor } from '../../../sql/advisories.ts';
import { type FactHostEntry, factHosts } from '../../../sql/fleet-queries.ts';
import { packageHostPage, packageVersionCounts } from '../../../sql/packages.ts';
import {
  acceptedVersions,
  type FilterOutcome,
  hasVersionFilter,
  versionOps,
} from '../../fleet/version-filter.ts';
import { cursorText, decodeCursor, encodeCursor } from '../../pagination.ts';
import { advisoriesWithHosts } from '../../vulnerabilities/vulnerabilities.handlers.ts';
import { Badge, Empty, When } from '../components.tsx';
import type { ConsoleDeps, ConsoleEnv } from '../console-env.ts';
import { cellText } from '../format.ts';
import { Layout, pageContext } from '../layout.tsx';
import { hostPath, withParams } from '../paths.ts';
import { render } from '../render.ts';

const searchTypes = ['package', 'cve', 'service', 'port', 'user'] as const;
type SearchType = (typeof searchTypes)[number];
const opLabels = { versionLt: '<', versionLe: '≤', versionEq: '=', versionGe: '≥', versionGt: '>' };
const TEXT = /^[^\u0000-\u001f\u007f]{1,255}$/;

interface Query {
  type: SearchType;
  q: string;
  op: (typeof versionOps)[number] | undefined;
  version: string;
  /** The page cursor of package results. */
  after: string | undefined;
}

/** "openssl 3.0.19-1~deb12u2", with the version compared when it differs (a source's). */
const installedText = (p: { name: string; evr: string; comparedVersion: string }) =>
  `${p.name} ${p.evr}${p.comparedVersion !== p.evr ? ` → ${p.comparedVersion}` : ''}`;

const byHost = (a: { hostName: string }, b: { hostName: string }) =>
  a.hostName.localeCompare(b.hostName);

const HostLink = ({ id, name }: { id: string; name: string }) => <a href={hostPath(id)}>{name}</a>;

const PACKAGE_PAGE = 500;
const packageCursor = z.tuple([cursorText, z.uuid(), cursorText]);

async function packageResults(
  deps: ConsoleDeps,
  query: Query,
  here: string,
  now: number,
): Promise<Child> {
  const versions = await packageVersionCounts(deps.sql, query.q, {});
  const filter = query.op && query.version ? { [query.op]: query.version } : {};
  const outcome: FilterOutcome = hasVersionFilter(filter)
    ? acceptedVersions(versions, filter)
    : { ok: true, accepted: null, notes: [] };
  if (!outcome.ok) return <p class="notice error">{outcome.detail}</p>;
  const after = query.after ? decodeCursor(query.after, packageCursor) : undefined;
  const rows = await packageHostPage(deps.sql, query.q, {
    filter: {},
    ...(outcome.accepted ? { versions: outcome.accepted } : {}),
    ...(after ? { after } : {}),
    limit: PACKAGE_PAGE,
  });
  const shown = rows.slice(0, PACKAGE_PAGE);
  const last = shown.at(-1);
  const accepted = outcome.accepted;
  const spread = versions.filter(
    (v) => !accepted || accepted.some((a) => a.manager === v.manager && a.evr === v.evr),
  );
  return (
    <>
      {outcome.notes.map((n) => (
        <p class="notice warn">{n}</p>
      ))}
      <p class="muted">
        Versions:{' '}
        {spread.map((v) => (
          <span class="chip">
            {v.manager} {v.evr}: {v.hosts} host(s)
          </span>
        ))}
      </p>
      {shown.length === 0 ? (
        <Empty text="No host has this package (binary or source name)." />
      ) : (
        <table class="results">
          <thead>
            <tr>
              <th>Host</th>
              <th>Package</th>
              <th>Version</th>
              <th>Arch</th>
              <th>Source</th>
              <th>Manager</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr>
                <td>
                  <HostLink id={r.hostId} name={r.hostName} />
                </td>
                <td>{r.name}</td>
                <td>{r.evr}</td>
                <td>{r.arch}</td>
                <td>{r.source ? `${r.source.name} ${r.source.version}` : '—'}</td>
                <td>{r.manager}</td>
                <td>
                  <When at={r.since} now={now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows.length > PACKAGE_PAGE && last ? (
        <p>
          <a
            href={withParams(here, { after: encodeCursor([last.hostName, last.hostId, last.key]) })}
          >
            More hosts →
          </a>
        </p>
      ) : null}
    </>
  );
}

async function cveResults(deps: ConsoleDeps, query: Query): Promise<Child> {
  const ids = await advisoryIdsFor(deps.sql, query.q);
  if (ids.length === 0) return <Empty text="No stored advisory is known by this id." />;
  const found = await advisoriesWithHosts(deps.sql, ids);
  return (
    <>
      {found.map(({ advisory, items }) => (
        <section class="advisory card">
          <h2>
            {advisory.id} <Badge kind="severity" value={advisory.severity} />
          </h2>
          <p>{advisory.summary ?? ''}</p>
          <p class="muted">
            aliases: {advisory.aliases.join(', ') || '—'} · {advisory.ecosystems.join(', ')}
            {advisory.withdrawn ? ' · withdrawn' : ''}
          </p>
          {items.length === 0 ? (
            <Empty text="No host is affected now." />
          ) : (
            <table class="results">
              <thead>
                <tr>
                  <th>Host</th>
                  <th>Ecosystem</th>
                  <th>Packages (installed → compared)</th>
                </tr>
              </thead>
              <tbody>
                {items.map((h) => (
                  <tr>
                    <td>
                      <HostLink id={h.hostId} name={h.hostName} />
                      {h.notRunningKernelOnly ? (
                        <Badge kind="flag" value="kernel-not-running" />
                      ) : null}
                    </td>
                    <td>{h.ecosystem}</td>
                    <td>{h.packages.map(installedText).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </>
  );
}

const factColumns = {
  service: ['active', 'sub', 'enabled', 'manager', 'description'],
  port: ['protocol', 'address', 'port', 'process', 'pid'],
  user: ['uid', 'gid', 'home', 'shell', 'sudo', 'groups'],
} as const;

async function factResults(
  deps: ConsoleDeps,
  type: 'service' | 'port' | 'user',
  query: Query,
): Promise<Child> {
  let rows: FactHostEntry[];
  if (type === 'port') {
    const port = /^\d{1,5}$/.test(query.q) ? Number(query.q) : Number.NaN;
    if (!(port >= 1 && port <= 65535)) return <p class="notice error">A port is 1–65535.</p>;
    rows = await factHosts(deps.sql, { kind: 'listener', port }, {});
  } else if (type === 'service') {
    const keys = query.q.includes('.') ? [query.q] : [query.q, `${query.q}.service`];
    rows = await factHosts(deps.sql, { kind: 'service', keys }, {});
  } else {
    rows = await factHosts(deps.sql, { kind: 'user', keys: [query.q] }, {});
  }
  const columns = factColumns[type];
  if (rows.length === 0) return <Empty text="No host matches." />;
  return (
    <table class="results">
      <thead>
        <tr>
          <th>Host</th>
          <th>Key</th>
          {columns.map((c) => (
            <th>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {[...rows].sort(byHost).map((r) => (
          <tr>
            <td>
              <HostLink id={r.hostId} name={r.hostName} />
            </td>
            <td class="key">{r.key}</td>
            {columns.map((c) => (
              <td>{cellText(r.value[c])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const SearchForm = ({ query }: { query: Query }) => (
  <form method="get" action="/console/search" class="filters search">
    <label>
      Find{' '}
      <select name="type">
        {searchTypes.map((t) => (
          <option value={t} selected={t === query.type}>
            {t}
          </option>
        ))}
      </select>
    </label>
    <input
      name="q"
      value={query.q}
      placeholder="openssl, CVE-2024-6387, ssh, 22, root"
      maxlength={255}
      aria-label="Search for"
    />
    <label>
      version{' '}
      <select name="op">
        <option value="">any</option>
        {versionOps.map((op) => (
          <option value={op} selected={op === query.op}>
            {opLabels[op]}
          </option>
        ))}
      </select>
    </label>
    <input
      name="version"
      value={query.version}
      placeholder="3.0.11-1~deb12u2"
      maxlength={256}
      aria-label="Version"
    />
    <button type="submit">Search</button>
    <small class="muted">The version filter applies to packages, in each host’s own scheme.</small>
  </form>
);

export function createSearchPage(deps: ConsoleDeps) {
  return async (c: Context<ConsoleEnv>) => {
    const raw = c.req.query();
    const query: Query = {
      type: searchTypes.find((t) => t === raw.type) ?? 'package',
      q: (raw.q ?? '').trim(),
      op: versionOps.find((op) => op === raw.op),
      version: (raw.version ?? '').trim(),
      after: raw.after || undefined,
    };
    const ctx = pageContext(c, deps.assets);
    const valid = TEXT.test(query.q) && (query.version === '' || TEXT.test(query.version));
    let results: Child = null;
    if (query.q && !valid) results = <p class="notice error">That search text is not valid.</p>;
    else if (query.q) {
      results =
        query.type === 'package'
          ? await packageResults(deps, query, ctx.here, Date.now())
          : query.type === 'cve'
            ? await cveResults(deps, query)
            : await factResults(deps, query.type, query);
    }
    return render(
      c,
      <Layout title="Search" ctx={ctx} section="search">
        <h1>Search</h1>
        <SearchForm query={query} />
        <div class="search-results">{results}</div>
      </Layout>,
      query.q && !valid ? 400 : 200,
    );
  };
}
