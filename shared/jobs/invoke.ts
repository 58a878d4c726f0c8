/**
 * Runs a job on demand by invoking the scheduled function and waiting for its answer
 * (Lambda Invoke, RequestResponse), so the job runs with the scheduled function's
 * grants and code whoever asks for it. On AWS SCHEDULED_FUNCTION_NAME names the
 * function; locally LAMBDA_ENDPOINT points the same SDK call at the local runtime's
 * Lambda endpoint (infra/local/lambda-endpoint.ts).
 */
import { ApiError } from '../errors.ts';
import { FunctionFailed, invokeFunction } from '../lambda/invoke.ts';
import type { JobRun } from './runner.ts';
import type { JobName } from './schedule.ts';

type Answer = { ok: true; runs: JobRun[] } | { ok: false; error: { code: ApiError['code']; message: string } };

export async function runJobOnDemand(name: JobName): Promise<JobRun> {
  const functionName = process.env.SCHEDULED_FUNCTION_NAME;
  if (!functionName) throw new Error('SCHEDULED_FUNCTION_NAME is not set');
  const answer = await invokeFunction<Answer>(functionName, { job: name, source: 'api' }).catch((error: unknown) => {
    throw error instanceof FunctionFailed ? new Error(`job ${name} failed: ${error.message}`) : error;
  });
  if (!answer.ok) throw new ApiError(answer.error.code, answer.error.message);
  return answer.runs[0]!;
}
