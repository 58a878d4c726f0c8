/**
 * Renders a workflow's Amazon States Language outside a deployed stack, for the local
 * runner and for the tests that compare it with the CDK template.
 */
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { WorkflowKit, type WorkflowDefinition } from './kit.ts';
import { familyOf } from './registry.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** Locally a step Lambda's ARN identifies which handler a Task runs. */
export const localFunctionArn = (functionName: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`;

export type AslDefinition = { StartAt: string; States: Record<string, Record<string, unknown>>; [key: string]: unknown };

/** The definition as CDK renders it, with the family's step Lambda at `functionArn` (default: its local ARN). */
export function renderDefinition(workflow: WorkflowDefinition, functionArn?: string): AslDefinition {
  const family = familyOf(workflow);
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Render', { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
  const fn = lambda.Function.fromFunctionArn(stack, 'Steps', functionArn ?? localFunctionArn(family.stepLambda.functionName));
  const chain = workflow.build(new WorkflowKit(stack, fn, family.failError));
  const graph = new sfn.StateGraph(sfn.Chain.start(chain).startState, workflow.name);
  return stack.resolve(graph.toGraphJson()) as AslDefinition;
}
