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
  .action(async () => {
    const { serve } = await import('./serve.ts');
    await serve(loadConfig());
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
