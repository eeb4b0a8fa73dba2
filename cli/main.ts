// The `hostintel` command. Each subcommand lives in its own module; errors print one line.
import { Command } from 'commander';
import { ConfigError, loadConfig } from './config.ts';

const program = new Command()
  .name('hostintel')
  .description('Agentless host intelligence for Linux fleets')
  .showHelpAfterError();

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
  .description('probe one host once and print what it reports (no database needed)')
  .argument('<destination>', 'user@host[:port]')
  .option('-i, --identity <file>', 'private key file (default: ssh-agent)')
  .option('--sudo', 'run the allowlisted root commands through sudo -n')
  .option('--host-key-policy <policy>', 'strict | accept-new | off', 'accept-new')
  .option('--known-hosts <file>', 'known_hosts file to verify against (default ~/.ssh/known_hosts)')
  .option('--collectors <names>', 'comma-separated collectors to run (default: all)')
  .option('--json', 'print one JSON object')
  .action(async (destination: string, options) => {
    const { runProbeCommand } = await import('./probe.ts');
    await runProbeCommand(destination, options);
  });

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
