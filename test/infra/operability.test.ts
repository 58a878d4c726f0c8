import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_FIELDS, PaletteStack, STEP_ERRORS_ALARM_THRESHOLD } from '#infra/aws/api-stack.ts';
import {
  ALARM_PERIOD,
  PlatformAlarms,
  SERVER_ERROR_RATE_MIN_REQUESTS,
  SERVER_ERROR_RATE_PERCENT,
  TABLE_OPERATIONS,
} from '#infra/aws/alarms.ts';
import { workflowDefinitions } from '#workflows/registry.ts';

/** Synthesized CloudFormation is untyped JSON. */
type Json = any;
type Resource = { Type: string; Properties: Record<string, Json> };

/** One metric an alarm reads, whether the alarm is on a single metric or on metric math. */
interface WatchedMetric {
  namespace: string;
  metricName: string;
  dimensions: Record<string, Json>;
}

function watchedMetrics(alarm: Resource): WatchedMetric[] {
  const dimensionsOf = (dimensions: Array<{ Name: string; Value: Json }> | undefined) =>
    Object.fromEntries((dimensions ?? []).map((d) => [d.Name, d.Value]));
  const p = alarm.Properties;
  if (p.MetricName) return [{ namespace: p.Namespace, metricName: p.MetricName, dimensions: dimensionsOf(p.Dimensions) }];
  return (p.Metrics as Array<Record<string, Json>>)
    .filter((query) => query.MetricStat)
    .map((query) => ({
      namespace: query.MetricStat.Metric.Namespace,
      metricName: query.MetricStat.Metric.MetricName,
      dimensions: dimensionsOf(query.MetricStat.Metric.Dimensions),
    }));
}

const expressionOf = (alarm: Resource) =>
  (alarm.Properties.Metrics as Array<Record<string, Json>> | undefined)?.find((query) => query.Expression)?.Expression as string | undefined;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

