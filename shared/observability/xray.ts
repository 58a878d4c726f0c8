/**
 * The X-Ray side of tracing: the trace context Lambda hands each invocation, and
 * subsegment documents sent to the X-Ray daemon that runs beside every function with
 * tracing Active (UDP, a `{"format":"json","version":1}` line, then the document:
 * https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html).
 *
 * Lambda opens the function's segment itself; each closed subsegment is sent on its own
 * with `trace_id` and `parent_id`, and X-Ray assembles the tree. That keeps every
 * datagram small, whatever the number of calls an invocation makes.
 */
import type { Socket } from 'node:dgram';

/** The parts of `_X_AMZN_TRACE_ID` (`Root=…;Parent=…;Sampled=1;Lineage=…`). */
export interface TraceContext {
  root: string;
  /** The Lambda function segment's id. */
  parent: string;
  sampled: boolean;
  /** Other fields (Lineage, …), passed on as they came in trace headers of outgoing calls. */
  extra: string[];
}

export function parseTraceHeader(header: string | undefined): TraceContext | undefined {
  if (!header) return undefined;
  const fields = new Map<string, string>();
  const extra: string[] = [];
  for (const part of header.split(';')) {
    const [key, value] = part.split('=', 2).map((s) => s.trim());
    if (!key || value === undefined) continue;
    if (key === 'Root' || key === 'Parent' || key === 'Sampled') fields.set(key, value);
    else extra.push(`${key}=${value}`);
  }
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  if (!root || !parent) return undefined;
  return { root, parent, sampled: fields.get('Sampled') === '1', extra };
}

/**
 * The current invocation's trace header, as the Lambda runtime gives it: from its
 * per-invocation store when one environment runs several invocations at once (Lambda
 * Managed Instances, where `_X_AMZN_TRACE_ID` is shared), else from the variable.
 */
export function invocationTraceHeader(): string | undefined {
  const runtime = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } }).awslambda;
  return runtime?.InvokeStore?.getXRayTraceId?.() ?? process.env._X_AMZN_TRACE_ID;
}

/** `AWS_XRAY_DAEMON_ADDRESS`: `host:port`, or `tcp:host:port udp:host:port` (documents go over UDP). */
export function daemonAddress(value: string | undefined): { host: string; port: number } {
  const parts = (value ?? '').trim().split(/\s+/).filter(Boolean);
  const udp = parts.find((p) => p.startsWith('udp:'))?.slice(4) ?? parts.find((p) => !p.startsWith('tcp:'));
  const match = udp ? /^(.+):(\d+)$/.exec(udp) : null;
  return match ? { host: match[1]!, port: Number(match[2]) } : { host: '127.0.0.1', port: 2000 };
}

export type AnnotationValue = string | number | boolean;

/** X-Ray indexes annotations whose keys are letters, digits and underscores. */
const ANNOTATION_KEY = /^\w{1,500}$/;
const MAX_STACK_FRAMES = 10;

interface StackFrame {
  path: string;
  line: number | null;
  label: string;
}

interface Exception {
  id: string;
  message: string;
  type: string;
  remote: boolean;
  stack: StackFrame[];
}

/** V8's `    at label (path:line:column)` and `    at [async] path:line:column` lines. */
function stackFrames(stack: string | undefined): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of (stack ?? '').split('\n')) {
    const frame = /^\s*at (.*)$/.exec(line)?.[1];
    if (!frame) continue;
    const named = /^(.*?) \((.*)\)$/.exec(frame);
    const label = named ? named[1]! : 'anonymous';
    const [, path, lineNumber] = /^(.*?)(?::(\d+):\d+)?$/.exec(named ? named[2]! : frame.replace(/^async /, ''))!;
    frames.push({ path: path!, line: lineNumber ? Number(lineNumber) : null, label });
    if (frames.length === MAX_STACK_FRAMES) break;
  }
  return frames;
}

/** Sends documents to the daemon; a lost datagram costs a trace, never a request. */
export interface DocumentSink {
  send(document: Record<string, unknown>): void;
}

