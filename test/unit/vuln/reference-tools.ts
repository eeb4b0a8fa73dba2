// Drives the real dpkg and rpm on this machine in batches (one process per pair would take
// minutes): dpkg through two parallel `sh` loops, rpm through one Lua script run by `rpm --eval`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Ordering } from '../../../vuln/versions.ts';
import type { Pair } from './version-corpus.ts';

/** Fails (never skips) when a reference tool is missing, saying how to get it. */
export function requireTool(command: string, debianPackage: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(
      `${command} is not installed; these tests compare against the real ${command}: ` +
        `apt-get install ${debianPackage}`,
    );
  }
}

/** The dpkg relation that holds for a three-way answer. */
export const relationOf = (order: Ordering): 'lt' | 'eq' | 'gt' =>
  order < 0 ? 'lt' : order > 0 ? 'gt' : 'eq';

type ProcessResult = { stdout: string; stderr: string; code: number | null };

function run(command: string, args: readonly string[]): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/** Single-quotes for sh; the corpora never contain a quote, but stay safe. */
const shQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

export type DpkgCheck = {
  /** Indexes of the pairs for which `dpkg --compare-versions a <relation> b` was false. */
  failed: number[];
  /** Everything dpkg printed on stderr (warnings about bad syntax would show here). */
  stderr: string;
};

/**
 * Asks dpkg whether `a <relation> b` holds for each pair. Because lt, eq and gt exclude one
 * another, one dpkg call per pair confirms (or refutes) a three-way answer.
 */
export async function dpkgConfirms(
  pairs: readonly Pair[],
  relations: readonly ('lt' | 'eq' | 'gt')[],
  workers = 2,
): Promise<DpkgCheck> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostintel-dpkg-'));
  try {
    const scripts: string[] = [];
    for (let w = 0; w < workers; w++) {
      const lines: string[] = [];
      for (let i = w; i < pairs.length; i += workers) {
        const [a, b] = pairs[i] ?? ['', ''];
        const relation = relations[i];
        lines.push(`dpkg --compare-versions ${shQuote(a)} ${relation} ${shQuote(b)} || echo ${i}`);
      }
      const file = path.join(dir, `batch-${w}.sh`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      scripts.push(file);
    }
    const results = await Promise.all(scripts.map((file) => run('sh', [file])));
    const failed: number[] = [];
    let stderr = '';
    for (const result of results) {
      if (result.code !== 0) throw new Error(`dpkg batch exited ${result.code}: ${result.stderr}`);
      for (const line of result.stdout.split('\n')) if (line !== '') failed.push(Number(line));
      stderr += result.stderr;
    }
    return { failed: failed.sort((x, y) => x - y), stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** dpkg's own three-way answer for one pair (two calls at most); for reporting mismatches. */
export function dpkgOrder(a: string, b: string): Ordering | 'error' {
  const call = (relation: string): number | null =>
    spawnSync('dpkg', ['--compare-versions', a, relation, b]).status;
  const lt = call('lt');
  if (lt === 0) return -1;
  if (lt !== 1) return 'error';
  return call('eq') === 0 ? 0 : 1;
}

/** What `dpkg --compare-versions <version> lt 1` says about a version's syntax. */
export function dpkgSyntax(version: string): { exitCode: number | null; stderr: string } {
  const result = spawnSync('dpkg', ['--compare-versions', version, 'lt', '1'], {
    encoding: 'utf8',
  });
  return { exitCode: result.status, stderr: result.stderr };
}

/** Lua string literal made of decimal byte escapes: safe for any input. */
const luaString = (s: string): string =>
  `"${[...Buffer.from(s, 'utf8')].map((byte) => `\\${byte}`).join('')}"`;

/**
 * rpm.vercmp for every pair, in one `rpm --eval` of a Lua script. An argument rpm refuses
 * comes back as 'error' rather than aborting the batch.
 */
export async function rpmVercmp(pairs: readonly Pair[]): Promise<(Ordering | 'error')[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostintel-rpm-'));
  try {
    const script = path.join(dir, 'vercmp.lua');
    const rows = pairs.map(([a, b]) => `{${luaString(a)},${luaString(b)}}`);
    writeFileSync(
      script,
      [
        `local pairs_ = {\n${rows.join(',\n')}\n}`,
        'local out = {}',
        'for _, p in ipairs(pairs_) do',
        '  local ok, r = pcall(rpm.vercmp, p[1], p[2])',
        '  out[#out + 1] = ok and tostring(r) or "error"',
        'end',
        // rpm joins print() output without newlines: print the whole result once.
        'print(table.concat(out, "\\n"))',
        '',
      ].join('\n'),
    );
    const result = await run('rpm', ['--eval', `%{lua: dofile(${luaString(script)})}`]);
    if (result.code !== 0) throw new Error(`rpm --eval exited ${result.code}: ${result.stderr}`);
    const lines = result.stdout.trimEnd().split('\n');
    if (lines.length !== pairs.length) {
      throw new Error(`rpm answered ${lines.length} lines for ${pairs.length} pairs`);
    }
    return lines.map((line) => {
      if (line === '-1') return -1;
      if (line === '0') return 0;
      if (line === '1') return 1;
      return 'error';
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Whether rpmbuild's spec parser (rpmspec) accepts an Epoch/Version/Release, the rules every
 * built package passed: exit code, and stderr for refusals and warnings.
 */
export function rpmspecVerdict(
  epoch: string | null,
  version: string,
  release: string,
): { exitCode: number | null; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostintel-rpmspec-'));
  try {
    const spec = path.join(dir, 't.spec');
    const lines = ['Name: t'];
    if (epoch !== null) lines.push(`Epoch: ${epoch}`);
    lines.push(`Version: ${version}`, `Release: ${release}`, 'Summary: t', 'License: MIT');
    lines.push('%description', 't', '');
    writeFileSync(spec, lines.join('\n'));
    const result = spawnSync('rpmspec', ['-q', '--qf', '%{evr}\\n', spec], { encoding: 'utf8' });
    return { exitCode: result.status, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
