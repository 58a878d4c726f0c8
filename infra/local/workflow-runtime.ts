import type { Context } from 'aws-lambda';
import { stateMachineArnVariable } from '#workflows/names.ts';
import { workflowDefinitions, workflowRegistry } from '#workflows/registry.ts';
import { localFunctionArn, renderDefinition } from '#workflows/render.ts';
import { lambdaContext } from './api-server.ts';
import { startLocalStepFunctions, type StepHandler } from './step-functions/local-step-functions.ts';

type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

/** The state machine name a workflow gets locally (on AWS CloudFormation names it). */
export const localStateMachineName = (workflow: string) => `palette-${workflow}`;

/**
 * Runs every registered workflow locally and points the API handlers at them:
 * STEP_FUNCTIONS_ENDPOINT plus one STATE_MACHINE_* ARN per workflow, exactly the
 * variables the CDK stack sets on AWS (where the endpoint is the regional default).
 * Each family's Tasks run the handler module its step Lambda is built from.
 */
export async function startWorkflowRuntime(options: { speed?: number; log?: (line: string) => void } = {}) {
  const handlers: Record<string, StepHandler> = {};
  for (const family of workflowRegistry) {
    const { functionName, entry } = family.stepLambda;
    const { handler } = (await import(`../../${entry}`)) as { handler: LambdaHandler };
    handlers[localFunctionArn(functionName)] = async (event) => (await handler(event as never, lambdaContext(functionName))) as never;
  }
  const sfn = await startLocalStepFunctions({
    stateMachines: workflowDefinitions.map((w) => ({ name: localStateMachineName(w.name), definition: renderDefinition(w) })),
    handlers,
    speed: options.speed,
    log: options.log,
  });
  process.env.STEP_FUNCTIONS_ENDPOINT = sfn.endpoint;
  for (const w of workflowDefinitions) process.env[stateMachineArnVariable(w.name)] = sfn.stateMachineArn(localStateMachineName(w.name));
  return sfn;
}
