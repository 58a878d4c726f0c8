/**
 * The Palette stack: the table, one Lambda function per route group, the REQUEST
 * authorizer, an HTTP API whose routes come one-for-one from the route table, the
 * workflows (step Lambdas + state machines) the route-group functions start, and the
 * alarms on all of it.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { routeGroups, routeList, type RouteGroup } from '#shared/api/route-table.ts';
import { AUTHORIZER_CACHE_TTL_SECONDS } from '#shared/http/authorizer-context.ts';
import { stateMachineArnVariable } from '#workflows/names.ts';
import { PlatformAlarms } from './alarms.ts';
import { createPaletteFunction, grantTableAccess, pascal } from './function-defaults.ts';
import { acknowledgeFinding, wildcardBelowArnFinding } from './nag.ts';
import { routeGroupAccess } from './route-group-access.ts';
import { createPaletteTable } from './table.ts';
import { createSecretsKey, grantSecrets } from './secrets-key.ts';
import { Workflows } from './workflows.ts';
import { ProviderFunctions } from './provider-functions.ts';
import { ScheduledJobs } from './scheduled-jobs.ts';
import { ConsoleHosting } from './console-hosting.ts';
import { BackupStorage } from './backup-storage.ts';

/** Requests per second across the API, and the burst above it (API Gateway token bucket). */
export const API_RATE_LIMIT = 500;
export const API_BURST_LIMIT = 1000;

/** Step Lambda errors per alarm period that alarm: one step's full retry series (six attempts) stays under it. */
export const STEP_ERRORS_ALARM_THRESHOLD = 10;

