// `hostintel hosts list` as a table: one row per host, columns padded to their widest cell.
import type { HostRow } from '../sql/hosts.ts';

// Stored values were validated, but a terminal must never receive escape sequences from data.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function cell(text: string): string {
  return text.replace(CONTROL, '?');
}

/** Columns separated by two spaces; the last column is not padded. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export function hostsTable(hosts: readonly HostRow[]): string {
  const withJump = hosts.some((h) => h.jumpHost);
  const header = ['NAME', 'ADDRESS', 'PORT', 'USER', ...(withJump ? ['VIA'] : [])];
  header.push('GROUPS', 'LABELS', 'ENABLED', 'ID');
  const rows = hosts.map((h) =>
    [
      h.name,
      h.address,
      String(h.port),
      h.username,
      ...(withJump ? [h.jumpHost ?? '-'] : []),
      h.groups.join(',') || '-',
      Object.entries(h.labels)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '-',
      h.enabled ? 'yes' : 'no',
      h.id,
    ].map(cell),
  );
  return formatTable(header, rows);
}
