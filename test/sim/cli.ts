// `npm run sim -- --hosts N [--port P] [--faults spec] …`: starts a simulated fleet, prints its
// hosts file (the shape of the dev hosts.json) and serves until SIGINT or SIGTERM.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';
import { parseFaultSpec } from './faults.ts';
import { type FleetOptions, startFleet } from './fleet.ts';

const usage = `usage: npm run sim -- --hosts N [options]
  --hosts N             number of simulated hosts (required)
  --first I             index of the first host (default 0): a fleet split over processes
                        with one seed and port keeps every host's name, keys and port
  --port P              host i listens on P + i (default 20000; 0: ports the kernel picks,
                        which gets slow beyond a few thousand hosts)
  --address A           loopback address of every host (default 127.0.0.1)
  --addresses A,B,…     several loopback addresses, used in turn
  --seed S              everything random derives from it, host keys included (default 1)
  --faults SPEC         e.g. 0:hang,1-3:slow=2000,4:tool-missing=listeners,5:garbage=random
  --no-sudo             the probe user may not sudo
  --password PW         also accept this password
  --identity FILE       the user's private key (default: one derived from the seed, written
                        to a temporary folder)
  --drift-every SEC     drift every host one step every SEC seconds
  --out FILE            write the hosts file there instead of stdout`;

interface CliOptions {
  fleet: FleetOptions;
  driftEvery: number;
  out: string | undefined;
  identity: string | undefined;
}

/** The public half of a private key file, as an authorized_keys line. */
function publicKeyOf(file: string): { publicKey: string; privateKey: string } {
  const privateKey = readFileSync(file, 'utf8');
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`${file}: ${parsed.message}`);
  return { publicKey: `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`, privateKey };
}

function options(): CliOptions {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string' },
      first: { type: 'string', default: '0' },
      port: { type: 'string', default: '20000' },
      address: { type: 'string', default: '127.0.0.1' },
      addresses: { type: 'string' },
      seed: { type: 'string', default: '1' },
      faults: { type: 'string', default: '' },
      'no-sudo': { type: 'boolean', default: false },
      password: { type: 'string' },
      identity: { type: 'string' },
      'drift-every': { type: 'string', default: '0' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const hosts = Number(values.hosts);
  if (values.help || !Number.isInteger(hosts) || hosts <= 0) {
    console.error(usage);
    process.exit(values.help ? 0 : 2);
  }
  const port = Number(values.port);
  const first = Number(values.first);
  if (!Number.isInteger(first) || first < 0) {
    console.error(usage);
    process.exit(2);
  }
  return {
    fleet: {
      hosts,
      firstIndex: first,
      seed: values.seed,
      ...(values.addresses ? { addresses: values.addresses.split(',') } : {}),
      address: values.address,
      ...(port > 0 ? { basePort: port } : {}),
      ...(values.password === undefined ? {} : { password: values.password }),
      sudo: !values['no-sudo'],
      faults: Object.fromEntries(parseFaultSpec(values.faults)),
      ...(values.identity ? { clientKey: publicKeyOf(values.identity) } : {}),
    },
    driftEvery: Number(values['drift-every']),
    out: values.out,
    identity: values.identity,
  };
}

async function main(): Promise<void> {
  const { fleet: fleetOptions, driftEvery, out, identity } = options();
  const started = performance.now();
  const fleet = await startFleet(fleetOptions);
  const dir = identity ? undefined : mkdtempSync(path.join(tmpdir(), 'hostintel-sim-'));
  const keyPath = identity ?? path.join(dir ?? '', 'id_ed25519');
  if (dir) {
    writeFileSync(keyPath, fleet.hosts[0]?.privateKey ?? '', { mode: 0o600 });
    chmodSync(keyPath, 0o600);
  }
  const hostsFile = fleet.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    port: h.port,
    username: h.username,
    privateKeyPath: keyPath,
    hostKey: h.hostKey,
    sudo: fleetOptions.sudo,
    root: null,
  }));
  const json = `${JSON.stringify(hostsFile, null, 2)}\n`;
  if (out) writeFileSync(out, json);
  else process.stdout.write(json);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(`hostintel sim: ${fleet.hosts.length} hosts up in ${seconds} s; Ctrl-C stops`);

  const drifting =
    driftEvery > 0 ? setInterval(() => fleet.drift('all', 1), driftEvery * 1000) : undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(drifting);
    const stats = fleet.stats();
    await fleet.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.error(`hostintel sim: ${signal}, stopped; ${JSON.stringify(stats)}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`hostintel sim: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
