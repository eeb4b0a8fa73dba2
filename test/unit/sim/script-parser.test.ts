// The simulator reads hostintel's real probe script: every section of every collector must
// come back with its id, mode and exact command text, whatever quotes or newlines it holds.
import { describe, expect, it } from 'vitest';
import { collectors } from '../../../collectors/registry.ts';
import { buildScript } from '../../../collectors/script.ts';
import type { CommandSpec } from '../../../collectors/types.ts';
import { parseProbeScript, ScriptParseError } from '../../sim/script-parser.ts';

const allCommands = collectors.flatMap((c) => c.commands);
const options = { sudo: true, sectionTimeoutS: 30, sectionMaxBytes: 8 << 20, stderrTailBytes: 400 };

describe('parseProbeScript', () => {
  it('reads back every command of the registry, in order', () => {
    const script = buildScript(allCommands, options);
    const parsed = parseProbeScript(script.text);
    expect(parsed.boundary).toBe(script.boundary);
    expect(parsed.sections).toEqual(
      allCommands.map((c) => ({ id: c.id, mode: c.root ?? 'user', command: c.command })),
    );
    // Commands with single quotes and multi-line ones are among them.
    expect(allCommands.some((c) => c.command.includes("'"))).toBe(true);
    expect(allCommands.some((c) => c.command.includes('\n'))).toBe(true);
  });

  it('tells whether the script tries sudo, and its stderr tail size', () => {
    const withSudo = parseProbeScript(buildScript(allCommands, options).text);
    const without = parseProbeScript(
      buildScript(allCommands, { ...options, sudo: false, stderrTailBytes: 123 }).text,
    );
    expect(withSudo.sudo).toBe(true);
    expect(withSudo.stderrTailBytes).toBe(400);
    expect(without.sudo).toBe(false);
    expect(without.stderrTailBytes).toBe(123);
  });

  it("keeps quotes, backslashes and '\\'' sequences exactly", () => {
    const tricky: CommandSpec[] = [
      { id: 'x.quotes', command: `printf '%s\\n' "it's" '\\'`, why: 't' },
      { id: 'x.lines', command: 'a=\'1\'\nb="2"\n echo "$a\'$b" &', root: 'required', why: 't' },
      { id: 'x.empty-quotes', command: "echo '' ''''", root: 'preferred', why: 't' },
    ];
    const parsed = parseProbeScript(buildScript(tricky, options).text);
    expect(parsed.sections.map((s) => [s.id, s.mode, s.command])).toEqual(
      tricky.map((c) => [c.id, c.root ?? 'user', c.command]),
    );
  });

  it('refuses what is not a probe script', () => {
    expect(() => parseProbeScript('echo hello\n')).toThrow(ScriptParseError);
    const text = buildScript(allCommands, options).text;
    expect(() => parseProbeScript(text.replace(/ &\n/, '\n'))).toThrow(ScriptParseError);
  });
});
