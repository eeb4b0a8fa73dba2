// Probes of the real dev hosts: what hostintel reports must be exactly what the host's own
// tools say, and a hostile or broken host must never crash the probe or pass as "no data".
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { type ProbeResult, probe } from '../../collectors/probe.ts';
import type { Collector, Fact } from '../../collectors/types.ts';
import { okOutput } from '../../collectors/section.ts';
import { identifier } from '../../collectors/sanitize.ts';
import { type TestHost, testHost } from '../support/env.ts';
import { targetFor } from '../support/ssh.ts';

function onHost(host: TestHost, command: string): string {
  const argv =
    host.root === '/' ? ['sh', '-c', command] : ['chroot', host.root, 'sh', '-c', command];
  return execFileSync(argv[0] as string, argv.slice(1), {
    encoding: 'utf8',
    env: { LC_ALL: 'C', PATH: process.env.PATH },
  });
}

function facts(result: ProbeResult, collector: string, kind: string): Fact[] {
  return (result.collectors[collector]?.facts ?? []).filter((f) => f.kind === kind);
}

const probeOf = (host: TestHost) => probe(targetFor(host), { type: 'facts', sudo: host.sudo });

describe.each(['deb12', 'deb13'])('a full probe of %s', (name) => {
  const host = testHost(name);
  let result: ProbeResult;

  it('succeeds in one round trip', async () => {
    result = await probeOf(host);
    expect(result.outcome, result.error).toBe('ok');
    expect(result.collectors.os?.status).toBe('ok');
  });

  it('reports exactly the installed packages of dpkg-query', () => {
    const expected = onHost(
      host,
      "dpkg-query -W -f '${db:Status-Abbrev}|${Package} ${Architecture} ${Version}\\n'",
    )
      .split('\n')
      .filter((l) => /^.i/.test(l)) // installed; `rc` (config files only) is not a package
      .map((l) => l.slice(l.indexOf('|') + 1))
      .sort();
    const got = facts(result, 'packages', 'package')
      .map((f) => {
        const v = f.value as { name: string; arch: string; evr: string };
        return `${v.name} ${v.arch} ${v.evr}`;
      })
      .sort();
    expect(got.length).toBeGreaterThan(100);
    expect(got).toEqual(expected);
  });

  it('reports exactly the users of getent passwd', () => {
    const expected = onHost(host, 'getent passwd')
      .trim()
      .split('\n')
      .map((l) => l.split(':').slice(0, 3).join(':'))
      .sort();
    const got = facts(result, 'users', 'user')
      .map((f) => {
        const v = f.value as { name: string; uid: number };
        return `${v.name}:x:${v.uid}`;
      })
      .sort();
    expect(got).toEqual(expected);
  });

  it('reads the release of the host it reached', () => {
    const os = facts(result, 'os', 'os')[0]?.value as { id: string; versionId: string };
    const release = onHost(host, '. /etc/os-release; echo "$ID $VERSION_ID"').trim();
    expect(`${os.id} ${os.versionId}`).toBe(release);
  });
});

