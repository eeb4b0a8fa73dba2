// Checks SSH keys given to the API with ssh2's own parser, so that a key the transport
// would refuse is refused at registration (422) instead of at the first probe.
// Messages are fixed strings: a parser's message must never echo key material back.
import ssh2 from 'ssh2';

const { utils } = ssh2;

/** Why this private key is unusable, or null when ssh2 can use it. */
export function privateKeyProblem(privateKey: string, passphrase?: string): string | null {
  const parsed = utils.parseKey(privateKey, passphrase);
  if (parsed instanceof Error) {
    if (/no passphrase given/i.test(parsed.message)) {
      return 'the key is encrypted: give its passphrase';
    }
    if (/passphrase|integrity|decrypt/i.test(parsed.message)) {
      return 'the passphrase does not decrypt the key';
    }
    return 'not a private key in a format ssh2 reads (OpenSSH, PEM or PuTTY)';
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key?.isPrivateKey()) return 'this is a public key: give the private key';
  return null;
}

/** "type base64" of an OpenSSH public key line (the comment dropped), or null. */
export function normalizePublicKey(line: string): string | null {
  const parsed = utils.parseKey(line.trim());
  if (parsed instanceof Error) return null;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key.isPrivateKey()) return null;
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}
