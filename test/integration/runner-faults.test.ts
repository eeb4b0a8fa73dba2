// The fault suite of issue #8 at the runner level: one runner (in this process) probes a
// simulated fleet in which some hosts break in every way the simulator knows, while the others
// keep their cadence. Phase 1: every host healthy, its first facts stored. Phase 2: the faults
// are switched on for a short window with second-scale cadences, so each faulty host is probed
// several times. Then, from the database and the actors' views: healthy hosts kept their
// cadence, faulty hosts' stored facts are byte-identical to before, each failure has its reason
// in the probe log and in the actor's view, a changed host key is refused and raised, and the
// runner is still up with a bounded heap.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeOutcome } from '../../actors/host-machine.ts';
import type { HostView } from '../../actors/host-view.ts';
import { type Runner, startRunner } from '../../actors/runner.ts';
import { createSql, type Sql } from '../../sql/client.ts';
import { createCredential } from '../../sql/credentials.ts';
import { registerHost } from '../../sql/hosts.ts';
import { type Fault, type Fleet, startFleet } from '../sim/fleet.ts';
import { useTestDatabase } from '../support/db.ts';
import { pinned } from '../support/env.ts';
import { secretKey, until } from './runners-support.ts';

const db = useTestDatabase();
const key = secretKey();

// Second-scale cadences and backoff: a faulty host is retried every 0.5–4 s; a hanging one is
// cut by the probe's own deadline, a second before the actor's probeTimeoutMs.
const SETTINGS = {
  factsIntervalMs: 6_000,
  metricsIntervalMs: 2_000,
  jitterRatio: 0.1,
  startupSpreadMs: 2_000,
  probeTimeoutMs: 5_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 4_000,
  backoffFloorMs: 500,
  unreachableAfter: 3,
} as const;
const WINDOW_MS = 20_000;
const HEALTHY = 6;

interface Row {
  type: 'facts' | 'metrics';
  status: string;
  error_code: string | null;
  error: string | null;
  collectors: Record<string, { status: string; error?: string }>;
  duration_ms: number;
}

interface FaultCase {
  name: string;
  fault: Fault;
  /** Checks one probe-log row of the window; returns what is wrong, or null. */
  check(row: Row): string | null;
  /** What the actor's views showed after its probes: their outcome and lastError. */
  view: { outcome: ProbeOutcome; error: RegExp | null };
  /** Facts probes keep failing: the actor is in backoff for facts (and unreachable if `all`). */
  failing?: 'facts' | 'all';
}

const failedWith =
  (status: string, code: string, error: RegExp) =>
  (row: Row): string | null =>
    row.status === status && row.error_code === code && error.test(row.error ?? '')
      ? null
      : `expected ${status}/${code}`;

/** Facts probes: these collectors have this status, the rest are ok. Metrics probes: ok. */
const collectorsWith =
  (status: string, outcome: Record<string, string>) =>
  (row: Row): string | null => {
    if (row.type === 'metrics') return row.status === 'ok' ? null : 'metrics probe not ok';
    if (row.status !== status || row.error_code !== null) return `expected ${status}`;
    for (const [name, c] of Object.entries(row.collectors)) {
      const expected = outcome[name] ?? 'ok';
      if (c.status !== expected) return `${name}: ${c.status}, expected ${expected}`;
      if (expected !== 'ok' && !c.error) return `${name}: no reason given`;
      if (expected === 'needs-privilege' && !/sudo/.test(c.error ?? '')) {
        return `${name}: the reason does not say sudo`;
      }
    }
    return null;
  };

/**
 * Sudo refused on a host registered with sudo: every collector with a root section would give
 * a lesser view (keys unknown, sockets without owners, no DMI serial), so none of them answers.
 */
const ROOT_VIEWS = {
  os: 'needs-privilege',
  users: 'needs-privilege',
  listeners: 'needs-privilege',
  firewall: 'needs-privilege',
};

/** The dpkg parser's error for garbage-nul's line, its NUL made printable. */
const NUL_ERROR = 'dpkg-query: bad status "ii" for bad?pkg';

const OK_VIEW = { outcome: 'ok', error: null } as const;

