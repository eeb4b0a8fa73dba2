// Ed25519 keys from a 32-byte seed, in the formats ssh2 reads: the private key in OpenSSH's
// own format (ssh2 reads ed25519 private keys only in that one) and the public key as an
// authorized_keys line. Seeded keys keep a simulated fleet's host keys stable across restarts,
// so hostintel's pinned keys stay valid when `npm run sim` is started again with one seed.
import { createPrivateKey, createPublicKey } from 'node:crypto';

export interface KeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----…` */
  privateKey: string;
  /** `ssh-ed25519 AAAA…` (no comment). */
  publicKey: string;
}

const KEY_TYPE = 'ssh-ed25519';
const PEM_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const PEM_END = '-----END OPENSSH PRIVATE KEY-----';
const PLACEHOLDER_X = Buffer.alloc(32).toString('base64url');

function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

export function ed25519FromSeed(seed: Buffer, comment = ''): KeyPair {
  if (seed.length !== 32) throw new Error('an ed25519 seed is 32 bytes');
  // A JWK import is ~6x faster than a PKCS#8 one (OpenSSL's decoders); `x` is required by the
  // format but the public key is derived from `d` (the unit test checks it against ssh2).
  const key = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: PLACEHOLDER_X },
    format: 'jwk',
  });
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const publicBytes = Buffer.from(jwk.x ?? '', 'base64url');
  const publicBlob = Buffer.concat([sshString(KEY_TYPE), sshString(publicBytes)]);
  // openssh-key-v1, unencrypted: the two check words only guard decryption, any equal pair does.
  const check = uint32(seed.readUInt32BE(0));
  let secret = Buffer.concat([
    check,
    check,
    sshString(KEY_TYPE),
    sshString(publicBytes),
    sshString(Buffer.concat([seed, publicBytes])),
    sshString(comment),
  ]);
  const padding = (8 - (secret.length % 8)) % 8;
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(secret),
  ]).toString('base64');
  const lines = (body.match(/.{1,70}/g) ?? []).join('\n');
  return {
    privateKey: `${PEM_BEGIN}\n${lines}\n${PEM_END}\n`,
    publicKey: `${KEY_TYPE} ${publicBlob.toString('base64')}`,
  };
}
