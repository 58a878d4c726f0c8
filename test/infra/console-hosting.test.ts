import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PaletteStack } from '#infra/aws/api-stack.ts';
import { CONSOLE_CONTENT_SECURITY_POLICY } from '#infra/aws/console-hosting.ts';

describe('the console on AWS (bundling skipped)', () => {
  let stack: PaletteStack;
  let template: Template;

  beforeAll(() => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new PaletteStack(app, 'Palette');
    template = Template.fromStack(stack);
  });

  it('keeps the console\'s files in a private, encrypted bucket that only the distribution reads, through origin access control', () => {
    const bucketId = stack.getLogicalId(stack.console.bucket.node.defaultChild as cdk.CfnElement);
    const bucket = template.findResources('AWS::S3::Bucket')[bucketId]!;
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.BucketEncryption).toBeDefined();
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } })]) },
    });
  });

  it('routes /v1/* and /healthz to the HTTP API on the same origin, uncached with the caller\'s headers, and the rest to the bucket', () => {
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]!;
    const config = distribution.Properties.DistributionConfig;
    const behaviors = config.CacheBehaviors as Array<{ PathPattern: string; TargetOriginId: string; CachePolicyId: string; AllowedMethods: string[] }>;
    expect(behaviors.map((b) => b.PathPattern).sort()).toEqual(['/healthz', '/v1/*']);
    const apiOrigin = (config.Origins as Array<{ Id: string; DomainName: unknown; S3OriginConfig?: unknown }>).find((o) => JSON.stringify(o.DomainName).includes('execute-api'))!;
    for (const behavior of behaviors) {
      expect(behavior.TargetOriginId).toBe(apiOrigin.Id);
      expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // CachingDisabled
      expect(behavior.AllowedMethods).toContain('PATCH');
    }
    expect(config.DefaultCacheBehavior.TargetOriginId).not.toBe(apiOrigin.Id);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
  });

  it('sends a strict Content-Security-Policy and the security headers with every response', () => {
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
    expect(CONSOLE_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CONTENT_SECURITY_POLICY, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          StrictTransportSecurity: Match.objectLike({ Override: true }),
        },
      },
    });
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]!;
    const config = distribution.Properties.DistributionConfig;
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) expect(behavior.ResponseHeadersPolicyId).toBeDefined();
  });
});
