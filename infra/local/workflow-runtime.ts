import type { Context } from 'aws-lambda';
import { stateMachineArnVariable, workflowDefinitions } from '../../workflows/host-cluster.ts';
import { localFunctionArn, renderDefinition, stepFunctionNames } from '../../workflows/render.ts';
import { lambdaContext } from './api-server.ts';
import { startLocalStepFunctions, type StepHandler } from './step-functions/local-step-functions.ts';

type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

/** The step Lambdas the CDK stack deploys, by function name, as local handler modules. */
const stepModules: Record<keyof typeof stepFunctionNames, () => Promise<{ handler: LambdaHandler }>> = {
  hostClusterSteps: () => import('../../functions/steps/host-cluster.ts') as Promise<{ handler: LambdaHandler }>,
};

/**
 * Runs the workflows/ state machines locally and points the API handlers at them:
 * STEP_FUNCTIONS_ENDPOINT plus one STATE_MACHINE_* ARN per workflow, exactly the
 * variables the CDK stack sets on AWS (where the endpoint is the regional default).
 */
export async function startWorkflowRuntime(options: { speed?: number; log?: (line: string) => void } = {}) {
  const handlers: Record<string, StepHandler> = {};
  for (const [key, name] of Object.entries(stepFunctionNames)) {
    const { handler } = await stepModules[key as keyof typeof stepFunctionNames]();
    handlers[localFunctionArn(name)] = async (event) => (await handler(event as never, lambdaContext(name))) as never;
  }
  const sfn = await startLocalStepFunctions({
    stateMachines: workflowDefinitions.map((w) => ({ name: `palette-${w.name}`, definition: renderDefinition(w) })),
    handlers,
    speed: options.speed,
    log: options.log,
  });
  process.env.STEP_FUNCTIONS_ENDPOINT = sfn.endpoint;
  for (const w of workflowDefinitions) process.env[stateMachineArnVariable(w.name)] = sfn.stateMachineArn(`palette-${w.name}`);
  return sfn;
}
