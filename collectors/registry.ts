// Every collector hostintel has, in probe order. This list plus each collector's commands is
// the privacy allowlist: nothing else ever runs on a host (`hostintel collectors`, GET /v1/collectors).
import { firewallCollector } from './firewall.ts';
import { hardwareCollector } from './hardware.ts';
import { listenersCollector } from './listeners.ts';
import { metricsCollector } from './metrics.ts';
import { networkCollector } from './network.ts';
import { osCollector } from './os.ts';
import { packagesCollector } from './packages.ts';
import { servicesCollector } from './services.ts';
import type { Collector } from './types.ts';
import { usersCollector } from './users.ts';

export const collectors: readonly Collector[] = [
  osCollector,
  packagesCollector,
  servicesCollector,
  usersCollector,
  hardwareCollector,
  networkCollector,
  listenersCollector,
  firewallCollector,
  metricsCollector,
];

export const collectorNames = collectors.map((c) => c.name);

export type ProbeType = 'facts' | 'metrics';

/** The collectors a probe of this type runs, minus the disabled ones. */
export function collectorsFor(type: ProbeType, disabled: readonly string[] = []): Collector[] {
  return collectors.filter(
    (c) => !disabled.includes(c.name) && (type === 'facts' || c.name === 'metrics'),
  );
}

export interface AllowlistEntry {
  collector: string;
  description: string;
  kinds: readonly string[];
  commands: { id: string; command: string; root: 'required' | 'preferred' | null; why: string }[];
}

export function allowlist(): AllowlistEntry[] {
  return collectors.map((c) => ({
    collector: c.name,
    description: c.description,
    kinds: c.kinds,
    commands: c.commands.map((cmd) => ({
      id: cmd.id,
      command: cmd.command,
      root: cmd.root ?? null,
      why: cmd.why,
    })),
  }));
}
