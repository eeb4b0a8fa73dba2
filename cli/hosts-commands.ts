// The `hosts` and `export` commands as commander sees them. Each action opens the database
// (DATABASE_URL, else the embedded one) and loads its module only when it runs, so that
// `hostintel --help` stays fast.
import type { Command } from 'commander';
import { loadConfig } from './config.ts';
import { collect } from './hosts-args.ts';

async function withHostsDeps<T>(
  instead: string,
  work: (deps: import('./hosts.ts').HostsDeps) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const { withDatabase } = await import('./database.ts');
  const { loadSecretBox } = await import('../sql/secrets.ts');
  const { processIo } = await import('./hosts-io.ts');
  return withDatabase(config, instead, (sql) =>
    work({
      sql,
      // The key the server uses: HOSTINTEL_SECRET_KEY or <data dir>/secret.key.
      secrets: () => loadSecretBox({ secretKey: config.secretKey, dataDir: config.dataDir }),
      io: processIo(),
    }),
  );
}

export function registerHostsCommands(program: Command): void {
  const hosts = program
    .command('hosts')
    .description('register, list, remove and import hosts (uses DATABASE_URL, else embedded)');

  hosts
    .command('add')
    .description('register a host (the API registration body, as flags)')
    .argument('<name>', 'the host’s name in hostintel')
    .option('--address <address>', 'host name or IP address to connect to (default: <name>)')
    .option('--port <port>', 'SSH port (default 22)')
    .option('--user <user>', 'SSH login user (required)')
    .option('--key-file <file>', 'private key to log in with (stored encrypted)')
    .option('--passphrase-stdin', 'read the key’s passphrase from standard input')
    .option('--password-stdin', 'log in with a password read from standard input')
    .option('--agent', 'log in with the runner’s ssh-agent')
    .option('--credential <id>', 'log in with a stored credential (POST /v1/credentials)')
    .option('--label <key=value>', 'a label; repeat for more', collect)
    .option('--group <group>', 'a group; repeat for more', collect)
    .option('--host-key-policy <policy>', 'strict | accept-new | off (default accept-new)')
    .option('--host-key <key>', 'pin this public host key now ("ssh-ed25519 AAAA…")')
    .option('--sudo', 'run the allowlisted root commands through sudo -n')
    .option('--jump <hosts>', 'reach it through these registered hosts ([user@]host[:port],…)')
    .option('--disabled', 'register it without probing it yet')
    .option('--json', 'print the registered host as JSON')
    .action(async (name: string, options) => {
      const { addHostCommand } = await import('./hosts.ts');
      await withHostsDeps('use POST /v1/hosts', (deps) => addHostCommand(deps, name, options));
    });

  hosts
    .command('list')
    .description('list hosts by name')
    .option('--label <key=value>', 'only hosts with this label; repeat to require several', collect)
    .option('--group <group>', 'only hosts in this group; repeat to require several', collect)
    .option('--json', 'print JSON')
    .action(async (options) => {
      const { listHostsCommand } = await import('./hosts.ts');
      await withHostsDeps('use GET /v1/hosts', (deps) => listHostsCommand(deps, options));
    });

  hosts
    .command('remove')
    .description('remove a host, its inline credential and its history')
    .argument('<host>', 'name or id')
    .action(async (ref: string) => {
      const { removeHostCommand } = await import('./hosts.ts');
      await withHostsDeps('use DELETE /v1/hosts/{id}', (deps) => removeHostCommand(deps, ref));
    });

  hosts
    .command('import')
    .description(
      'register and update hosts from an Ansible inventory (INI or YAML) or an ssh_config, ' +
        'all or nothing',
    )
    .argument('<file>', 'the inventory file')
    .option('--format <format>', 'ansible-ini | ansible-yaml | ssh-config (default: detected)')
    .option('--dry-run', 'print what would be added and changed, and write nothing')
    .option('--user <user>', 'login user for new hosts the file gives none')
    .option('--key-file <file>', 'private key for new hosts whose entry names no key file')
    .option('--agent', 'ssh-agent for new hosts whose entry names no key file')
    .option('--credential <id>', 'stored credential for new hosts whose entry names no key file')
    .option('--host-key-policy <policy>', 'for new hosts: strict | accept-new | off')
    .action(async (file: string, options) => {
      const { importHostsCommand } = await import('./hosts-import.ts');
      await withHostsDeps('use POST /v1/hosts', (deps) => importHostsCommand(deps, file, options));
    });
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('the fleet’s inventory, or one host’s, now or as of an instant')
    .option('--format <format>', 'csv | json | cyclonedx (required)')
    .option('--host <host>', 'one host, by name or id (default: every host)')
    .option('--as-of <instant>', 'ISO 8601 instant or date: the facts valid then (default: now)')
    .option(
      '--output <path>',
      'a file (default: stdout); for cyclonedx without --host, a directory (one BOM per host)',
    )
    .action(async (options) => {
      const { exportCommand } = await import('./export.ts');
      await withHostsDeps('use GET /v1/hosts/{id}/export', ({ sql, io }) =>
        exportCommand({ sql, io }, options),
      );
    });
}
