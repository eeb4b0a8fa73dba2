// AES-256-GCM for the secrets stored in the database (credential keys and passwords). The key
// lives outside the database: HOSTINTEL_SECRET_KEY, or a 0600 file generated under the data
// directory on first start. Sealed layout: iv (12 bytes) || tag (16 bytes) || ciphertext.
// Every seal is bound to a context string (e.g. "credential:<id>") as additional
// authenticated data, so a ciphertext copied onto another row does not open there.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
export const SECRET_KEY_FILE = 'secret.key';

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

export interface SecretBox {
  seal(plaintext: string | Buffer, context: string): Buffer;
  /** Throws SecretBoxError when the key, the context or the bytes are wrong. */
  open(sealed: Buffer, context: string): Buffer;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== KEY_BYTES) {
    throw new SecretBoxError(`the secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
  // A private copy: the caller's buffer may be reused or zeroed.
  const k = Buffer.from(key);
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    open(sealed, context) {
      if (sealed.length < IV_BYTES + TAG_BYTES) {
        throw new SecretBoxError('sealed secret is too short');
      }
      const decipher = createDecipheriv('aes-256-gcm', k, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]);
      } catch (error) {
        throw new SecretBoxError(
          'cannot open a stored secret: wrong HOSTINTEL_SECRET_KEY or secret.key?',
          { cause: error },
        );
      }
    },
  };
}

export interface LoadSecretBoxOptions {
  /** base64 of 32 bytes (HOSTINTEL_SECRET_KEY); wins over the key file. */
  secretKey?: string | undefined;
  /** Where `secret.key` is read from, or created (0600) when missing. */
  dataDir: string;
}

export async function loadSecretBox(options: LoadSecretBoxOptions): Promise<SecretBox> {
  if (options.secretKey !== undefined) return createSecretBox(decodeKey(options.secretKey));
  return createSecretBox(await loadOrCreateKeyFile(path.join(options.dataDir, SECRET_KEY_FILE)));
}

function decodeKey(text: string, where = 'HOSTINTEL_SECRET_KEY'): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new SecretBoxError(`${where} must be ${KEY_BYTES} bytes in base64`);
  }
  return key;
}

async function loadOrCreateKeyFile(file: string): Promise<Buffer> {
  try {
    return await readKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await createPrivateFile(file, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
  return readKeyFile(file);
}

async function readKeyFile(file: string): Promise<Buffer> {
  const mode = (await stat(file)).mode;
  // Like ssh with a private key: a key others can read protects nothing.
  if ((mode & 0o077) !== 0) {
    throw new SecretBoxError(`${file} must not be readable by group or others (chmod 600)`);
  }
  return decodeKey(await readFile(file, 'utf8'), file);
}

/**
 * Creates `file` with mode 0600 holding `content`, unless it exists (→ false). Written aside
 * and linked into place: link fails when the file exists, so when two processes start at
 * once one of them wins and nobody reads a half-written file.
 */
export async function createPrivateFile(file: string, content: string): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, content, { mode: 0o600 });
  try {
    await chmod(temp, 0o600); // the umask may only have narrowed the mode; make it exact
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}
