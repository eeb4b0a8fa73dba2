// Command-line values for the hosts commands: repeated options, key=value labels, numbers, and
// the API's zod issues told in terms of the flag that carried the value. The values themselves
// are checked by the API's own schemas (http/hosts/hosts.schemas.ts), never by a copy here.
import { UsageError } from './hosts-io.ts';

/** commander's accumulator for an option given several times. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--label env=prod --label role=db` → { env: 'prod', role: 'db' }. */
export function parseLabels(
  values: readonly string[] = [],
  flag = '--label',
): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} must be key=value, got ${JSON.stringify(value)}`);
    const key = value.slice(0, eq);
    if (key in labels) throw new UsageError(`${flag} ${key} is given twice`);
    labels[key] = value.slice(eq + 1);
  }
  return labels;
}

/** A whole number of the option; the schema then checks its range. */
export function parseInteger(value: string, flag: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

interface IssueLike {
  path: PropertyKey[];
  message: string;
  issues?: { message: string }[];
}

/**
 * The first zod issue as one line naming the flag: `flags` maps a body field (or a dotted
 * path such as `credential.privateKey`) to the option that set it. Messages name what was
 * expected, never the value (which may be a secret).
 */
export function describeIssue(
  issues: readonly IssueLike[],
  flags: Readonly<Record<string, string>>,
): string {
  const issue = issues[0];
  if (!issue) return 'invalid value';
  const path = issue.path.map(String);
  const dotted = path.join('.');
  const flag = flags[dotted] ?? flags[path.slice(0, 2).join('.')] ?? flags[path[0] ?? ''];
  const where = flag ?? dotted;
  // A label's key is named, so the operator sees which of several --label options it was.
  const key = path[0] === 'labels' && path[1] !== undefined ? ` ${path[1]}` : '';
  const message = issue.issues?.[0]?.message ?? issue.message;
  return `invalid ${where}${key}: ${message}`;
}
