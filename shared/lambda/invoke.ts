/**
 * Synchronous Lambda Invoke (RequestResponse) of another platform function, the one
 * client for every caller. On AWS the function names come from the environment the
 * stack sets; locally LAMBDA_ENDPOINT points the same SDK call at the local runtime's
 * Lambda endpoint (infra/local/lambda-endpoint.ts).
 */
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { traced } from '../observability/tracer.ts';

let cached: { endpoint: string | undefined; client: LambdaClient } | undefined;

// Loaded on first use: a function that invokes another does so on few of its requests.
const loadLambda = () => import('@aws-sdk/client-lambda');

async function lambdaClient(): Promise<LambdaClient> {
  const endpoint = process.env.LAMBDA_ENDPOINT;
  if (!cached || cached.endpoint !== endpoint) {
    const { LambdaClient } = await loadLambda();
    cached = {
      endpoint,
      client: traced(new LambdaClient({
        region: process.env.AWS_REGION ?? 'us-east-1',
        // The callee may take its caller's whole budget; the SDK must not give up or retry behind its back.
        maxAttempts: 1,
        ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
      })),
    };
  }
  return cached.client;
}

export class FunctionFailed extends Error {
  override readonly name = 'FunctionFailed';
}

/** Invokes a function with a JSON payload and returns its JSON answer; a function that threw is FunctionFailed. */
export async function invokeFunction<T>(functionName: string, payload: unknown): Promise<T> {
  const { InvokeCommand } = await loadLambda();
  const out = await (await lambdaClient()).send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(payload)) }),
  );
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) throw new FunctionFailed(`${functionName} failed: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}
