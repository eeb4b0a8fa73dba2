// `hostintel advisories import <file|dir|.zip>`: OSV records into the database
// (DATABASE_URL, else the embedded one), with a summary and each malformed record by id.
import { createSql } from '../sql/client.ts';
import { migrate } from '../sql/migrate.ts';
import { importOsvPath } from '../vuln/import.ts';
import type { Config } from './config.ts';

export class AdvisoryCommandError extends Error {
  override readonly name = 'AdvisoryCommandError';
}

export async function importAdvisoriesCommand(source: string, config: Config): Promise<void> {
  let url = config.databaseUrl;
  let stop = async () => {};
  if (!url) {
    const { startEmbedded } = await import('../sql/embedded.ts');
    const embedded = await startEmbedded(config.dataDir, () => {}).catch((error: unknown) => {
      throw new AdvisoryCommandError(
        `DATABASE_URL is not set and the embedded database under ${config.dataDir} cannot be ` +
          'opened (is `hostintel serve` running? Import with POST /v1/advisories instead)',
        { cause: error },
      );
    });
    url = embedded.url;
    stop = () => embedded.stop();
  }
  const sql = createSql(url, { max: 1 });
  try {
    await migrate(sql);
    const result = await importOsvPath(sql, source);
    for (const e of result.errors) process.stderr.write(`skipped ${e.id ?? '?'}: ${e.error}\n`);
    process.stdout.write(
      `imported ${result.imported}, updated ${result.updated}, ` +
        `unchanged ${result.skipped}, errors ${result.errors.length}\n`,
    );
    if (result.errors.length > 0) process.exitCode = 2;
  } finally {
    await sql.end({ timeout: 5 });
    await stop();
  }
}