const CASES: FaultCase[] = [
  {
    name: 'slow',
    fault: { type: 'slow', ms: 1_500 },
    check: (row) =>
      row.status === 'ok' && row.duration_ms >= 1_500 ? null : 'expected ok, ≥ 1.5 s',
    view: OK_VIEW,
  },
  {
    name: 'hang',
    fault: { type: 'hang' },
    // Ended by the probe's own deadline, before the actor's probeTimeoutMs.
    check: failedWith('timeout', 'timeout', /probe exceeded its \d+ ms deadline/),
    view: { outcome: 'timeout', error: /probe exceeded its \d+ ms deadline/ },
    failing: 'all',
  },
  {
    name: 'disconnect',
    fault: { type: 'disconnect', fraction: 0.5 },
    check: failedWith('failed', 'disconnected', /connection ended before the probe finished/),
    view: { outcome: 'failed', error: /connection ended before the probe finished/ },
    failing: 'all',
  },
  {
    name: 'auth-failure',
    fault: { type: 'auth-failure' },
    check: failedWith('failed', 'authentication', /authentication as hiprobe .* failed/),
    view: { outcome: 'failed', error: /authentication as hiprobe .* failed/ },
    failing: 'all',
  },
  {
    name: 'host-key-change',
    fault: { type: 'host-key-change' },
    check: failedWith('failed', 'host-key-changed', /HOST KEY CHANGED/),
    view: { outcome: 'failed', error: /HOST KEY CHANGED/ },
    failing: 'all',
  },
  {
    name: 'garbage-sections',
    fault: { type: 'garbage', mode: 'sections', collectors: ['packages'] },
    check: collectorsWith('partial', { packages: 'failed' }),
    view: { outcome: 'partial', error: /^packages failed: / },
  },
  {
    // Garbage that a parser quotes in its error: a NUL there must not make the probe unstorable.
    name: 'garbage-nul',
    fault: {
      type: 'garbage',
      mode: 'sections',
      collectors: ['packages'],
      stdout: 'bad\u0000pkg\tamd64\t1.0\tbad\t1.0\tii\n',
    },
    check: (row) =>
      collectorsWith('partial', { packages: 'failed' })(row) ??
      (row.type === 'metrics' || row.collectors.packages?.error === NUL_ERROR
        ? null
        : `packages: ${row.collectors.packages?.error}`),
    view: {
      outcome: 'partial',
      error: /^packages failed: dpkg-query: bad status "ii" for bad\?pkg$/,
    },
  },
  {
    name: 'garbage-random',
    fault: { type: 'garbage', mode: 'random' },
    check: failedWith('failed', 'script', /the probe script did not run/),
    view: { outcome: 'failed', error: /the probe script did not run/ },
    failing: 'all',
  },
  {
    name: 'oversized',
    fault: { type: 'oversized', bytes: 40 * 1024 * 1024 },
    // Only facts probes run the oversized section (packages.dpkg); metrics probes are fine.
    check: (row) =>
      row.type === 'metrics'
        ? row.status === 'ok'
          ? null
          : 'metrics probe not ok'
        : failedWith('failed', 'output-limit', /exceeded 33554432 bytes/)(row),
    view: { outcome: 'failed', error: /exceeded 33554432 bytes/ },
    failing: 'facts',
  },
  {
    name: 'tool-missing',
    fault: { type: 'tool-missing', collector: 'listeners' },
    check: collectorsWith('ok', { listeners: 'unsupported' }),
    view: OK_VIEW,
  },
  {
    name: 'sudo-password',
    fault: { type: 'sudo-refused', variant: 'password' },
    check: collectorsWith('ok', ROOT_VIEWS),
    view: OK_VIEW,
  },
  {
    name: 'sudo-missing',
    fault: { type: 'sudo-refused', variant: 'no-sudo' },
    check: collectorsWith('ok', ROOT_VIEWS),
    view: OK_VIEW,
  },
];

/** Faults that only facts probes meet: the window must hold several of those. */
const FACTS_ONLY = new Set([
  'garbage-sections',
  'garbage-nul',
  'oversized',
  'tool-missing',
  'sudo-password',
  'sudo-missing',
]);

/** gc() even though vitest's workers run without --expose-gc. */
function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

let fleet: Fleet | undefined;
let runner: Runner | undefined;
let runnerSql: Sql | undefined;
const ids: string[] = [];
const logLines: { level: number; msg: string; [k: string]: unknown }[] = [];
/** Every view the actors showed during the window, per host id. */
const seen = new Map<string, HostView[]>();
const factsBefore = new Map<string, string[]>();
let injectedAt = new Date(0);
let windowEnd = new Date(0);
const heap = { before: 0, after: 0 };
let atWindowEnd: { size: number; views: HostView[] } = { size: 0, views: [] };

const hostId = (index: number): string => {
  const id = ids[index];
  if (!id) throw new Error(`no host ${index}`);
  return id;
};
const caseIndex = (name: string): number => HEALTHY + CASES.findIndex((c) => c.name === name);

