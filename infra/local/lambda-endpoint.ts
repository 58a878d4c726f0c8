/**
 * A small Lambda Invoke endpoint for the local runtime (`POST
 * /2015-03-31/functions/<name>/invocations`, the API @aws-sdk/client-lambda calls),
 * running the handler module a function is built from, in process. The API reaches
 * the scheduled function through it exactly as on AWS: LAMBDA_ENDPOINT overrides the
 * SDK's endpoint. A handler that throws answers as Lambda does: 200 with
 * `X-Amz-Function-Error: Unhandled` and `{ errorType, errorMessage }`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

export interface LocalFunction {
  /** The handler module, from the repository root. */
  entry: string;
  timeoutSeconds: number;
}

export function functionContext(functionName: string, timeoutSeconds: number, requestId = randomUUID()): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export async function startLocalLambda(functions: Record<string, LocalFunction>, options: { log?: (line: string) => void } = {}) {
  const handlers = new Map<string, { handler: LambdaHandler; timeoutSeconds: number }>();
  for (const [name, fn] of Object.entries(functions)) {
    const { handler } = (await import(`../../${fn.entry}`)) as { handler: LambdaHandler };
    handlers.set(name, { handler, timeoutSeconds: fn.timeoutSeconds });
  }

  /** Runs a function as an Invoke would: the payload in, its answer (or its error) out. */
  const invoke = async (name: string, payload: unknown) => {
    const fn = handlers.get(name);
    if (!fn) throw new Error(`no local function ${name}`);
    return fn.handler(payload as never, functionContext(name, fn.timeoutSeconds));
  };

  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(new URL(req.url ?? '/', 'http://local').pathname);
      const name = match ? decodeURIComponent(match[1]!) : undefined;
      if (req.method !== 'POST' || !name || !handlers.has(name)) {
        reply(res, 404, { Type: 'User', message: `Function not found: ${name ?? req.url}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
        return;
      }
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        reply(res, 400, { Type: 'User', message: 'Could not parse request body into json' }, { 'x-amzn-errortype': 'InvalidRequestContentException' });
        return;
      }
      invoke(name, payload).then(
        (result) => reply(res, 200, result ?? null, { 'x-amz-executed-version': '$LATEST' }),
        (error: unknown) => {
          options.log?.(`function ${name} failed: ${(error as Error).stack ?? String(error)}`);
          reply(res, 200, { errorType: (error as Error).name ?? 'Error', errorMessage: (error as Error).message ?? String(error) }, { 'x-amz-function-error': 'Unhandled' });
        },
      );
    });
  });
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invoke,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
