/**
 * Runs a job on demand by invoking the scheduled function and waiting for its answer
 * (Lambda Invoke, RequestResponse), so the job runs with the scheduled function's
 * grants and code whoever asks for it. On AWS SCHEDULED_FUNCTION_NAME names the
 * function; locally LAMBDA_ENDPOINT points the same SDK call at the local runtime's
 * Lambda endpoint (infra/local/lambda-endpoint.ts).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ApiError } from '../errors.ts';
import { traced } from '../observability/tracer.ts';
import type { JobRun } from './runner.ts';
import type { JobName } from './schedule.ts';

let cached: { endpoint: string | undefined; client: LambdaClient } | undefined;

function lambdaClient(): LambdaClient {
  const endpoint = process.env.LAMBDA_ENDPOINT;
  if (!cached || cached.endpoint !== endpoint) {
    cached = {
      endpoint,
      client: traced(new LambdaClient({
        region: process.env.AWS_REGION ?? 'us-east-1',
        // A job may take API Gateway's whole 30 s; the SDK must not give up or retry before.
        maxAttempts: 1,
        ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      })),
    };
  }
  return cached.client;
}

type Answer = { ok: true; runs: JobRun[] } | { ok: false; error: { code: ApiError['code']; message: string } };

export async function runJobOnDemand(name: JobName): Promise<JobRun> {
  const functionName = process.env.SCHEDULED_FUNCTION_NAME;
  if (!functionName) throw new Error('SCHEDULED_FUNCTION_NAME is not set');
  const out = await lambdaClient().send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify({ job: name, source: 'api' })) }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) throw new Error(`job ${name} failed: ${text.slice(0, 500)}`);
  const answer = JSON.parse(text) as Answer;
  if (!answer.ok) throw new ApiError(answer.error.code, answer.error.message);
  return answer.runs[0]!;
}
