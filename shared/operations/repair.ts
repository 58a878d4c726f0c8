/**
 * The scheduled `repair-operations` job: every operation still Running is held to its
 * workflow execution, which Step Functions describes (DescribeExecution by the ARN the
 * operation's name gives: executions are named after their operation):
 *
 *   unknown to Step Functions   the start was lost (a runtime that died, an API call cut
 *                               off between its commit and StartExecution): restarted
 *                               from the top, as the local runtime does at start (the
 *                               same resumeOperation), once past a short grace period
 *   RUNNING past its bound      stopped (StopExecution), then failed
 *   FAILED, TIMED_OUT, ABORTED  its failure path did not record the end: failed
 *   SUCCEEDED                   ended without recording it: failed
 *
 * Failing goes through the resource type's recovery (operations/recoveries.ts): the
 * resource leaves its in-progress phase for Error with the reason, and what a failed
 * create or resize reserved is given back, in the same transaction that fails the
 * operation. Executions cannot be restarted under the same name once they ended, so
 * an execution that ended badly is failed (and can be retried by the user), not rerun.
 */
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { stateMachineArnVariable } from '#workflows/names.ts';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem } from '../store/table.ts';
import { mapLimit, outOfBudget, type JobContext, type JobOutcome } from '../jobs/runner.ts';
import { operationItem, type OperationItem } from './items.ts';
import { finishOperation, listRunningOperations } from './operations.ts';
import { resumeOperation, type Recoveries } from './recovery.ts';
import { loadSfn, sfnClient } from './start-execution.ts';

/**
 * What a workflow may take beyond its polling (maxPolls × pollSeconds, in its input):
 * its steps, each a Lambda of at most a minute retried with backoff. Past both, it hangs.
 */
export const STEP_ALLOWANCE_SECONDS = 15 * 60;

/**
 * An operation younger than this whose execution Step Functions does not know may be
 * between its commit and its StartExecution: left alone (PALETTE_REPAIR_GRACE_SECONDS).
 */
export const repairGraceMs = () => {
  const configured = Number(process.env.PALETTE_REPAIR_GRACE_SECONDS);
  return (Number.isFinite(configured) && configured >= 0 ? configured : 60) * 1000;
};

