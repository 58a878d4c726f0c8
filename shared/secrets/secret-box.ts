/**
 * Secrets the platform must read back (webhook signing secrets, virtual cluster
 * tokens) are stored sealed, never in plain text in the table: AES-256-GCM under a
 * data key. On AWS the data key is KMS envelope encryption (GenerateDataKey per
 * secret, the encrypted data key kept beside the ciphertext); locally it is one key
 * in a file under PALETTE_DATA_DIR. Which one is chosen at start from the
 * environment, as every adapter is.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SecretBox {
  seal(plaintext: string, purpose: string): Promise<string>;
  open(sealed: string, purpose: string): Promise<string>;
}

const IV_BYTES = 12;

function encrypt(key: Buffer, plaintext: string, purpose: string) {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
}

function decrypt(key: Buffer, parts: string[], purpose: string): string {
  const [iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !tag || !ciphertext) throw new Error('a sealed secret is malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  // The purpose is bound in: a secret sealed for one use cannot be opened as another.
  decipher.setAAD(Buffer.from(purpose, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}

/** One key in a file (created on first use, readable by its owner only). */
export function localSecretBox(keyFile: string): SecretBox {
  let key: Buffer | undefined;
  const load = () => {
    if (key) return key;
    try {
      key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    } catch {
      mkdirSync(dirname(keyFile), { recursive: true });
      key = randomBytes(32);
      writeFileSync(keyFile, key.toString('base64'), { mode: 0o600, flag: 'wx' });
    }
    if (key.length !== 32) throw new Error(`${keyFile} does not hold a 32-byte key`);
    return key;
  };
  return {
    seal: async (plaintext, purpose) => ['local', 'v1', ...encrypt(load(), plaintext, purpose)].join(':'),
    open: async (sealed, purpose) => {
      const [scheme, version, ...parts] = sealed.split(':');
      if (scheme !== 'local' || version !== 'v1') throw new Error('this secret was not sealed by the local key');
      return decrypt(load(), parts, purpose);
    },
  };
}

/** KMS envelope encryption: a data key per secret, its KMS-encrypted form stored beside it. */
export function kmsSecretBox(keyId: string): SecretBox {
  let client: Promise<import('@aws-sdk/client-kms').KMSClient> | undefined;
  const kms = () => (client ??= import('@aws-sdk/client-kms').then(({ KMSClient }) => new KMSClient({})));
  // A warm function opens the same secrets again and again; their data keys are kept a while.
  const dataKeys = new Map<string, Buffer>();
  return {
    async seal(plaintext, purpose) {
      const { GenerateDataKeyCommand } = await import('@aws-sdk/client-kms');
      const out = await (await kms()).send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { purpose } }));
      const plainKey = Buffer.from(out.Plaintext!);
      const sealed = ['kms', 'v1', Buffer.from(out.CiphertextBlob!).toString('base64url'), ...encrypt(plainKey, plaintext, purpose)].join(':');
      plainKey.fill(0);
      return sealed;
    },
    async open(sealed, purpose) {
      const [scheme, version, encryptedKey, ...parts] = sealed.split(':');
      if (scheme !== 'kms' || version !== 'v1' || !encryptedKey) throw new Error('this secret was not sealed with KMS');
      let plainKey = dataKeys.get(encryptedKey);
      if (!plainKey) {
        const { DecryptCommand } = await import('@aws-sdk/client-kms');
        const out = await (await kms()).send(new DecryptCommand({ CiphertextBlob: Buffer.from(encryptedKey, 'base64url'), EncryptionContext: { purpose } }));
        plainKey = Buffer.from(out.Plaintext!);
        if (dataKeys.size >= 1000) dataKeys.clear();
        dataKeys.set(encryptedKey, plainKey);
      }
      return decrypt(plainKey, parts, purpose);
    },
  };
}

let fromEnv: { key: string; box: SecretBox } | undefined;

/** SECRETS_KMS_KEY_ID on AWS, PALETTE_SECRET_KEY_FILE locally. */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox {
  const kmsKey = env.SECRETS_KMS_KEY_ID;
  const keyFile = env.PALETTE_SECRET_KEY_FILE;
  const key = `${kmsKey ?? ''}|${keyFile ?? ''}`;
  if (fromEnv?.key === key) return fromEnv.box;
  if (kmsKey) fromEnv = { key, box: kmsSecretBox(kmsKey) };
  else if (keyFile) fromEnv = { key, box: localSecretBox(keyFile) };
  else throw new Error('no key to seal secrets with: set SECRETS_KMS_KEY_ID (AWS) or PALETTE_SECRET_KEY_FILE (local)');
  return fromEnv.box;
}
