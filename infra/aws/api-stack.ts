/**
 * The Palette stack: the table, one Lambda function per route group, the REQUEST
 * authorizer and an HTTP API whose routes come one-for-one from the route table.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cdk from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { routeGroups, routeList, type RouteGroup } from '../../shared/api/route-table.ts';
import { createPaletteTable } from './table.ts';

/** Repository root (this file is infra/aws/api-stack.ts). */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fromRoot = (relative: string) => join(repoRoot, relative);

/** Upper-camel-case construct id for a route group, e.g. `tenancy` → `Tenancy`. */
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

export type PaletteStackProps = cdk.StackProps;

export class PaletteStack extends cdk.Stack {
  readonly table: TableV2;
  readonly api: apigatewayv2.HttpApi;
  readonly groupFunctions: ReadonlyMap<RouteGroup, NodejsFunction>;
  readonly authorizerFunction: NodejsFunction;

  constructor(scope: Construct, id: string, props?: PaletteStackProps) {
    super(scope, id, props);

    this.table = createPaletteTable(this, 'Table');

    const makeFunction = (constructId: string, entry: string) =>
      new NodejsFunction(this, constructId, {
        entry: fromRoot(entry),
        handler: 'handler',
        projectRoot: repoRoot,
        depsLockFilePath: fromRoot('package-lock.json'),
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 1024,
        timeout: Duration.seconds(29),
        bundling: {
          format: OutputFormat.ESM,
          minify: true,
          sourceMap: true,
          target: 'node24',
          mainFields: ['module', 'main'],
          banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        },
        environment: {
          TABLE_NAME: this.table.tableName,
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'palette-api',
          LOG_LEVEL: 'INFO',
        },
        logGroup: new logs.LogGroup(this, `${constructId}Logs`, {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: cdk.RemovalPolicy.DESTROY,
        }),
      });

    const groupFunctions = new Map<RouteGroup, NodejsFunction>();
    const integrations = new Map<RouteGroup, HttpLambdaIntegration>();
    for (const group of routeGroups) {
      const fn = makeFunction(`${pascal(group)}Function`, `functions/api/${group}.ts`);
      this.table.grantReadWriteData(fn);
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
      createDefaultStage: true,
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
