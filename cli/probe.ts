// `hostintel probe user@host[:port]`: a one-shot probe that needs no database; and
// `hostintel probe --all`: every enabled registered host, stored (cli/hosts-probe.ts).
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ProbeResult, probe } from '../collectors/probe.ts';
import { collectorNames } from '../collectors/registry.ts';
import { type HostKeyPolicy, hostKeyPolicies, type SshTarget } from '../collectors/transport.ts';
import { loadSecretBox } from '../sql/secrets.ts';
import type { Config } from './config.ts';
import { withDatabase } from './database.ts';
import { groupFacts } from './export/facts-json.ts';
import { parseInteger } from './hosts-args.ts';
import { processIo, UsageError } from './hosts-io.ts';

export { UsageError } from './hosts-io.ts';

export interface ProbeCommandOptions {
  all?: boolean;
  concurrency?: string;
  identity?: string;
  sudo?: boolean;
  hostKeyPolicy?: string;
  knownHosts?: string;
  collectors?: string;
  json?: boolean;
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

/** `--collectors a,b`: the names, each a known collector; undefined: all of them. */
export function parseCollectors(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const wanted = value.split(',').map((s) => s.trim());
  const unknown = wanted.filter((name) => !collectorNames.includes(name));
  if (unknown.length) throw new UsageError(`unknown collector(s): ${unknown.join(', ')}`);
  return wanted;
}

/** `probe <destination>` or `probe --all`, never both; single-host options only with one host. */
export function checkProbeArguments(destination: string | undefined, options: ProbeCommandOptions) {
  if (options.all) {
    if (destination !== undefined) {
      throw new UsageError('give a destination or --all, not both');
    }
    const single = [
      options.identity !== undefined && '--identity',
      options.sudo && '--sudo',
      options.hostKeyPolicy !== undefined && '--host-key-policy',
      options.knownHosts !== undefined && '--known-hosts',
    ].filter(Boolean);
    if (single.length > 0) {
      throw new UsageError(
        `${single.join(', ')}: only with a destination (--all uses each host's own settings)`,
      );
    }
  } else {
    if (destination === undefined) throw new UsageError('give user@host[:port], or --all');
    if (options.concurrency !== undefined) throw new UsageError('--concurrency goes with --all');
  }
}

export async function runProbeCommand(destination: string, options: ProbeCommandOptions) {
  const { username, address, port } = parseDestination(destination);
  const hostKeyPolicy = options.hostKeyPolicy ?? 'accept-new';
  if (!(hostKeyPolicies as readonly string[]).includes(hostKeyPolicy)) {
    throw new UsageError(`--host-key-policy must be one of ${hostKeyPolicies.join(', ')}`);
  }
  const wanted = parseCollectors(options.collectors) ?? collectorNames;

  const knownHostsFile = options.knownHosts ?? path.join(os.homedir(), '.ssh/known_hosts');
  const knownHosts = await readFile(knownHostsFile, 'utf8').catch(() => '');
  const target: SshTarget = {
    address,
    port,
    username,
    hostKeyPolicy: hostKeyPolicy as HostKeyPolicy,
    knownHostKey: findKnownHost(knownHosts, address, port),
    auth: options.identity
      ? { type: 'privateKey', privateKey: await readIdentity(options.identity) }
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

async function readIdentity(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`--identity ${file} cannot be read (${code})`);
  }
}

/**
 * `probe --all`: exit status 1 when any host failed. Uses DATABASE_URL, else the embedded
 * database (which works only while `hostintel serve` is not running on the same data dir).
 */
export async function runProbeAllCommand(options: ProbeCommandOptions, config: Config) {
  const concurrency =
    options.concurrency === undefined
      ? config.probeConcurrency.global
      : parseInteger(options.concurrency, '--concurrency');
  if (concurrency < 1 || concurrency > 1000) {
    throw new UsageError('--concurrency must be between 1 and 1000');
  }
  const collectors = parseCollectors(options.collectors);
  const result = await withDatabase(
    config,
    'use POST /v1/hosts/{id}/probe',
    async (sql) => {
      const { probeFleet } = await import('./hosts-probe.ts');
      const secrets = await loadSecretBox({ secretKey: config.secretKey, dataDir: config.dataDir });
      return probeFleet(
        { sql, secrets, io: processIo() },
        {
          concurrency,
          perGroup: config.probeConcurrency.perGroup,
          ...(collectors ? { collectors } : {}),
          json: options.json ?? false,
        },
      );
    },
    { max: concurrency + 2 }, // each running probe reserves one connection for its host lock
  );
  if (result.failed > 0) process.exitCode = 1;
}

/** The `--json` shape: facts grouped by kind, plural names for lists. */
export function toJson(host: string, result: ProbeResult) {
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
    facts: groupFacts(Object.values(result.collectors).flatMap((c) => c.facts ?? [])),
    metrics: result.metrics ?? null,
  };
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