/**
 * One JSON line per request in the stage's access log. `userId` and `tenantId` are the
 * principal the authorizer put in its simple-response context (empty for a public
 * route or a refused key, whose reason is `authorizerReason`).
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  method: '$context.httpMethod',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  userId: '$context.authorizer.userId',
  tenantId: '$context.authorizer.tenantId',
  authorizerReason: '$context.authorizer.reason',
  authorizerError: '$context.authorizer.error',
} as const;

export type PaletteStackProps = cdk.StackProps;

export class PaletteStack extends cdk.Stack {
  readonly table: TableV2;
  readonly api: apigatewayv2.HttpApi;
  readonly groupFunctions: ReadonlyMap<RouteGroup, NodejsFunction>;
  readonly authorizerFunction: NodejsFunction;
  readonly workflows: Workflows;
  readonly alarms: PlatformAlarms;
  readonly secretsKey: kms.Key;
  readonly scheduledJobs: ScheduledJobs;
  readonly providerFunctions: ProviderFunctions;
  readonly console: ConsoleHosting;
  readonly backups: BackupStorage;

  constructor(scope: Construct, id: string, props?: PaletteStackProps) {
    super(scope, id, props);

    this.table = createPaletteTable(this, 'Table');

    this.secretsKey = createSecretsKey(this, 'SecretsKey');
    this.backups = new BackupStorage(this, 'Backups');
    this.workflows = new Workflows(this, 'Workflows', { table: this.table, secretsKey: this.secretsKey, backups: this.backups });
    this.scheduledJobs = new ScheduledJobs(this, 'ScheduledJobs', { table: this.table, workflows: this.workflows, secretsKey: this.secretsKey, backups: this.backups });
    // AKS and GKE clusters are driven by their steps and read (kubeconfig, validate) by the API.
    this.providerFunctions = new ProviderFunctions(this, 'ProviderFunctions', { secretsKey: this.secretsKey });
    for (const family of ['host-cluster', 'virtual-cluster', 'workspace'] as const) this.providerFunctions.grantInvoke(this.workflows.stepFunctions.get(family)!);
    // reconcile-workspaces reaches every workspace's clusters.
    this.providerFunctions.grantInvoke(this.scheduledJobs.function);

    const makeFunction = (constructId: string, entry: string, options: { environment?: Record<string, string>; table?: boolean; serviceName?: string } = {}) =>
      createPaletteFunction(this, constructId, {
        entry,
        ...(options.table === false ? {} : { table: this.table }),
        ...(options.environment ? { environment: options.environment } : {}),
        ...(options.serviceName ? { serviceName: options.serviceName } : {}),
      });

    const groupFunctions = new Map<RouteGroup, NodejsFunction>();
    const integrations = new Map<RouteGroup, HttpLambdaIntegration>();
    for (const group of routeGroups) {
      const access = routeGroupAccess[group];
      const startable = access.startsWorkflowsOf.flatMap((family) => this.workflows.stateMachinesOf(family));
      const fn = makeFunction(`${pascal(group)}Function`, `functions/api/${group}.ts`, {
        environment: Object.fromEntries(startable.map(([name, stateMachine]) => [stateMachineArnVariable(name), stateMachine.stateMachineArn])),
        // A function that keeps no data is not told where the table is.
        table: access.table !== 'none',
        // The same name its log lines carry (shared/http/api-handler.ts).
        serviceName: `palette-${group}`,
      });
      grantTableAccess(fn, this.table, access.table);
      if (access.leadingKeys) {
        // An agent key reaches agent items: any request naming another partition is denied outright.
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'OnlyItsOwnPartitions',
            effect: iam.Effect.DENY,
            actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem'],
            resources: [this.table.tableArn, `${this.table.tableArn}/index/*`],
            conditions: { 'ForAnyValue:StringNotLike': { 'dynamodb:LeadingKeys': [...access.leadingKeys] } },
          }),
        );
      }
      grantSecrets(fn, this.secretsKey, access.secrets);
      // states:StartExecution on exactly these state machines; the API never stops or reads executions.
      for (const [, stateMachine] of startable) stateMachine.grantStartExecution(fn);
      if (access.invokesScheduledJobs) {
        // POST /v1/system/jobs/{name}: the job runs in the scheduled function, with its grants, not in this one.
        fn.addEnvironment('SCHEDULED_FUNCTION_NAME', this.scheduledJobs.function.functionName);
        this.scheduledJobs.function.grantInvoke(fn);
        acknowledgeFinding(
          fn.role!,
          wildcardBelowArnFinding(this.scheduledJobs.function, ':*'),
          "grantInvoke adds the scheduled function's versions and aliases (<function ARN>:*) to the function itself; it is still that one function, invoked unqualified.",
        );
      }
      if (access.invokesProviders) this.providerFunctions.grantInvoke(fn);
      this.backups.grant(fn, access.backups ?? []);
      groupFunctions.set(group, fn);
      // One invoke permission per function for this API (not one per route, which CloudFormation's 500-resource
      // limit per stack cannot hold for ~110 routes); API Gateway still invokes it only from its own group's routes.
      integrations.set(group, new HttpLambdaIntegration(`${pascal(group)}Integration`, fn, { scopePermissionToRoute: false }));
    }
    this.groupFunctions = groupFunctions;

    this.authorizerFunction = makeFunction('AuthorizerFunction', 'functions/authorizer.ts', { serviceName: 'palette-authorizer' });
    grantTableAccess(this.authorizerFunction, this.table, 'read');

    // Always answers isAuthorized: true with a context; the handlers turn an anonymous
    // context into the contract's 401, so API Gateway's own deny path is never used.
    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', this.authorizerFunction, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_TTL_SECONDS),
    });

    this.api = new apigatewayv2.HttpApi(this, 'HttpApi', {
      apiName: 'palette-api',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    // Requests beyond this get API Gateway's own 429 before any Lambda runs. HTTP APIs
    // have no X-Ray tracing, so a trace starts at the function; the access log's
    // requestId is what joins the two (the handler logs it, the operation records it
    // and the execution input carries it).
    new apigatewayv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: API_RATE_LIMIT, burstLimit: API_BURST_LIMIT },
      accessLogSettings: {
        destination: new apigatewayv2.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    for (const route of routeList) {
      const integration = integrations.get(route.group);
      if (!integration) throw new Error(`No function for route group ${route.group}`);
      const isPublic = route.permission === 'public';
      const created = this.api.addRoutes({
        path: route.path,
        methods: [apigatewayv2.HttpMethod[route.method]],
        integration,
        authorizer: isPublic ? new apigatewayv2.HttpNoneAuthorizer() : authorizer,
      });
      if (isPublic) {
        for (const httpRoute of created) {
          acknowledgeFinding(
            httpRoute,
            'AwsSolutions-APIG4',
            `${route.method} ${route.path} is public by contract (permission 'public' in shared/api/public-routes.ts): the liveness check or the OpenAPI document, whose function has no access to any data; every other route runs the API key authorizer.`,
          );
        }
      }
    }

    this.console = new ConsoleHosting(this, 'Console', { api: this.api });

    this.alarms = new PlatformAlarms(this, 'Alarms');
    this.alarms.alarmOnServerErrorRate(this.api);
    for (const [group, fn] of groupFunctions) this.alarms.alarmOnThrottles(fn, `${group} API function`);
    this.alarms.alarmOnThrottles(this.authorizerFunction, 'authorizer');
    for (const [family, fn] of this.workflows.stepFunctions) {
      // Steps throw transient provider errors for Step Functions to retry, so a few are
      // routine; the executions they fail are alarmed on their own.
      this.alarms.alarmOnErrors(fn, `${family} steps`, { threshold: STEP_ERRORS_ALARM_THRESHOLD });
    }
    for (const [name, stateMachine] of this.workflows.stateMachines) this.alarms.alarmOnFailedExecutions(stateMachine, name);
    this.alarms.alarmOnTable(this.table);
    this.alarms.alarmOnErrors(this.scheduledJobs.function, 'scheduled jobs');

    new cdk.CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new cdk.CfnOutput(this, 'TableName', { value: this.table.tableName });
    new cdk.CfnOutput(this, 'BackupBucket', { value: this.backups.bucket.bucketName });
    new cdk.CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarms.topic.topicArn,
      description: 'Subscribe to this SNS topic to receive the platform alarms.',
    });
  }
}
