// Helpers every parser uses to read its sections safely.
import {
  NeedsPrivilegeError,
  ParseError,
  SectionTimeoutError,
  UnsupportedError,
} from './errors.ts';
import type { Section, Sections } from './types.ts';

export const NOT_FOUND = 127;
export const TIMED_OUT = 124;

/** The section's stdout when it ran to a successful end; otherwise the matching error. */
export function okOutput(sections: Sections, id: string): string {
  const section = sections.get(id);
  if (!section) throw new ParseError(`section ${id} is missing from the probe output`);
  return checked(section).stdout;
}

/** Like okOutput but undefined when the tool is absent or was denied (optional extras). */
export function optionalOutput(sections: Sections, id: string): string | undefined {
  const section = sections.get(id);
  if (!section || section.privilegeDenied || section.exitCode !== 0 || section.truncated) {
    return undefined;
  }
  return section.stdout;
}

/** True when the section ran and its tool exists (any exit status but 127). */
export function toolPresent(sections: Sections, id: string): boolean {
  const section = sections.get(id);
  // A missing section means the probe output was cut short, not that the tool is absent.
  if (!section) throw new ParseError(`section ${id} is missing from the probe output`);
  return section.exitCode !== NOT_FOUND && section.exitCode !== null;
}

function checked(section: Section): Section {
  if (section.privilegeDenied) {
    throw new NeedsPrivilegeError(`${section.id} needs root and sudo -n is not available`);
  }
  if (section.exitCode === TIMED_OUT) throw new SectionTimeoutError(`${section.id} timed out`);
  if (section.exitCode === NOT_FOUND) {
    throw new UnsupportedError(`${section.id}: command not found on this host`);
  }
  if (section.truncated) throw new ParseError(`${section.id}: output exceeded its byte cap`);
  if (section.exitCode !== 0) {
    const tail = section.stderrTail.trim().split('\n').pop() ?? '';
    throw new ParseError(`${section.id} exited ${section.exitCode}${tail ? `: ${tail}` : ''}`);
  }
  return section;
}

/** Build a Sections map from plain stdout strings (tests and the simulator). */
export function sectionsOf(outputs: Record<string, string | Partial<Section>>): Sections {
  const map = new Map<string, Section>();
  for (const [id, value] of Object.entries(outputs)) {
    const base: Section = {
      id,
      exitCode: 0,
      stdout: '',
      stderrTail: '',
      truncated: false,
      privilegeDenied: false,
    };
    map.set(id, typeof value === 'string' ? { ...base, stdout: value } : { ...base, ...value });
  }
  return map;
}