/** Every host_facts row of the host, in full, as text: byte-identical or not. */
async function factRows(id: string): Promise<string[]> {
  const rows = await db.sql<{ row: string }[]>`
    select row_to_json(f)::text as row from host_facts f where host_id = ${id} order by id`;
  return rows.map((r) => r.row);
}

const explain = () =>
  logLines
    .filter((l) => l.level >= 40)
    .slice(-20)
    .map((l) => JSON.stringify(l))
    .join('\n');

// Both phases run here, the runner stopped at the end: it probes all the time, and the
// per-test leak check (test/support/leak-check.ts) wants no SSH connection open after a test.
beforeAll(async () => {
  fleet = await startFleet({
    hosts: HEALTHY + CASES.length,
    seed: 'runner-faults',
    // Debian only: every collector answers when healthy, so each fault is the only failure.
    distros: { 'debian-12': 1, 'centos-7': 0, 'alpine-3': 0 },
  });
  const privateKey = fleet.hosts[0]?.privateKey;
  if (!privateKey) throw new Error('the fleet made its own key: privateKey is set');
  const credential = await createCredential(db.sql, key.box, {
    name: 'simulated fleet',
    secret: { type: 'privateKey', privateKey },
  });
  for (const host of fleet.hosts) {
    const row = await registerHost(db.sql, key.box, {
      ...pinned(host),
      sudo: true,
      credential: { id: credential.id },
    });
    ids.push(row.id);
  }

  const gc = forcedGc();
  const log = pino(
    { level: 'info' },
    { write: (line: string) => void logLines.push(JSON.parse(line)) },
  );
  // Its own pool, as `serve` has: each running probe holds a connection for its host lock.
  runnerSql = createSql(db.url, { max: 24 });
  runner = await startRunner({
    sql: runnerSql,
    secrets: key.box,
    log,
    defaults: SETTINGS,
    limits: { global: 16, perGroup: 16 },
  });

  // Phase 1: every host healthy, its first facts probe stored.
  await until(
    'an ok facts probe of every host',
    async () => {
      const [row] = await db.sql<{ n: number }[]>`
        select count(distinct host_id)::int as n from intel_probes
        where type = 'facts' and status = 'ok'`;
      return row?.n === ids.length ? true : undefined;
    },
    30_000,
    explain,
  );
  for (const [k] of CASES.entries()) {
    const id = hostId(HEALTHY + k);
    factsBefore.set(id, await factRows(id));
  }
  gc();
  heap.before = process.memoryUsage().heapUsed;

  // Phase 2: the faults, for a window.
  const unsubscribe = runner.supervisor.subscribe(({ hostId: id, view }) => {
    if (Date.parse(view.lastProbe?.finishedAt ?? '') < injectedAt.getTime()) return;
    seen.set(id, [...(seen.get(id) ?? []), view]);
  });
  injectedAt = new Date();
  for (const [k, c] of CASES.entries()) fleet.setFault(HEALTHY + k, c.fault);
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  windowEnd = new Date();
  unsubscribe();
  atWindowEnd = { size: runner.supervisor.size, views: runner.supervisor.views() };
  gc();
  heap.after = process.memoryUsage().heapUsed;
  await runner.stop(2_000);
  // The runner let go of every host, the hanging one included.
  const sim = fleet;
  await until(
    'no connection left open on the simulated hosts',
    async () => (sim.stats().openConnections === 0 ? true : undefined),
    10_000,
  );
}, 120_000);

afterAll(async () => {
  await runner?.stop(2_000);
  await runnerSql?.end({ timeout: 5 });
  await fleet?.stop();
});

/** Probe-log rows of the host that started inside the window and finished before its end. */
async function windowRows(id: string): Promise<Row[]> {
  return db.sql<Row[]>`
    select type, status, error_code, error, collectors,
      (extract(epoch from finished_at - started_at) * 1000)::int as duration_ms
    from intel_probes
    where host_id = ${id} and started_at >= ${injectedAt} and finished_at <= ${windowEnd}
    order by started_at`;
}

const faulty = () => CASES.map((c, k) => ({ c, id: hostId(HEALTHY + k) }));

