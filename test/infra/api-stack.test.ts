import { PROVIDER_FUNCTION_TIMEOUT_SECONDS, providerFunctions } from '#shared/providers/remote/functions.ts';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeGroups, routeKey, routeList } from '#shared/api/route-table.ts';
import { tableDefinition } from '#shared/store/table-definition.ts';
import { isMutation } from '#shared/api/route-kit.ts';
import { API_BURST_LIMIT, API_RATE_LIMIT, PaletteStack } from '#infra/aws/api-stack.ts';
import { routeGroupAccess } from '#infra/aws/route-group-access.ts';
import { workflowDefinitions, workflowRegistry } from '#workflows/registry.ts';
import { SCHEDULED_FUNCTION_TIMEOUT_SECONDS } from '#shared/jobs/schedule.ts';

/** Synthesized CloudFormation is untyped JSON. */
 
type Json = any;
type Resource = { Type: string; Properties: Record<string, Json>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

const dynamoWriteActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The route-group functions, the authorizer, each workflow family's step Lambda and the scheduled function. */
const ourFunctionCount = routeGroups.length + 1 + workflowRegistry.length + 1 + Object.keys(providerFunctions).length;

/** Our functions are the NodejsFunctions; CDK's helper functions use other handlers. */
const ourFunctions = (template: Template) =>
  Object.entries(template.findResources('AWS::Lambda::Function') as Record<string, Resource>).filter(
    ([, fn]) => fn.Properties.Handler === 'index.handler',
  );

describe('PaletteStack (bundling skipped)', () => {
  let stack: PaletteStack;
  let template: Template;

  beforeAll(() => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stack = new PaletteStack(app, 'Palette');
    template = Template.fromStack(stack);
  });

  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as cdk.CfnElement);

  const tableLogicalId = () => logicalId(stack.table);

  /** Every action of the inline policies attached to the function's role. */
  const roleActions = (fn: { role?: { node: { defaultChild?: unknown } } }) => {
    const roleRef = JSON.stringify({ Ref: logicalId(fn.role!) });
    return Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef))
      .flatMap((p) =>
        (p.Properties.PolicyDocument.Statement as Array<Record<string, Json>>).flatMap((s) => asArray(s.Action as string)),
      );
  };

  it('creates one API Gateway route per route-table entry with its METHOD path route key', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>);
    expect(routes).toHaveLength(routeList.length);
    const keys = routes.map((r) => r.Properties.RouteKey as string).sort();
    expect(keys).toEqual(routeList.map((r) => routeKey(r)).sort());
  });

  it('puts the Lambda authorizer on every non-public route and no authorizer on public ones', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>);
    const authorizers = Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer'));
    expect(authorizers).toHaveLength(1);
    for (const route of routeList) {
      const resource = routes.find((r) => r.Properties.RouteKey === routeKey(route));
      expect(resource, routeKey(route)).toBeDefined();
      if (route.permission === 'public') {
        expect(resource!.Properties.AuthorizationType, routeKey(route)).toBe('NONE');
        expect(resource!.Properties.AuthorizerId, routeKey(route)).toBeUndefined();
      } else {
        expect(resource!.Properties.AuthorizationType, routeKey(route)).toBe('CUSTOM');
        expect(resource!.Properties.AuthorizerId, routeKey(route)).toEqual({ Ref: authorizers[0] });
      }
    }
  });

  it('routes each path to the function of its route group', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>);
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration') as Record<string, Resource>;
    expect(Object.keys(integrations)).toHaveLength(routeGroups.length);
    for (const route of routeList) {
      const resource = routes.find((r) => r.Properties.RouteKey === routeKey(route))!;
      const target = resource.Properties.Target as { 'Fn::Join': [string, unknown[]] };
      const integrationRef = target['Fn::Join'][1][1] as { Ref: string };
      const integration = integrations[integrationRef.Ref]!;
      const fn = stack.groupFunctions.get(route.group)!;
      expect(integration.Properties.IntegrationUri, routeKey(route)).toEqual({
        'Fn::GetAtt': [logicalId(fn), 'Arn'],
      });
    }
  });

  it('runs every function on Node.js 24 on arm64, traced by X-Ray, with the table name in its environment when it keeps data', () => {
    const functions = ourFunctions(template);
    expect(functions).toHaveLength(ourFunctionCount);
    const stepFunctionIds = [...stack.workflows.stepFunctions.values()].map(logicalId);
    const scheduledId = logicalId(stack.scheduledJobs.function);
    const providerIds = [...stack.providerFunctions.functions.values()].map(logicalId);
    // The provider functions keep no data: they only reach their cloud.
    const dataless = [...routeGroups.filter((g) => routeGroupAccess[g].table === 'none').map((g) => logicalId(stack.groupFunctions.get(g)!)), ...providerIds];
    expect(dataless).toHaveLength(1 + providerIds.length);
    for (const [id, fn] of functions) {
      expect(fn.Properties.Runtime, id).toBe('nodejs24.x');
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
      expect(fn.Properties.MemorySize, id).toBe(1024);
      expect(fn.Properties.Timeout, id).toBe(id === scheduledId ? SCHEDULED_FUNCTION_TIMEOUT_SECONDS : stepFunctionIds.includes(id) ? 60 : providerIds.includes(id) ? PROVIDER_FUNCTION_TIMEOUT_SECONDS : 29);
      expect(fn.Properties.Environment.Variables.TABLE_NAME, id).toEqual(dataless.includes(id) ? undefined : { Ref: tableLogicalId() });
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS, id).toBe('--enable-source-maps');
      expect(fn.Properties.LoggingConfig?.LogGroup, id).toBeDefined();
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME, id).toEqual(expect.any(String));
      // Responses carry kubeconfigs and new API keys.
      expect(fn.Properties.Environment.Variables.POWERTOOLS_TRACER_CAPTURE_RESPONSE, id).toBe('false');
    }
  });

  it('gives every function a role of its own with no managed policy and log writes only to its own log group', () => {
    const roles = template.findResources('AWS::IAM::Role') as Record<string, Resource>;
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>);
    const roleIds = new Set<string>();
    for (const [id, fn] of ourFunctions(template)) {
      const [roleId] = fn.Properties.Role['Fn::GetAtt'] as [string, string];
      roleIds.add(roleId);
      expect(roles[roleId]!.Properties.ManagedPolicyArns, id).toBeUndefined();
      const logGroupArn = { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] };
      const statements = policies
        .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, Json>>);
      const logStatements = statements.filter((s) => asArray(s.Action as string).some((a) => a.startsWith('logs:')));
      expect(logStatements, id).toHaveLength(1);
      expect(asArray(logStatements[0]!.Action as string).sort(), id).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(asArray(logStatements[0]!.Resource), id).toEqual([logGroupArn]);
      // Only X-Ray's write actions, which take no resource, are granted on every resource.
      for (const statement of statements.filter((s) => s.Resource === '*')) {
        expect(asArray(statement.Action as string).sort(), id).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
      }
    }
    expect(roleIds.size).toBe(ourFunctionCount);
  });

  it('keeps function, state machine and API access logs for one month', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup') as Record<string, Resource>);
    expect(groups).toHaveLength(ourFunctionCount + workflowDefinitions.length + 1);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('builds the table keys, indexes and TTL from the table definition', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::GlobalTable') as Record<string, Resource>);
    expect(tables).toHaveLength(1);
    const table = tables[0]!;
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: tableDefinition.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey.name, KeyType: 'RANGE' },
    ]);
    const expectedIndexes = tableDefinition.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(expectedIndexes);
    const attributes = new Map<string, string>();
    for (const key of [
      tableDefinition.partitionKey,
      tableDefinition.sortKey,
      ...tableDefinition.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
    ]) {
      attributes.set(key.name, key.type);
    }
    expect(
      [...(table.Properties.AttributeDefinitions as Array<{ AttributeName: string; AttributeType: string }>)].sort(
        (a, b) => a.AttributeName.localeCompare(b.AttributeName),
      ),
    ).toEqual(
      [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })).sort((a, b) =>
        a.AttributeName.localeCompare(b.AttributeName),
      ),
    );
    expect(table.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: tableDefinition.timeToLiveAttribute,
      Enabled: true,
    });
  });

  it('makes the table on-demand with point-in-time recovery and keeps it when the stack is deleted', () => {
    const table = Object.values(template.findResources('AWS::DynamoDB::GlobalTable') as Record<string, Resource>)[0]!;
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    const replicas = table.Properties.Replicas as Array<Record<string, Json>>;
    expect(replicas.length).toBeGreaterThan(0);
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('scopes every DynamoDB permission to the table and its indexes, never to every resource', () => {
    const tableArn = { 'Fn::GetAtt': [tableLogicalId(), 'Arn'] };
    const indexArn = { 'Fn::Join': ['', [tableArn, '/index/*']] };
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>);
    let dynamoStatements = 0;
    for (const policy of policies) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<Record<string, Json>>) {
        const actions = asArray(statement.Action as string | string[]);
        if (!actions.some((a) => a.startsWith('dynamodb:'))) continue;
        dynamoStatements += 1;
        const resources = asArray(statement.Resource as unknown);
        expect(resources).not.toContain('*');
        for (const resource of resources) expect([tableArn, indexArn]).toContainEqual(resource);
      }
    }
    const groupsWithTableAccess = routeGroups.filter((group) => routeGroupAccess[group].table !== 'none');
    expect(dynamoStatements).toBeGreaterThanOrEqual(groupsWithTableAccess.length + 1 + workflowRegistry.length);
  });

  it('keeps the agents function to agent partitions: a request naming any other partition key is denied', () => {
    const roleId = stack.getLogicalId(stack.groupFunctions.get('agents')!.role!.node.defaultChild as cdk.CfnElement);
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
      .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, Json>>);
    const deny = statements.filter((s) => s.Effect === 'Deny');
    expect(deny).toHaveLength(1);
    expect(asArray(deny[0]!.Action as string[])).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:Query']));
    expect(deny[0]!.Condition).toEqual({ 'ForAnyValue:StringNotLike': { 'dynamodb:LeadingKeys': ['AGENTKEY#*', 'REGTOKEN#*', 'TENANT#*', 'AUDIT#*'] } });
    // No other function carries such a restriction by accident.
    expect(routeGroups.filter((g) => routeGroupAccess[g].leadingKeys)).toEqual(['agents']);
  });

  it('lets the authorizer read the table but never write to it', () => {
    const roleId = stack.getLogicalId(stack.authorizerFunction.role!.node.defaultChild as cdk.CfnElement);
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>).filter(
      (p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })),
    );
    expect(policies.length).toBeGreaterThan(0);
    const actions = policies.flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as Array<Record<string, Json>>).flatMap((s) => asArray(s.Action as string)),
    );
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).toContain('dynamodb:Query');
    for (const action of dynamoWriteActions) expect(actions).not.toContain(action);
    expect(actions.some((a) => a === 'dynamodb:*')).toBe(false);
  });

  it('gives each route-group function the table access routeGroupAccess says: writes, reads only, or none', () => {
    for (const group of routeGroups) {
      const actions = roleActions(stack.groupFunctions.get(group)!);
      const access = routeGroupAccess[group].table;
      if (access === 'none') {
        expect(actions.filter((a) => a.startsWith('dynamodb:')), group).toEqual([]);
        continue;
      }
      expect(actions, group).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem']));
      if (access === 'read-write') expect(actions, group).toEqual(expect.arrayContaining(dynamoWriteActions));
      else for (const action of dynamoWriteActions) expect(actions, group).not.toContain(action);
    }
  });

  it('lets a route group write the table if and only if one of its routes is a mutation', () => {
    for (const group of routeGroups) {
      const mutates = routeList.some((route) => route.group === group && isMutation(route.method));
      const access = routeGroupAccess[group].table;
      if (mutates) expect(access, group).toBe('read-write');
      else expect(access, group).not.toBe('read-write');
    }
  });

  it('lets API Gateway invoke each route-group function from this API with one permission per function, not one per route', () => {
    // One per function keeps the stack under CloudFormation's 500 resources; API Gateway invokes a function only
    // from the routes integrated with it (the test above), and the handler answers only its own group's route keys.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission') as Record<string, Resource>).filter(
      (p) => p.Properties.Principal === 'apigateway.amazonaws.com',
    );
    const authorizerAndGroups = [...stack.groupFunctions.values(), stack.authorizerFunction].map((fn) => ({ 'Fn::GetAtt': [logicalId(fn), 'Arn'] }));
    expect(permissions.map((p) => p.Properties.FunctionName)).toEqual(expect.arrayContaining(authorizerAndGroups));
    expect(permissions).toHaveLength(authorizerAndGroups.length);
    for (const permission of permissions) expect(JSON.stringify(permission.Properties.SourceArn)).toContain(logicalId(stack.api));
  });

  it('lets only the backups route group touch the backup bucket: DeleteObject on its objects, and no key', () => {
    const bucketObjects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.backups.bucket), 'Arn'] }, '/*']] };
    for (const group of routeGroups) {
      const roleRef = JSON.stringify({ Ref: logicalId(stack.groupFunctions.get(group)!.role!) });
      const statements = Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
        .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, Json>>);
      const onBucket = statements.filter((s) => asArray(s.Action as string).some((a) => a.startsWith('s3:')));
      const onKey = statements.filter((s) => JSON.stringify(s.Resource).includes(logicalId(stack.backups.key)));
      expect(onKey, group).toEqual([]);
      if (group === 'backups') expect(onBucket.map((s) => [asArray(s.Action as string), asArray(s.Resource)])).toEqual([[['s3:DeleteObject'], [bucketObjects]]]);
      else expect(onBucket, group).toEqual([]);
    }
  });

  it('lets the public function, which only answers /healthz and the OpenAPI document, do nothing but write its logs and traces', () => {
    expect(routeList.filter((route) => route.group === 'public').every((route) => route.permission === 'public')).toBe(true);
    const actions = roleActions(stack.groupFunctions.get('public')!);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^(logs:(CreateLogStream|PutLogEvents)|xray:(PutTraceSegments|PutTelemetryRecords))$/);
  });

  it('caches authorizer results for five minutes using simple responses keyed on the Authorization header', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerResultTtlInSeconds: 300,
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerUri: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':apigateway:',
            { Ref: 'AWS::Region' },
            ':lambda:path/2015-03-31/functions/',
            { 'Fn::GetAtt': [logicalId(stack.authorizerFunction), 'Arn'] },
            '/invocations',
          ],
        ],
      },
    });
  });

  it('outputs the API URL, the table name and the alarm topic', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'TableName', 'AlarmTopicArn']));
    expect(outputs.AlarmTopicArn!.Value).toEqual({ Ref: logicalId(stack.alarms.topic) });
  });
});

