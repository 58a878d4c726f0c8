import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type middy from '@middy/core';
import {
  daemonAddress,
  daemonSink,
  invocationTraceHeader,
  parseTraceHeader,
  Subsegment,
  type AnnotationValue,
  type DocumentSink,
} from './xray.ts';

/**
 * X-Ray tracing, on in Lambda (the stack sets tracing Active): a `## <handler>`
 * subsegment per invocation with the ColdStart and Service annotations, the route's
 * own annotations and any error; a subsegment per AWS SDK call of the clients passed
 * to {@link traced} (operation, region, request id, table; the trace header passed on);
 * and one per outgoing fetch or node:http(s) request. Off outside Lambda (the local
 * runtime, tests) or with POWERTOOLS_TRACE_ENABLED=false.
 *
 * The same documents and settings as Powertools Tracer, which it replaces: that one
 * brings aws-xray-sdk-core into every bundle (~120 KiB minified, ~20 ms of import).
 */
export interface TracerSettings {
  serviceName: string;
  enabled: boolean;
  /** Record the handler's response as metadata (the stack turns it off: responses carry secrets). */
  captureResponse: boolean;
  /** Record an error's message and stack, not only that it happened. */
  captureError: boolean;
  /** Trace outgoing fetch and node:http(s) requests. */
  captureHttp: boolean;
  daemon: { host: string; port: number };
}

/** Read as Powertools Tracer reads them, so the stack's variables mean what they meant. */
export function tracerSettings(env: NodeJS.ProcessEnv): TracerSettings {
  const off = (name: string) => env[name]?.trim().toLowerCase() === 'false';
  const executionEnv = env.AWS_EXECUTION_ENV ?? '';
  return {
    serviceName: env.POWERTOOLS_SERVICE_NAME || 'palette',
    enabled: executionEnv !== '' && executionEnv !== 'AWS_Lambda_amplify-mock' && !env.AWS_SAM_LOCAL && !off('POWERTOOLS_TRACE_ENABLED'),
    captureResponse: !off('POWERTOOLS_TRACER_CAPTURE_RESPONSE'),
    captureError: !off('POWERTOOLS_TRACER_CAPTURE_ERROR'),
    captureHttp: !off('POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS'),
    daemon: daemonAddress(env.AWS_XRAY_DAEMON_ADDRESS),
  };
}

/** The slice of an AWS SDK v3 client that tracing touches. */
interface SdkClient {
  middlewareStack: {
    add(middleware: SdkMiddleware, options: { step: 'build'; name: string }): void;
    remove(name: string): boolean;
  };
  config?: { region?: string | (() => Promise<string>) };
}

type SdkNext = (args: SdkArgs) => Promise<SdkOutput>;
type SdkMiddleware = (next: SdkNext, context: { clientName?: string; commandName?: string }) => SdkNext;
interface SdkArgs {
  input?: Record<string, unknown>;
  request?: { headers?: Record<string, string> };
}
interface SdkMetadata {
  requestId?: string;
  httpStatusCode?: number;
  attempts?: number;
}
interface SdkOutput {
  output?: { $metadata?: SdkMetadata };
  response?: { headers?: Record<string, string | undefined> };
}
type SdkError = Error & { $metadata?: SdkMetadata; $retryable?: { throttling?: boolean } };

const SDK_MIDDLEWARE = 'PaletteXRayTracing';

/** Error names the AWS SDK itself retries as throttling. */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** What a call names, never what it carries (items, keys and bodies stay out of traces). */
function resourceNames(operation: string, input: Record<string, unknown>): Record<string, unknown> {
  const names: Record<string, unknown> = {};
  if (typeof input.TableName === 'string') names.table_name = input.TableName;
  if (typeof input.IndexName === 'string') names.index_name = input.IndexName;
  if (input.RequestItems && typeof input.RequestItems === 'object') names.table_names = Object.keys(input.RequestItems);
  if (Array.isArray(input.TransactItems)) {
    const tables = input.TransactItems.flatMap((item) =>
      Object.values((item ?? {}) as Record<string, { TableName?: unknown }>).map((op) => op?.TableName),
    );
    names.table_names = [...new Set(tables.filter((t): t is string => typeof t === 'string'))];
  }
  if (typeof input.FunctionName === 'string') names.function_name = input.FunctionName;
  if (typeof input.InvocationType === 'string') names.invocation_type = input.InvocationType;
  if (typeof input.stateMachineArn === 'string') names.state_machine_arn = input.stateMachineArn;
  if (operation === 'AssumeRole' && typeof input.RoleArn === 'string') names.role_arn = input.RoleArn;
  return names;
}

