// One probe of one host: connect, run the enabled collectors' commands as one script over one
// exec channel, split the output into sections and let each collector parse its own. A
// problem with the host never throws: it becomes the probe's or a collector's outcome.
import { CollectorError } from './errors.ts';
import { collectorsFor, type ProbeType } from './registry.ts';
import { text } from './sanitize.ts';
import { buildScript, splitSections } from './script.ts';
import { withoutRootOutcome } from './sudo-refused.ts';
import {
  connect,
  HostKeyChangedError,
  type SshConnection,
  type SshTarget,
  TransportError,
} from './transport.ts';
import type { Collector, CollectorStatus, Fact, RawMetrics, Sections } from './types.ts';

export const probeLimits = {
  connectTimeoutMs: 10_000,
  probeTimeoutMs: 60_000,
  sectionTimeoutS: 30,
  sectionMaxBytes: 8 * 1024 * 1024,
  probeMaxBytes: 32 * 1024 * 1024,
  stderrTailBytes: 400,
};
export type ProbeLimits = typeof probeLimits;

/**
 * Where a probe's connection comes from: runs `work` (the probe's one exec) on a connection
 * to `target`. The default opens a new one and closes it afterwards; the runner may pass an
 * SshConnectionPool's (collectors/connection-pool.ts), which keeps it for the host's next
 * probe.
 */
export type ConnectionSource = <T>(
  target: SshTarget,
  options: { connectTimeoutMs: number; signal: AbortSignal },
  work: (connection: SshConnection) => Promise<T>,
) => Promise<T>;

/** A new connection per probe, closed when the probe's exec is over. */
export const newConnection: ConnectionSource = async (target, options, work) => {
  const connection = await connect(target, options);
  try {
    return await work(connection);
  } finally {
    connection.close();
  }
};

export interface ProbeOptions {
  type: ProbeType;
  sudo: boolean;
  disabledCollectors?: readonly string[];
  /** Run these instead of the registry's (tests, the fleet simulator's fault injection). */
  collectors?: readonly Collector[];
  limits?: Partial<ProbeLimits>;
  signal?: AbortSignal;
  /**
   * Known before dialling that the target cannot be reached as configured (its jump host is
   * not registered): the probe fails with this reason, recorded like any transport failure.
   */
  refusal?: TransportError;
  /** Default: newConnection. */
  connection?: ConnectionSource;
}

export interface CollectorResult {
  status: CollectorStatus;
  durationMs: number;
  error?: string;
  facts?: readonly Fact[];
}

export type ProbeOutcome = 'ok' | 'partial' | 'failed' | 'timeout';

export interface ProbeResult {
  type: ProbeType;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
  bytes: number;
  /** The key the host presented, when the connection got that far. */
  hostKey: string | null;
  outcome: ProbeOutcome;
  error?: string;
  /** Stable machine-readable reason for a failed probe (`host-key-changed`, `auth`, …). */
  errorCode?: string;
  collectors: Record<string, CollectorResult>;
  metrics?: RawMetrics;
}

export async function probe(target: SshTarget, options: ProbeOptions): Promise<ProbeResult> {
  const limits = { ...probeLimits, ...options.limits };
  const selected = options.collectors ?? collectorsFor(options.type, options.disabledCollectors);
  const startedAt = new Date();
  const deadline = AbortSignal.timeout(limits.probeTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const done = (partial: Omit<ProbeResult, 'type' | 'startedAt' | 'finishedAt' | 'durationMs'>) => {
    const finishedAt = new Date();
    return {
      type: options.type,
      startedAt,
      finishedAt,
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      ...partial,
    };
  };
  const everyCollector = (status: CollectorStatus, error: string) =>
    Object.fromEntries(selected.map((c) => [c.name, { status, durationMs: 0, error }]));

  // The key the host presented: known once connected, whatever happens next.
  let hostKey: string | null = null;
  try {
    if (options.refusal) throw options.refusal;
    const commands = selected.flatMap((c) => c.commands);
    const script = buildScript(commands, { sudo: options.sudo, ...limits });
    const source = options.connection ?? newConnection;
    const result = await source(
      target,
      { connectTimeoutMs: limits.connectTimeoutMs, signal },
      (connection) => {
        hostKey = connection.hostKey;
        return connection.exec(script.text, { maxBytes: limits.probeMaxBytes, signal });
      },
    );
    const { sections, complete } = splitSections(result.stdout, script.boundary, commands, limits);
    if (!complete && sections.size > 0) {
      // Sections that did arrive may be whole, but a probe cut short is not evidence enough to
      // change anything stored: every collector fails and its facts stay as they were.
      const message = `the connection ended before the probe finished (${result.stdout.length} bytes received)`;
      return done({
        bytes: result.stdout.length,
        hostKey,
        outcome: 'failed',
        error: message,
        errorCode: 'disconnected',
        collectors: everyCollector('failed', message),
      });
    }
    const collectors: Record<string, CollectorResult> = {};
    let metrics: RawMetrics | undefined;
    for (const collector of selected) {
      // The commands of a probe run concurrently; a collector's cost is its commands' sum.
      const durationMs = collector.commands.reduce(
        (sum, c) => sum + (sections.get(c.id)?.elapsedMs ?? 0),
        0,
      );
      const outcome =
        withoutRootOutcome(collector, sections, options.sudo, durationMs) ??
        runParser(collector, sections, durationMs);
      collectors[collector.name] = outcome.result;
      metrics ??= outcome.metrics;
    }
    if (sections.size === 0) {
      const why = text(result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}`);
      return done({
        bytes: result.stdout.length,
        hostKey,
        outcome: 'failed',
        error: `the probe script did not run: ${why}`,
        errorCode: 'script',
        collectors: everyCollector('failed', 'the probe script did not run'),
      });
    }
    const failed = Object.values(collectors).some(
      (c) => c.status === 'failed' || c.status === 'timeout',
    );
    return done({
      bytes: result.stdout.length,
      hostKey,
      outcome: failed ? 'partial' : 'ok',
      collectors,
      metrics,
    });
  } catch (error) {
    const timedOut = deadline.aborted;
    const message = timedOut
      ? `probe exceeded its ${limits.probeTimeoutMs} ms deadline`
      : error instanceof Error
        ? error.message
        : String(error);
    return done({
      bytes: 0,
      hostKey,
      outcome: timedOut ? 'timeout' : 'failed',
      error: message,
      errorCode: timedOut ? 'timeout' : errorCode(error),
      collectors: everyCollector(timedOut ? 'timeout' : 'failed', message),
    });
  }
}

function runParser(collector: Collector, sections: Sections, durationMs: number) {
  try {
    const output = collector.parse(sections);
    return {
      result: { status: 'ok' as const, durationMs, facts: output.facts ?? [] },
      metrics: output.metrics,
    };
  } catch (error) {
    const status: CollectorStatus = error instanceof CollectorError ? error.status : 'failed';
    // Parsers quote host output in their errors: a NUL in it would make the probe unstorable.
    const message = text(error instanceof Error ? error.message : String(error));
    return { result: { status, durationMs, error: message }, metrics: undefined };
  }
}

function errorCode(error: unknown): string {
  if (error instanceof HostKeyChangedError) return 'host-key-changed';
  if (error instanceof TransportError) {
    return error.name
      .replace(/Error$/, '')
      .replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase());
  }
  return 'internal';
}
