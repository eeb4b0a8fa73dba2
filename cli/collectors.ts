// `hostintel collectors`: the privacy allowlist, exactly as the probe uses it.
import { allowlist } from '../collectors/registry.ts';

export function printAllowlist(json: boolean): void {
  const list = allowlist();
  if (json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }
  for (const entry of list) {
    process.stdout.write(
      `${entry.collector} — ${entry.description} (facts: ${entry.kinds.join(', ') || 'metrics only'})\n`,
    );
    for (const cmd of entry.commands) {
      const root = cmd.root ? ` [root ${cmd.root}]` : '';
      process.stdout.write(
        `  ${cmd.id}${root}: ${cmd.why}\n    $ ${cmd.command.replaceAll('\n', '\n      ')}\n`,
      );
    }
  }
}
