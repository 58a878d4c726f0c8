/**
 * X-Ray tracing as a Lambda with tracing Active sees it: a UDP socket plays the X-Ray
 * daemon and a local HTTP server plays DynamoDB and the hosts that fetch and node:http
 * reach. The documents are checked field by field against the segment document format.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { withInvocationLogger } from '#shared/observability/logger.ts';
import { captureLambdaHandler, Tracer, tracerSettings } from '#shared/observability/tracer.ts';
import { daemonAddress, parseTraceHeader } from '#shared/observability/xray.ts';

type Doc = Record<string, any>;

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const LAMBDA_SEGMENT = '53995c3f42cd8ad8';
const traceHeader = (sampled = '1') => `Root=${ROOT};Parent=${LAMBDA_SEGMENT};Sampled=${sampled};Lineage=a87bd80c:1`;

let daemon: Socket;
let daemonPort: number;
let received: Doc[] = [];
let server: Server;
let serverUrl: string;
/** What the fake services saw, per path ("/" is DynamoDB). */
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
/** How the fake DynamoDB answers the next call. */
let dynamoAnswer: { status: number; body: unknown } = { status: 200, body: {} };

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    const [header, body] = message.toString().split('\n');
    expect(JSON.parse(header!)).toEqual({ format: 'json', version: 1 });
    received.push(JSON.parse(body!));
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  daemonPort = (daemon.address() as AddressInfo).port;
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      if (req.url === '/') {
        const body = JSON.stringify(dynamoAnswer.body);
        res.writeHead(dynamoAnswer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ123', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-length': '2' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  daemon.close();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  seen.length = 0;
  dynamoAnswer = { status: 200, body: { Item: { pk: { S: 'a' } } } };
  vi.stubEnv('_HANDLER', 'index.handler');
  vi.stubEnv('_X_AMZN_TRACE_ID', traceHeader());
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const lambdaEnv = (extra: Record<string, string> = {}) =>
  tracerSettings({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', POWERTOOLS_SERVICE_NAME: 'palette-test', AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemonPort}`, ...extra });

const context = { functionName: 'fn', awsRequestId: 'req-1' } as Context;

function dynamo(tracer: Tracer): DynamoDBClient {
  return tracer.captureAWSv3Client(
    new DynamoDBClient({ endpoint: serverUrl, region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'k', secretAccessKey: 's' } }),
  );
}

/** A Lambda handler wired as the functions wire theirs. */
function lambda(tracer: Tracer, work: () => Promise<unknown>, options?: { captureResponse?: boolean }) {
  const handler = middy<unknown, unknown>()
    .use(captureLambdaHandler(tracer, options))
    .handler(() => work());
  return withInvocationLogger('palette-test', (event: unknown, ctx: Context) => handler(event, ctx));
}

async function documents(count: number): Promise<Doc[]> {
  await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(count), { timeout: 3000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return received;
}

const byName = (docs: Doc[], name: string) => docs.find((d) => d.name === name)!;

describe('tracing in Lambda', () => {
  it('sends the invocation subsegment, one per AWS SDK call and one per outgoing request, under the right parents', async () => {
    const tracer = new Tracer(lambdaEnv());
    const client = dynamo(tracer);
    const handler = lambda(
      tracer,
      async () => {
        tracer.putAnnotation('route', 'project.get');
        await client.send(new GetItemCommand({ TableName: 'palette', Key: { pk: { S: 'a' } } }));
        await fetch(`${serverUrl}/fetched?secret=1`);
        await new Promise((resolve, reject) =>
          httpRequest(`${serverUrl}/missing`, (res) => res.resume().on('end', resolve)).on('error', reject).end(),
        );
        return { apiKey: 'plt_secret' };
      },
      { captureResponse: false },
    );
    await handler({}, context);

    const docs = await documents(4);
    expect(docs).toHaveLength(4);
    for (const doc of docs) {
      expect(doc).toMatchObject({ type: 'subsegment', trace_id: ROOT });
      expect(doc.id).toMatch(/^[0-9a-f]{16}$/);
      expect(doc.end_time).toBeGreaterThanOrEqual(doc.start_time);
    }
    const invocation = byName(docs, '## index.handler');
    expect(invocation.parent_id).toBe(LAMBDA_SEGMENT);
    expect(invocation.annotations).toEqual({ ColdStart: true, Service: 'palette-test', route: 'project.get' });
    expect(invocation.metadata).toBeUndefined();
    expect(invocation.fault).toBeUndefined();

    const call = byName(docs, 'DynamoDB');
    expect(call).toMatchObject({
      parent_id: invocation.id,
      namespace: 'aws',
      aws: { operation: 'GetItem', region: 'eu-west-1', request_id: 'REQ123', retries: 0, table_name: 'palette' },
      http: { response: { status: 200 } },
    });
    expect(call.http.response.content_length).toBeGreaterThan(0);
    expect(JSON.stringify(call)).not.toContain('"pk"');
    // DynamoDB got the trace header naming the call's subsegment, Lineage passed on.
    expect(seen.find((s) => s.path === '/')!.headers['x-amzn-trace-id']).toBe(`Root=${ROOT};Parent=${call.id};Sampled=1;Lineage=a87bd80c:1`);

    const remote = docs.filter((d) => d.namespace === 'remote');
    expect(remote.map((d) => d.http)).toEqual([
      { request: { url: 'http://127.0.0.1/fetched', method: 'GET' }, response: { status: 200, content_length: 2 } },
      { request: { url: 'http://127.0.0.1/missing', method: 'GET' }, response: { status: 404, content_length: 2 } },
    ]);
    for (const doc of remote) expect(doc).toMatchObject({ name: '127.0.0.1', parent_id: invocation.id });
    expect(remote[1]).toMatchObject({ error: true });
    expect(seen.find((s) => s.path === '/missing')!.headers['x-amzn-trace-id']).toBe(`Root=${ROOT};Parent=${remote[1]!.id};Sampled=1;Lineage=a87bd80c:1`);
    expect(JSON.stringify(docs)).not.toContain('plt_secret');

    // The next invocation of the same environment is warm.
    received = [];
    await handler({}, context);
    expect(byName(await documents(4), '## index.handler').annotations.ColdStart).toBe(false);
  });

  it('records errors: the handler fault with its stack, a client error and a throttled call', async () => {
    const tracer = new Tracer(lambdaEnv());
    const client = dynamo(tracer);
    const handler = lambda(tracer, async () => {
      dynamoAnswer = { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'no' } };
      await client.send(new GetItemCommand({ TableName: 'palette', Key: { pk: { S: 'a' } } })).catch(() => undefined);
      dynamoAnswer = { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'slow down' } };
      await client.send(new GetItemCommand({ TableName: 'palette', Key: { pk: { S: 'a' } } })).catch(() => undefined);
      throw new TypeError('boom');
    });
    await expect(handler({}, context)).rejects.toThrow('boom');

    const docs = await documents(3);
    const invocation = byName(docs, '## index.handler');
    expect(invocation.fault).toBe(true);
    expect(invocation.cause.working_directory).toBe(process.cwd());
    expect(invocation.cause.exceptions).toEqual([
      expect.objectContaining({ message: 'boom', type: 'TypeError', remote: false, id: expect.stringMatching(/^[0-9a-f]{16}$/) }),
    ]);
    expect(invocation.cause.exceptions[0].stack[0]).toEqual({ path: expect.stringContaining('tracer.test.ts'), line: expect.any(Number), label: expect.any(String) });

    const [refused, throttled] = docs.filter((d) => d.name === 'DynamoDB');
    expect(refused).toMatchObject({ error: true, http: { response: { status: 400 } } });
    expect(refused!.fault).toBeUndefined();
    expect(refused!.cause.exceptions[0]).toMatchObject({ type: 'ConditionalCheckFailedException', remote: true });
    expect(throttled).toMatchObject({ error: true, throttle: true });
    expect(throttled!.fault).toBeUndefined();
  });

  it('keeps the response as metadata only when asked, and the error details only when POWERTOOLS_TRACER_CAPTURE_ERROR allows', async () => {
    const tracer = new Tracer(lambdaEnv({ POWERTOOLS_TRACER_CAPTURE_ERROR: 'false' }));
    await lambda(tracer, async () => ({ ok: 1 }))({}, context);
    expect((await documents(1))[0]!.metadata).toEqual({ 'palette-test': { 'index.handler response': { ok: 1 } } });

    received = [];
    await expect(lambda(tracer, async () => Promise.reject(new Error('secret detail')))({}, context)).rejects.toThrow();
    const [failed] = await documents(1);
    expect(failed).toMatchObject({ fault: true });
    expect(failed!.cause).toBeUndefined();

    const quiet = new Tracer(lambdaEnv({ POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false' }));
    received = [];
    await lambda(quiet, async () => ({ ok: 1 }))({}, context);
    expect((await documents(1))[0]!.metadata).toBeUndefined();
  });

  it('sends nothing for an unsampled trace but still passes the trace on', async () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', traceHeader('0'));
    const tracer = new Tracer(lambdaEnv());
    const client = dynamo(tracer);
    await lambda(tracer, async () => client.send(new GetItemCommand({ TableName: 'palette', Key: { pk: { S: 'a' } } })))({}, context);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
    expect(seen[0]!.headers['x-amzn-trace-id']).toMatch(new RegExp(`^Root=${ROOT};Parent=[0-9a-f]{16};Sampled=0;Lineage=a87bd80c:1$`));
  });

  it('keeps concurrent invocations apart (Lambda Managed Instances: the trace id comes from the runtime per invocation)', async () => {
    const perInvocation = new AsyncLocalStorage<string>();
    vi.stubGlobal('awslambda', { InvokeStore: { getXRayTraceId: () => perInvocation.getStore() } });
    vi.stubEnv('_X_AMZN_TRACE_ID', '');
    try {
      const tracer = new Tracer(lambdaEnv());
      const client = dynamo(tracer);
      const handler = lambda(tracer, async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await client.send(new GetItemCommand({ TableName: 'palette', Key: { pk: { S: 'a' } } }));
      });
      const roots = ['1-00000001-000000000000000000000001', '1-00000002-000000000000000000000002'];
      await Promise.all(roots.map((root, i) => perInvocation.run(`Root=${root};Parent=00000000000000a${i};Sampled=1`, () => handler({}, context))));
      const docs = await documents(4);
      for (const [i, root] of roots.entries()) {
        const invocation = docs.find((d) => d.trace_id === root && d.name === '## index.handler')!;
        expect(invocation.parent_id).toBe(`00000000000000a${i}`);
        expect(docs.filter((d) => d.trace_id === root && d.name === 'DynamoDB').map((d) => d.parent_id)).toEqual([invocation.id]);
      }
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('tracing outside Lambda', () => {
  it('is off without AWS_EXECUTION_ENV, in SAM local, or when switched off, and then leaves clients alone', async () => {
    expect(tracerSettings({}).enabled).toBe(false);
    expect(tracerSettings({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_SAM_LOCAL: 'true' }).enabled).toBe(false);
    expect(tracerSettings({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', POWERTOOLS_TRACE_ENABLED: 'false' }).enabled).toBe(false);
    expect(tracerSettings({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' }).enabled).toBe(true);

    const tracer = new Tracer(tracerSettings({ AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemonPort}` }));
    const client = dynamo(tracer);
    await lambda(tracer, async () => {
      tracer.putAnnotation('route', 'x');
      return client.send(new GetItemCommand({ TableName: 'palette', Key: { pk: { S: 'a' } } }));
    })({}, context);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
    expect(seen[0]!.headers['x-amzn-trace-id']).toBeUndefined();
  });
});

describe('trace headers and the daemon address', () => {
  it('reads the fields of _X_AMZN_TRACE_ID', () => {
    expect(parseTraceHeader(traceHeader())).toEqual({ root: ROOT, parent: LAMBDA_SEGMENT, sampled: true, extra: ['Lineage=a87bd80c:1'] });
    expect(parseTraceHeader(`Root=${ROOT}`)).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
  });

  it('takes the UDP address of AWS_XRAY_DAEMON_ADDRESS', () => {
    expect(daemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(daemonAddress('tcp:127.0.0.1:2000 udp:127.0.0.2:2001')).toEqual({ host: '127.0.0.2', port: 2001 });
    expect(daemonAddress(undefined)).toEqual({ host: '127.0.0.1', port: 2000 });
  });
});
