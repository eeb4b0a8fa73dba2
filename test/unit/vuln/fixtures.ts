// Reads the shared fixtures (the checkout's sibling ../shared/fixtures) used by the vuln tests.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const sharedFixtures = path.resolve(import.meta.dirname, '../../../../shared/fixtures');

export const readFixture = (relative: string): string =>
  readFileSync(path.join(sharedFixtures, relative), 'utf8');

export const listFixtures = (directory: string): string[] =>
  readdirSync(path.join(sharedFixtures, directory)).sort();

export type Vector = {
  readonly line: number;
  readonly a: string;
  readonly b: string;
  readonly expected: -1 | 0 | 1;
  readonly text: string;
};

/** The osv-scalibr vector files: `<a> <op> <b>` lines, `#` comments, blank separators. */
export function readVectors(relative: string): Vector[] {
  const vectors: Vector[] = [];
  readFixture(relative)
    .split('\n')
    .forEach((raw, index) => {
      const text = raw.trim();
      if (text === '' || text.startsWith('#')) return;
      const fields = text.split(' ');
      const [a, op, b] = fields;
      if (fields.length !== 3 || a === undefined || b === undefined) {
        throw new Error(`${relative}:${index + 1}: not "<a> <op> <b>": ${text}`);
      }
      const expected = op === '<' ? -1 : op === '=' ? 0 : op === '>' ? 1 : null;
      if (expected === null) throw new Error(`${relative}:${index + 1}: unknown operator ${op}`);
      vectors.push({ line: index + 1, a, b, expected, text });
    });
  return vectors;
}
