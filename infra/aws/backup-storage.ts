/**
 * Where virtual-cluster backups are kept on AWS (shared/backups/store.ts): a private
 * bucket, SSE-KMS under a key of its own (snapshots hold the clusters' Secrets), TLS
 * only, its server access logged. Each backup is deleted by the run-backups job at its
 * keepDays; the bucket's lifecycle expires anything at 365 days, the outer bound of
 * keepDays, so nothing outlives it even if a record was lost. A function is granted
 * exactly what it does with snapshots (put, get or delete) on this bucket's objects, and
 * the key only through S3 for this bucket.
 */
import * as cdk from 'aws-cdk-lib';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MAX_KEEP_DAYS } from '#shared/backups/items.ts';
import { acknowledgeFinding, wildcardBelowArnFinding } from './nag.ts';

/** What a function does with snapshots. */
export type BackupAccess = 'put' | 'get' | 'delete';

const s3Actions: Record<BackupAccess, string> = { put: 's3:PutObject', get: 's3:GetObject', delete: 's3:DeleteObject' };
/** SSE-KMS: a put asks KMS for a data key (once per bucket key), a get has it decrypted; a delete needs neither. */
const kmsActions: Partial<Record<BackupAccess, string>> = { put: 'kms:GenerateDataKey', get: 'kms:Decrypt' };

export class BackupStorage extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'Palette: SSE-KMS of virtual cluster backups (their objects, Secrets included)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // S3 server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(MAX_KEEP_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      // A delete must remove the snapshot (no noncurrent versions kept): the bucket is not versioned.
      versioned: false,
      lifecycleRules: [{ expiration: Duration.days(MAX_KEEP_DAYS), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'backups/',
      // Backups outlive the stack, as the table does.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** The bucket and key in the function's environment, and `access` on the bucket's objects only. */
  grant(fn: NodejsFunction, access: readonly BackupAccess[]): void {
    if (access.length === 0) return;
    fn.addEnvironment('BACKUP_BUCKET', this.bucket.bucketName);
    fn.addEnvironment('BACKUP_KMS_KEY_ID', this.key.keyArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'BackupSnapshots',
        actions: access.map((a) => s3Actions[a]),
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    acknowledgeFinding(
      fn.role!,
      wildcardBelowArnFinding(this.bucket, '/*'),
      "A snapshot's key names its tenant, project, virtual cluster and backup, known only at run time; the wildcard stays inside the backup bucket, with only the object actions this function needs.",
    );
    const keyActions = access.flatMap((a) => kmsActions[a] ?? []);
    if (keyActions.length === 0) return;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'BackupKeyThroughS3',
        actions: keyActions,
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${cdk.Stack.of(this).region}.amazonaws.com` },
          // S3 names the bucket (with an S3 Bucket Key) or the object in the encryption context: this bucket's only.
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [this.bucket.bucketArn, this.bucket.arnForObjects('*')] },
        },
      }),
    );
  }
}
