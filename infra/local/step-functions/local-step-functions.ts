/**
 * A small Step Functions endpoint for the local runtime: the AWS JSON 1.0 protocol for
 * StartExecution, DescribeExecution, StopExecution and GetExecutionHistory, running
 * the workflows/ definitions with aws-local-stepfunctions. Each Task state runs the
 * step handler of the Lambda its Resource ARN names, as AWS would invoke it. API
 * handlers reach it through @aws-sdk/client-sfn with an endpoint override.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { StateMachine, ExecutionAbortedError } from 'aws-local-stepfunctions';
import type { AslDefinition } from '#workflows/render.ts';

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type StepHandler = (event: JsonValue) => Promise<JsonValue>;

export interface LocalStateMachine {
  name: string;
  definition: AslDefinition;
}

export interface LocalStepFunctionsOptions {
  stateMachines: LocalStateMachine[];
  /** Lambda function ARN → the handler that Lambda runs. */
  handlers: Record<string, StepHandler>;
  /** Wait states last `seconds × 1000 / speed` ms. */
  speed?: number;
  region?: string;
  account?: string;
  log?: (line: string) => void;
}

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: Status;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  events: Array<{ id: number; timestamp: Date; type: string; stateName?: string }>;
  abort(): void;
}

class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * aws-local-stepfunctions event → AWS history event type. State events get the state's
 * type as on AWS (TaskStateEntered, WaitStateExited, ChoiceStateEntered, …); retries
 * and catches have no event of their own on AWS and are kept under local names.
 */
function historyType(eventType: string, stateType: string | undefined): string | undefined {
  switch (eventType) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'ExecutionAborted':
      return eventType;
    case 'StateEntered':
    case 'StateExited':
      return `${stateType ?? ''}${eventType}`;
    case 'StateFailed':
      return stateType === 'Task' ? 'TaskFailed' : 'StateFailed';
    case 'StateRetried':
    case 'StateCaught':
      return eventType;
    default:
      return undefined;
  }
}