export class Tracer {
  /** The invocation's handler subsegment, for the calls made while it runs. */
  private readonly scope = new AsyncLocalStorage<Subsegment | undefined>();
  private coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';

  constructor(
    readonly settings: TracerSettings,
    private readonly sink: DocumentSink = daemonSink(settings.daemon),
  ) {
    if (settings.enabled && settings.captureHttp) this.traceOutgoingHttp();
  }

  isTracingEnabled(): boolean {
    return this.settings.enabled;
  }

  /** An indexed key on the current invocation's trace (searchable in the X-Ray console). */
  putAnnotation(key: string, value: AnnotationValue): void {
    this.scope.getStore()?.annotate(key, value);
  }

  /**
   * Opens the invocation's subsegment under Lambda's function segment and makes it the
   * parent of the calls that follow. Undefined when tracing is off or Lambda sent no trace.
   */
  openInvocation(): Subsegment | undefined {
    if (!this.settings.enabled) return undefined;
    const trace = parseTraceHeader(invocationTraceHeader());
    // Each invocation runs in its own async context (withInvocationLogger, or Lambda's
    // per-invocation store), so what is entered here reaches only this invocation's calls.
    if (!trace) {
      this.scope.enterWith(undefined);
      return undefined;
    }
    const segment = new Subsegment(trace, trace.parent, `## ${process.env._HANDLER ?? 'handler'}`, this.sink);
    segment.annotate('ColdStart', this.coldStart);
    segment.annotate('Service', this.settings.serviceName);
    this.coldStart = false;
    this.scope.enterWith(segment);
    return segment;
  }

  /** A subsegment per call of this client, and the trace header on its requests. */
  captureAWSv3Client<C extends object>(client: C): C {
    if (!this.settings.enabled) return client;
    const sdk = client as unknown as SdkClient;
    sdk.middlewareStack.remove(SDK_MIDDLEWARE);
    sdk.middlewareStack.add(this.sdkMiddleware(sdk), { step: 'build', name: SDK_MIDDLEWARE });
    return client;
  }

  private sdkMiddleware(client: SdkClient): SdkMiddleware {
    return (next, context) => async (args) => {
      const parent = this.scope.getStore();
      if (!parent) return next(args);
      const service = (context.clientName ?? 'AWS').replace(/Client$/, '');
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const subsegment = parent.child(service);
      subsegment.namespace = 'aws';
      if (args.request?.headers) args.request.headers['X-Amzn-Trace-Id'] = subsegment.traceHeader();
      const record = async (metadata: SdkMetadata | undefined, contentLength?: string) => {
        const region = client.config?.region;
        subsegment.aws = {
          operation,
          region: typeof region === 'function' ? await region().catch(() => undefined) : region,
          ...(metadata?.requestId ? { request_id: metadata.requestId } : {}),
          retries: Math.max(0, (metadata?.attempts ?? 1) - 1),
          ...resourceNames(operation, args.input ?? {}),
        };
        if (metadata?.httpStatusCode !== undefined || contentLength !== undefined) {
          subsegment.http = {
            response: {
              ...(metadata?.httpStatusCode !== undefined ? { status: metadata.httpStatusCode } : {}),
              ...(contentLength !== undefined && Number.isFinite(Number(contentLength)) ? { content_length: Number(contentLength) } : {}),
            },
          };
        }
        subsegment.flagStatus(metadata?.httpStatusCode);
      };
      try {
        const result = await next(args);
        await record(result.output?.$metadata, result.response?.headers?.['content-length']);
        return result;
      } catch (error) {
        const err = error as SdkError;
        await record(err.$metadata);
        if (err.$retryable?.throttling || THROTTLING_ERRORS.has(err.name)) subsegment.flagThrottled();
        subsegment.addError(err, true, { withDetails: this.settings.captureError });
        throw error;
      } finally {
        subsegment.close();
      }
    };
  }

