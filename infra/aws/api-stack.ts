/**
 * The Palette stack: the table, one Lambda function per route group, the REQUEST
 * authorizer, an HTTP API whose routes come one-for-one from the route table, and the
 * workflows (step Lambdas + state machines) the route-group functions start.
 */
import * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { routeGroups, routeList, type RouteGroup } from '#shared/api/route-table.ts';
import { stateMachineArnVariable } from '#workflows/names.ts';
import { createPaletteFunction, pascal } from './function-defaults.ts';
import { createPaletteTable } from './table.ts';
import { Workflows } from './workflows.ts';

/** Requests per second across the API, and the burst above it (API Gateway token bucket). */
export const API_RATE_LIMIT = 500;
export const API_BURST_LIMIT = 1000;

export type PaletteStackProps = cdk.StackProps;

export class PaletteStack extends cdk.Stack {
  readonly table: TableV2;
  readonly api: apigatewayv2.HttpApi;
  readonly groupFunctions: ReadonlyMap<RouteGroup, NodejsFunction>;
  readonly authorizerFunction: NodejsFunction;
  readonly workflows: Workflows;

  constructor(scope: Construct, id: string, props?: PaletteStackProps) {
    super(scope, id, props);

    this.table = createPaletteTable(this, 'Table');

    this.workflows = new Workflows(this, 'Workflows', { table: this.table });
    /** Every route-group function can start any workflow: one STATE_MACHINE_* ARN each. */
    const stateMachineArns = Object.fromEntries(
      [...this.workflows.stateMachines].map(([name, stateMachine]) => [stateMachineArnVariable(name), stateMachine.stateMachineArn]),
    );

    const makeFunction = (constructId: string, entry: string, environment?: Record<string, string>) =>
      createPaletteFunction(this, constructId, { entry, table: this.table, ...(environment ? { environment } : {}) });

    const groupFunctions = new Map<RouteGroup, NodejsFunction>();
    const integrations = new Map<RouteGroup, HttpLambdaIntegration>();
    for (const group of routeGroups) {
      const fn = makeFunction(`${pascal(group)}Function`, `functions/api/${group}.ts`, stateMachineArns);
      this.table.grantReadWriteData(fn);
      // states:StartExecution on exactly these state machines; the API never stops or reads executions.
      for (const stateMachine of this.workflows.stateMachines.values()) stateMachine.grantStartExecution(fn);
      groupFunctions.set(group, fn);
      integrations.set(group, new HttpLambdaIntegration(`${pascal(group)}Integration`, fn));
    }
    this.groupFunctions = groupFunctions;

    this.authorizerFunction = makeFunction('AuthorizerFunction', 'functions/authorizer.ts');
    this.table.grantReadData(this.authorizerFunction);

    // Always answers isAuthorized: true with a context; the handlers turn an anonymous
    // context into the contract's 401, so API Gateway's own deny path is never used.
    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', this.authorizerFunction, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: Duration.minutes(5),
    });

    this.api = new apigatewayv2.HttpApi(this, 'HttpApi', {
      apiName: 'palette-api',
      createDefaultStage: false,
    });
    // Requests beyond this get API Gateway's own 429 before any Lambda runs.
    new apigatewayv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: API_RATE_LIMIT, burstLimit: API_BURST_LIMIT },
    });

    for (const route of routeList) {
      const integration = integrations.get(route.group);
      if (!integration) throw new Error(`No function for route group ${route.group}`);
      this.api.addRoutes({
        path: route.path,
        methods: [apigatewayv2.HttpMethod[route.method]],
        integration,
        authorizer: route.permission === 'public' ? new apigatewayv2.HttpNoneAuthorizer() : authorizer,
      });
    }

    new cdk.CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new cdk.CfnOutput(this, 'TableName', { value: this.table.tableName });
  }
}