export async function startLocalStepFunctions(options: LocalStepFunctionsOptions) {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const speed = options.speed && options.speed > 0 ? options.speed : 1;
  const machines = new Map<string, { name: string; definition: AslDefinition; machine: StateMachine }>();
  for (const sm of options.stateMachines) {
    const arn = `arn:aws:states:${region}:${account}:stateMachine:${sm.name}`;
    machines.set(arn, { ...sm, machine: new StateMachine(sm.definition as never, { validationOptions: { checkArn: false } }) });
  }
  const executions = new Map<string, Execution>();

  /** Each Task's Resource is a Lambda ARN (payloadResponseOnly); map it to its handler. */
  const taskOverrides = (definition: AslDefinition) => {
    const overrides: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      const handler = options.handlers[String(state.Resource)];
      if (!handler) throw new Error(`no local handler for ${String(state.Resource)} (state ${stateName})`);
      overrides[stateName] = handler;
    }
    return overrides;
  };

  const waitOverrides = (definition: AslDefinition, input: JsonValue) => {
    const overrides: Record<string, number> = {};
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Wait') continue;
      let seconds: number | undefined = typeof state.Seconds === 'number' ? state.Seconds : undefined;
      if (typeof state.SecondsPath === 'string') {
        // A simple `$.a.b` path read from the execution input; anything else is left to
        // the interpreter (unscaled, and failing like AWS when the path is missing).
        let value: unknown = input;
        for (const part of state.SecondsPath.replace(/^\$\.?/, '').split('.').filter(Boolean)) {
          value = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[part] : undefined;
        }
        seconds = typeof value === 'number' ? value : undefined;
      }
      if (seconds === undefined) continue;
      overrides[stateName] = Math.round((seconds * 1000) / speed);
    }
    return overrides;
  };

  /**
   * Retry intervals scale like Wait states: each retrier waits its IntervalSeconds / speed
   * (aws-local-stepfunctions applies an override without BackoffRate). At speed 1 the
   * definition's own intervals and backoff apply.
   */
  const retryOverrides = (definition: AslDefinition) => {
    const overrides: Record<string, number[]> = {};
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (!Array.isArray(state.Retry)) continue;
      overrides[stateName] = (state.Retry as Array<{ IntervalSeconds?: number }>).map((r) => Math.round(((r.IntervalSeconds ?? 1) * 1000) / speed));
    }
    return overrides;
  };

  function startExecution(body: { stateMachineArn?: string; name?: string; input?: string }) {
    const sm = body.stateMachineArn ? machines.get(body.stateMachineArn) : undefined;
    if (!sm) throw new AwsJsonError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
    const name = body.name ?? randomUUID();
    const executionArn = `arn:aws:states:${region}:${account}:execution:${sm.name}:${name}`;
    const existing = executions.get(executionArn);
    if (existing) {
      // Like AWS: the same name and input is idempotent while the execution runs.
      if (existing.input === (body.input ?? '{}') && existing.status === 'RUNNING') return existing;
      throw new AwsJsonError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    let input: JsonValue;
    try {
      input = JSON.parse(body.input ?? '{}') as JsonValue;
    } catch {
      throw new AwsJsonError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const run = sm.machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: taskOverrides(sm.definition),
        waitTimeOverrides: waitOverrides(sm.definition, input),
        ...(speed !== 1 ? { retryIntervalOverrides: retryOverrides(sm.definition) } : {}),
      },
      context: { Execution: { Id: executionArn, Name: name, Input: input as never, StartTime: new Date().toISOString() } } as never,
    });
    const execution: Execution = {
      executionArn,
      stateMachineArn: body.stateMachineArn!,
      name,
      input: body.input ?? '{}',
      status: 'RUNNING',
      startDate: new Date(),
      events: [],
      abort: run.abort,
    };
    executions.set(executionArn, execution);
    void (async () => {
      for await (const event of run.eventLogs) {
        const stateName = 'state' in event ? (event.state as { name?: string }).name : undefined;
        const type = historyType(event.type, stateName ? String(sm.definition.States[stateName]?.Type ?? '') : undefined);
        if (!type) continue;
        execution.events.push({ id: execution.events.length + 1, timestamp: new Date(event.timestamp), type, stateName });
      }
    })().catch(() => undefined);
    run.result.then(
      (output) => {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
        execution.stopDate = new Date();
        options.log?.(`execution ${name} of ${sm.name} SUCCEEDED`);
      },
      (error: unknown) => {
        execution.stopDate = new Date();
        if (error instanceof ExecutionAbortedError) {
          execution.status = 'ABORTED';
          return;
        }
        execution.status = 'FAILED';
        const cause = (error as { cause?: { name?: string; message?: string } }).cause;
        execution.error = cause?.name ?? (error as Error).name;
        execution.cause = cause?.message ?? (error as Error).message;
        options.log?.(`execution ${name} of ${sm.name} FAILED: ${execution.error}: ${execution.cause}`);
      },
    );
    return execution;
  }

  const epoch = (date?: Date) => (date ? date.getTime() / 1000 : undefined);
  const find = (arn?: string) => {
    const execution = arn ? executions.get(arn) : undefined;
    if (!execution) throw new AwsJsonError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return execution;
  };

  const actions: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (body) => {
      const execution = startExecution(body as never);
      return { executionArn: execution.executionArn, startDate: epoch(execution.startDate) };
    },
    DescribeExecution: (body) => {
      const e = find(body.executionArn as string);
      return {
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: epoch(e.startDate),
        stopDate: epoch(e.stopDate),
        input: e.input,
        output: e.output,
        error: e.error,
        cause: e.cause,
      };
    },
    StopExecution: (body) => {
      const e = find(body.executionArn as string);
      if (e.status === 'RUNNING') {
        e.abort();
        e.status = 'ABORTED';
        e.stopDate = new Date();
      }
      return { stopDate: epoch(e.stopDate) };
    },
    GetExecutionHistory: (body) => {
      const e = find(body.executionArn as string);
      return {
        events: e.events.map((event) => ({
          id: event.id,
          timestamp: epoch(event.timestamp),
          type: event.type,
          ...(event.stateName
            ? event.type.endsWith('StateExited')
              ? { stateExitedEventDetails: { name: event.stateName } }
              : { stateEnteredEventDetails: { name: event.stateName } }
            : {}),
        })),
      };
    },
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const action = target.replace(/^AWSStepFunctions\./, '');
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(payload));
      };
      try {
        const handler = actions[action];
        if (!handler) throw new AwsJsonError('UnknownOperationException', `${action} is not supported by the local endpoint`);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        reply(200, handler(body));
      } catch (error) {
        const known = error instanceof AwsJsonError;
        reply(known ? error.status : 500, {
          __type: known ? error.type : 'InternalFailure',
          message: (error as Error).message,
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stateMachineArn: (name: string) => `arn:aws:states:${region}:${account}:stateMachine:${name}`,
    executions,
    stop: async () => {
      for (const e of executions.values()) if (e.status === 'RUNNING') e.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
