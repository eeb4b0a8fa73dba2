// `hostintel probe user@host[:port]`: a one-shot probe that needs no database.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ProbeResult, probe } from '../collectors/probe.ts';
import { collectorNames } from '../collectors/registry.ts';
import { type HostKeyPolicy, hostKeyPolicies, type SshTarget } from '../collectors/transport.ts';

export interface ProbeCommandOptions {
  identity?: string;
  sudo?: boolean;
  hostKeyPolicy: string;
  knownHosts?: string;
  collectors?: string;
  json?: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseDestination(destination: string) {
  const match = /^([^@\s]+)@(\[[^\]]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(destination);
  if (!match?.[1] || !match[2])
    throw new UsageError(`expected user@host[:port], got ${destination}`);
  const port = match[3] ? Number(match[3]) : 22;
  if (port < 1 || port > 65535) throw new UsageError(`port ${port} is out of range`);
  return { username: match[1], address: match[2].replace(/^\[|\]$/g, ''), port };
}

/** The first key known_hosts holds for this host (plain `host` or `[host]:port` entries). */
export function findKnownHost(text: string, address: string, port: number): string | null {
  const names = port === 22 ? [address, `[${address}]:22`] : [`[${address}]:${port}`];
  for (const line of text.split('\n')) {
    const [hosts, type, key] = line.trim().split(/\s+/);
    if (!hosts || !type || !key || hosts.startsWith('#')) continue;
    if (hosts.split(',').some((h) => names.includes(h))) return `${type} ${key}`;
  }
  return null;
}

export async function runProbeCommand(destination: string, options: ProbeCommandOptions) {
  const { username, address, port } = parseDestination(destination);
  if (!(hostKeyPolicies as readonly string[]).includes(options.hostKeyPolicy)) {
    throw new UsageError(`--host-key-policy must be one of ${hostKeyPolicies.join(', ')}`);
  }
  const wanted = options.collectors?.split(',').map((s) => s.trim()) ?? collectorNames;
  const unknown = wanted.filter((name) => !collectorNames.includes(name));
  if (unknown.length) throw new UsageError(`unknown collector(s): ${unknown.join(', ')}`);

  const knownHostsFile = options.knownHosts ?? path.join(os.homedir(), '.ssh/known_hosts');
  const knownHosts = await readFile(knownHostsFile, 'utf8').catch(() => '');
  const target: SshTarget = {
    address,
    port,
    username,
    hostKeyPolicy: options.hostKeyPolicy as HostKeyPolicy,
    knownHostKey: findKnownHost(knownHosts, address, port),
    auth: options.identity
      ? { type: 'privateKey', privateKey: await readFile(options.identity) }
      : { type: 'agent' },
  };
  const result = await probe(target, {
    type: 'facts',
    sudo: options.sudo ?? false,
    disabledCollectors: collectorNames.filter((name) => !wanted.includes(name)),
  });
  process.stdout.write(
    options.json
      ? `${JSON.stringify(toJson(destination, result))}\n`
      : summary(destination, result),
  );
  if (result.outcome === 'failed' || result.outcome === 'timeout') process.exitCode = 1;
}

/** The `--json` shape: facts grouped by kind, plural names for lists. */
export function toJson(host: string, result: ProbeResult) {
  const facts: Record<string, unknown> = {};
  for (const outcome of Object.values(result.collectors)) {
    for (const fact of outcome.facts ?? []) {
      const group = pluralKind(fact.kind);
      if (
        fact.kind === 'os' ||
        fact.kind === 'cpu' ||
        fact.kind === 'memory' ||
        fact.kind === 'dns'
      ) {
        facts[group] = fact.value;
      } else {
        const list = (facts[group] as unknown[] | undefined) ?? [];
        list.push(fact.value);
        facts[group] = list;
      }
    }
  }
  return {
    host,
    startedAt: result.startedAt.toISOString(),
    durationMs: result.durationMs,
    outcome: result.outcome,
    ...(result.error ? { error: result.error } : {}),
    hostKey: result.hostKey,
    collectors: Object.fromEntries(
      Object.entries(result.collectors).map(([name, c]) => [
        name,
        { status: c.status, durationMs: c.durationMs, ...(c.error ? { error: c.error } : {}) },
      ]),
    ),
    facts,
    metrics: result.metrics ?? null,
  };
}

function pluralKind(kind: string): string {
  if (['os', 'cpu', 'memory', 'dns', 'firewall'].includes(kind)) return kind;
  const camel = kind.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return camel.endsWith('s') ? camel : `${camel}s`;
}

function summary(host: string, result: ProbeResult): string {
  const lines = [`${host}: ${result.outcome} in ${result.durationMs} ms (${result.bytes} bytes)`];
  if (result.error) lines.push(`  error: ${result.error}`);
  for (const [name, c] of Object.entries(result.collectors)) {
    const count = c.facts ? `${c.facts.length} facts` : '';
    lines.push(
      `  ${name.padEnd(10)} ${c.status.padEnd(16)} ${count}${c.error ? ` ${c.error}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
