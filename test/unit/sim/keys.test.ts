// Seeded ed25519 keys must be what ssh2 (client and server) reads, and the same per seed.
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { ed25519FromSeed } from '../../sim/keys.ts';
import { seedBytes } from '../../sim/rng.ts';

describe('ed25519FromSeed', () => {
  it('is read by ssh2 as a private key whose public half is the one printed', () => {
    for (let i = 0; i < 20; i++) {
      const pair = ed25519FromSeed(seedBytes('keys-test', i), 'sim');
      const parsed = ssh2.utils.parseKey(pair.privateKey);
      if (parsed instanceof Error) throw parsed;
      expect(parsed.type).toBe('ssh-ed25519');
      expect(parsed.comment).toBe('sim');
      expect(`ssh-ed25519 ${parsed.getPublicSSH().toString('base64')}`).toBe(pair.publicKey);
      const publicKey = ssh2.utils.parseKey(pair.publicKey);
      if (publicKey instanceof Error) throw publicKey;
      const data = Buffer.from(`message ${i}`);
      expect(publicKey.verify(data, parsed.sign(data))).toBe(true);
    }
  });

  it('depends only on the seed', () => {
    const a = ed25519FromSeed(seedBytes('fleet', 7, 'host-key', 0));
    expect(ed25519FromSeed(seedBytes('fleet', 7, 'host-key', 0))).toEqual(a);
    expect(ed25519FromSeed(seedBytes('fleet', 7, 'host-key', 1)).publicKey).not.toBe(a.publicKey);
  });
});
