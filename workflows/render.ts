/**
 * Renders a workflow's Amazon States Language outside a deployed stack, for the local
 * runner and for the tests that compare it with the CDK template.
 */
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { WorkflowDefinition, WorkflowFunctions } from './host-cluster.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** The step Lambdas' names; locally their ARNs identify which handler a Task runs. */
export const stepFunctionNames = { hostClusterSteps: 'palette-host-cluster-steps' } as const;

export const localFunctionArn = (name: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

export type AslDefinition = { StartAt: string; States: Record<string, Record<string, unknown>>; [key: string]: unknown };

export function renderDefinition(workflow: WorkflowDefinition, functionArns?: Partial<Record<keyof WorkflowFunctions, string>>): AslDefinition {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Render', { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
  const fns = Object.fromEntries(
    Object.entries(stepFunctionNames).map(([key, name]) => [
      key,
      lambda.Function.fromFunctionArn(stack, key, functionArns?.[key as keyof WorkflowFunctions] ?? localFunctionArn(name)),
    ]),
  ) as unknown as WorkflowFunctions;
  const chain = workflow.build(stack, fns);
  const graph = new sfn.StateGraph(sfn.Chain.start(chain).startState, workflow.name);
  return stack.resolve(graph.toGraphJson()) as AslDefinition;
}
