// Faults as they show in the bytes a simulated host sends back.
import { describe, expect, it } from 'vitest';
import { collectors } from '../../../collectors/registry.ts';
import { buildScript } from '../../../collectors/script.ts';
import { HostModel } from '../../sim/host-model.ts';
import { loadRecordings } from '../../sim/recordings.ts';
import { DEFAULT_OVERSIZED_BYTES, partsLength, respond } from '../../sim/respond.ts';
import { parseProbeScript } from '../../sim/script-parser.ts';
import { probeOffline } from './offline.ts';

const recordings = loadRecordings();
const T0 = Date.UTC(2026, 10, 29);
const host = new HostModel({
  seed: 'respond',
  index: 1,
  distro: 'debian-12',
  recordings,
  createdAt: T0,
});
const commands = collectors.flatMap((c) => c.commands);
const script = buildScript(commands, {
  sudo: true,
  sectionTimeoutS: 30,
  sectionMaxBytes: 8 << 20,
  stderrTailBytes: 400,
});
const parsed = parseProbeScript(script.text);
const options = { sudoGranted: true, nowMs: T0 };

describe('respond', () => {
  it('frames every section and ends with the done line', () => {
    const output = Buffer.concat(respond(parsed, host, [], options) as Buffer[]).toString();
    for (const c of commands) expect(output).toContain(`${script.boundary} begin ${c.id}\n`);
    expect(output.endsWith(`${script.boundary} done\n`)).toBe(true);
  });

  it('garbage=random: bytes without a single frame', () => {
    const parts = respond(parsed, host, [{ type: 'garbage', mode: 'random' }], options);
    const output = Buffer.concat(parts as Buffer[]);
    expect(output.length).toBeGreaterThan(10_000);
    expect(output.includes(script.boundary)).toBe(false);
  });

  it('garbage in sections: framing intact, the chosen collectors fail to parse', () => {
    const result = probeOffline(host, {
      faults: [{ type: 'garbage', collectors: ['packages', 'users'] }],
      nowMs: T0,
    });
    expect(result.sections.size).toBe(commands.length);
    expect(result.status.packages).toBe('failed');
    expect(result.status.users).toBe('failed');
    expect(result.status.os).toBe('ok');
  });

  it('oversized: one section streams 100 MiB without holding it', () => {
    const parts = respond(parsed, host, [{ type: 'oversized' }], options);
    const repeat = parts.find((p) => !Buffer.isBuffer(p));
    expect(repeat).toMatchObject({ bytes: DEFAULT_OVERSIZED_BYTES });
    expect(partsLength(parts)).toBeGreaterThan(DEFAULT_OVERSIZED_BYTES);
  });

  it("tool-missing: the collector's sections exit 127 with the shell's message", () => {
    const result = probeOffline(host, {
      faults: [{ type: 'tool-missing', collector: 'listeners' }],
      nowMs: T0,
    });
    expect(result.sections.get('listeners.ss')).toMatchObject({
      exitCode: 127,
      stderrTail: 'sh: 1: ss: not found\n',
    });
    expect(result.status.listeners).toBe('unsupported');
  });

  it("sudo-refused: root sections fail with sudo's own message", () => {
    const result = probeOffline(host, { faults: [{ type: 'sudo-refused' }], nowMs: T0 });
    expect(result.sections.get('firewall.nft')).toMatchObject({
      exitCode: 1,
      stderrTail: 'sudo: a password is required\n',
      privilegeDenied: true,
    });
    expect(result.status.firewall).toBe('needs-privilege');
    expect(result.status.listeners).toBe('needs-privilege');
    expect(result.status.users).toBe('ok');
  });
});
