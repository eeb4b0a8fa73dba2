// `hostintel advisories import <file|dir|.zip>`: OSV records into the database
// (DATABASE_URL, else the embedded one), with a summary and each malformed record by id.
import { importOsvPath } from '../vuln/import.ts';
import type { Config } from './config.ts';
import { withDatabase } from './database.ts';

export async function importAdvisoriesCommand(source: string, config: Config): Promise<void> {
  await withDatabase(config, 'import with POST /v1/advisories', async (sql) => {
    const result = await importOsvPath(sql, source);
    for (const e of result.errors) process.stderr.write(`skipped ${e.id ?? '?'}: ${e.error}\n`);
    process.stdout.write(
      `imported ${result.imported}, updated ${result.updated}, ` +
        `unchanged ${result.skipped}, errors ${result.errors.length}\n`,
    );
    if (result.errors.length > 0) process.exitCode = 2;
  });
}
