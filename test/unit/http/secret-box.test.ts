import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createPrivateFile,
  createSecretBox,
  loadSecretBox,
  SECRET_KEY_FILE,
  SecretBoxError,
} from '../../../sql/secrets.ts';

describe('SecretBox', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips, with a fresh iv each time, as iv (12) ‖ tag (16) ‖ ciphertext', () => {
    const a = box.seal('{"password":"pw"}', 'credential:1');
    const b = box.seal('{"password":"pw"}', 'credential:1');
    expect(a.length).toBe(12 + 16 + '{"password":"pw"}'.length);
    expect(a.equals(b)).toBe(false);
    expect(box.open(a, 'credential:1').toString()).toBe('{"password":"pw"}');
  });

  it('refuses another context, another key, a flipped bit and a short input', () => {
    const sealed = box.seal('secret', 'credential:1');
    expect(() => box.open(sealed, 'credential:2')).toThrow(SecretBoxError);
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'credential:1')).toThrow(
      SecretBoxError,
    );
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
    expect(() => box.open(flipped, 'credential:1')).toThrow(SecretBoxError);
    expect(() => box.open(Buffer.alloc(10), 'credential:1')).toThrow(/too short/);
  });

  it('wants a 32-byte key', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('loadSecretBox', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hostintel-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses HOSTINTEL_SECRET_KEY when given, and no file', async () => {
    const key = randomBytes(32);
    const box = await loadSecretBox({ secretKey: key.toString('base64'), dataDir: dir });
    const sealed = box.seal('x', 'c');
    expect(createSecretBox(key).open(sealed, 'c').toString()).toBe('x');
    await expect(stat(path.join(dir, SECRET_KEY_FILE))).rejects.toThrow();
    await expect(loadSecretBox({ secretKey: 'c2hvcnQ=', dataDir: dir })).rejects.toThrow(
      /32 bytes/,
    );
  });

  it('generates a 0600 key file once and reads the same key afterwards', async () => {
    const data = path.join(dir, 'nested', 'data');
    const first = await loadSecretBox({ dataDir: data });
    const file = path.join(data, SECRET_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32);
    const sealed = first.seal('kept', 'c');
    const second = await loadSecretBox({ dataDir: data });
    expect(second.open(sealed, 'c').toString()).toBe('kept');
  });

  it('agrees on one key when many processes start at once', async () => {
    const boxes = await Promise.all(
      Array.from({ length: 8 }, () => loadSecretBox({ dataDir: dir })),
    );
    const sealed = boxes[0]?.seal('same', 'c') ?? Buffer.alloc(0);
    for (const box of boxes) expect(box.open(sealed, 'c').toString()).toBe('same');
  });

  it('refuses a key file others can read', async () => {
    await loadSecretBox({ dataDir: dir });
    await chmod(path.join(dir, SECRET_KEY_FILE), 0o644);
    await expect(loadSecretBox({ dataDir: dir })).rejects.toThrow(/chmod 600/);
  });

  it('creates a private file only once', async () => {
    const file = path.join(dir, 'token');
    expect(await createPrivateFile(file, 'a\n')).toBe(true);
    expect(await createPrivateFile(file, 'b\n')).toBe(false);
    expect(await readFile(file, 'utf8')).toBe('a\n');
  });
});
