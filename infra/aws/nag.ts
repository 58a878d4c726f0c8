/**
 * Acknowledging cdk-nag (AwsSolutions) findings where the finding is caused, so each
 * reason sits next to the code it excuses. cdk-nag 3 reads CDK's own
 * `Validations.of(scope).acknowledge()` records (its v2 `NagSuppressions` is gone); an
 * acknowledgment covers the construct and everything below it, one finding id at a time.
 */
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The id cdk-nag gives a wildcard IAM resource below a resource's ARN, e.g.
 * `AwsSolutions-IAM5[Resource::<TableCD117FA1.Arn>/index/*]` for `suffix` `/index/*`.
 */
export function wildcardBelowArnFinding(resource: IConstruct, suffix: string): string {
  const logicalId = Stack.of(resource).getLogicalId(resource.node.defaultChild as CfnElement);
  return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>${suffix}]`;
}

/** A statement on `Resource: "*"`. */
export const ANY_RESOURCE_FINDING = 'AwsSolutions-IAM5[Resource::*]';
