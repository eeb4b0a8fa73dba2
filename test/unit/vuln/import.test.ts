// Reading OSV sources: a file, a directory tree, a zip with stored and deflated members, and
// the errors for what is not JSON or not a zip.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readOsvSource, readZip, ZipFormatError } from '../../../vuln/import.ts';

const OSV_DIR = path.resolve(import.meta.dirname, '../../../../shared/fixtures/osv');
const USN = 'ubuntu-18.04-20.04-22.04__USN-5614-1_wayland.json';

describe('readOsvSource', () => {
  it('reads one file', async () => {
    const { documents, errors } = await readOsvSource(path.join(OSV_DIR, USN));
    expect(errors).toEqual([]);
    expect(documents.map((d) => [d.name, (d.json as { id: string }).id])).toEqual([
      [USN, 'USN-5614-1'],
    ]);
  });

  it('reads a directory recursively, in name order, reporting files that are not JSON', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'osv-dir-'));
    mkdirSync(path.join(dir, 'nested'));
    writeFileSync(path.join(dir, 'b.json'), readFileSync(path.join(OSV_DIR, USN)));
    writeFileSync(path.join(dir, 'nested', 'a.json'), '[]');
    writeFileSync(path.join(dir, 'bad.json'), '{');
    writeFileSync(path.join(dir, 'README.md'), '# not read');
    const { documents, errors } = await readOsvSource(dir);
    expect(documents.map((d) => d.name)).toEqual(['b.json', path.join('nested', 'a.json')]);
    expect(errors.map((e) => e.id)).toEqual(['bad.json']);
  });

  it('reads a fixture directory: 13 records', async () => {
    const { documents, errors } = await readOsvSource(OSV_DIR);
    expect(errors).toEqual([]);
    expect(documents).toHaveLength(13);
  });
});

describe('readZip', () => {
  it('reads stored and deflated members as zip(1) writes them', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'osv-zip-'));
    const text = readFileSync(path.join(OSV_DIR, USN), 'utf8');
    writeFileSync(path.join(dir, 'deflated.json'), text);
    writeFileSync(path.join(dir, 'stored.json'), '{"id":"X"}');
    execFileSync('zip', ['-q', '-9', 'a.zip', 'deflated.json'], { cwd: dir });
    execFileSync('zip', ['-q', '-0', 'a.zip', 'stored.json'], { cwd: dir });
    const entries = readZip(readFileSync(path.join(dir, 'a.zip')));
    expect(entries.map((e) => e.name)).toEqual(['deflated.json', 'stored.json']);
    expect(entries[0]?.data.toString('utf8')).toBe(text);
    expect(entries[1]?.data.toString('utf8')).toBe('{"id":"X"}');
  });

  it('refuses what is not a zip', () => {
    expect(() => readZip(Buffer.from('not a zip at all, just some bytes'))).toThrow(ZipFormatError);
  });
});