  /**
   * Outgoing requests through diagnostics channels: fetch (undici) and node:http(s)
   * (the Kubernetes client). Patching `https.request` would miss modules that import
   * it as an ES binding; the channels see every request.
   */
  private traceOutgoingHttp(): void {
    const channels = process.getBuiltinModule('node:diagnostics_channel');
    const open = new WeakMap<object, Subsegment>();
    const start = (request: object, url: URL, method: string, setTraceHeader: (value: string) => void) => {
      const parent = this.scope.getStore();
      if (!parent) return;
      const subsegment = parent.child(url.hostname);
      subsegment.namespace = 'remote';
      subsegment.http = { request: { url: `${url.protocol}//${url.hostname}${url.pathname}`, method } };
      setTraceHeader(subsegment.traceHeader());
      open.set(request, subsegment);
    };
    const finish = (request: object, status: number | undefined, contentLength: string | undefined) => {
      const subsegment = open.get(request);
      if (!subsegment) return;
      open.delete(request);
      const length = Number(contentLength);
      subsegment.http = {
        ...subsegment.http,
        response: { ...(status !== undefined ? { status } : {}), ...(contentLength !== undefined && Number.isFinite(length) ? { content_length: length } : {}) },
      };
      subsegment.flagStatus(status);
      subsegment.close();
    };
    const fail = (request: object, error: unknown) => {
      const subsegment = open.get(request);
      if (!subsegment) return;
      open.delete(request);
      subsegment.addError(error, true, { withDetails: this.settings.captureError });
      subsegment.close();
    };

    interface UndiciRequest {
      origin: string;
      path: string;
      method: string;
      addHeader(name: string, value: string): void;
    }
    channels.subscribe('undici:request:create', (message) => {
      const { request } = message as { request: UndiciRequest };
      if (request.method === 'CONNECT') return;
      start(request, new URL(request.path, request.origin), request.method, (value) => request.addHeader('X-Amzn-Trace-Id', value));
    });
    channels.subscribe('undici:request:headers', (message) => {
      const { request, response } = message as { request: object; response: { statusCode: number; headers: Buffer[] } };
      let contentLength: string | undefined;
      for (let i = 0; i + 1 < response.headers.length; i += 2) {
        if (response.headers[i]!.toString().toLowerCase() === 'content-length') contentLength = response.headers[i + 1]!.toString();
      }
      finish(request, response.statusCode, contentLength);
    });
    channels.subscribe('undici:request:error', (message) => {
      const { request, error } = message as { request: object; error: unknown };
      fail(request, error);
    });

    // `created` comes before the headers are written (`start` comes after).
    channels.subscribe('http.client.request.created', (message) => {
      const { request } = message as { request: ClientRequest };
      // An AWS SDK call already carries the header of its own subsegment.
      if (request.getHeader('x-amzn-trace-id') !== undefined) return;
      const url = new URL(request.path, `${request.protocol}//${request.host}`);
      start(request, url, request.method, (value) => {
        if (!request.headersSent) request.setHeader('X-Amzn-Trace-Id', value);
      });
    });
    channels.subscribe('http.client.response.finish', (message) => {
      const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
      finish(request, response.statusCode, response.headers['content-length']);
    });
    channels.subscribe('http.client.request.error', (message) => {
      const { request, error } = message as { request: ClientRequest; error: unknown };
      fail(request, error);
    });
  }
}

/** The process's tracer (service name from POWERTOOLS_SERVICE_NAME, as the stack sets it). */
export const tracer = new Tracer(tracerSettings(process.env));

/** The same client, recording each call as a subsegment when tracing is on. */
export function traced<C extends object>(client: C): C {
  return tracer.captureAWSv3Client(client);
}

/**
 * Middy middleware: the invocation's subsegment, closed with the response (as metadata
 * unless `captureResponse` is false) or the error.
 */
export function captureLambdaHandler(target: Tracer, options: { captureResponse?: boolean } = {}): middy.MiddlewareObj {
  const captureResponse = options.captureResponse ?? target.settings.captureResponse;
  const segments = new WeakMap<object, Subsegment>();
  const handlerName = () => process.env._HANDLER ?? 'handler';
  return {
    before: (request) => {
      const segment = target.openInvocation();
      if (segment) segments.set(request, segment);
    },
    after: (request) => {
      const segment = segments.get(request);
      if (!segment) return;
      if (captureResponse && request.response !== undefined) {
        segment.addMetadata(target.settings.serviceName, `${handlerName()} response`, request.response);
      }
      segment.close();
    },
    onError: (request) => {
      const segment = segments.get(request);
      if (!segment) return;
      segment.addError(request.error, false, { withDetails: target.settings.captureError });
      segment.close();
    },
  };
}
