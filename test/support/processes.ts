// The processes of this machine, for tests that check nothing is left running (the dev hosts
// and the scripts under test run here).
import { readdirSync, readFileSync } from 'node:fs';

/** Live processes whose command line is `command` (zombies have none, so they do not count). */
export function processesRunning(command: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmdline === command) found.push(`${pid}: ${cmdline}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
