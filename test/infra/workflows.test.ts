import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeGroups } from '#shared/api/route-table.ts';
import { PaletteStack } from '#infra/aws/api-stack.ts';
import { routeGroupAccess } from '#infra/aws/route-group-access.ts';
import { STEP_FUNCTION_TIMEOUT, WORKFLOW_TAG } from '#infra/aws/workflows.ts';
import { workflowDefinitions, workflowRegistry, familyOf } from '#workflows/registry.ts';
import { stateMachineArnVariable, type WorkflowFamily } from '#workflows/names.ts';
import { localFunctionArn, renderDefinition, type AslDefinition } from '#workflows/render.ts';

/** Synthesized CloudFormation is untyped JSON. */
type Json = any;
type Resource = { Type: string; Properties: Record<string, Json> };
type Statement = { Effect: string; Action: string | string[]; Resource: Json; Condition?: Json };

/** Stands in for the step Lambda's ARN on both sides of the definition comparison. */
const PLACEHOLDER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:placeholder-host-cluster-steps';

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The workflows a route group starts, by the families routeGroupAccess gives it. */
const workflowsStartedBy = (group: keyof typeof routeGroupAccess) =>
  workflowDefinitions.filter((w) => routeGroupAccess[group].startsWorkflowsOf.includes(w.family));

/** X-Ray's write actions: they take no resource, so they come on `*` and never with another action. */
const xrayActions = /^xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)$/;

/** Every state of a definition, including those inside Parallel branches and Map iterators. */
function allStates(definition: { States: Record<string, Record<string, Json>> }): Array<[string, Record<string, Json>]> {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, Record<string, Json>],
    ...asArray((state.Branches ?? []) as Json[]).flatMap((branch: Json) => allStates(branch)),
    ...(state.Iterator ? allStates(state.Iterator) : []),
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
  ]);
}