const DAEMON_HEADER = '{"format":"json","version":1}\n';

export function daemonSink(address: { host: string; port: number }): DocumentSink {
  let socket: Socket | undefined;
  return {
    send(document) {
      let body: string;
      try {
        body = JSON.stringify(document);
      } catch {
        // Metadata that does not serialize (a cycle, a BigInt) costs that document only.
        return;
      }
      // Loaded on first use: functions that never trace never load dgram.
      socket ??= process.getBuiltinModule('node:dgram').createSocket('udp4').unref();
      socket.send(Buffer.from(DAEMON_HEADER + body), address.port, address.host, () => {});
    },
  };
}

const newId = () => process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex');
const nowSeconds = () => Date.now() / 1000;

/** One unit of work in a trace: the handler, an AWS SDK call, an outgoing HTTP request. */
export class Subsegment {
  readonly id = newId();
  readonly startTime = nowSeconds();
  namespace?: 'aws' | 'remote';
  aws?: Record<string, unknown>;
  http?: { request?: { url: string; method: string }; response?: { status?: number; content_length?: number } };
  private readonly annotations: Record<string, AnnotationValue> = {};
  private metadata?: Record<string, Record<string, unknown>>;
  private flags: { error?: true; throttle?: true; fault?: true } = {};
  private exceptions: Exception[] = [];
  private closed = false;

  constructor(
    readonly trace: TraceContext,
    readonly parentId: string,
    readonly name: string,
    private readonly sink: DocumentSink,
  ) {}

  child(name: string): Subsegment {
    return new Subsegment(this.trace, this.id, name, this.sink);
  }

  /** The `X-Amzn-Trace-Id` header that makes a downstream call a child of this subsegment. */
  traceHeader(): string {
    return [`Root=${this.trace.root}`, `Parent=${this.id}`, `Sampled=${this.trace.sampled ? '1' : '0'}`, ...this.trace.extra].join(';');
  }

  annotate(key: string, value: AnnotationValue): void {
    if (ANNOTATION_KEY.test(key)) this.annotations[key] = typeof value === 'string' ? value.slice(0, 1000) : value;
  }

  addMetadata(namespace: string, key: string, value: unknown): void {
    ((this.metadata ??= {})[namespace] ??= {})[key] = value;
  }

  /** Flags from an HTTP status: 429 throttled, other 4xx a client error, 5xx a fault. */
  flagStatus(status: number | undefined): void {
    if (status === 429) this.flags.throttle = true;
    if (status !== undefined && status >= 400 && status < 500) this.flags.error = true;
    if (status !== undefined && status >= 500) this.flags.fault = true;
  }

  flagThrottled(): void {
    this.flags.throttle = true;
    this.flags.error = true;
  }

  /**
   * Records an exception. Without a client-error or throttle flag it is a fault;
   * `remote` says it came from the service called, not from this code.
   */
  addError(error: unknown, remote: boolean, { withDetails = true } = {}): void {
    if (!this.flags.error && !this.flags.throttle) this.flags.fault = true;
    if (!withDetails) return;
    const err = error instanceof Error ? error : new Error(String(error));
    this.exceptions.push({ id: newId(), message: err.message, type: err.name, remote, stack: stackFrames(err.stack) });
  }

  /** Ends the subsegment and sends it, once, if the trace is sampled. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.trace.sampled) return;
    this.sink.send({
      id: this.id,
      name: this.name,
      start_time: this.startTime,
      end_time: nowSeconds(),
      type: 'subsegment',
      trace_id: this.trace.root,
      parent_id: this.parentId,
      ...(this.namespace ? { namespace: this.namespace } : {}),
      ...(Object.keys(this.annotations).length ? { annotations: this.annotations } : {}),
      ...(this.metadata ? { metadata: this.metadata } : {}),
      ...(this.aws ? { aws: this.aws } : {}),
      ...(this.http ? { http: this.http } : {}),
      ...this.flags,
      ...(this.exceptions.length ? { cause: { working_directory: process.cwd(), exceptions: this.exceptions } } : {}),
    });
  }
}