describe('operating the Palette stack (bundling skipped)', () => {
  let stack: PaletteStack;
  let template: Template;
  let alarms: Array<[string, Resource]>;

  beforeAll(() => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new PaletteStack(app, 'Palette');
    template = Template.fromStack(stack);
    alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>);
  });

  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as cdk.CfnElement);
  const topicRef = () => ({ Ref: logicalId(stack.alarms.topic) });

  /** The alarms that read every one of `metricNames` with these dimensions. */
  function alarmsOn(metricNames: string[], dimensions: Record<string, Json>): Array<[string, Resource]> {
    return alarms.filter(([, alarm]) => {
      const watched = watchedMetrics(alarm);
      return metricNames.every((name) =>
        watched.some((m) => m.metricName === name && Object.entries(dimensions).every(([key, value]) => same(m.dimensions[key], value))),
      );
    });
  }

  describe('the API access log', () => {
    it('writes one JSON line per request, with request id, route, status, latencies, caller and principal, to a one-month log group', () => {
      const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage') as Record<string, Resource>)[0]!;
      const settings = stage.Properties.AccessLogSettings as { DestinationArn: Json; Format: string };
      const [groupId] = settings.DestinationArn['Fn::GetAtt'] as [string, string];
      const group = (template.toJSON() as { Resources: Record<string, Resource> }).Resources[groupId]!;
      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties.RetentionInDays).toBe(30);
      const format = JSON.parse(settings.Format) as Record<string, string>;
      expect(format).toEqual(ACCESS_LOG_FIELDS);
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        responseLatency: '$context.responseLatency',
        integrationLatency: '$context.integrationLatency',
        ip: '$context.identity.sourceIp',
        userAgent: '$context.identity.userAgent',
        // The keys the authorizer returns in its simple-response context (functions/authorizer.ts).
        userId: '$context.authorizer.userId',
        tenantId: '$context.authorizer.tenantId',
      });
    });
  });

  describe('the alarms', () => {
    it('publish only over TLS to one topic that CloudWatch of this account may publish to', () => {
      template.resourceCountIs('AWS::SNS::Topic', 1);
      const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy') as Record<string, Resource>);
      expect(policies).toHaveLength(1);
      const statements = policies[0]!.Properties.PolicyDocument.Statement as Array<Record<string, Json>>;
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'sns:Publish',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          Resource: topicRef(),
        }),
      );
    });

    it('notify the topic when they fire and when they recover, and never fire on missing data', () => {
      expect(alarms.length).toBeGreaterThan(0);
      for (const [id, alarm] of alarms) {
        expect(alarm.Properties.AlarmActions, id).toEqual([topicRef()]);
        expect(alarm.Properties.OKActions, id).toEqual([topicRef()]);
        expect(alarm.Properties.TreatMissingData, id).toBe('notBreaching');
        expect(alarm.Properties.AlarmDescription, id).toEqual(expect.any(String));
      }
    });

    it('fire on any failed, timed-out or aborted execution of every state machine', () => {
      expect(stack.workflows.stateMachines.size).toBe(workflowDefinitions.length);
      for (const [name, stateMachine] of stack.workflows.stateMachines) {
        const matches = alarmsOn(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'], {
          StateMachineArn: { Ref: logicalId(stateMachine) },
        });
        expect(matches, name).toHaveLength(1);
        const [, alarm] = matches[0]!;
        // A missing series must count as 0, or one kind of ending hides the others.
        expect(expressionOf(alarm), name).toBe('FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)');
        expect(alarm.Properties.Threshold, name).toBe(1);
        expect(alarm.Properties.ComparisonOperator, name).toBe('GreaterThanOrEqualToThreshold');
      }
    });

    it('fire when too large a share of the API responses in a period with enough requests are 5xx', () => {
      const matches = alarmsOn(['5xx', 'Count'], { ApiId: { Ref: logicalId(stack.api) } });
      expect(matches).toHaveLength(1);
      const [, alarm] = matches[0]!;
      expect(expressionOf(alarm)).toBe(`IF(requests >= ${SERVER_ERROR_RATE_MIN_REQUESTS}, 100 * FILL(errors, 0) / requests, 0)`);
      expect(alarm.Properties.Threshold).toBe(SERVER_ERROR_RATE_PERCENT);
      expect(alarm.Properties.ComparisonOperator).toBe('GreaterThanThreshold');
      for (const query of (alarm.Properties.Metrics as Array<Record<string, Json>>).filter((q) => q.MetricStat)) {
        expect(query.MetricStat.Stat).toBe('Sum');
        expect(query.MetricStat.Period).toBe(ALARM_PERIOD.toSeconds());
      }
    });

    it('fire on any throttled invocation of every function', () => {
      const functions = [...stack.groupFunctions.values(), stack.authorizerFunction, ...stack.workflows.stepFunctions.values()];
      for (const fn of functions) {
        const matches = alarmsOn(['Throttles'], { FunctionName: { Ref: logicalId(fn) } });
        expect(matches, fn.node.path).toHaveLength(1);
        expect(matches[0]![1].Properties.Threshold, fn.node.path).toBe(1);
      }
    });

    it('fire on step Lambda errors beyond the transient ones Step Functions retries', () => {
      for (const [family, fn] of stack.workflows.stepFunctions) {
        const matches = alarmsOn(['Errors'], { FunctionName: { Ref: logicalId(fn) } });
        expect(matches, family).toHaveLength(1);
        expect(matches[0]![1].Properties.Threshold, family).toBe(STEP_ERRORS_ALARM_THRESHOLD);
        expect(matches[0]![1].Properties.Statistic, family).toBe('Sum');
      }
    });

    it('fire on throttled requests and on system errors of the table, summed over every operation used', () => {
      const tableName = { Ref: logicalId(stack.table) };
      expect(TABLE_OPERATIONS.length).toBeLessThanOrEqual(10);
      for (const metricName of ['ThrottledRequests', 'SystemErrors']) {
        const matches = alarms.filter(([, alarm]) => watchedMetrics(alarm).some((m) => m.metricName === metricName));
        expect(matches, metricName).toHaveLength(1);
        const [, alarm] = matches[0]!;
        const watched = watchedMetrics(alarm);
        expect(watched.map((m) => m.dimensions.Operation).sort(), metricName).toEqual([...TABLE_OPERATIONS].sort());
        for (const metric of watched) {
          expect(metric.namespace, metricName).toBe('AWS/DynamoDB');
          expect(metric.dimensions.TableName, metricName).toEqual(tableName);
        }
        expect(expressionOf(alarm), metricName).toMatch(/^FILL\(\w+, 0\)( \+ FILL\(\w+, 0\))+$/);
      }
    });
  });
});

describe('PlatformAlarms', () => {
  it('watches a function added later, such as a scheduled job, with one alarmOnErrors call', () => {
    const stack = new cdk.Stack(new cdk.App(), 'Jobs');
    const alarms = new PlatformAlarms(stack, 'Alarms');
    const job = new lambda.Function(stack, 'CleanupJob', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => {};'),
    });
    alarms.alarmOnErrors(job, 'cleanup job');
    const template = Template.fromStack(stack);
    const jobAlarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>);
    const jobRef = { Ref: stack.getLogicalId(job.node.defaultChild as cdk.CfnElement) };
    const topicRef = { Ref: stack.getLogicalId(alarms.topic.node.defaultChild as cdk.CfnElement) };
    expect(jobAlarms.map((a) => a.Properties.MetricName).sort()).toEqual(['Errors', 'Throttles']);
    for (const alarm of jobAlarms) {
      expect(alarm.Properties.Dimensions).toEqual([{ Name: 'FunctionName', Value: jobRef }]);
      expect(alarm.Properties.Threshold).toBe(1);
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
    }
  });
});
