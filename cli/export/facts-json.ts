// Facts as one JSON object by kind, the shape `hostintel probe --json` prints and the JSON
// export repeats per host: a kind that has one fact per host (os, cpu, memory, dns) is an
// object, every other kind a list under its plural camelCase name (package → packages).

const SINGLE = new Set(['os', 'cpu', 'memory', 'dns']);

export function pluralKind(kind: string): string {
  if (SINGLE.has(kind) || kind === 'firewall') return kind;
  const camel = kind.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return camel.endsWith('s') ? camel : `${camel}s`;
}

export function groupFacts(
  facts: Iterable<{ readonly kind: string; readonly value: unknown }>,
): Record<string, unknown> {
  const grouped: Record<string, unknown> = {};
  for (const fact of facts) {
    const group = pluralKind(fact.kind);
    if (SINGLE.has(fact.kind)) {
      grouped[group] = fact.value;
    } else {
      const list = (grouped[group] as unknown[] | undefined) ?? [];
      list.push(fact.value);
      grouped[group] = list;
    }
  }
  return grouped;
}
