import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PaletteStack } from '#infra/aws/api-stack.ts';

/** A finding as `<rule id> at <construct path>`, readable in a failed expectation. */
type Finding = string;

/** cdk-nag 3 checks the synthesized tree directly; it no longer reports through Annotations. */
function findingsOf(scope: IConstruct, checks = new AwsSolutionsChecks()): Finding[] {
  return checks
    .validateScope(scope)
    .violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`));
}

/**
 * The same rules with every acknowledgment ignored, through the private method cdk-nag
 * consults for each finding. Should a release stop consulting it, every acknowledgment
 * looks stale and the test using this fails instead of passing unnoticed.
 */
class UnacknowledgedChecks extends AwsSolutionsChecks {
  constructor() {
    super();
    (this as any).isAcknowledged = () => false;
  }
}

/** Every acknowledgment recorded with Validations.of(...).acknowledge, by construct path. */
function acknowledgmentsOf(scope: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions on the Palette stack (bundling skipped)', () => {
  let stack: PaletteStack;

  beforeAll(() => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new PaletteStack(app, 'Palette');
    // Synthesis first, so the checks see the tree as deployed (aspects applied, policies complete).
    Template.fromStack(stack);
  });

  it('leaves no error or warning that is neither fixed nor acknowledged with a reason', () => {
    expect(findingsOf(stack)).toEqual([]);
  });

  it('acknowledges only findings that exist, each under the construct that causes it', () => {
    const all = findingsOf(stack, new UnacknowledgedChecks());
    // aws-cdk-lib acknowledges its own CloudFormation validation of a log bucket's ACL (W3045); the rest are ours.
    const acknowledgments = acknowledgmentsOf(stack).filter((a) => !a.id.startsWith('CloudFormation-Validate::'));
    expect(acknowledgments.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledgments) {
      expect(id, path).toMatch(/^AwsSolutions-/);
      expect(reason.length, `${id} at ${path}`).toBeGreaterThan(40);
      const covered = all.filter((finding) => finding.startsWith(`${id} at ${path}/`) || finding === `${id} at ${path}`);
      expect(covered, `${id} at ${path} acknowledges nothing`).not.toEqual([]);
    }
  });

  it('reports findings at all (an unacknowledged topic without TLS enforcement is one)', () => {
    const probe = new cdk.Stack(new cdk.App(), 'Probe');
    new sns.Topic(probe, 'Topic');
    Template.fromStack(probe);
    expect(findingsOf(probe)).toEqual(expect.arrayContaining(['AwsSolutions-SNS3 at Probe/Topic/Resource']));
  });
});
