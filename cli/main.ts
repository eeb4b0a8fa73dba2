// The `hostintel` command. Each subcommand lives in its own module; errors print one line.
import { Command } from 'commander';
import { ConfigError, loadConfig } from './config.ts';
import { registerExportCommand, registerHostsCommands } from './hosts-commands.ts';

const program = new Command()
  .name('hostintel')
  .description('Agentless host intelligence for Linux fleets')
  .showHelpAfterError('(add --help for usage)');

program
  .command('serve')
  .description('run the API and the probe runner (embedded PostgreSQL when DATABASE_URL is unset)')
  .option('--role <role>', 'all | runner | api', 'all')
  .action(async (options: { role: string }) => {
    const { serve, serveRoles } = await import('./serve.ts');
    const role = serveRoles.find((r) => r === options.role);
    if (!role) throw new Error(`--role must be one of ${serveRoles.join(', ')}`);
    await serve(loadConfig(), role);
  });

program
  .command('probe')
  .description(
    'probe one host once and print what it reports (no database needed), or with --all ' +
      'every enabled registered host, storing the results',
  )
  .argument('[destination]', 'user@host[:port]')
  .option('--all', 'probe every enabled registered host (progress on stderr)')
  .option('--concurrency <n>', 'with --all: probes at once (default HOSTINTEL_PROBE_CONCURRENCY)')
  .option('-i, --identity <file>', 'private key file (default: ssh-agent)')
  .option('--sudo', 'run the allowlisted root commands through sudo -n')
  .option('--host-key-policy <policy>', 'strict | accept-new | off (default accept-new)')
  .option('--known-hosts <file>', 'known_hosts file to verify against (default ~/.ssh/known_hosts)')
  .option('--collectors <names>', 'comma-separated collectors to run (default: all)')
  .option('--json', 'print JSON')
  .action(async (destination: string | undefined, options) => {
    const probe = await import('./probe.ts');
    probe.checkProbeArguments(destination, options);
    if (options.all) await probe.runProbeAllCommand(options, loadConfig());
    else await probe.runProbeCommand(destination as string, options);
  });

registerHostsCommands(program);
registerExportCommand(program);

program
  .command('collectors')
  .description('print the allowlist: every collector and the exact commands it may run')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const { printAllowlist } = await import('./collectors.ts');
    printAllowlist(options.json ?? false);
  });

const tokens = program.command('tokens').description('manage API tokens');
tokens
  .command('create')
  .description(
    'create an API token and print it once (uses DATABASE_URL, else the embedded database)',
  )
  .requiredOption('--role <role>', 'viewer | operator | admin')
  .option('--name <name>', 'what the token is for')
  .action(async (options: { role: string; name?: string }) => {
    const { createTokenCommand } = await import('./tokens.ts');
    await createTokenCommand(options, loadConfig());
  });

program
  .command('advisories')
  .description('vulnerability advisories (OSV)')
  .command('import <path>')
  .description('import OSV records from a .json file, a directory or an OSV .zip')
  .action(async (source: string) => {
    const { importAdvisoriesCommand } = await import('./advisories.ts');
    await importAdvisoriesCommand(source, loadConfig());
  });

try {
  await program.parseAsync();
} catch (error) {
  const known = error instanceof Error && error.name !== 'Error';
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`hostintel: ${message}\n`);
  if (!known && !(error instanceof ConfigError) && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exit(1);
}
