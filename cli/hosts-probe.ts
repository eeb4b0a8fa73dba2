// `hostintel probe --all`: one facts probe of every enabled host, now, with the runner's own
// probe (actors/probe-runner.ts): the same host lock, the same storage of facts, probe record
// and metrics sample, the same pinning of a first-contact host key. At most `concurrency`
// probes run at once, and at most `perGroup` among hosts sharing a group, like the runner.
import { randomUUID } from 'node:crypto';
import { Batcher } from '../actors/batcher.ts';
import type { ProbeOutcome } from '../actors/host-machine.ts';
import { ProbeLimiter } from '../actors/limiter.ts';
import { createProbeRunner } from '../actors/probe-runner.ts';
import { createProbeStore, metricsWriter } from '../actors/probe-store.ts';
import { collectorNames } from '../collectors/registry.ts';
import type { Sql } from '../sql/client.ts';
import { hostsForRunner, sshTarget } from '../sql/hosts.ts';
import type { MetricRows } from '../sql/metrics.ts';
import type { SecretBox } from '../sql/secrets.ts';
import type { Io } from './hosts-io.ts';
import { formatElapsed, Progress } from './hosts-progress.ts';

export interface FleetProbeDeps {
  /** Needs a pool of at least concurrency + 1: each running probe reserves a connection. */
  sql: Sql;
  secrets: SecretBox;
  io: Io;
}

export interface FleetProbeOptions {
  concurrency: number;
  perGroup: number;
  /** Run only these collectors (each host's own disabled collectors stay disabled). */
  collectors?: readonly string[];
  json?: boolean;
  /** How often a plain progress line is written when stderr is not a terminal. */
  plainProgressMs?: number;
}

export interface FleetProbeHost {
  id: string;
  name: string;
  outcome: ProbeOutcome;
  durationMs: number;
  error?: string;
}

export interface FleetProbeResult {
  hosts: FleetProbeHost[];
  ok: number;
  partial: number;
  failed: number;
}

export async function probeFleet(
  deps: FleetProbeDeps,
  options: FleetProbeOptions,
): Promise<FleetProbeResult> {
  const { sql, secrets, io } = deps;
  // A probe holds a reserved connection from start to end and also writes through the pool:
  // more probes than connections would wait on each other forever.
  const concurrency = Math.min(options.concurrency, sql.options.max - 1);
  if (concurrency < 1)
    throw new Error('probe --all needs a database pool of 2 connections or more');

  const hosts = (await hostsForRunner(sql))
    .filter((h) => h.enabled)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byId = new Map(hosts.map((h) => [h.id, h]));
  const wanted = options.collectors ?? collectorNames;
  const metrics = new Batcher<MetricRows>(metricsWriter(sql), { intervalMs: 1000, maxItems: 500 });
  const limiter = new ProbeLimiter({ global: concurrency, perGroup: options.perGroup });
  const runProbe = createProbeRunner({
    store: createProbeStore(sql, metrics),
    loadTarget: async (hostId) => {
      const host = byId.get(hostId);
      const target = host && sshTarget(host, secrets);
      if (!host || !target) return null;
      const disabled = new Set([
        ...host.disabledCollectors,
        ...collectorNames.filter((name) => !wanted.includes(name)),
      ]);
      return { hostId, target, sudo: host.sudo, disabledCollectors: [...disabled] };
    },
  });

  const progress = new Progress({
    verb: 'probing',
    total: hosts.length,
    stream: io.stderr,
    ...(options.plainProgressMs ? { plainEveryMs: options.plainProgressMs } : {}),
  });
  const results: FleetProbeHost[] = [];
  try {
    await Promise.all(
      hosts.map(async (host) => {
        const release = await limiter.acquire(host.groups);
        const started = Date.now();
        let result: FleetProbeHost;
        try {
          const output = await runProbe(
            {
              hostId: host.id,
              type: 'facts',
              reason: 'manual',
              previousMetrics: undefined,
              probeId: randomUUID(),
            },
            new AbortController().signal,
          );
          result = {
            id: host.id,
            name: host.name,
            outcome: output.outcome,
            durationMs: output.durationMs,
            ...(output.error ? { error: output.error } : {}),
          };
        } catch (error) {
          // Not the host's doing (the database, a secret that does not open): still one line.
          const message = error instanceof Error ? error.message : String(error);
          result = {
            id: host.id,
            name: host.name,
            outcome: 'failed',
            durationMs: Date.now() - started,
            error: message,
          };
        } finally {
          release();
        }
        results.push(result);
        if (result.outcome === 'failed' || result.outcome === 'timeout') {
          progress.failed(`${host.name}: ${result.outcome}: ${result.error ?? 'no reason given'}`);
        } else {
          progress.succeeded();
        }
      }),
    );
  } finally {
    await metrics.close();
  }

  const partial = results.filter((r) => r.outcome === 'partial').length;
  const failed = results.filter((r) => r.outcome === 'failed' || r.outcome === 'timeout').length;
  const ok = results.length - failed;
  const elapsed = formatElapsed(progress.counts().elapsedMs);
  progress.finish(
    hosts.length === 0
      ? 'no enabled hosts to probe'
      : `probed ${hosts.length} host${hosts.length === 1 ? '' : 's'} in ${elapsed}: ` +
          `${ok} ok${partial ? ` (${partial} partial)` : ''}, ${failed} failed`,
  );
  const ordered = results.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (options.json) io.stdout.write(`${JSON.stringify(ordered, null, 2)}\n`);
  return { hosts: ordered, ok, partial, failed };
}
