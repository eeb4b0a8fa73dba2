// The ProbeStore of the real service: PostgreSQL. A probe holds a session advisory lock on its
// host (on a reserved connection) from begin to finish, so no two processes — even during a
// lease handover — can probe one host at once.
import type { ProbeResult } from '../collectors/probe.ts';
import type { Sql } from '../sql/client.ts';
import { recordHostEvent } from '../sql/events.ts';
import { applyProbe } from '../sql/facts.ts';
import { pinHostKey } from '../sql/hosts.ts';
import { insertMetrics, type MetricRows, MetricsWriteError, toMetricRows } from '../sql/metrics.ts';
import { PROBE_LOCK_CLASS, startProbe } from '../sql/probes.ts';
import { type Batcher, PartialWriteError } from './batcher.ts';
import type { ProbeStore } from './probe-runner.ts';
import { type RunnerObserver, timeDbWrite } from './service-metrics.ts';

type Reserved = Awaited<ReturnType<Sql['reserve']>>;

export function createProbeStore(
  sql: Sql,
  metrics: Batcher<MetricRows>,
  observer?: Pick<RunnerObserver, 'dbWrite'>,
): ProbeStore {
  const locks = new Map<string, Reserved>();
  const unlock = async (probeId: string, hostId: string) => {
    const connection = locks.get(probeId);
    if (!connection) return;
    locks.delete(probeId);
    await connection`select pg_advisory_unlock(${PROBE_LOCK_CLASS}, hashtext(${hostId}))`.catch(
      () => {},
    );
    connection.release();
  };

  return {
    async begin(hostId, probeId, type, startedAt, reason) {
      const connection = await sql.reserve();
      const [row] = await connection<{ locked: boolean }[]>`
        select pg_try_advisory_lock(${PROBE_LOCK_CLASS}, hashtext(${hostId})) as locked`.catch(
        (error) => {
          connection.release();
          throw error;
        },
      );
      if (!row?.locked) {
        connection.release();
        return false;
      }
      locks.set(probeId, connection);
      try {
        await startProbe(sql, { id: probeId, hostId, type, reason, startedAt });
      } catch (error) {
        await unlock(probeId, hostId);
        throw error;
      }
      return true;
    },
    async finish(hostId, probeId, result: ProbeResult) {
      try {
        await timeDbWrite(observer, 'probe', () => applyProbe(sql, hostId, result, { probeId }));
      } finally {
        await unlock(probeId, hostId);
      }
    },
    queueMetrics(hostId, previous, current) {
      metrics.add([toMetricRows(hostId, current.at, previous, current.metrics)]);
    },
    async pinHostKey(hostId, hostKey) {
      if ((await pinHostKey(sql, hostId, hostKey)) === 'pinned') {
        await recordHostEvent(sql, hostId, 'host-key-pinned', { hostKey });
      }
    },
    async recordEvent(hostId, type, detail) {
      await recordHostEvent(sql, hostId, type as 'host-key-changed', detail);
    },
  };
}

export function metricsWriter(sql: Sql, observer?: Pick<RunnerObserver, 'dbWrite'>) {
  return async (batch: MetricRows[]) => {
    try {
      await timeDbWrite(observer, 'metrics', () => insertMetrics(sql, batch));
    } catch (error) {
      // Tables already written must not be written again: only the rest is retried.
      if (!(error instanceof MetricsWriteError)) throw error;
      throw new PartialWriteError(error.message, error.unwritten, { cause: error });
    }
  };
}
