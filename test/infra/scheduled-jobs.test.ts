/**
 * The scheduled Lambda on AWS: one EventBridge rule per job at the cadence of
 * shared/jobs/schedule.ts, and a role that can do what the jobs do and nothing else;
 * the jobs route invokes it and can do nothing else.
 */
import * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { PaletteStack } from '#infra/aws/api-stack.ts';
import { routeGroups } from '#shared/api/route-table.ts';
import { jobNames, jobSchedule } from '#shared/jobs/schedule.ts';
import { stateMachineArnVariable } from '#workflows/names.ts';
import { workflowDefinitions } from '#workflows/registry.ts';

type Json = any;
type Resource = { Type: string; Properties: Record<string, Json> };
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('the scheduled jobs on AWS (bundling skipped)', () => {
  let stack: PaletteStack;
  let template: Template;

  beforeAll(() => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new PaletteStack(app, 'Palette');
    template = Template.fromStack(stack);
  });

  const logicalId = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as cdk.CfnElement);
  const statementsOf = (fn: { role?: { node: { defaultChild?: unknown } } }) => {
    const roleRef = JSON.stringify({ Ref: logicalId(fn.role!) });
    return Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, Json>>);
  };
  const scheduledArn = () => ({ 'Fn::GetAtt': [logicalId(stack.scheduledJobs.function), 'Arn'] });

  it('runs every job on an EventBridge rule at its cadence, sending the job\'s name to the scheduled function', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule') as Record<string, Resource>);
    expect(rules).toHaveLength(jobNames.length);
    for (const job of jobNames) {
      const rule = rules.find((r) => r.Properties.Targets?.[0]?.Input === JSON.stringify({ job }));
      expect(rule, job).toBeDefined();
      expect(rule!.Properties.ScheduleExpression, job).toBe(events.Schedule.rate(Duration.minutes(jobSchedule[job].everyMinutes)).expressionString);
      expect(rule!.Properties.State, job).toBe('ENABLED');
      expect(rule!.Properties.Targets, job).toEqual([expect.objectContaining({ Arn: scheduledArn(), RetryPolicy: { MaximumRetryAttempts: 0 } })]);
    }
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission') as Record<string, Resource>).filter(
      (p) => p.Properties.Principal === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(jobNames.length);
    for (const permission of permissions) expect(permission.Properties.FunctionName).toEqual(scheduledArn());
  });

  it('lets the scheduled function use the table, start the workflows, describe or stop their executions, reach workspaces\' clusters and delete expired backups, and nothing else', () => {
    const statements = statementsOf(stack.scheduledJobs.function);
    const actions = new Set(statements.flatMap((s) => asArray(s.Action as string)));
    for (const action of actions) expect(action).toMatch(/^(dynamodb|states|logs|xray|sts|kms|lambda|s3):/);
    // run-backups deletes expired snapshots, on the backup bucket's objects only; a delete needs no KMS (the backup
    // workflow, which it starts, writes them).
    const s3Statements = statements.filter((s) => asArray(s.Action as string).some((a) => a.startsWith('s3:')));
    expect(s3Statements.map((s) => asArray(s.Action as string))).toEqual([['s3:DeleteObject']]);
    expect(asArray(s3Statements[0]!.Resource)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.backups.bucket), 'Arn'] }, '/*']] }]);
    const fnResource = template.findResources('AWS::Lambda::Function')[logicalId(stack.scheduledJobs.function)] as Resource;
    expect(fnResource.Properties.Environment.Variables.BACKUP_BUCKET).toEqual({ Ref: logicalId(stack.backups.bucket) });
    // reconcile-workspaces reaches clusters as the workspace steps do: customer roles, sealed cluster kubeconfigs, the AKS/GKE provider functions.
    expect([...actions].filter((a) => /^(sts|kms|lambda):/.test(a)).sort()).toEqual(['kms:Decrypt', 'lambda:InvokeFunction', 'sts:AssumeRole']);
    const opened = statements.filter((s) => asArray(s.Action as string).includes('kms:Decrypt'));
    expect(opened.map((s) => (s.Condition as { StringLike: Record<string, unknown> }).StringLike['kms:EncryptionContext:purpose'])).toEqual([['cluster:*']]);
    for (const statement of statements.filter((s) => asArray(s.Action as string).includes('lambda:InvokeFunction'))) {
      for (const resource of asArray(statement.Resource)) expect(JSON.stringify(resource)).toMatch(/(Aks|Gke)ProviderFunction/);
    }
    expect([...actions].filter((a) => a.startsWith('states:')).sort()).toEqual(['states:DescribeExecution', 'states:StartExecution', 'states:StopExecution']);
    expect(actions).toContain('dynamodb:BatchWriteItem');
    const machines = [...stack.workflows.stateMachines.values()].map((sm) => ({ Ref: logicalId(sm) }));
    const started = statements.filter((s) => asArray(s.Action as string).includes('states:StartExecution')).flatMap((s) => asArray(s.Resource));
    expect(started).toEqual(expect.arrayContaining(machines));
    expect(started).toHaveLength(machines.length);
    const onExecutions = statements.filter((s) => asArray(s.Action as string).includes('states:DescribeExecution'));
    for (const statement of onExecutions) {
      expect(asArray(statement.Action as string).sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
      for (const resource of asArray(statement.Resource)) expect(JSON.stringify(resource)).toMatch(/:execution:.*StateMachine[0-9A-F]+.*:\*/);
    }
    expect(onExecutions.flatMap((s) => asArray(s.Resource))).toHaveLength(workflowDefinitions.length);
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.scheduledJobs.function)] as Resource;
    for (const workflow of workflowDefinitions) expect(fn.Properties.Environment.Variables[stateMachineArnVariable(workflow.name)], workflow.name).toBeDefined();
  });

  it('lets the jobs route invoke the scheduled function, tells it the function\'s name, and grants it nothing else beyond its audit writes', () => {
    const jobsFunction = stack.groupFunctions.get('jobs')!;
    const statements = statementsOf(jobsFunction);
    const invoke = statements.filter((s) => asArray(s.Action as string).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(asArray(invoke[0]!.Resource)).toEqual([scheduledArn(), { 'Fn::Join': ['', [scheduledArn(), ':*']] }]);
    expect(statements.flatMap((s) => asArray(s.Action as string)).filter((a) => a.startsWith('states:') || a.startsWith('kms:'))).toEqual([]);
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(jobsFunction)] as Resource;
    expect(fn.Properties.Environment.Variables.SCHEDULED_FUNCTION_NAME).toEqual({ Ref: logicalId(stack.scheduledJobs.function) });
    for (const group of routeGroups.filter((g) => g !== 'jobs')) {
      // The groups that reach AKS and GKE invoke their provider functions, and nothing else.
      const invoked = statementsOf(stack.groupFunctions.get(group)!)
        .filter((s) => asArray(s.Action as string).some((a) => a.startsWith('lambda:')))
        .flatMap((s) => asArray(s.Resource))
        .filter((r) => !JSON.stringify(r).includes('ProviderFunction'));
      expect(invoked, group).toEqual([]);
    }
  });

  it('alarms on any error or throttle of the scheduled function', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>).filter((a) =>
      JSON.stringify(a.Properties.Dimensions ?? []).includes(logicalId(stack.scheduledJobs.function)),
    );
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(['Errors', 'Throttles']);
    for (const alarm of alarms) expect(alarm.Properties.Threshold).toBe(1);
  });
});
