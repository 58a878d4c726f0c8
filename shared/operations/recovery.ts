import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import type { OperationItem } from './items.ts';
import { finishOperation, listRunningOperations } from './operations.ts';

/** How one resource type takes back an operation whose execution was lost or ended badly. */
export interface OperationRecovery {
  /** Starts the workflow again from the top (its steps are idempotent); false when the resource moved on. */
  resume(store: Store, operation: OperationItem): Promise<boolean>;
  /** Fails the operation and takes its resource out of the in-progress phase, releasing what it reserved. */
  fail(store: Store, operation: OperationItem, reason: string): Promise<void>;
}

export type Recoveries = Record<string, OperationRecovery>;

/**
 * Resumes every operation still Running (the local runtime calls this at start: its
 * executions lived in memory). An operation of a type nobody recovers is failed, so
 * it never stays Running forever.
 */
export async function resumeRunningOperations(store: Store, recoveries: Recoveries, startedBefore?: string) {
  let resumed = 0;
  let failed = 0;
  for (const operation of await listRunningOperations(store, startedBefore)) {
    if ((await resumeOperation(store, recoveries, operation)) === 'resumed') resumed++;
    else failed++;
  }
  return { resumed, failed };
}

/**
 * Takes back one operation whose execution is gone: restarts its workflow from the top
 * (steps are idempotent), or fails it and takes its resource out of the in-progress
 * phase when it cannot be restarted. The local runtime's start-up and the scheduled
 * repair-operations job (operations/repair.ts) both come through here.
 */
export async function resumeOperation(store: Store, recoveries: Recoveries, operation: OperationItem): Promise<'resumed' | 'failed'> {
  const recovery = recoveries[operation.resourceType];
  if (!recovery) {
    await finishOperation(store, operation.tenantId, operation.id, {
      status: 'Failed',
      error: { code: 'Unrecoverable', message: `no recovery for ${operation.resourceType} operations` },
    });
    return 'failed';
  }
  try {
    return (await recovery.resume(store, operation)) ? 'resumed' : 'failed';
  } catch (error) {
    logger.error('could not resume operation', { operationId: operation.id, error: error as Error });
    await recovery.fail(store, operation, `the operation could not be resumed: ${(error as Error).message}`);
    return 'failed';
  }
}
