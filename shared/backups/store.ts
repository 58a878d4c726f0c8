/**
 * Where snapshots are kept: an S3 bucket on AWS (SSE-KMS with the backups key; the
 * bucket's lifecycle is the outer bound, the run-backups job deletes each at its
 * keepDays), a directory under PALETTE_DATA_DIR locally (each file sealed with the
 * local secret key, AES-256-GCM, so the Secrets a snapshot holds are encrypted at rest
 * there too). Which one is chosen from the environment, as the secret box chooses its
 * adapter.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { localSecretBox } from '../secrets/secret-box.ts';

export interface BackupStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The stored bytes, or undefined when there is nothing under the key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes the key; nothing there is not an error. */
  delete(key: string): Promise<void>;
}

/** Keys are `<tenant>/<project>/<virtual cluster>/<backup>.json.gz`: ids and slashes only. */
const KEY_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\.json\.gz$/;

function checkKey(key: string): string {
  if (!KEY_PATTERN.test(key)) throw new Error(`not a backup key: ${key}`);
  return key;
}

/** S3 with SSE-KMS under `kmsKeyId` (and an S3 Bucket Key, so a put is not a KMS call each). */
export function s3BackupStore(bucket: string, kmsKeyId: string, client?: S3Client): BackupStore {
  let s3: Promise<S3Client> | undefined;
  // Loaded on first use: the functions that carry this rarely touch a backup.
  const sdk = () => import('@aws-sdk/client-s3');
  const clientOf = () => (s3 ??= client ? Promise.resolve(client) : sdk().then(({ S3Client }) => new S3Client({})));
  return {
    async put(key, bytes) {
      const { PutObjectCommand } = await sdk();
      await (await clientOf()).send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: checkKey(key),
          Body: bytes,
          ContentType: 'application/gzip',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: kmsKeyId,
          BucketKeyEnabled: true,
        }),
      );
    },
    async get(key) {
      const { GetObjectCommand, NoSuchKey } = await sdk();
      try {
        const out = await (await clientOf()).send(new GetObjectCommand({ Bucket: bucket, Key: checkKey(key) }));
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      } catch (error) {
        if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    async delete(key) {
      const { DeleteObjectCommand } = await sdk();
      await (await clientOf()).send(new DeleteObjectCommand({ Bucket: bucket, Key: checkKey(key) }));
    },
  };
}

/** Files under `dir`, each sealed with the local key (bound to its key, so one cannot be passed off as another). */
export function localBackupStore(dir: string, keyFile: string): BackupStore {
  const root = resolve(dir);
  const box = localSecretBox(keyFile);
  const pathOf = (key: string) => {
    const path = resolve(root, checkKey(key));
    if (!path.startsWith(root + sep)) throw new Error(`not a backup key: ${key}`);
    return path;
  };
  const purpose = (key: string) => `backup:${key}`;
  return {
    async put(key, bytes) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const sealed = await box.seal(Buffer.from(bytes).toString('base64'), purpose(key));
      // Written whole or not at all: a reader never sees half a snapshot.
      const partial = `${path}.${process.pid}.${Date.now()}.partial`;
      await writeFile(partial, sealed, { mode: 0o600 });
      await rename(partial, path);
    },
    async get(key) {
      let sealed: string;
      try {
        sealed = await readFile(pathOf(key), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      return new Uint8Array(Buffer.from(await box.open(sealed, purpose(key)), 'base64'));
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}

let fromEnv: { key: string; store: BackupStore } | undefined;

/** BACKUP_BUCKET and BACKUP_KMS_KEY_ID on AWS; PALETTE_BACKUP_DIR (with the local secret key) locally. */
export function backupStoreFromEnv(env: NodeJS.ProcessEnv = process.env): BackupStore {
  const bucket = env.BACKUP_BUCKET;
  const dir = env.PALETTE_BACKUP_DIR;
  const id = `${bucket ?? ''}|${env.BACKUP_KMS_KEY_ID ?? ''}|${dir ?? ''}|${env.PALETTE_SECRET_KEY_FILE ?? ''}`;
  if (fromEnv?.key === id) return fromEnv.store;
  if (bucket) {
    if (!env.BACKUP_KMS_KEY_ID) throw new Error('BACKUP_BUCKET is set without BACKUP_KMS_KEY_ID: snapshots are written with SSE-KMS only');
    fromEnv = { key: id, store: s3BackupStore(bucket, env.BACKUP_KMS_KEY_ID) };
  } else if (dir) {
    if (!env.PALETTE_SECRET_KEY_FILE) throw new Error('PALETTE_BACKUP_DIR is set without PALETTE_SECRET_KEY_FILE: local snapshots are sealed with the local key');
    fromEnv = { key: id, store: localBackupStore(dir, env.PALETTE_SECRET_KEY_FILE) };
  } else {
    throw new Error('nowhere to keep backups: set BACKUP_BUCKET and BACKUP_KMS_KEY_ID (AWS) or PALETTE_BACKUP_DIR (local)');
  }
  return fromEnv.store;
}

/** Where a backup's snapshot goes. */
export const storageKeyOf = (b: { tenantId: string; projectId: string; virtualClusterId: string; id: string }) =>
  `${b.tenantId}/${b.projectId}/${b.virtualClusterId}/${b.id}.json.gz`;

