/**
 * The KMS key behind the secret box (shared/secrets/secret-box.ts): every sealed
 * secret is a data key from GenerateDataKey, bound to its purpose by the encryption
 * context (`virtualcluster:<id>`, `webhook:<id>`). A function is granted only the
 * purposes it works with, and only to seal or only to open them.
 */
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';

/** Which sealed secrets a function seals and which it opens, by purpose pattern. */
export interface SecretsAccess {
  seal?: readonly string[];
  open?: readonly string[];
}

export function createSecretsKey(scope: Construct, id: string): kms.Key {
  return new kms.Key(scope, id, {
    description: 'Palette: envelope encryption of virtual cluster credentials and webhook secrets',
    enableKeyRotation: true,
    removalPolicy: cdk.RemovalPolicy.RETAIN,
  });
}

export function grantSecrets(fn: NodejsFunction, key: kms.IKey, access: SecretsAccess | undefined): void {
  if (!access?.seal?.length && !access?.open?.length) return;
  fn.addEnvironment('SECRETS_KMS_KEY_ID', key.keyArn);
  const statement = (sid: string, action: string, purposes: readonly string[]) =>
    new iam.PolicyStatement({
      sid,
      actions: [action],
      resources: [key.keyArn],
      conditions: { StringLike: { 'kms:EncryptionContext:purpose': [...purposes] } },
    });
  if (access.seal?.length) fn.addToRolePolicy(statement('SealSecrets', 'kms:GenerateDataKey', access.seal));
  if (access.open?.length) fn.addToRolePolicy(statement('OpenSecrets', 'kms:Decrypt', access.open));
}
