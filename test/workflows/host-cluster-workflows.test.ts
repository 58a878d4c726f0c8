/**
 * The real host-cluster state machines (workflows/host-cluster.ts, rendered as for AWS)
 * run by the local Step Functions endpoint, driven through @aws-sdk/client-sfn like the
 * API handlers drive it. The step Lambda is replaced by scripted fakes that record every
 * call, so each test controls what a step returns or throws and asserts the path of
 * states the execution took (from GetExecutionHistory).
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSIENT_ERRORS, workflowFamilies, type HostClusterStep } from '#workflows/names.ts';
import { workflowDefinitions } from '#workflows/registry.ts';
import { localFunctionArn, renderDefinition } from '#workflows/render.ts';
import { startLocalStepFunctions } from '#infra/local/step-functions/local-step-functions.ts';
import { PermanentProviderError, TransientProviderError } from '#shared/providers/provider.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

interface StepCall {
  step: HostClusterStep;
  args: Record<string, any>;
  target?: string;
}

/** What a fake step does on its n-th call (1-based) for one execution. */
type StepScript = (call: StepCall, n: number) => Json | Promise<Json>;

interface Scenario {
  steps: Partial<Record<HostClusterStep, StepScript>>;
  calls: StepCall[];
}

/** A polling bound large enough to show the loop, as the API sets per resource. */
const MAX_POLLS = 180;

/** Speed of the local runner: Wait states of 1 s and retry intervals of 2 s last 1 ms and 2 ms. */
const SPEED = 1000;

let sfn: Awaited<ReturnType<typeof startLocalStepFunctions>>;
let client: SFNClient;
/** Scenarios by operationId: every execution gets its own script and call log. */
const scenarios = new Map<string, Scenario>();

beforeAll(async () => {
  sfn = await startLocalStepFunctions({
    stateMachines: workflowDefinitions.map((w) => ({ name: `palette-${w.name}`, definition: renderDefinition(w) })),
    speed: SPEED,
    handlers: {
      [localFunctionArn(workflowFamilies['host-cluster'].stepLambda.functionName)]: async (event) => {
        const call = event as unknown as StepCall;
        const scenario = scenarios.get(String(call.args.operationId));
        if (!scenario) throw new Error(`no scenario for operation ${String(call.args.operationId)}`);
        scenario.calls.push(structuredClone(call));
        const n = scenario.calls.filter((c) => c.step === call.step).length;
        const script = scenario.steps[call.step];
        if (script) return script(call, n);
        if (call.step === 'describe') return { phase: call.target ?? 'Running', attempts: (call.args.poll?.attempts ?? 0) + 1 };
        return { ok: true };
      },
    },
  });
  client = new SFNClient({
    endpoint: sfn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client?.destroy();
  await sfn?.stop();
});

const stateMachineArn = (workflow: string) => sfn.stateMachineArn(`palette-${workflow}`);

/** The input the API starts a workflow with (shared/operations/operations.ts: WorkflowInput). */
function workflowInput(workflow: string, overrides: { maxPolls?: number } = {}) {
  return {
    operationId: `op_${randomUUID()}`,
    workflow,
    resource: { type: 'cluster', tenantId: 'tenant-1', projectId: 'project-1', id: 'cluster-1' },
    pollSeconds: 1,
    maxPolls: overrides.maxPolls ?? MAX_POLLS,
    context: { change: { kind: 'create' }, refs: { accountId: 'ca-1', profileIds: ['cp-1'] } },
  };
}

function scenario(operationId: string, steps: Scenario['steps'] = {}): Scenario {
  const s: Scenario = { steps, calls: [] };
  scenarios.set(operationId, s);
  return s;
}

async function start(workflow: string, input: ReturnType<typeof workflowInput>, name = input.operationId) {
  const out = await client.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(workflow), name, input: JSON.stringify(input) }));
  return out.executionArn!;
}

