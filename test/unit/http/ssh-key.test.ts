import { generateKeyPairSync } from 'node:crypto';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { normalizePublicKey, privateKeyProblem } from '../../../http/ssh-key.ts';

const { utils } = ssh2;

describe('privateKeyProblem', () => {
  it('accepts OpenSSH ed25519 and RSA keys and a PEM RSA key', () => {
    expect(privateKeyProblem(utils.generateKeyPairSync('ed25519').private)).toBeNull();
    expect(privateKeyProblem(utils.generateKeyPairSync('rsa', { bits: 2048 }).private)).toBeNull();
    const pem = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
    }).privateKey;
    expect(privateKeyProblem(pem)).toBeNull();
  });

  it('explains encrypted keys without or with the wrong passphrase', () => {
    const key = utils.generateKeyPairSync('ecdsa', {
      bits: 256,
      passphrase: 'open sesame',
      cipher: 'aes256-ctr',
      rounds: 4,
    }).private;
    expect(privateKeyProblem(key)).toBe('the key is encrypted: give its passphrase');
    expect(privateKeyProblem(key, 'wrong')).toBe('the passphrase does not decrypt the key');
    expect(privateKeyProblem(key, 'open sesame')).toBeNull();
  });

  it('refuses garbage and public keys with fixed messages that echo nothing', () => {
    const pair = utils.generateKeyPairSync('ed25519');
    expect(privateKeyProblem('secret-looking garbage')).toBe(
      'not a private key in a format ssh2 reads (OpenSSH, PEM or PuTTY)',
    );
    expect(privateKeyProblem(pair.public)).toBe('this is a public key: give the private key');
  });
});

describe('normalizePublicKey', () => {
  it('keeps "type base64" and drops the comment', () => {
    const { public: line } = utils.generateKeyPairSync('ed25519', { comment: 'me@there' });
    const [type, blob] = line.split(' ');
    expect(normalizePublicKey(`  ${line}  `)).toBe(`${type} ${blob}`);
  });

  it('refuses private keys and malformed lines', () => {
    expect(normalizePublicKey(utils.generateKeyPairSync('ed25519').private)).toBeNull();
    expect(normalizePublicKey('ssh-ed25519 AAAAbroken')).toBeNull();
    expect(normalizePublicKey('')).toBeNull();
  });
});