describe('PaletteStack (bundling with esbuild)', () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'palette-cdk-'));
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it(
    'bundles every function into a minified ESM index.mjs with a source map',
    () => {
      const app = new cdk.App({ outdir });
      const stack = new PaletteStack(app, 'Palette');
      const assembly = app.synth();
      const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, Resource> };
      const functions = Object.entries(template.Resources).filter(
        ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.handler',
      );
      expect(functions).toHaveLength(ourFunctionCount);
      for (const [id, fn] of functions) {
        // The asset's S3 key is `<hash>.zip`; its staged directory is `asset.<hash>`.
        const key = fn.Properties.Code.S3Key as string;
        const assetDir = join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
        expect(existsSync(assetDir), `${id} asset ${assetDir}`).toBe(true);
        const bundle = join(assetDir, 'index.mjs');
        expect(existsSync(bundle), `${id} index.mjs`).toBe(true);
        expect(statSync(bundle).size, `${id} index.mjs size`).toBeGreaterThan(0);
        expect(existsSync(`${bundle}.map`), `${id} index.mjs.map`).toBe(true);
      }
    },
    // The workflow step Lambda bundles the EKS and Kubernetes clients: tens of seconds alone on a busy machine.
    300_000,
  );
});

describe('API throttling', () => {
  it('throttles the default stage so overload gets a 429 before any Lambda runs', () => {
    const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const template = Template.fromStack(new PaletteStack(app, 'Throttled'));
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: API_RATE_LIMIT, ThrottlingBurstLimit: API_BURST_LIMIT },
    });
  });
});