async function waitForEnd(executionArn: string, timeoutMs = 15_000): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    if (Date.now() > deadline) throw new Error(`execution ${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const out = await client.send(new GetExecutionHistoryCommand({ executionArn }));
  return out.events ?? [];
}

/** Names of the states entered, in order (TaskStateEntered, WaitStateEntered, ChoiceStateEntered, …). */
const statePath = (events: HistoryEvent[]) =>
  events.filter((e) => String(e.type).endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);

async function run(workflow: string, steps: Scenario['steps'] = {}, inputOverrides: { maxPolls?: number } = {}) {
  const input = workflowInput(workflow, inputOverrides);
  const s = scenario(input.operationId, steps);
  const executionArn = await start(workflow, input);
  const result = await waitForEnd(executionArn);
  const events = await history(executionArn);
  return { executionArn, result, events, path: statePath(events), calls: s.calls, input };
}

/** A promise a fake step can wait on, released by the test. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('host-cluster workflows on the local Step Functions endpoint', () => {
  it('creates a cluster: provision, poll until Running, apply add-ons, finish', async () => {
    const { result, path, calls, input, events } = await run('host-cluster-create', {
      describe: (call, n) => ({ phase: n === 1 ? 'Provisioning' : 'Running', attempts: (call.args.poll?.attempts ?? 0) + 1, message: 'creating' }),
    });
    // The history speaks AWS's event types.
    expect(events[0]!.type).toBe('ExecutionStarted');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['TaskStateEntered', 'WaitStateEntered', 'ChoiceStateEntered', 'TaskStateExited', 'ExecutionSucceeded']));

    expect(result.status).toBe('SUCCEEDED');
    expect(path).toEqual([
      'Create Provision',
      'Create Wait',
      'Create Describe',
      'Create ReachedRunning?',
      'Create Wait',
      'Create Describe',
      'Create ReachedRunning?',
      'Create ApplyAddons',
      'Create HelmLayers?',
      'Create Finish',
      'Create Done',
    ]);
    expect(calls.map((c) => c.step)).toEqual(['provision', 'describe', 'describe', 'applyAddons', 'finish']);
    // Every task gets the whole state as args; Describe's result lands at $.poll for the next one.
    expect(calls[0]!.args).toEqual(input);
    expect(calls[1]).toMatchObject({ target: 'Running', args: input });
    expect(calls[2]!.args.poll).toMatchObject({ phase: 'Provisioning', attempts: 1 });
    expect(calls[3]!.args.poll).toMatchObject({ phase: 'Running', attempts: 2 });
  });

  it('retries a TransientProviderError and succeeds on the third attempt', async () => {
    expect(TRANSIENT_ERRORS).toContain('TransientProviderError');
    const started = performance.now();
    const { result, path, calls, events } = await run('host-cluster-create', {
      provision: (_call, n) => {
        if (n <= 2) throw new TransientProviderError(`throttled (attempt ${n})`);
        return { ok: true };
      },
    });

    expect(result.status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.step === 'provision')).toHaveLength(3);
    // Retries stay inside the state: it is entered once, and nothing went to MarkError.
    expect(path.filter((name) => name === 'Create Provision')).toHaveLength(1);
    expect(path).not.toContain('Create MarkError');
    expect(events.filter((e) => String(e.type) === 'StateRetried')).toHaveLength(2);
    // Retry intervals (2 s, then 4 s on AWS) are scaled by the runner's speed.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('sends a PermanentProviderError to MarkError and fails the execution with its message', async () => {
    const { result, path, calls } = await run('host-cluster-create', {
      provision: () => {
        throw new PermanentProviderError('the region sim-nowhere does not exist');
      },
    });

    expect(result.status).toBe('FAILED');
    expect(path).toEqual(['Create Provision', 'Create MarkError', 'Create Failed']);
    // Not retried: only transient errors are.
    expect(calls.map((c) => c.step)).toEqual(['provision', 'markError']);
    expect(calls[1]!.args.error).toEqual({ Error: 'PermanentProviderError', Cause: 'the region sim-nowhere does not exist' });
    expect(result.error).toBe('HostClusterWorkflowFailed');
    expect(result.cause).toBe('the region sim-nowhere does not exist');
  });

  it('turns a provider that reports Failed into ProviderFailed with the provider message', async () => {
    const message = 'the control plane did not become healthy';
    const { result, path, calls } = await run('host-cluster-create', {
      describe: (call) => ({ phase: 'Failed', attempts: (call.args.poll?.attempts ?? 0) + 1, message }),
    });

    expect(result.status).toBe('FAILED');
    expect(path).toEqual([
      'Create Provision',
      'Create Wait',
      'Create Describe',
      'Create ReachedRunning?',
      'Create ProviderFailed',
      'Create MarkError',
      'Create Failed',
    ]);
    const markError = calls.find((c) => c.step === 'markError');
    expect(markError?.args.error).toEqual({ Error: 'ProviderFailed', Cause: message });
    expect(calls.map((c) => c.step)).not.toContain('applyAddons');
    expect(result).toMatchObject({ error: 'HostClusterWorkflowFailed', cause: message });
  });

  it(`stops polling after maxPolls attempts (the default ${MAX_POLLS}) and fails with a timeout`, async () => {
    const provisioning: StepScript = (call) => ({ phase: 'Provisioning', attempts: (call.args.poll?.attempts ?? 0) + 1 });
    const { result, path, calls } = await run('host-cluster-create', { describe: provisioning });

    expect(result.status).toBe('FAILED');
    expect(calls.filter((c) => c.step === 'describe')).toHaveLength(MAX_POLLS);
    expect(path.filter((name) => name === 'Create Describe')).toHaveLength(MAX_POLLS);
    expect(path.slice(-4)).toEqual(['Create ReachedRunning?', 'Create TimedOut', 'Create MarkError', 'Create Failed']);
    const markError = calls.find((c) => c.step === 'markError');
    expect(markError?.args.error).toEqual({ Error: 'Timeout', Cause: 'did not reach Running in time' });
    expect(result.cause).toBe('did not reach Running in time');

    // The bound is the execution input's, as the API sets it per provider.
    const short = await run('host-cluster-create', { describe: provisioning }, { maxPolls: 3 });
    expect(short.result.status).toBe('FAILED');
    expect(short.calls.filter((c) => c.step === 'describe')).toHaveLength(3);
    expect(short.path.slice(-3)).toEqual(['Create TimedOut', 'Create MarkError', 'Create Failed']);
  });

  it('still ends the execution when recording the failure fails too', async () => {
    const { result, path, calls } = await run('host-cluster-create', {
      provision: () => {
        throw new PermanentProviderError('the account is gone');
      },
      markError: () => {
        throw new Error('the table is unreachable');
      },
    });

    expect(result.status).toBe('FAILED');
    expect(path).toEqual(['Create Provision', 'Create MarkError', 'Create Failed']);
    expect(calls.map((c) => c.step)).toEqual(['provision', 'markError']);
    expect(result.cause).toBe('the account is gone');
  });

  it('deletes a cluster: polls until the provider reports Deleted, then finishes', async () => {
    const phases = ['Deleting', 'Deleting', 'Deleted'];
    const { result, path, calls } = await run('host-cluster-delete', {
      describe: (call, n) => ({ phase: phases[n - 1] ?? 'Deleted', attempts: (call.args.poll?.attempts ?? 0) + 1 }),
    });

    expect(result.status).toBe('SUCCEEDED');
    const poll = ['Delete Wait', 'Delete Describe', 'Delete ReachedDeleted?'];
    expect(path).toEqual(['Delete Cluster', ...poll, ...poll, ...poll, 'Delete Finish', 'Delete Done']);
    expect(calls.map((c) => c.step)).toEqual(['delete', 'describe', 'describe', 'describe', 'finish']);
    expect(calls.filter((c) => c.step === 'describe').every((c) => c.target === 'Deleted')).toBe(true);
  });

  it('aborts a running execution on StopExecution, and runs no further step', async () => {
    const input = workflowInput('host-cluster-create');
    const provisioning = gate();
    const s = scenario(input.operationId, {
      provision: async () => {
        await provisioning.opened;
        return { ok: true };
      },
    });
    const executionArn = await start('host-cluster-create', input);
    await until('the provision step to start', () => s.calls.length === 1);
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');

    const stopped = await client.send(new StopExecutionCommand({ executionArn }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('ABORTED');
    expect(described.stopDate).toBeInstanceOf(Date);

    // The step in flight completes, but the execution does not go on.
    provisioning.open();
    await new Promise((r) => setTimeout(r, 100));
    expect(s.calls.map((c) => c.step)).toEqual(['provision']);
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
    const events = await history(executionArn);
    expect(statePath(events)).toEqual(['Create Provision']);
    expect(events.at(-1)?.type).toBe('ExecutionAborted');
  });

  it('treats a second start with the same name and input as the same execution, and a different input as ExecutionAlreadyExists', async () => {
    const input = workflowInput('host-cluster-create');
    const provisioning = gate();
    const s = scenario(input.operationId, {
      provision: async () => {
        await provisioning.opened;
        return { ok: true };
      },
    });
    const first = await client.send(
      new StartExecutionCommand({ stateMachineArn: stateMachineArn('host-cluster-create'), name: input.operationId, input: JSON.stringify(input) }),
    );
    await until('the provision step to start', () => s.calls.length === 1);

    const again = await client.send(
      new StartExecutionCommand({ stateMachineArn: stateMachineArn('host-cluster-create'), name: input.operationId, input: JSON.stringify(input) }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());

    const different = client.send(
      new StartExecutionCommand({
        stateMachineArn: stateMachineArn('host-cluster-create'),
        name: input.operationId,
        input: JSON.stringify({ ...input, pollSeconds: 2 }),
      }),
    );
    await expect(different).rejects.toMatchObject({ name: 'ExecutionAlreadyExists', $metadata: { httpStatusCode: 400 } });

    provisioning.open();
    const result = await waitForEnd(first.executionArn!);
    expect(result.status).toBe('SUCCEEDED');
    // One execution ran, once.
    expect(s.calls.filter((c) => c.step === 'provision')).toHaveLength(1);
    expect(s.calls.filter((c) => c.step === 'finish')).toHaveLength(1);

    // Once the execution has ended, even the same input is a conflict (as on AWS).
    await expect(
      client.send(
        new StartExecutionCommand({ stateMachineArn: stateMachineArn('host-cluster-create'), name: input.operationId, input: JSON.stringify(input) }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });
});
