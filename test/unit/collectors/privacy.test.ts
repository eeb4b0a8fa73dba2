// The privacy charter, checked on the allowlist itself: nothing that runs on a host may read
// password hashes, shell history, other processes' command lines or environments, or logs.
import { describe, expect, it } from 'vitest';
import { allowlist } from '../../../collectors/registry.ts';

const forbidden = [
  /shadow/,
  /gshadow/,
  /history/,
  /\/proc\/[^ ]*\/(cmdline|environ)/,
  /\/proc\/self\/environ/,
  /\b(printenv|env)\b(?!\s*=)/,
  /\/var\/log\b/,
  /journalctl/,
  /\bps\b.*\b(-ef|aux|args|command)\b/,
  /\.ssh\/id_/,
];

describe('privacy charter', () => {
  const commands = allowlist().flatMap((c) => c.commands);

  it('lists every command with a reason', () => {
    expect(commands.length).toBeGreaterThan(20);
    for (const command of commands) expect(command.why.length).toBeGreaterThan(5);
  });

  it.each(forbidden.map((p) => [p.source, p] as const))('no command matches %s', (_, pattern) => {
    const offenders = commands.filter((c) => pattern.test(c.command)).map((c) => c.id);
    expect(offenders).toEqual([]);
  });

  it('has unique section ids', () => {
    const ids = commands.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
