import type { SFNClient } from '@aws-sdk/client-sfn';
import { stateMachineArnVariable } from '#workflows/names.ts';
import { traced } from '../observability/tracer.ts';

let cached: { endpoint: string | undefined; client: SFNClient } | undefined;

/**
 * The Step Functions SDK, loaded on first use: most requests of a function that can start
 * a workflow (its GETs) never do, and loading the client at init costs a cold start ~30 ms.
 */
export const loadSfn = () => import('@aws-sdk/client-sfn');

/**
 * Starts a workflow execution through the Step Functions API. On AWS the endpoint is
 * the regional one; locally STEP_FUNCTIONS_ENDPOINT points the same SDK call at the
 * local runtime's endpoint. The execution is named after the operation, so a repeated
 * start of the same operation is idempotent.
 */
export async function startExecution(workflow: string, operationId: string, input: Record<string, unknown>): Promise<string> {
  const stateMachineArn = process.env[stateMachineArnVariable(workflow)];
  if (!stateMachineArn) throw new Error(`${stateMachineArnVariable(workflow)} is not set`);
  const { StartExecutionCommand } = await loadSfn();
  const out = await (await sfnClient()).send(
    new StartExecutionCommand({ stateMachineArn, name: operationId, input: JSON.stringify(input) }),
  );
  return out.executionArn!;
}

/** The process's Step Functions client: the regional endpoint on AWS, STEP_FUNCTIONS_ENDPOINT locally. */
export async function sfnClient(): Promise<SFNClient> {
  const endpoint = process.env.STEP_FUNCTIONS_ENDPOINT;
  if (!cached || cached.endpoint !== endpoint) {
    const { SFNClient } = await loadSfn();
    cached = {
      endpoint,
      client: traced(new SFNClient({
        region: process.env.AWS_REGION ?? 'us-east-1',
        ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      })),
    };
  }
  return cached.client;
}
