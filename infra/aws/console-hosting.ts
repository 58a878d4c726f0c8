/**
 * The web console on AWS: its built files in a private S3 bucket read only by
 * CloudFront (origin access control), and one CloudFront distribution that serves the
 * console at `/console/` and routes `/v1/*` and `/healthz` to the HTTP API, so the
 * console calls its API on its own origin (no CORS, `connect-src 'self'`). Every
 * response carries a strict Content-Security-Policy and the usual security headers.
 * The built files are uploaded after `cdk deploy` (README "Deploying to AWS": `aws s3
 * sync` to the ConsoleBucket output, then an invalidation), so the stack carries no
 * upload function of its own.
 */
import * as cdk from 'aws-cdk-lib';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFinding } from './nag.ts';

/** The console's policy: everything from its own origin, nothing inline but Shoelace's styles, no framing. */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the console lives on the distribution (and under which prefix its files sit in the bucket). */
export const CONSOLE_PATH = 'console';

export interface ConsoleHostingProps {
  api: apigatewayv2.HttpApi;
}

export class ConsoleHosting extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    const logs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logs are written with an ACL.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      // Logs outlive the stack (and a bucket with objects in it cannot be destroyed without a custom resource).
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Palette console: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CONTENT_SECURITY_POLICY, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    // A path under /console/ that is no file (a client-side route) gets the app's index.html; / goes to the console.
    const spaRouting = new cloudfront.Function(this, 'SpaRouting', {
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'Palette console: client-side routes to index.html',
      code: cloudfront.FunctionCode.fromInline(`function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/${CONSOLE_PATH}') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/${CONSOLE_PATH}/' } } };
  }
  if (uri.indexOf('/${CONSOLE_PATH}/') === 0 && uri.slice(uri.lastIndexOf('/') + 1).indexOf('.') === -1) request.uri = '/${CONSOLE_PATH}/index.html';
  return request;
}`),
    });

    const apiOrigin = new origins.HttpOrigin(`${props.api.apiId}.execute-api.${cdk.Stack.of(this).region}.${cdk.Stack.of(this).urlSuffix}`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      // The API answers per caller: nothing is cached, and every header but Host (the API's own) reaches it.
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: headers,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Palette: the console, and the API on the same origin',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [{ function: spaRouting, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: { '/v1/*': apiBehavior, '/healthz': apiBehavior },
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'distribution/',
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    acknowledgeFinding(this.distribution, 'AwsSolutions-CFR1', 'A multi-tenant SaaS console and API are used from anywhere; access is by API key, not by country.');
    acknowledgeFinding(this.distribution, 'AwsSolutions-CFR2', 'No WAF web ACL in this stack: API Gateway\'s throttling bounds the API, and the console is static files. Attach an ACL per deployment where one is required.');
    acknowledgeFinding(
      this.distribution,
      'AwsSolutions-CFR4',
      'Without a custom domain the distribution uses the default *.cloudfront.net certificate, for which CloudFront keeps TLSv1 viewer support; the policy asks for TLS 1.2 (2021), applied once a certificate of your own is attached.',
    );

    new cdk.CfnOutput(cdk.Stack.of(this), 'ConsoleUrl', { value: `https://${this.distribution.distributionDomainName}/${CONSOLE_PATH}/` });
    new cdk.CfnOutput(cdk.Stack.of(this), 'ConsoleBucket', { value: this.bucket.bucketName });
  }
}
