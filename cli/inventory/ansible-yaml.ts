// Ansible's YAML inventory format: top-level keys are groups (usually just `all`), each with
// optional `hosts` (host pattern → vars), `vars` and `children` (more groups, nested). Parsed
// as YAML 1.1 like Ansible's PyYAML loader, walking the syntax tree so that every error and
// every var keeps its line.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseDocument,
  type Document,
} from 'yaml';
import { AnsibleInventory, type AnsibleVar } from './ansible-model.ts';
import { expandRanges, HostPatternError, hasRange, splitHostPort } from './host-pattern.ts';
import { DEFAULT_FILE_NAME, type InventoryHost, type ParseOptions } from './types.ts';

interface Entry {
  key: string;
  value: YamlNode | null;
  line: number;
}

const GROUP_KEYS = new Set(['hosts', 'vars', 'children']);

export function parseAnsibleYaml(text: string, options: ParseOptions = {}): InventoryHost[] {
  const inventory = new AnsibleInventory(options.file ?? DEFAULT_FILE_NAME);
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    version: '1.1',
    merge: true,
    prettyErrors: false,
  });
  const firstError = doc.errors[0];
  if (firstError) {
    // An error that points at a line's end (e.g. a bad indent) is about the next line.
    const at = firstError.pos[0];
    const line = lines.linePos(text[at] === '\n' ? at + 1 : at).line;
    inventory.fail(line, `invalid YAML: ${firstError.message.split('\n')[0]}`);
  }
  const walker = new Walker(inventory, doc, lines);
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) {
    inventory.fail(walker.lineOf(root), 'an inventory must be a mapping of group names');
  }
  for (const entry of walker.entries(root as YamlNode)) walker.group(entry.key, entry, null);
  return inventory.resolve(options.onNotice);
}

class Walker {
  constructor(
    private readonly inventory: AnsibleInventory,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  lineOf(node: YamlNode | null | undefined): number {
    const offset = node?.range?.[0];
    return offset === undefined ? 1 : this.lines.linePos(offset).line;
  }

  /** A mapping's entries with aliases and `<<` merge keys resolved; explicit keys win. */
  entries(node: YamlNode): Entry[] {
    const map = this.resolve(node);
    if (!isMap(map)) return [];
    const explicit: Entry[] = [];
    const merged: Entry[] = [];
    for (const pair of map.items) {
      const keyNode = pair.key as YamlNode | null;
      const line = this.lineOf(keyNode);
      if (!isScalar(keyNode)) this.inventory.fail(line, 'mapping keys must be plain values');
      const raw = (keyNode as { value: unknown }).value;
      // With `merge: true` the parser marks a `<<` key with a symbol.
      const isMerge = raw === '<<' || (typeof raw === 'symbol' && raw.description === '<<');
      const key = String(raw);
      const value = (pair.value as YamlNode | null) ?? null;
      if (isMerge) {
        const sources = isSeq(this.resolve(value))
          ? (this.resolve(value) as { items: unknown[] }).items
          : [value];
        for (const source of sources) merged.push(...this.entries(source as YamlNode));
      } else {
        explicit.push({ key, value, line });
      }
    }
    const seen = new Set(explicit.map((e) => e.key));
    return [...merged.filter((e) => !seen.has(e.key)), ...explicit];
  }

  group(name: string, at: Entry, parent: string | null): void {
    this.inventory.group(name, at.line);
    if (parent !== null) this.inventory.addChild(parent, name, at.line);
    const body = this.resolve(at.value);
    if (this.isEmpty(body)) return;
    if (!isMap(body)) {
      this.inventory.fail(
        this.lineOf(body) || at.line,
        `group "${name}" must be a mapping with hosts, vars or children`,
      );
    }
    for (const entry of this.entries(body as YamlNode)) {
      if (!GROUP_KEYS.has(entry.key)) {
        this.inventory.fail(
          entry.line,
          `unexpected key "${entry.key}" in group "${name}": only hosts, vars and children are allowed`,
        );
      }
      const value = this.resolve(entry.value);
      if (this.isEmpty(value)) continue;
      if (!isMap(value)) {
        this.inventory.fail(
          this.lineOf(value),
          `"${entry.key}" of group "${name}" must be a mapping, not a ${isSeq(value) ? 'list' : 'value'}`,
        );
      }
      if (entry.key === 'hosts') this.hosts(name, value as YamlNode);
      else if (entry.key === 'vars') {
        for (const v of this.entries(value as YamlNode)) {
          this.inventory.setGroupVar(name, v.key, this.variable(v));
        }
      } else {
        for (const child of this.entries(value as YamlNode)) this.group(child.key, child, name);
      }
    }
  }

  private hosts(group: string, node: YamlNode): void {
    for (const entry of this.entries(node)) {
      let names: string[];
      let port: number | null;
      try {
        const split = splitHostPort(entry.key);
        port = split.port;
        names = hasRange(split.host) ? expandRanges(split.host) : [split.host];
      } catch (error) {
        if (!(error instanceof HostPatternError)) throw error;
        this.inventory.fail(entry.line, `${entry.key}: ${error.message}`);
      }
      const body = this.resolve(entry.value);
      if (!this.isEmpty(body) && !isMap(body)) {
        this.inventory.fail(
          this.lineOf(body),
          `host "${entry.key}" must map to its vars (a mapping) or to nothing`,
        );
      }
      const vars = this.isEmpty(body) ? [] : this.entries(body as YamlNode);
      for (const name of names) {
        this.inventory.addHost(name, entry.line, group);
        if (port !== null) {
          this.inventory.setHostVar(name, 'ansible_port', { value: port, line: entry.line });
        }
        for (const v of vars) this.inventory.setHostVar(name, v.key, this.variable(v));
      }
    }
  }

  private variable(entry: Entry): AnsibleVar {
    const node = this.resolve(entry.value);
    if (node === null) return { value: null, line: entry.line };
    if (isScalar(node)) {
      const vault = node.tag === '!vault';
      const value = node.value;
      if (value === null || typeof value === 'string' || typeof value === 'boolean') {
        return { value, line: entry.line, vault };
      }
      if (typeof value === 'number' || typeof value === 'bigint') {
        return { value: Number(value), line: entry.line, vault };
      }
    }
    return { value: { structured: true }, line: entry.line };
  }

  private resolve(node: YamlNode | null | undefined): YamlNode | null {
    let current: unknown = node ?? null;
    for (let hops = 0; isAlias(current) && hops < 100; hops++) {
      current = current.resolve(this.doc) ?? null;
    }
    return current as YamlNode | null;
  }

  private isEmpty(node: YamlNode | null): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }
}
