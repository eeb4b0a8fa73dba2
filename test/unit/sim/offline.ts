// A probe without SSH: the real script, answered by a simulated host, split and parsed by the
// real collectors — what the fleet does over the wire, minus the wire.
import { CollectorError } from '../../../collectors/errors.ts';
import { collectorsFor, type ProbeType } from '../../../collectors/registry.ts';
import { buildScript, splitSections } from '../../../collectors/script.ts';
import type { CollectorStatus, Fact, RawMetrics, Sections } from '../../../collectors/types.ts';
import type { Fault } from '../../sim/faults.ts';
import type { HostModel } from '../../sim/host-model.ts';
import { respond } from '../../sim/respond.ts';
import { parseProbeScript } from '../../sim/script-parser.ts';

export interface OfflineResult {
  output: Buffer;
  sections: Sections;
  status: Record<string, CollectorStatus>;
  errors: Record<string, string>;
  facts: Record<string, readonly Fact[]>;
  metrics: RawMetrics | undefined;
}

const limits = { sectionTimeoutS: 30, sectionMaxBytes: 8 << 20, stderrTailBytes: 400 };

export function probeOffline(
  model: HostModel,
  options: {
    type?: ProbeType;
    sudo?: boolean;
    sudoGranted?: boolean;
    faults?: Fault[];
    nowMs: number;
  },
): OfflineResult {
  const selected = collectorsFor(options.type ?? 'facts');
  const commands = selected.flatMap((c) => c.commands);
  const script = buildScript(commands, { sudo: options.sudo ?? true, ...limits });
  const parts = respond(parseProbeScript(script.text), model, options.faults ?? [], {
    sudoGranted: options.sudoGranted ?? true,
    nowMs: options.nowMs,
  });
  const output = Buffer.concat(parts.filter((p): p is Buffer => Buffer.isBuffer(p)));
  const { sections } = splitSections(output, script.boundary, commands, limits);
  const result: OfflineResult = {
    output,
    sections,
    status: {},
    errors: {},
    facts: {},
    metrics: undefined,
  };
  for (const collector of selected) {
    try {
      const parsed = collector.parse(sections);
      result.status[collector.name] = 'ok';
      result.facts[collector.name] = parsed.facts ?? [];
      result.metrics ??= parsed.metrics;
    } catch (error) {
      result.status[collector.name] = error instanceof CollectorError ? error.status : 'failed';
      result.errors[collector.name] = (error as Error).message;
    }
  }
  return result;
}

export function valuesOf<T>(result: OfflineResult, collector: string, kind: string): T[] {
  return (result.facts[collector] ?? []).filter((f) => f.kind === kind).map((f) => f.value as T);
}
