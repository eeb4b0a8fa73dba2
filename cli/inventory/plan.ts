// What an import would do to the registered hosts, for the dry run and for the import itself:
// hosts are matched by name; the inventory's values replace the registered ones, except a
// username the inventory does not give. Registered hosts missing from the inventory are left
// alone (an import never removes hosts).
import type { InventoryHost } from './types.ts';

export interface ExistingHost {
  name: string;
  address: string;
  port: number;
  username: string;
  labels: Readonly<Record<string, string>>;
  /** Compared only when given. */
  groups?: readonly string[];
  /** Compared only when given (null: no jump host). */
  jumpHost?: string | null;
}

export type PlannedField = 'address' | 'port' | 'username' | 'labels' | 'groups' | 'jumpHost';

export interface FieldChange {
  field: PlannedField;
  from: unknown;
  to: unknown;
}

export interface ImportPlan {
  add: InventoryHost[];
  update: { name: string; host: InventoryHost; changes: FieldChange[] }[];
  unchanged: InventoryHost[];
}

export function planImport(
  existing: readonly ExistingHost[],
  incoming: readonly InventoryHost[],
): ImportPlan {
  const byName = new Map(existing.map((h) => [h.name, h]));
  const seen = new Set<string>();
  const plan: ImportPlan = { add: [], update: [], unchanged: [] };
  for (const host of incoming) {
    if (seen.has(host.name)) throw new Error(`the inventory lists ${host.name} twice`);
    seen.add(host.name);
    const current = byName.get(host.name);
    if (!current) {
      plan.add.push(host);
      continue;
    }
    const changes = diff(current, host);
    if (changes.length === 0) plan.unchanged.push(host);
    else plan.update.push({ name: host.name, host, changes });
  }
  return plan;
}

function diff(current: ExistingHost, host: InventoryHost): FieldChange[] {
  const changes: FieldChange[] = [];
  const compare = (field: PlannedField, from: unknown, to: unknown) => {
    if (canonical(from) !== canonical(to)) changes.push({ field, from, to });
  };
  compare('address', current.address, host.address);
  compare('port', current.port, host.port);
  if (host.username !== null) compare('username', current.username, host.username);
  compare('labels', current.labels, host.labels);
  if (current.groups !== undefined) compare('groups', current.groups, host.groups);
  if (current.jumpHost !== undefined) compare('jumpHost', current.jumpHost, host.proxyJump);
  return changes;
}

/** Order-insensitive for labels and groups: {a,b} equals {b,a}. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return JSON.stringify([...value].sort());
  if (value !== null && typeof value === 'object') {
    return JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return JSON.stringify(value);
}

/** The dry run as lines: `+` added, `~` changed (field: old → new), and a count of the rest. */
export function formatPlan(plan: ImportPlan): string[] {
  const lines: string[] = [];
  for (const host of plan.add) {
    const user = host.username ? `${host.username}@` : '';
    const groups = host.groups.length > 0 ? ` groups: ${host.groups.join(',')}` : '';
    const jump = host.proxyJump ? ` via ${host.proxyJump}` : '';
    lines.push(`+ ${host.name} (${user}${host.address}:${host.port}${jump})${groups}`);
  }
  for (const { name, changes } of plan.update) {
    const parts = changes.map((c) => `${c.field} ${show(c.from)} → ${show(c.to)}`);
    lines.push(`~ ${name}: ${parts.join('; ')}`);
  }
  lines.push(
    `${plan.add.length} to add, ${plan.update.length} to change, ${plan.unchanged.length} unchanged`,
  );
  return lines;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return `[${value.join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${k}=${String(v)}`).join(',')}}`;
  }
  return String(value);
}
