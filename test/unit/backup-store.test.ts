/**
 * The backup store's adapters: S3 with SSE-KMS under the backups key (the SDK mocked
 * with aws-sdk-client-mock), a directory sealed with the local key; and the snapshot's
 * cleaning of objects as the API server returns them.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { backupStoreFromEnv, localBackupStore, s3BackupStore, storageKeyOf } from '#shared/backups/store.ts';
import { backedUpKinds, cleaned, decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT } from '#shared/backups/snapshot.ts';

const key = storageKeyOf({ tenantId: 'tnt_01JD0000000000000000000000', projectId: 'prj_01JD0000000000000000000000', virtualClusterId: 'vc_01JD0000000000000000000000', id: 'bk_01JD0000000000000000000000' });
const bytes = new Uint8Array(Buffer.from('gzip bytes of a snapshot'));

describe('the S3 backup store', () => {
  it('puts each snapshot with SSE-KMS under the backups key and an S3 Bucket Key, gets it back, and deletes it', async () => {
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand, { Bucket: 'palette-backups', Key: key }).resolves({ Body: { transformToByteArray: async () => bytes } as never });
    s3.on(DeleteObjectCommand).resolves({});
    try {
      const store = s3BackupStore('palette-backups', 'arn:aws:kms:eu-west-1:123456789012:key/backups');
      await store.put(key, bytes);
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
      expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
        Bucket: 'palette-backups',
        Key: key,
        Body: bytes,
        ContentType: 'application/gzip',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/backups',
        BucketKeyEnabled: true,
      });
      expect(Buffer.from((await store.get(key))!).toString()).toBe('gzip bytes of a snapshot');
      expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'palette-backups', Key: key });
      await store.delete(key);
      expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'palette-backups', Key: key });
    } finally {
      s3.restore();
    }
  });

  it('answers undefined for a snapshot that is not there, and refuses a key that is not a backup\'s', async () => {
    const s3 = mockClient(S3Client);
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    try {
      const store = s3BackupStore('palette-backups', 'key');
      expect(await store.get(key)).toBeUndefined();
      await expect(store.put('../elsewhere.json.gz', bytes)).rejects.toThrow(/not a backup key/);
      await expect(store.delete('tnt_x/prj_y/../../z.json.gz')).rejects.toThrow(/not a backup key/);
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
      expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    } finally {
      s3.restore();
    }
  });

  it('is chosen by BACKUP_BUCKET, which needs BACKUP_KMS_KEY_ID; PALETTE_BACKUP_DIR chooses the local one', () => {
    expect(() => backupStoreFromEnv({ BACKUP_BUCKET: 'b' })).toThrow(/BACKUP_KMS_KEY_ID/);
    expect(backupStoreFromEnv({ BACKUP_BUCKET: 'b', BACKUP_KMS_KEY_ID: 'k' })).toBeDefined();
    expect(() => backupStoreFromEnv({})).toThrow(/nowhere to keep backups/);
    expect(() => backupStoreFromEnv({ PALETTE_BACKUP_DIR: '/tmp/x' })).toThrow(/PALETTE_SECRET_KEY_FILE/);
  });
});

describe('the local backup store', () => {
  it('keeps each snapshot in a file under its directory, sealed with the local key, and deletes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backups-'));
    const store = localBackupStore(join(dir, 'backups'), join(dir, 'secret.key'));
    const secret = new Uint8Array(Buffer.from('a Secret in the snapshot: hunter2'));
    await store.put(key, secret);
    const file = join(dir, 'backups', key);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/^local:v1:/);
    expect(readFileSync(file, 'utf8')).not.toContain(Buffer.from(secret).toString('base64'));
    expect(Buffer.from((await store.get(key))!).toString()).toBe('a Secret in the snapshot: hunter2');
    await store.delete(key);
    expect(existsSync(file)).toBe(false);
    expect(await store.get(key)).toBeUndefined();
    await store.delete(key);
  });
});

describe('a snapshot', () => {
  it('keeps an object as its author wrote it: no status, nothing the API server or a controller assigned', () => {
    const service = cleaned({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web', namespace: 'shop', uid: 'u', resourceVersion: '7', creationTimestamp: 't', managedFields: [], generation: 2,
        labels: { app: 'web' }, annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes', note: 'kept' }, ownerReferences: [{ uid: 'x' }],
      },
      spec: { clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'], ports: [{ port: 80 }], selector: { app: 'web' } },
      status: { loadBalancer: {} },
    });
    expect(service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations: { note: 'kept' } },
      spec: { ports: [{ port: 80 }], selector: { app: 'web' } },
    });
    const job = cleaned({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: 'shop' },
      spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'u', 'controller-uid': 'u', 'job-name': 'once', app: 'once' } }, spec: {} } },
    });
    expect(job.spec).toEqual({ template: { metadata: { labels: { app: 'once' } }, spec: {} } });
  });

  it('lists each namespaced, writable kind once and leaves out Events, Endpoints and the rest of the cluster\'s own state', () => {
    const kinds = backedUpKinds([
      { apiVersion: 'v1', kind: 'ConfigMap', namespaced: true, verbs: ['create', 'list', 'patch'] },
      { apiVersion: 'v1', kind: 'Namespace', namespaced: false, verbs: ['create', 'list'] },
      { apiVersion: 'v1', kind: 'Event', namespaced: true, verbs: ['create', 'list'] },
      { apiVersion: 'events.k8s.io/v1', kind: 'Event', namespaced: true, verbs: ['create', 'list'] },
      { apiVersion: 'v1', kind: 'Endpoints', namespaced: true, verbs: ['create', 'list'] },
      { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', namespaced: true, verbs: ['create'] },
      { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true, verbs: ['create', 'list', 'patch'] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespaced: false, verbs: ['create', 'list'] },
    ]);
    expect(kinds.map((k) => `${k.apiVersion}/${k.kind}`)).toEqual(['v1/ConfigMap', 'apps/v1/Deployment']);
  });

  it('round-trips through gzip\'d JSON, and refuses bytes that are not one', () => {
    const snapshot = { format: SNAPSHOT_FORMAT as typeof SNAPSHOT_FORMAT, virtualCluster: { id: 'vc_1', name: 'dev' }, takenAt: '2026-01-01T00:00:00.000Z', objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'b' } }] };
    const encoded = encodeSnapshot(snapshot);
    expect(encoded[0]).toBe(0x1f);
    expect(decodeSnapshot(encoded)).toEqual(snapshot);
    expect(() => decodeSnapshot(new Uint8Array(Buffer.from('plain')))).toThrow(/cannot be read/);
  });
});