describe('the workflows in the Palette stack (bundling skipped)', () => {
  let stack: PaletteStack;
  let template: Template;
  let resources: Record<string, Resource>;

  beforeAll(() => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new PaletteStack(app, 'Palette');
    template = Template.fromStack(stack);
    resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
  });

  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as cdk.CfnElement);
  const stepFunction = (family: WorkflowFamily = 'host-cluster') => stack.workflows.stepFunctions.get(family)!;
  const stepFunctionId = (family: WorkflowFamily = 'host-cluster') => logicalId(stepFunction(family));
  const familyOfWorkflow = (name: string) => workflowDefinitions.find((w) => w.name === name)!.family;
  const tableArn = () => ({ 'Fn::GetAtt': [logicalId(stack.table), 'Arn'] });
  const indexArn = () => ({ 'Fn::Join': ['', [tableArn(), '/index/*']] });

  const stateMachineResources = () =>
    Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');

  /** The state machine resource tagged with the workflow's name. */
  function stateMachineFor(name: string): [string, Resource] {
    const matches = stateMachineResources().filter(([, r]) =>
      (r.Properties.Tags as Array<{ Key: string; Value: string }> | undefined)?.some((t) => t.Key === WORKFLOW_TAG && t.Value === name),
    );
    expect(matches, name).toHaveLength(1);
    return matches[0]!;
  }

  /** The template's definition with the step Lambda's GetAtt replaced by the placeholder ARN. */
  function templateDefinition(resource: Resource, family: WorkflowFamily): AslDefinition {
    const body = resource.Properties.DefinitionString as string | { 'Fn::Join': [string, Json[]] };
    if (typeof body === 'string') return JSON.parse(body) as AslDefinition;
    const [separator, parts] = body['Fn::Join'];
    const text = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        if (same(part, { 'Fn::GetAtt': [stepFunctionId(family), 'Arn'] })) return PLACEHOLDER_ARN;
        throw new Error(`unexpected token in the definition: ${JSON.stringify(part)}`);
      })
      .join(separator);
    return JSON.parse(text) as AslDefinition;
  }

  /** Every statement of the inline policies attached to a role. */
  function statementsOf(role: { node: { defaultChild?: unknown } }): Statement[] {
    const roleRef = { Ref: logicalId(role) };
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((ref) => same(ref, roleRef)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  }
  const actionsOf = (statements: Statement[]) => statements.flatMap((s) => asArray(s.Action));

  it('creates one Standard state machine per workflow definition', () => {
    const machines = stateMachineResources();
    expect(machines).toHaveLength(workflowDefinitions.length);
    expect(stack.workflows.stateMachines.size).toBe(workflowDefinitions.length);
    for (const [id, machine] of machines) {
      expect(machine.Properties.StateMachineType, id).toBe('STANDARD');
      expect(machine.Properties.StateMachineName, id).toBeUndefined();
    }
    for (const workflow of workflowDefinitions) {
      const [id] = stateMachineFor(workflow.name);
      expect(id, workflow.name).toBe(logicalId(stack.workflows.stateMachines.get(workflow.name)!));
    }
  });

  it('deploys exactly the definition workflows/ renders for the local runner', () => {
    for (const workflow of workflowDefinitions) {
      const [, machine] = stateMachineFor(workflow.name);
      expect(templateDefinition(machine, workflow.family), workflow.name).toEqual(renderDefinition(workflow, PLACEHOLDER_ARN));
    }
  });

  it('logs every execution event to its own one-month log group without execution data', () => {
    for (const workflow of workflowDefinitions) {
      const [id, machine] = stateMachineFor(workflow.name);
      const logging = machine.Properties.LoggingConfiguration as Json;
      expect(['ALL', 'ERROR'], id).toContain(logging.Level);
      expect(logging.IncludeExecutionData, id).toBe(false);
      const destinations = logging.Destinations as Json[];
      expect(destinations, id).toHaveLength(1);
      const [groupId] = destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'] as [string, string];
      expect(resources[groupId]?.Type, id).toBe('AWS::Logs::LogGroup');
      expect(resources[groupId]!.Properties.RetentionInDays, id).toBe(30);
    }
  });

  it('runs the step Lambda with the API functions\' settings, a 60 second timeout and the table name', () => {
    const fn = resources[stepFunctionId()]!;
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.Timeout).toBe(STEP_FUNCTION_TIMEOUT.toSeconds());
    expect(fn.Properties.Timeout).toBe(60);
    expect(fn.Properties.FunctionName).toBeUndefined();
    expect(fn.Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: logicalId(stack.table) });
    expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(fn.Properties.LoggingConfig?.LogGroup).toBeDefined();
  });

  it('lets the step Lambda use the table, assume customer roles, write its own logs and traces, and nothing else', () => {
    const statements = statementsOf(stepFunction().role!);
    expect(statements.length).toBeGreaterThan(0);
    const logGroupArn = { 'Fn::GetAtt': [logicalId(stepFunction().logGroup), 'Arn'] };
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      const actions = asArray(statement.Action);
      for (const action of actions) expect(action).toMatch(/^(dynamodb|sts|logs|xray|lambda|kms):/);
      if (actions.some((a) => a.startsWith('kms:'))) {
        // Edge and vSphere clusters are reached with the kubeconfig their agent reported, helm layers' registries
        // signed in to with their credential: both opened, never sealed here.
        expect(actions).toEqual(['kms:Decrypt']);
        expect((statement.Condition as { StringLike: Record<string, unknown> }).StringLike['kms:EncryptionContext:purpose']).toEqual(['cluster:*', 'registry:*']);
      }
      if (actions.some((a) => a.startsWith('lambda:'))) {
        // AKS and GKE clusters are driven through their provider functions, and only those.
        expect(actions).toEqual(['lambda:InvokeFunction']);
        for (const resource of asArray(statement.Resource)) expect(JSON.stringify(resource)).toMatch(/(Aks|Gke)ProviderFunction/);
      }
      if (actions.some((a) => a.startsWith('dynamodb:'))) {
        for (const resource of asArray(statement.Resource)) expect([tableArn(), indexArn()]).toContainEqual(resource);
      }
      if (actions.some((a) => a.startsWith('logs:'))) {
        expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
        expect(asArray(statement.Resource)).toEqual([logGroupArn]);
      }
      if (actions.some((a) => a.startsWith('xray:'))) {
        for (const action of actions) expect(action).toMatch(xrayActions);
        expect(statement.Resource).toBe('*');
      }
      if (statement.Resource === '*') for (const action of actions) expect(action).toMatch(xrayActions);
      if (actions.some((a) => a.startsWith('sts:'))) {
        expect(actions).toEqual(['sts:AssumeRole']);
        expect(asArray(statement.Resource)).toEqual([
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/*']] },
        ]);
      }
    }
    const actions = actionsOf(statements);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'sts:AssumeRole', 'xray:PutTraceSegments']),
    );
    // EKS is called with the assumed customer credentials, never with this role's own.
    expect(actions.filter((a) => a.startsWith('eks:') || a === '*')).toEqual([]);
    expect(actions.filter((a) => a.startsWith('states:') || a.startsWith('iam:'))).toEqual([]);
  });

  it('assumes customer roles only with an external id and a palette-<clusterId> session name', () => {
    const assumeRole = statementsOf(stepFunction().role!).filter((s) => asArray(s.Action).includes('sts:AssumeRole'));
    expect(assumeRole).toHaveLength(1);
    expect(assumeRole[0]!.Condition).toEqual({
      Null: { 'sts:ExternalId': 'false' },
      StringLike: { 'sts:RoleSessionName': 'palette-*' },
    });
  });

  it('lets each state machine invoke only its family\'s step Lambda, deliver its logs and write traces', () => {
    for (const [name, stateMachine] of stack.workflows.stateMachines) {
      const stepArn = { 'Fn::GetAtt': [stepFunctionId(familyOfWorkflow(name)), 'Arn'] };
      const statements = statementsOf(stateMachine.role);
      for (const statement of statements) {
        const actions = asArray(statement.Action);
        for (const action of actions) expect(action, name).toMatch(/^(lambda:InvokeFunction|logs:\w+|xray:\w+)$/);
        if (actions.includes('lambda:InvokeFunction')) {
          for (const resource of asArray(statement.Resource)) {
            expect([stepArn, { 'Fn::Join': ['', [stepArn, ':*']] }], name).toContainEqual(resource);
          }
        }
        if (statement.Resource === '*') {
          // Log delivery and X-Ray, which take no resource; nothing else on every resource.
          for (const action of actions) expect(action, name).toMatch(/^(logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)|logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$|^xray:/);
          for (const action of actions.filter((a) => a.startsWith('xray:'))) expect(action, name).toMatch(xrayActions);
        }
      }
      expect(actionsOf(statements), name).toEqual(expect.arrayContaining(['lambda:InvokeFunction', 'xray:PutTraceSegments']));
    }
  });

  it('lets the App Mode step Lambdas use the secrets key only for virtual cluster credentials, sealing or opening as their steps need', () => {
    const keyArn = { 'Fn::GetAtt': [logicalId(stack.secretsKey), 'Arn'] };
    const kmsOf = (family: WorkflowFamily) =>
      statementsOf(stepFunction(family).role!).filter(
        (s) =>
          asArray(s.Action).some((a) => a.startsWith('kms:')) &&
          !['["cluster:*"]', '["cluster:*","registry:*"]'].includes(JSON.stringify((s.Condition as { StringLike?: Record<string, unknown> })?.StringLike?.['kms:EncryptionContext:purpose'])) &&
          // The backups key (a restore reads a snapshot through S3) is held to its own test below.
          !same(asArray(s.Resource), [{ 'Fn::GetAtt': [logicalId(stack.backups.key), 'Arn'] }]),
      );
    // Beside these, the host steps (and the virtual-cluster steps, reaching an edge or vSphere host) open only 'cluster:*' (and helm layers' 'registry:*').
    expect(kmsOf('host-cluster')).toEqual([]);
    for (const [family, action] of [['virtual-cluster', 'kms:GenerateDataKey'], ['app', 'kms:Decrypt']] as const) {
      const statements = kmsOf(family);
      expect(statements, family).toHaveLength(1);
      expect(asArray(statements[0]!.Action), family).toEqual([action]);
      expect(asArray(statements[0]!.Resource), family).toEqual([keyArn]);
      const condition = statements[0]!.Condition as { StringLike: Record<string, string | string[]> };
      expect(Object.keys(condition), family).toEqual(['StringLike']);
      // App steps also open helm tiers' registry credentials, to hand them to the virtual cluster's Flux.
      expect(asArray(condition.StringLike['kms:EncryptionContext:purpose']), family).toEqual(family === 'app' ? ['virtualcluster:*', 'registry:*'] : ['virtualcluster:*']);
      expect(resources[stepFunctionId(family)]!.Properties.Environment.Variables.SECRETS_KMS_KEY_ID, family).toEqual(keyArn);
    }
  });

  it('lets the backup steps put snapshots and the virtual-cluster steps (a restore) get them, on the backup bucket\'s objects only, its key only through S3', () => {
    const bucketObjects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.backups.bucket), 'Arn'] }, '/*']] };
    const backupKey = { 'Fn::GetAtt': [logicalId(stack.backups.key), 'Arn'] };
    const expected: Partial<Record<WorkflowFamily, { s3: string; kms: string }>> = {
      backup: { s3: 's3:PutObject', kms: 'kms:GenerateDataKey' },
      'virtual-cluster': { s3: 's3:GetObject', kms: 'kms:Decrypt' },
    };
    for (const family of workflowRegistry.map((f) => f.family)) {
      const statements = statementsOf(stepFunction(family).role!);
      const onBucket = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('s3:')));
      const onKey = statements.filter((s) => same(asArray(s.Resource), [backupKey]));
      const variables = resources[stepFunctionId(family)]!.Properties.Environment.Variables as Record<string, Json>;
      const grant = expected[family];
      if (!grant) {
        // No other family touches backups.
        expect(onBucket, family).toEqual([]);
        expect(onKey, family).toEqual([]);
        expect(variables.BACKUP_BUCKET, family).toBeUndefined();
        continue;
      }
      expect(onBucket.map((s) => [asArray(s.Action), asArray(s.Resource)]), family).toEqual([[[grant.s3], [bucketObjects]]]);
      expect(onKey.map((s) => asArray(s.Action)), family).toEqual([[grant.kms]]);
      const condition = onKey[0]!.Condition as { StringEquals: Record<string, unknown>; StringLike: Record<string, unknown> };
      expect(condition.StringEquals['kms:ViaService'], family).toEqual({ 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] });
      expect(JSON.stringify(condition.StringLike['kms:EncryptionContext:aws:s3:arn']), family).toContain(logicalId(stack.backups.bucket));
      expect(variables.BACKUP_BUCKET, family).toEqual({ Ref: logicalId(stack.backups.bucket) });
      expect(variables.BACKUP_KMS_KEY_ID, family).toEqual(backupKey);
    }
    // The backup steps open the virtual cluster's credential to read it, and seal nothing.
    const secrets = statementsOf(stepFunction('backup').role!).filter((s) => asArray(s.Action).some((a) => a.startsWith('kms:')) && !same(asArray(s.Resource), [backupKey]));
    expect(secrets.map((s) => [asArray(s.Action), (s.Condition as { StringLike: Record<string, unknown> }).StringLike['kms:EncryptionContext:purpose']])).toEqual([[['kms:Decrypt'], ['virtualcluster:*']]]);
  });

  it('keeps backups in a private, TLS-only bucket encrypted with the backups key, expiring at 365 days, its access logged', () => {
    const bucket = resources[logicalId(stack.backups.bucket)]!;
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack.backups.key), 'Arn'] } } },
    ]);
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ ExpirationInDays: 365, Status: 'Enabled' })]);
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalId(stack.backups.accessLogs) });
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && same(r.Properties.Bucket, { Ref: logicalId(stack.backups.bucket) }))!;
    expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    expect(resources[logicalId(stack.backups.key)]!.Properties.EnableKeyRotation).toBe(true);
  });

  it('traces every state machine with X-Ray', () => {
    for (const [id, machine] of stateMachineResources()) {
      expect(machine.Properties.TracingConfiguration, id).toEqual({ Enabled: true });
    }
  });

  it('lets a route-group function start exactly the state machines of the families routeGroupAccess gives it, and nothing else in Step Functions', () => {
    for (const group of routeGroups) {
      const statements = statementsOf(stack.groupFunctions.get(group)!.role!).filter((s) =>
        asArray(s.Action).some((a) => a.startsWith('states:') || a === '*'),
      );
      const expected = workflowsStartedBy(group).map((w) => ({ Ref: stateMachineFor(w.name)[0] }));
      if (expected.length === 0) {
        expect(statements, group).toEqual([]);
        continue;
      }
      expect(actionsOf(statements).every((a) => a === 'states:StartExecution'), group).toBe(true);
      const granted = statements.flatMap((s) => asArray(s.Resource));
      expect(granted, group).toHaveLength(expected.length);
      expect(granted, group).toEqual(expect.arrayContaining(expected));
    }
  });

  it('has every workflow family started by some route group, so none is out of reach of the API', () => {
    const started = new Set(Object.values(routeGroupAccess).flatMap((access) => access.startsWorkflowsOf));
    expect([...started].sort()).toEqual(workflowRegistry.map((f) => f.family).sort());
  });

  it('gives Step Functions permissions to no role but the route-group functions\' and the scheduled function\'s', () => {
    const groupRoleIds = [...stack.groupFunctions.values(), stack.scheduledJobs.function].map((fn) => logicalId(fn.role!));
    const authorizerRoleId = logicalId(stack.authorizerFunction.role!);
    expect(actionsOf(statementsOf(stack.authorizerFunction.role!)).filter((a) => a.startsWith('states:'))).toEqual([]);
    for (const [id, policy] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy')) {
      const actions = actionsOf(policy.Properties.PolicyDocument.Statement as Statement[]);
      if (!actions.some((a) => a.startsWith('states:'))) continue;
      const roles = (policy.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref);
      expect(roles, id).not.toContain(authorizerRoleId);
      for (const role of roles) expect(groupRoleIds, id).toContain(role);
    }
  });

  it('passes a route-group function the STATE_MACHINE_* variable of exactly the workflows it starts', () => {
    for (const group of routeGroups) {
      const variables = resources[logicalId(stack.groupFunctions.get(group)!)]!.Properties.Environment.Variables as Record<string, Json>;
      const expected = workflowsStartedBy(group);
      for (const workflow of expected) {
        expect(variables[stateMachineArnVariable(workflow.name)], `${group} ${workflow.name}`).toEqual({ Ref: stateMachineFor(workflow.name)[0] });
      }
      expect(Object.keys(variables).filter((k) => k.startsWith('STATE_MACHINE_')).sort(), group).toEqual(
        expected.map((w) => stateMachineArnVariable(w.name)).sort(),
      );
    }
    for (const fn of [stack.authorizerFunction, ...stack.workflows.stepFunctions.values()]) {
      const variables = resources[logicalId(fn)]!.Properties.Environment.Variables as Record<string, Json>;
      expect(Object.keys(variables).filter((k) => k.startsWith('STATE_MACHINE_'))).toEqual([]);
    }
  });
});

describe('the rendered host-cluster workflow definitions', () => {
  const rendered = workflowDefinitions.map((w) => [w.name, renderDefinition(w, PLACEHOLDER_ARN)] as const);

  it('invoke the step Lambda directly (payloadResponseOnly) from every Task', () => {
    for (const [name, definition] of rendered) {
      const tasks = allStates(definition).filter(([, s]) => s.Type === 'Task');
      expect(tasks.length, name).toBeGreaterThan(0);
      for (const [state, task] of tasks) {
        expect(task.Resource, `${name} ${state}`).toBe(PLACEHOLDER_ARN);
        expect(task.Parameters?.FunctionName, `${name} ${state}`).toBeUndefined();
      }
    }
  });

  it('bound every Task with a timeout', () => {
    for (const [name, definition] of rendered) {
      for (const [state, task] of allStates(definition).filter(([, s]) => s.Type === 'Task')) {
        expect(task.TimeoutSeconds, `${name} ${state}`).toBeGreaterThan(60);
      }
    }
  });

  it('retry TransientProviderError on every Task and catch States.ALL on every Task outside the failure path', () => {
    for (const [name, definition] of rendered) {
      const states = Object.fromEntries(allStates(definition));
      for (const [state, task] of Object.entries(states).filter(([, s]) => s.Type === 'Task')) {
        const retriedErrors = (task.Retry as Array<{ ErrorEquals: string[] }> | undefined)?.flatMap((r) => r.ErrorEquals) ?? [];
        expect(retriedErrors, `${name} ${state}`).toContain('TransientProviderError');
        const caughtErrors = (task.Catch as Array<{ ErrorEquals: string[] }> | undefined)?.flatMap((c) => c.ErrorEquals) ?? [];
        if (task.Parameters?.step === 'markError') {
          // The failure path itself: whatever happens, the execution ends in its Fail state.
          expect(states[task.Next as string]?.Type, `${name} ${state}`).toBe('Fail');
          const catches = (task.Catch as Array<{ ErrorEquals: string[]; Next: string }> | undefined) ?? [];
          expect(catches.map((c) => [c.ErrorEquals, states[c.Next]?.Type]), `${name} ${state}`).toEqual([[['States.ALL'], 'Fail']]);
        } else {
          expect(caughtErrors, `${name} ${state}`).toContain('States.ALL');
        }
      }
    }
  });

  it('stay runnable by the local runner: JSONPath only, no variables, and the local step function ARN by default', () => {
    for (const workflow of workflowDefinitions) {
      const definition = renderDefinition(workflow);
      const text = JSON.stringify(definition);
      expect(definition.QueryLanguage ?? 'JSONPath', workflow.name).toBe('JSONPath');
      expect(text, workflow.name).not.toMatch(/"QueryLanguage":"JSONata"|"Assign":/);
      for (const [state, task] of allStates(definition).filter(([, s]) => s.Type === 'Task')) {
        expect(task.Resource, `${workflow.name} ${state}`).toBe(localFunctionArn(familyOf(workflow).stepLambda.functionName));
      }
    }
  });
});