describe('network facts on deb12', () => {
  it('match ss -tuln and ip -j addr', async () => {
    const host = testHost('deb12');
    const result = await probeOf(host);
    const ss = execFileSync('ss', ['-Htuln'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => {
        const cols = l.trim().split(/\s+/);
        const local = cols[4] ?? '';
        const port = Number(local.slice(local.lastIndexOf(':') + 1));
        return `${cols[0]}/${port}`;
      });
    const listeners = facts(result, 'listeners', 'listener').map((f) => {
      const v = f.value as { protocol: string; port: number };
      return `${v.protocol}/${v.port}`;
    });
    expect(new Set(listeners)).toEqual(new Set(ss));

    const ip = JSON.parse(execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' })) as {
      ifname: string;
      addr_info: { local: string; prefixlen: number }[];
    }[];
    const interfaces = facts(result, 'network', 'interface').map(
      (f) => f.value as { name: string; addresses: string[] },
    );
    expect(interfaces.map((i) => i.name).sort()).toEqual(ip.map((i) => i.ifname).sort());
    for (const iface of ip) {
      const got = interfaces.find((i) => i.name === iface.ifname)?.addresses ?? [];
      for (const a of iface.addr_info) expect(got).toContain(`${a.local}/${a.prefixlen}`);
    }
  });
});

describe('outcomes that are not "ok"', () => {
  it('says unsupported where the host lacks ip and ss (deb13 minbase)', async () => {
    const result = await probeOf(testHost('deb13'));
    expect(result.collectors.network?.status).toBe('unsupported');
    expect(result.collectors.listeners?.status).toBe('unsupported');
    expect(result.collectors.network?.facts).toBeUndefined();
  });

  it('says needs-privilege without sudo and reads the firewall with it', async () => {
    const without = await probeOf(testHost('deb12'));
    expect(without.collectors.firewall?.status).toBe('needs-privilege');
    const withSudo = await probeOf(testHost('deb12sudo'));
    expect(withSudo.collectors.firewall?.status).toBe('ok');
  });
});

/** A collector that runs a command and reads its section like a real one would. */
function lineCollector(name: string, command: string): Collector {
  const id = `${name}.cmd`;
  return {
    name,
    description: 'test',
    kinds: ['thing'],
    commands: [{ id, command, why: 'test' }],
    parse(sections) {
      const lines = okOutput(sections, id).split('\n').filter(Boolean);
      return {
        facts: lines.map((l) => ({ kind: 'thing', key: identifier(l, 'name'), value: {} })),
      };
    },
  };
}

// The hostile collector runs first; the `fine` one after it must be unaffected.
const hostileProbe = (command: string, limits = {}) =>
  probe(targetFor(testHost('deb12')), {
    type: 'facts',
    sudo: false,
    collectors: [lineCollector('hostile', command), lineCollector('fine', 'echo fine')],
    limits,
  });

describe('hostile output', () => {
  it('cannot forge section boundaries', async () => {
    const result = await hostileProbe(
      `printf 'a\\nHI00000000000000000000000000000000 end 0 0\\nb\\n'; echo "$B end 0 0"`,
    );
    expect(result.collectors.hostile?.status).toBe('ok');
    expect(result.collectors.hostile?.facts?.map((f) => f.key)).toContain('b');
    expect(result.collectors.fine?.facts?.map((f) => f.key)).toEqual(['fine']);
  });

  it('caps an endless line and reports the collector as failed', async () => {
    const result = await hostileProbe(`yes x | tr -d '\\n' | head -c 3000000`, {
      sectionMaxBytes: 1_000_000,
    });
    expect(result.collectors.hostile?.status).toBe('failed');
    expect(result.collectors.hostile?.error).toMatch(/byte cap/);
    expect(result.collectors.fine?.status).toBe('ok');
  });

  it('stops a 100 MB answer at the probe cap', async () => {
    const result = await hostileProbe('head -c 100000000 /dev/zero', {
      sectionMaxBytes: 200_000_000,
      probeMaxBytes: 4_000_000,
    });
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/exceeded/);
    expect(result.collectors.hostile?.status).toBe('failed');
  });

  it('rejects control characters and invalid UTF-8 in identifiers', async () => {
    const control = await hostileProbe(`printf 'bad\\033[31mname\\n'`);
    expect(control.collectors.hostile?.status).toBe('failed');
    const invalid = await hostileProbe(`printf 'bad\\377name\\n'`);
    expect(invalid.collectors.hostile?.status).toBe('failed');
    expect(invalid.collectors.fine?.status).toBe('ok');
  });

  it('times out a section that hangs, and the whole probe at its deadline', async () => {
    const section = await hostileProbe('sleep 20', { sectionTimeoutS: 1 });
    expect(section.collectors.hostile?.status).toBe('timeout');
    expect(section.collectors.fine?.status).toBe('ok');

    const started = Date.now();
    const whole = await hostileProbe('sleep 20', { probeTimeoutMs: 1500 });
    expect(whole.outcome).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(15_000); // the command would sleep 20 s
  });
});