/** `arn:…:stateMachine:<name>` → `arn:…:execution:<name>:<operation id>`. */
export function executionArnOf(stateMachineArn: string, operationId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${operationId}`;
}

/** The longest a workflow may run: its polls plus the allowance for its steps, in ms. */
export function boundOf(input: string | undefined): number {
  let polls = 0;
  try {
    const parsed = JSON.parse(input ?? '{}') as { maxPolls?: unknown; pollSeconds?: unknown };
    if (typeof parsed.maxPolls === 'number' && typeof parsed.pollSeconds === 'number') polls = parsed.maxPolls * parsed.pollSeconds;
  } catch {
    // An input that is not JSON has no polls; the allowance still bounds it.
  }
  return (polls + STEP_ALLOWANCE_SECONDS) * 1000;
}

export type RepairAction =
  | { action: 'running' }
  | { action: 'skipped'; reason: string }
  | { action: 'restarted' }
  | { action: 'failed'; reason: string }
  | { action: 'stopped'; reason: string };

async function stillRunning(store: Store, operation: OperationItem) {
  return (await getItem(store, keys.operation(operation.tenantId, operation.id), operationItem))?.status === 'Running';
}

async function fail(store: Store, recoveries: Recoveries, operation: OperationItem, reason: string) {
  const recovery = recoveries[operation.resourceType];
  if (recovery) await recovery.fail(store, operation, reason);
  else await finishOperation(store, operation.tenantId, operation.id, { status: 'Failed', error: { code: 'OperationInterrupted', message: reason } });
}

/** Holds one Running operation to its execution; see the module comment for what each finding leads to. */
export async function repairOperation(store: Store, recoveries: Recoveries, operation: OperationItem, now: Date): Promise<RepairAction> {
  const workflow = operation.workflow;
  if (!workflow) {
    await fail(store, recoveries, operation, 'the operation names no workflow, so nothing can carry it out');
    return { action: 'failed', reason: 'no workflow' };
  }
  const stateMachineArn = process.env[stateMachineArnVariable(workflow)];
  if (!stateMachineArn) return { action: 'skipped', reason: `${stateMachineArnVariable(workflow)} is not set` };
  const executionArn = executionArnOf(stateMachineArn, operation.id);
  const { DescribeExecutionCommand, ExecutionDoesNotExist, StopExecutionCommand } = await loadSfn();
  let execution: DescribeExecutionCommandOutput;
  try {
    execution = await (await sfnClient()).send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (!(error instanceof ExecutionDoesNotExist || (error as { name?: string }).name === 'ExecutionDoesNotExist')) throw error;
    if (now.getTime() - Date.parse(operation.startedAt) < repairGraceMs()) return { action: 'skipped', reason: 'started moments ago; its execution may be starting' };
    if (!(await stillRunning(store, operation))) return { action: 'skipped', reason: 'ended meanwhile' };
    const outcome = await resumeOperation(store, recoveries, operation);
    return outcome === 'resumed' ? { action: 'restarted' } : { action: 'failed', reason: 'its execution was lost and it could not be restarted' };
  }
  const status = execution.status ?? 'UNKNOWN';
  if (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
    const startedAt = execution.startDate?.getTime() ?? Date.parse(operation.startedAt);
    const bound = boundOf(execution.input);
    if (now.getTime() - startedAt <= bound) return { action: 'running' };
    const reason = `its ${workflow} workflow ran for more than ${Math.round(bound / 1000)} s, its bound, and was stopped by the platform`;
    await (await sfnClient()).send(new StopExecutionCommand({ executionArn, error: 'PaletteBoundExceeded', cause: reason }));
    if (await stillRunning(store, operation)) await fail(store, recoveries, operation, reason);
    return { action: 'stopped', reason };
  }
  // The execution has ended; its own finish or failure path may have just recorded it.
  if (!(await stillRunning(store, operation))) return { action: 'skipped', reason: 'ended meanwhile' };
  const detail = [execution.error, execution.cause].filter(Boolean).join(': ');
  const reason =
    status === 'SUCCEEDED'
      ? `its ${workflow} workflow ended without recording the outcome`
      : status === 'ABORTED'
        ? `its ${workflow} workflow was stopped before it finished`
        : `its ${workflow} workflow ended ${status}${detail ? ` (${detail})` : ''} without recording the failure`;
  await fail(store, recoveries, operation, reason);
  return { action: 'failed', reason };
}

/** The job: every Running operation, a bounded number at a time, described in parallel. */
export async function repairOperations(context: JobContext, recoveries: Recoveries): Promise<JobOutcome> {
  const running = await listRunningOperations(context.store, context.now.toISOString());
  const checked: Array<{ operationId: string; kind: string; resourceId: string } & RepairAction> = [];
  let taken = 0;
  await mapLimit(running, 8, async (operation) => {
    if (outOfBudget(context, taken, context.maxItems)) return;
    taken++;
    try {
      const result = await repairOperation(context.store, recoveries, operation, context.now);
      checked.push({ operationId: operation.id, kind: operation.kind, resourceId: operation.resourceId, ...result });
    } catch (error) {
      logger.error('could not repair operation', { operationId: operation.id, error: error as Error });
      checked.push({ operationId: operation.id, kind: operation.kind, resourceId: operation.resourceId, action: 'skipped', reason: `could not be checked: ${(error as Error).message}` });
    }
  });
  const pick = (action: RepairAction['action']) => checked.filter((c) => c.action === action);
  return {
    summary: {
      checked: checked.length,
      running: pick('running').length,
      restarted: pick('restarted'),
      failed: pick('failed'),
      stopped: pick('stopped'),
      skipped: pick('skipped'),
    },
    more: taken < running.length,
  };
}
