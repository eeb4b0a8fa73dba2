// Reads a probe script the way the simulated host's shell would need to: the boundary, whether
// sudo is tried, the stderr tail size, and every `run <id> <mode> '<command>' &` line (a
// command may span lines inside its single quotes). Only the shape buildScript emits is read.

export const sectionModes = ['user', 'required', 'preferred'] as const;
export type SectionMode = (typeof sectionModes)[number];

export interface ScriptSection {
  id: string;
  mode: SectionMode;
  command: string;
}

export interface ParsedScript {
  boundary: string;
  /** The script tries `sudo -n` once (ScriptOptions.sudo). */
  sudo: boolean;
  /** `tail -c N` of each section's stderr file. */
  stderrTailBytes: number;
  sections: ScriptSection[];
}

export class ScriptParseError extends Error {
  override readonly name = 'ScriptParseError';
}

/** One shell word made only of '…' runs and \x escapes, from `start`; returns it and its end. */
function readQuotedWord(text: string, start: number): { word: string; end: number } {
  let word = '';
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw new ScriptParseError('unterminated single quote');
      word += text.slice(i + 1, close);
      i = close + 1;
    } else if (c === '\\') {
      const escaped = text[i + 1];
      if (escaped === undefined) throw new ScriptParseError('backslash at the end of the script');
      word += escaped;
      i += 2;
    } else if (c === ' ' || c === '\n' || c === '\t') {
      break;
    } else {
      throw new ScriptParseError(`unexpected ${JSON.stringify(c)} in a quoted command`);
    }
  }
  return { word, end: i };
}

const RUN_HEAD = /^run ([a-z0-9][a-z0-9.-]{0,63}) (user|required|preferred) /;

export function parseProbeScript(text: string): ParsedScript {
  const boundary = /^B=(HI[0-9a-f]{32})$/m.exec(text)?.[1];
  if (!boundary) throw new ScriptParseError('no B=<boundary> line');
  const sudoLine = /^S=0(.*)$/m.exec(text);
  if (!sudoLine) throw new ScriptParseError('no S= line');
  const tail = /tail -c (\d+) "\$e"/.exec(text)?.[1];
  const sections: ScriptSection[] = [];
  let pos = 0;
  while (pos < text.length) {
    const lineEnd = text.indexOf('\n', pos);
    const head = RUN_HEAD.exec(text.slice(pos, lineEnd < 0 ? undefined : lineEnd));
    if (head?.[1] && head[2]) {
      const { word, end } = readQuotedWord(text, pos + head[0].length);
      if (text.slice(end, end + 3) !== ' &\n') {
        throw new ScriptParseError(`run line of ${head[1]} does not end with " &"`);
      }
      sections.push({ id: head[1], mode: head[2] as SectionMode, command: word });
      pos = end + 3;
      continue;
    }
    if (lineEnd < 0) break;
    pos = lineEnd + 1;
  }
  if (sections.length === 0) throw new ScriptParseError('no run lines');
  return {
    boundary,
    sudo: sudoLine[1]?.includes('sudo -n') ?? false,
    stderrTailBytes: tail === undefined ? 400 : Number(tail),
    sections,
  };
}
