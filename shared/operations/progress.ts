/**
 * An operation's steps and progress (API.md "Cluster Mode II"): the workflow's steps
 * in order come from the registry (workflows/names.ts), so they are listed from the
 * start; the operation item records only when each step finished (`stepsDone`) and the
 * running step's last message. Steps run one after another, so a step started when
 * the one before it ended, and the first step not done is the one running (or, once
 * the operation failed, the one that failed; the rest were skipped).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { workflowSteps } from '#workflows/names.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { isConditionFailure, nowIso, type TransactItem } from '../store/table.ts';
import type { OperationItem } from './items.ts';

export type StepStatus = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped';

export interface OperationStep {
  name: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  message?: string;
}

/** The steps an operation shows: its workflow's, each with its status and times. */
export function operationSteps(operation: Pick<OperationItem, 'workflow' | 'status' | 'startedAt' | 'endedAt' | 'error' | 'stepsDone' | 'stepMessage'>): {
  steps: OperationStep[];
  progress: { done: number; total: number };
} {
  const names = (operation.workflow && workflowSteps[operation.workflow]) || [];
  const done = operation.stepsDone ?? {};
  let previousEnd: string | undefined = operation.startedAt;
  let current = false;
  const steps = names.map((name): OperationStep => {
    const endedAt = done[name];
    const startedAt = previousEnd;
    if (endedAt && !current) {
      previousEnd = endedAt;
      return { name, status: 'Succeeded', ...(startedAt ? { startedAt } : {}), endedAt };
    }
    if (operation.status === 'Succeeded') {
      // The last step (finish) ends the operation in the same write.
      previousEnd = operation.endedAt;
      return { name, status: 'Succeeded', ...(startedAt ? { startedAt } : {}), ...(operation.endedAt ? { endedAt: operation.endedAt } : {}) };
    }
    if (current) return { name, status: operation.status === 'Failed' ? 'Skipped' : 'Pending' };
    current = true;
    if (operation.status === 'Failed') {
      return {
        name, status: 'Failed', ...(startedAt ? { startedAt } : {}), ...(operation.endedAt ? { endedAt: operation.endedAt } : {}),
        ...(operation.error ? { message: operation.error.message } : {}),
      };
    }
    return { name, status: 'Running', ...(startedAt ? { startedAt } : {}), ...(operation.stepMessage ? { message: operation.stepMessage } : {}) };
  });
  return { steps, progress: { done: steps.filter((s) => s.status === 'Succeeded').length, total: steps.length } };
}

/**
 * The write that records a step as done (first time only: a retried step keeps its
 * first end), and clears the running step's message. Conditioned on the operation
 * still running: a late retry after the end changes nothing.
 */
export function stepDoneItem(tenantId: string, operationId: string, step: string, at = nowIso()): TransactItem {
  return {
    Update: {
      Key: keys.operation(tenantId, operationId),
      UpdateExpression: 'SET stepsDone.#step = if_not_exists(stepsDone.#step, :at) REMOVE stepMessage',
      ConditionExpression: '#status = :running AND attribute_exists(stepsDone)',
      ExpressionAttributeNames: { '#step': step, '#status': 'status' },
      ExpressionAttributeValues: { ':at': at, ':running': 'Running' },
    },
  };
}

/** The running step's progress message (a poll's "creating the EKS control plane"), for the same transaction as the resource's. */
export function stepMessageItem(tenantId: string, operationId: string, message: string): TransactItem {
  return {
    Update: {
      Key: keys.operation(tenantId, operationId),
      UpdateExpression: 'SET stepMessage = :message',
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':message': message.slice(0, 1000), ':running': 'Running' },
    },
  };
}

/** Records a step as done on its own (steps whose result writes nothing else). */
export async function recordStepDone(store: Store, tenantId: string, operationId: string, step: string): Promise<void> {
  const { Update } = stepDoneItem(tenantId, operationId, step) as { Update: NonNullable<Extract<TransactItem, { Update: unknown }>['Update']> };
  try {
    await store.doc.send(new UpdateCommand({ TableName: store.tableName, ...Update }));
  } catch (error) {
    // The operation ended meanwhile (or predates step tracking): nothing to record.
    if (!isConditionFailure(error)) throw error;
  }
}
