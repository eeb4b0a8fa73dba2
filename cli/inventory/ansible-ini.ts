// Ansible's INI inventory format, which is not INI: host lines carry inline `key=value` vars
// and are split like a shell command line (quotes, `#` comments); sections are `[group]`,
// `[group:vars]` and `[group:children]`; a `:vars` or `:children` reference to a group that
// is never declared is an error, as it is for ansible-inventory.
import { AnsibleInventory, type AnsibleValue, isTemplate } from './ansible-model.ts';
import { expandRanges, HostPatternError, hasRange, splitHostPort } from './host-pattern.ts';
import { ShellWordsError, splitWords } from './shell-words.ts';
import {
  DEFAULT_FILE_NAME,
  type InventoryHost,
  InventoryError,
  type ParseOptions,
} from './types.ts';

type SectionKind = 'hosts' | 'vars' | 'children';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/;
const GROUP_LINE = /^([^:\]\s]+)\s*(?:#.*)?$/;

export function parseAnsibleIni(text: string, options: ParseOptions = {}): InventoryHost[] {
  const inventory = new AnsibleInventory(options.file ?? DEFAULT_FILE_NAME);
  const fail = (line: number, reason: string): never => inventory.fail(line, reason);
  // A group exists once a [group] or [group:children] section declares it; [group:vars] and
  // :children entries may refer to it before that, but not without it.
  const declared = new Set(['all', 'ungrouped']);
  const references: { group: string; line: number; reason: string }[] = [];
  const children: { parent: string; child: string; line: number }[] = [];
  let group = 'ungrouped';
  let kind: SectionKind = 'hosts';

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNo = index + 1;
    const line = (lines[index] as string).trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;

    const section = SECTION.exec(line);
    if (section) {
      group = section[1] as string;
      const tag = section[2] ?? 'hosts';
      if (tag !== 'hosts' && tag !== 'vars' && tag !== 'children') {
        fail(
          lineNo,
          `section [${group}:${tag}] has an unknown type "${tag}" (hosts, vars or children)`,
        );
      }
      kind = tag as SectionKind;
      inventory.group(group, lineNo);
      if (kind === 'vars') {
        references.push({
          group,
          line: lineNo,
          reason: `section [${group}:vars] is for a group that is never declared`,
        });
      } else {
        declared.add(group);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      fail(lineNo, `invalid section ${line}: group names cannot contain spaces, ":" or "]"`);
    }

    if (kind === 'hosts') {
      hostLine(inventory, line, lineNo, group);
    } else if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq === -1)
        fail(lineNo, `expected key=value in [${group}:vars], got ${JSON.stringify(line)}`);
      const key = line.slice(0, eq).trim();
      if (!key) fail(lineNo, `a variable needs a name: ${JSON.stringify(line)}`);
      inventory.setGroupVar(group, key, {
        value: parseValue(line.slice(eq + 1).trim()),
        line: lineNo,
      });
    } else {
      const child = GROUP_LINE.exec(line)?.[1];
      if (!child)
        fail(lineNo, `expected a group name in [${group}:children], got ${JSON.stringify(line)}`);
      const name = child as string;
      references.push({
        group: name,
        line: lineNo,
        reason: `section [${group}:children] names group "${name}", which is never declared`,
      });
      children.push({ parent: group, child: name, line: lineNo });
    }
  }

  const undeclared = references.find((r) => !declared.has(r.group));
  if (undeclared) fail(undeclared.line, undeclared.reason);
  for (const { parent, child, line } of children) inventory.addChild(parent, child, line);
  return inventory.resolve(options.onNotice);
}

function hostLine(inventory: AnsibleInventory, line: string, lineNo: number, group: string): void {
  const fail = (reason: string): never => inventory.fail(lineNo, reason);
  let tokens: string[];
  try {
    tokens = splitWords(line, 'anywhere');
  } catch (error) {
    if (!(error instanceof ShellWordsError)) throw error;
    throw new InventoryError(inventory.file, lineNo, `cannot parse host line: ${error.message}`, {
      cause: error,
    });
  }
  const [pattern, ...assignments] = tokens;
  if (pattern === undefined) return;
  let names: string[];
  let port: number | null;
  try {
    const split = splitHostPort(pattern);
    port = split.port;
    names = hasRange(split.host) ? expandRanges(split.host) : [split.host];
  } catch (error) {
    if (!(error instanceof HostPatternError)) throw error;
    throw new InventoryError(inventory.file, lineNo, `${pattern}: ${error.message}`, {
      cause: error,
    });
  }
  const vars: [string, AnsibleValue][] = [];
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) fail(`expected key=value after the host name, got ${JSON.stringify(assignment)}`);
    vars.push([assignment.slice(0, eq), parseValue(assignment.slice(eq + 1))]);
  }
  for (const name of names) {
    inventory.addHost(name, lineNo, group);
    // A `host:port` pattern sets the host's ansible_port; an inline ansible_port overrides it.
    if (port !== null) inventory.setHostVar(name, 'ansible_port', { value: port, line: lineNo });
    for (const [key, value] of vars) inventory.setHostVar(name, key, { value, line: lineNo });
  }
}

/**
 * What Ansible's ast.literal_eval makes of a value: quoted strings lose their quotes, numbers
 * and True/False/None become typed, lists and dicts are structured (never labels).
 */
export function parseValue(raw: string): AnsibleValue {
  const quoted = /^(['"])(.*)\1$/s.exec(raw);
  if (quoted) {
    const [, quote, inner = ''] = quoted;
    // A quote of the same kind inside, unescaped, means it was not one literal after all.
    if (!new RegExp(`(^|[^\\\\])${quote}`).test(inner)) {
      return inner.replace(/\\(['"\\])/g, '$1');
    }
  }
  if (/^[-+]?\d+$/.test(raw)) return Number(raw);
  if (/^[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'True') return true;
  if (raw === 'False') return false;
  if (raw === 'None') return null;
  // `{{ … }}` is a Jinja2 template, which literal_eval leaves as a string.
  if (/^[[{(].*[\]})]$/s.test(raw) && !isTemplate(raw)) return { structured: true };
  return raw;
}
