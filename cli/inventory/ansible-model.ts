// One Ansible inventory, whichever file format it came from: groups with their vars, children
// and hosts, hosts with their own vars, each remembered with the line that set it. Resolving
// it applies Ansible's variable precedence and turns each host into an InventoryHost.
import { HostPatternError, parsePort } from './host-pattern.ts';
import { proxyFromSshArgs } from './proxy.ts';
import {
  type InventoryHost,
  InventoryError,
  type InventoryNotice,
  DEFAULT_SSH_PORT,
} from './types.ts';
import {
  addressProblem,
  groupProblem,
  hostNameProblem,
  isLabelKey,
  isLabelValue,
  MAX_GROUPS,
  MAX_LABELS,
  usernameProblem,
} from './validate.ts';

export type AnsibleValue = string | number | boolean | null | { readonly structured: true };

export interface AnsibleVar {
  readonly value: AnsibleValue;
  readonly line: number;
  /** Encrypted with Ansible Vault (`!vault`): hostintel cannot read it. */
  readonly vault?: boolean;
}

interface GroupDef {
  readonly name: string;
  readonly line: number;
  readonly vars: Map<string, AnsibleVar>;
  /** Child group → the line that made it a child. */
  readonly children: Map<string, number>;
  readonly hosts: Set<string>;
}

interface HostDef {
  readonly name: string;
  readonly line: number;
  readonly vars: Map<string, AnsibleVar>;
}

const IMPLICIT_GROUPS = new Set(['all', 'ungrouped']);

// Connections hostintel can take over; ansible_connection=local, docker, winrm… are not SSH.
const SSH_CONNECTIONS = new Set([
  'ssh',
  'smart',
  'paramiko',
  'paramiko_ssh',
  'ansible.builtin.ssh',
]);

// Inventories keep secrets next to ordinary vars; labels are readable by every API viewer.
const SECRET_NAME = /pass|secret|token|credential|private|vault|api_?key|(^|_)key($|_)/i;

export class AnsibleInventory {
  readonly file: string;
  private readonly groups = new Map<string, GroupDef>();
  private readonly hosts = new Map<string, HostDef>();

  constructor(file: string) {
    this.file = file;
    this.group('all', 1);
    this.group('ungrouped', 1);
  }