describe('a runner probing a fleet with faulty hosts', () => {
  it('healthy hosts kept their cadence', async () => {
    // A probe (facts, or metrics) is due every ~2 s; half of that is plenty under load.
    const expected = Math.floor(WINDOW_MS / (SETTINGS.metricsIntervalMs * 1.1) / 2);
    for (let i = 0; i < HEALTHY; i++) {
      const rows = await windowRows(hostId(i));
      expect(
        rows.map((r) => r.status),
        `healthy host ${i}`,
      ).toEqual(rows.map(() => 'ok'));
      expect(rows.length, `probes of healthy host ${i}`).toBeGreaterThanOrEqual(expected);
      expect(rows.some((r) => r.type === 'facts')).toBe(true);
    }
  });

  it('probed each faulty host several times, every probe with its reason in the log', async () => {
    for (const { c, id } of faulty()) {
      const rows = await windowRows(id);
      const wrong = rows.map((r) => [c.check(r), r] as const).filter(([problem]) => problem);
      expect(wrong, c.name).toEqual([]);
      const probes = FACTS_ONLY.has(c.name) ? rows.filter((r) => r.type === 'facts') : rows;
      expect(probes.length, `${c.name}: probes in the window`).toBeGreaterThanOrEqual(2);
    }
  });

  it("left every faulty host's stored facts byte-identical", async () => {
    const touched: Record<string, string[]> = {};
    for (const { c, id } of faulty()) {
      const before = factsBefore.get(id) ?? [];
      expect(before.length, `${c.name}: facts stored in phase 1`).toBeGreaterThan(100);
      const after = await factRows(id);
      const was = new Set(before);
      // A row closed or added shows up as a row that was not there before.
      const changed = after.filter((row) => !was.has(row));
      if (changed.length > 0 || after.length !== before.length) touched[c.name] = changed;
    }
    expect(touched).toEqual({});
  });

  it("showed each outcome and failure reason in the actor's view", () => {
    for (const { c, id } of faulty()) {
      const views = (seen.get(id) ?? []).filter((v) => v.lastProbe !== null);
      expect(views.length, `${c.name}: views in the window`).toBeGreaterThan(0);
      const shown = views.filter((v) => v.lastProbe?.outcome === c.view.outcome);
      expect(shown.length, `${c.name}: a ${c.view.outcome} probe in the view`).toBeGreaterThan(0);
      for (const view of shown) {
        if (c.view.error === null) expect(view.lastError, c.name).toBeNull();
        else expect(view.lastError, c.name).toMatch(c.view.error);
      }
      const last = atWindowEnd.views.find((v) => v.hostId === id);
      if (c.failing) {
        expect(last?.failures.facts, `${c.name}: facts failing`).toBeGreaterThan(0);
        expect(last?.state, `${c.name}: state`).toMatch(/^(backoff|probing)$/);
      }
      expect(last?.unreachable, `${c.name}: unreachable`).toBe(c.failing === 'all');
    }
  });

  it('refused the changed host key and raised it', async () => {
    const index = caseIndex('host-key-change');
    const id = hostId(index);
    const [row] = await db.sql<{ host_key: string }[]>`
      select host_key from hosts where id = ${id}`;
    expect(row?.host_key, 'the pin is kept').toBe(fleet?.hosts[index]?.hostKey);
    const events = await db.sql<{ type: string; detail: { error?: string } }[]>`
      select type, detail from host_events
      where host_id = ${id} and at >= ${injectedAt} order by id`;
    const changed = events.filter((e) => e.type === 'host-key-changed');
    // Each refused probe raised it (again): one event per probe refused for its key.
    const [refused] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from intel_probes
      where host_id = ${id} and error_code = 'host-key-changed'`;
    expect(refused?.n).toBeGreaterThanOrEqual(2);
    expect(changed.length).toBe(refused?.n);
    for (const e of changed) expect(e.detail.error).toMatch(/HOST KEY CHANGED/);
    expect(events.map((e) => e.type)).toContain('unreachable');
    expect(logLines.some((l) => l.msg === 'host unreachable' && l.hostId === id)).toBe(true);
    const [others] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from host_events
      where type = 'host-key-changed' and host_id <> ${id}`;
    expect(others?.n, 'no other host raised a key change').toBe(0);
  });

  it('kept running with every actor, logged no error, and its heap stayed bounded', () => {
    expect(atWindowEnd.size).toBe(ids.length);
    expect(atWindowEnd.views.map((v) => v.state)).not.toContain('paused');
    expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    console.log(
      `runner-faults: heap after gc ${mib(heap.before)} → ${mib(heap.after)} MiB, ` +
        `rss ${mib(process.memoryUsage().rss)} MiB`,
    );
    // Several 32 MiB outputs were cut in the window: none of them may be kept.
    expect(heap.after - heap.before).toBeLessThan(32 * 2 ** 20);
  });
});
