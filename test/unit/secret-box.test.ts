import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { kmsSecretBox, localSecretBox } from '#shared/secrets/secret-box.ts';

describe('the local secret box', () => {
  it('seals to text that does not hold the secret, and opens it again with the same key file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'box-')), 'secret.key');
    const sealed = await localSecretBox(file).seal('whsec-plain', 'webhook');
    expect(sealed).toMatch(/^local:v1:/);
    expect(sealed).not.toContain('whsec-plain');
    // Another process with the same file opens it.
    expect(await localSecretBox(file).open(sealed, 'webhook')).toBe('whsec-plain');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8'), 'base64')).toHaveLength(32);
  });

  it('refuses a secret opened for another purpose or tampered with', async () => {
    const box = localSecretBox(join(mkdtempSync(join(tmpdir(), 'box-')), 'secret.key'));
    const sealed = await box.seal('token', 'virtualcluster');
    await expect(box.open(sealed, 'webhook')).rejects.toThrow();
    const parts = sealed.split(':');
    parts[4] = Buffer.from('tampered').toString('base64url');
    await expect(box.open(parts.join(':'), 'virtualcluster')).rejects.toThrow();
  });
});

describe('the KMS secret box', () => {
  it('uses a data key per secret and keeps only its KMS-encrypted form beside the ciphertext', async () => {
    const kms = mockClient(KMSClient);
    const plainKey = Buffer.alloc(32, 7);
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: new Uint8Array(plainKey), CiphertextBlob: new Uint8Array(Buffer.from('encrypted-key')) });
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(plainKey) });
    try {
      const box = kmsSecretBox('alias/palette-secrets');
      const sealed = await box.seal('whsec-plain', 'webhook');
      expect(sealed).toMatch(/^kms:v1:/);
      expect(sealed).toContain(Buffer.from('encrypted-key').toString('base64url'));
      expect(sealed).not.toContain('whsec-plain');
      expect(kms.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toMatchObject({ KeyId: 'alias/palette-secrets', KeySpec: 'AES_256', EncryptionContext: { purpose: 'webhook' } });
      expect(await box.open(sealed, 'webhook')).toBe('whsec-plain');
      expect(await box.open(sealed, 'webhook')).toBe('whsec-plain');
      // The data key is decrypted once and kept by the warm function.
      expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
      expect(kms.commandCalls(DecryptCommand)[0]!.args[0].input.EncryptionContext).toEqual({ purpose: 'webhook' });
    } finally {
      kms.restore();
    }
  });
});