  fail(line: number, reason: string): never {
    throw new InventoryError(this.file, line, reason);
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  /** The group, declared here if it is new. */
  group(name: string, line: number): GroupDef {
    const existing = this.groups.get(name);
    if (existing) return existing;
    const problem = groupProblem(name);
    if (problem) this.fail(line, problem);
    const created: GroupDef = {
      name,
      line,
      vars: new Map(),
      children: new Map(),
      hosts: new Set(),
    };
    this.groups.set(name, created);
    return created;
  }

  addHost(name: string, line: number, group: string): void {
    const problem = hostNameProblem(name);
    if (problem) this.fail(line, problem);
    if (!this.hosts.has(name)) this.hosts.set(name, { name, line, vars: new Map() });
    this.group(group, line).hosts.add(name);
  }

  setHostVar(host: string, key: string, value: AnsibleVar): void {
    this.hosts.get(host)?.vars.set(key, value);
  }

  setGroupVar(group: string, key: string, value: AnsibleVar): void {
    this.group(group, value.line).vars.set(key, value);
  }

  addChild(parent: string, child: string, line: number): void {
    if (child === 'all') this.fail(line, `group "all" cannot be a child of "${parent}"`);
    if (child === parent) this.fail(line, `group "${parent}" cannot be its own child`);
    const group = this.group(parent, line);
    if (!group.children.has(child)) group.children.set(child, line);
  }

  /** Every host with its resolved connection settings, groups and labels, in file order. */
  resolve(onNotice?: (notice: InventoryNotice) => void): InventoryHost[] {
    this.checkAcyclic();
    const parents = this.parentsOf();
    const depth = new Map<string, number>();
    const depthOf = (group: string): number => {
      const known = depth.get(group);
      if (known !== undefined) return known;
      const ofParents = [...(parents.get(group) ?? [])].map(depthOf);
      const value = group === 'all' ? 0 : Math.max(0, ...ofParents) + 1;
      depth.set(group, value);
      return value;
    };
    const memberships = new Map<string, Set<string>>();
    for (const group of this.groups.values()) {
      for (const host of group.hosts) {
        const set = memberships.get(host) ?? new Set<string>();
        set.add(group.name);
        memberships.set(host, set);
      }
    }

    const result: InventoryHost[] = [];
    for (const host of this.hosts.values()) {
      const direct = memberships.get(host.name) ?? new Set<string>();
      // As Ansible reconciles it: a host in a real group is not "ungrouped".
      if ([...direct].some((g) => !IMPLICIT_GROUPS.has(g))) direct.delete('ungrouped');
      else direct.add('ungrouped');
      const all = new Set<string>(['all']);
      const queue = [...direct];
      while (queue.length > 0) {
        const group = queue.pop() as string;
        if (all.has(group)) continue;
        all.add(group);
        queue.push(...(parents.get(group) ?? []));
      }
      const ordered = [...all].sort(
        (a, b) =>
          depthOf(a) - depthOf(b) ||
          this.priorityOf(a) - this.priorityOf(b) ||
          (a < b ? -1 : a > b ? 1 : 0),
      );
      const vars = new Map<string, AnsibleVar>();
      for (const group of ordered) {
        for (const [key, value] of this.groups.get(group)?.vars ?? []) vars.set(key, value);
      }
      for (const [key, value] of host.vars) vars.set(key, value);
      const resolved = this.toInventoryHost(host, vars, ordered, onNotice);
      if (resolved) result.push(resolved);
    }
    return result;
  }

  private priorityOf(group: string): number {
    const value = this.groups.get(group)?.vars.get('ansible_group_priority')?.value;
    const number = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(number) ? number : 1;
  }

  /** child → its parents; a group nobody adopted is a child of `all`. */
  private parentsOf(): Map<string, Set<string>> {
    const parents = new Map<string, Set<string>>();
    for (const group of this.groups.values()) {
      for (const child of group.children.keys()) {
        const set = parents.get(child) ?? new Set<string>();
        set.add(group.name);
        parents.set(child, set);
      }
    }
    for (const name of this.groups.keys()) {
      if (name !== 'all' && !parents.has(name)) parents.set(name, new Set(['all']));
    }
    return parents;
  }

  private checkAcyclic(): void {
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]): void => {
      state.set(name, 'visiting');
      for (const [child, line] of this.groups.get(name)?.children ?? []) {
        const seen = state.get(child);
        if (seen === 'visiting') {
          const cycle = [...path.slice(path.indexOf(child)), name, child].join(' → ');
          this.fail(line, `group children form a cycle: ${cycle}`);
        }
        if (seen === undefined) visit(child, [...path, name]);
      }
      state.set(name, 'done');
    };
    for (const name of this.groups.keys()) if (!state.has(name)) visit(name, []);
  }

  private toInventoryHost(
    host: HostDef,
    vars: ReadonlyMap<string, AnsibleVar>,
    groups: readonly string[],
    onNotice?: (notice: InventoryNotice) => void,
  ): InventoryHost | null {
    const skip = (line: number, message: string) => {
      onNotice?.({ line, host: host.name, message: `${host.name} skipped: ${message}` });
      return null;
    };
    // Ansible reads several spellings of each setting; the one listed last in its ssh
    // plugin wins when a host has both.
    const connection = this.text(vars, ['ansible_connection']);
    if (connection && !SSH_CONNECTIONS.has(connection.value)) {
      return skip(connection.line, `ansible_connection=${connection.value} is not SSH`);
    }
    const addressVar = this.text(vars, ['ansible_host', 'ansible_ssh_host']);
    const address = addressVar?.value ?? host.name;
    const addressIssue = addressProblem(address);
    if (addressIssue) this.fail(addressVar?.line ?? host.line, addressIssue);

    const portVar = this.text(vars, ['ansible_port', 'ansible_ssh_port']);
    let port = DEFAULT_SSH_PORT;
    if (portVar) {
      try {
        port = parsePort(portVar.value);
      } catch (error) {
        if (!(error instanceof HostPatternError)) throw error;
        this.fail(portVar.line, `ansible_port: ${error.message}`);
      }
    }

    const userVar = this.text(vars, ['ansible_user', 'ansible_ssh_user']);
    const userIssue = userVar ? usernameProblem(userVar.value) : null;
    if (userVar && userIssue) this.fail(userVar.line, userIssue);

    const keyVar = this.text(vars, ['ansible_private_key_file', 'ansible_ssh_private_key_file']);

    let proxyJump: string | null = null;
    for (const name of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
      const args = this.text(vars, [name]);
      const proxy = args ? proxyFromSshArgs(args.value) : undefined;
      if (!args || !proxy) continue;
      if (proxy.kind === 'unsupported') return skip(args.line, `${name}: ${proxy.reason}`);
      proxyJump = proxy.kind === 'jump' ? proxy.jump : null;
      break;
    }

    const groupNames = groups.filter((g) => !IMPLICIT_GROUPS.has(g));
    if (groupNames.length > MAX_GROUPS) {
      this.fail(
        host.line,
        `${host.name} is in ${groupNames.length} groups (at most ${MAX_GROUPS})`,
      );
    }
    return {
      name: host.name,
      address,
      port,
      username: userVar?.value ?? null,
      identityFile: keyVar?.value ?? null,
      proxyJump,
      groups: groupNames.sort(),
      labels: this.labels(host, vars),
    };
  }

  /** The value of the last of `names` that is set, as text; templates and vault fail. */
  private text(
    vars: ReadonlyMap<string, AnsibleVar>,
    names: readonly string[],
  ): { value: string; line: number } | null {
    let found: { name: string; v: AnsibleVar } | null = null;
    for (const name of names) {
      const v = vars.get(name);
      if (v !== undefined && v.value !== null) found = { name, v };
    }
    if (!found) return null;
    const { name, v } = found;
    if (v.vault)
      this.fail(v.line, `${name} is encrypted with Ansible Vault, which hostintel cannot read`);
    if (typeof v.value === 'object') this.fail(v.line, `${name} must be a single value`);
    const value = String(v.value);
    if (isTemplate(value)) {
      this.fail(v.line, `${name} is a Jinja2 template (${value}), which hostintel cannot evaluate`);
    }
    return { value, line: v.line };
  }

  /**
   * Plain vars become labels (env=prod, role=db): scalar values under a label-shaped key, not
   * Ansible's own `ansible_*` settings, templates, vault values or anything named like a secret.
   */
  private labels(host: HostDef, vars: ReadonlyMap<string, AnsibleVar>): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const [key, v] of [...vars].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (key.startsWith('ansible_') || SECRET_NAME.test(key) || !isLabelKey(key)) continue;
      if (v.vault || v.value === null || typeof v.value === 'object') continue;
      const value = String(v.value);
      if (isTemplate(value) || !isLabelValue(value)) continue;
      labels[key] = value;
    }
    if (Object.keys(labels).length > MAX_LABELS) {
      this.fail(
        host.line,
        `${host.name} would get ${Object.keys(labels).length} labels from its vars (at most ${MAX_LABELS})`,
      );
    }
    return labels;
  }
}

export function isTemplate(value: string): boolean {
  return value.includes('{{') || value.includes('{%');
}
