import { ApiError, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys, lists, RUNNING_OPERATION_SHARDS } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, isConditionFailure, nowIso, queryAll, queryPage, TransactionConflict, transact, type Key, type QueryPageOptions, type TransactItem } from '../store/table.ts';
import type { Principal } from '../auth/principal.ts';
import { listUserMemberships } from '../tenancy/members.ts';
import type { Tx } from '../store/tx.ts';
import { operationItem, type OperationItem } from './items.ts';
import { operation as operationShape } from './schemas.ts';
import { startExecution } from './start-execution.ts';
import { operationSteps } from './progress.ts';
import { PermanentProviderError } from '../providers/provider.ts';

export const toOperation = (item: OperationItem) => pickFields(operationShape, { ...item, ...operationSteps(item) });

/** The resource a workflow works on; steps find it (and nothing else) by these ids. */
export interface ResourceRef {
  type: string;
  tenantId: string;
  projectId: string | null;
  id: string;
}

/**
 * What every workflow execution starts with. `context` carries what the steps need
 * (provider settings, the change to make), so a step does not re-read the table for
 * it; `pollSeconds` and `maxPolls` drive the Wait → Describe → Choice loop.
 */
export interface WorkflowInput<C = Record<string, unknown>> {
  operationId: string;
  workflow: string;
  requestId?: string;
  resource: ResourceRef;
  pollSeconds: number;
  maxPolls: number;
  context: C;
}

/**
 * The polling bound for any workflow, in polls: the time the work is expected to take
 * plus a margin, at the given interval. Create, change and resume use this one rule.
 */
export function pollPlan(expectedSeconds: number, pollSeconds: number, marginSeconds = 60) {
  return { pollSeconds, maxPolls: Math.max(3, Math.ceil((expectedSeconds + marginSeconds) / pollSeconds)) };
}

/** A new Running operation and the Put that records it (found by repair through its sharded gsi2 key). */
export function newOperation(input: { resource: ResourceRef; kind: string; workflow: string; requestId?: string }): { operation: OperationItem; put: TransactItem } {
  const operation: OperationItem = {
    type: 'operation',
    id: newId('operation'),
    kind: input.kind,
    resourceId: input.resource.id,
    resourceType: input.resource.type,
    tenantId: input.resource.tenantId,
    projectId: input.resource.projectId,
    status: 'Running',
    startedAt: nowIso(),
    workflow: input.workflow,
    stepsDone: {},
    ...(input.requestId ? { requestId: input.requestId } : {}),
    version: 1,
  };
  return {
    operation,
    put: {
      Put: {
        Item: {
          ...keys.operation(operation.tenantId, operation.id),
          ...keys.runningOperationsIndex(operation.id, operation.startedAt),
          ...keys.operationsOfResourceIndex(operation.tenantId, operation.resourceId, operation.id),
          ...operation,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
}

export type OperationOutcome = { status: 'Succeeded' } | { status: 'Failed'; error: { code: string; message: string } };

/** The Update that ends a running operation; it fails its condition once the operation has ended. */
export function finishOperationItem(tenantId: string, operationId: string, outcome: OperationOutcome): TransactItem {
  const failed = outcome.status === 'Failed';
  return {
    Update: {
      Key: keys.operation(tenantId, operationId),
      UpdateExpression: `SET #status = :status, endedAt = :now, #version = #version + :one${failed ? ', #error = :error' : ''} REMOVE gsi2pk, gsi2sk`,
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { '#status': 'status', '#version': 'version', ...(failed ? { '#error': 'error' } : {}) },
      ExpressionAttributeValues: { ':status': outcome.status, ':now': nowIso(), ':one': 1, ':running': 'Running', ...(failed ? { ':error': outcome.error } : {}) },
    },
  };
}

/**
 * A workflow's finish transaction (the resource's change with its operation's end).
 * Run again after it committed (a retried step), it finds the operation Succeeded and
 * changes nothing; any other refusal means another operation owns the resource.
 */
export async function commitFinish(store: Store, items: TransactItem[], finishing: { tenantId: string; operationId: string; what: string }): Promise<void> {
  try {
    await transact(store, items);
  } catch (error) {
    if (!(error instanceof TransactionConflict)) throw error;
    const operation = await getItem(store, keys.operation(finishing.tenantId, finishing.operationId), operationItem);
    if (operation?.status === 'Succeeded') return;
    throw new PermanentProviderError(`operation ${finishing.operationId} no longer owns ${finishing.what}`);
  }
}

/**
 * A resource still owned by `operationId` goes to phase Error with `message` (the rest
 * of its status kept), written with the operation's Failed end in one transaction; a
 * resource another operation took over keeps its status and only the operation ends.
 */
export async function failOwnedResource(store: Store, key: Key, tenantId: string, operationId: string, error: { code: string; message: string }, update?: TransactItem): Promise<void> {
  const fail = finishOperationItem(tenantId, operationId, { status: 'Failed', error });
  const phaseError: TransactItem = update ?? {
    Update: {
      Key: key,
      UpdateExpression: 'SET #status.#phase = :error, #status.#message = :message, #version = #version + :one, #updatedAt = :now',
      ConditionExpression: 'operationId = :op',
      ExpressionAttributeNames: { '#status': 'status', '#phase': 'phase', '#message': 'message', '#version': 'version', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':error': 'Error', ':message': error.message, ':one': 1, ':now': nowIso(), ':op': operationId },
    },
  };
  try {
    await transact(store, [phaseError, fail]);
  } catch (cancelled) {
    if (!(cancelled instanceof TransactionConflict)) throw cancelled;
    await transact(store, [fail]).catch((again: unknown) => {
      if (!(again instanceof TransactionConflict)) throw again;
    });
  }
}

/** Ends a running operation once; a second finish (a retried step) changes nothing. */
export async function finishOperation(store: Store, tenantId: string, operationId: string, outcome: OperationOutcome): Promise<boolean> {
  try {
    await transact(store, [finishOperationItem(tenantId, operationId, outcome)]);
    return true;
  } catch (error) {
    if (error instanceof TransactionConflict || isConditionFailure(error)) return false;
    throw error;
  }
}

export async function getOperation(store: Store, tenantId: string, operationId: string) {
  const operation = await getItem(store, keys.operation(tenantId, operationId), operationItem);
  if (!operation) throw notFound(`operation ${operationId}`);
  return operation;
}

/** DynamoDB's bound on the operands of one `IN`. */
const MAX_IN_OPERANDS = 100;

/**
 * The caller's visible operations, newest first (operation ids sort by time): one
 * resource's through its gsi1 list, else the tenant's. A member sees operations of
 * the projects it belongs to and the tenant's own (cluster groups); a tenant admin
 * sees all of them.
 */
export async function listOperations(
  store: Store,
  principal: Principal & { tenantId: string },
  query: { limit: number; cursor?: string | undefined; resourceId?: string | undefined; status?: string | undefined },
) {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (query.status) {
    conditions.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = query.status;
  }
  if (principal.role !== 'tenant.admin') {
    const projects = (await listUserMemberships(store, principal.tenantId, principal.userId)).map((m) => m.projectId).slice(0, MAX_IN_OPERANDS - 1);
    names['#projectId'] = 'projectId';
    const visible = projects.map((_, i) => `:p${i}`);
    projects.forEach((id, i) => (values[`:p${i}`] = id));
    conditions.push(`(attribute_not_exists(#projectId) OR attribute_type(#projectId, :none)${visible.length ? ` OR #projectId IN (${visible.join(', ')})` : ''})`);
    values[':none'] = 'NULL';
  }
  const filter: QueryPageOptions['filter'] = conditions.length ? { expression: conditions.join(' AND '), names, values } : undefined;
  const list = query.resourceId ? lists.operationsOfResource(principal.tenantId, query.resourceId) : lists.operations(principal.tenantId);
  const page = { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) };
  return queryPage(store, { ...list, ...page, newestFirst: true, ...(filter ? { filter } : {}) }, operationItem);
}

/** Every operation still Running, across tenants: one Query per shard of the gsi2 key. */
export async function listRunningOperations(store: Store, startedBefore = nowIso()) {
  const shards = Array.from({ length: RUNNING_OPERATION_SHARDS }, (_, shard) =>
    queryAll(store, lists.runningOperations(shard, startedBefore), operationItem, 10_000),
  );
  return (await Promise.all(shards)).flat();
}

/** Takes a resource out of its in-progress phase when its workflow could not start. */
export type StartFailure = (store: Store, operation: OperationItem, message: string) => Promise<void>;

export interface OperationStart<C> {
  tx: Tx;
  resource: ResourceRef;
  kind: string;
  workflow: string;
  /** The resource's own writes (phase change, operationId, reservations), committed with the operation. */
  items: (operationId: string) => TransactItem[];
  /** Builds the execution input once the operation id is known. */
  input: (operationId: string) => Omit<WorkflowInput<C>, 'operationId' | 'workflow' | 'resource' | 'requestId'>;
  requestId?: string;
  /** Records that the workflow could not start (resource → Error); the operation is failed here. */
  onStartFailure: StartFailure;
  /** Maps a cancelled transaction to the caller's error (e.g. a name already taken, or a signal to re-plan). */
  onConflict?: (error: TransactionConflict) => Promise<Error> | Error;
  /** Said in the request's audit entry beside the action. */
  auditDetail?: string;
}

/**
 * Starts a long-running action for any resource: the resource's change and its
 * operation are one transaction (so two changes can never run at once), then the
 * workflow execution is started, named after the operation so a repeated start is
 * idempotent. A start that fails is recorded, not lost: the resource goes to Error
 * and the operation to Failed, and the caller gets a 500 it can retry from.
 */
export async function startOperation<C>(start: OperationStart<C>): Promise<OperationItem> {
  const { operation, put } = newOperation({ resource: start.resource, kind: start.kind, workflow: start.workflow, requestId: start.requestId });
  try {
    await start.tx.commit([...start.items(operation.id), put], { resourceId: start.resource.id, ...(start.auditDetail ? { auditDetail: start.auditDetail } : {}) });
  } catch (error) {
    if (error instanceof TransactionConflict && start.onConflict) throw await start.onConflict(error);
    throw error;
  }
  await launchWorkflow(start.tx.store, operation, start.input(operation.id), start.onStartFailure);
  return operation;
}

/** Starts (or, for a resumed operation, restarts) the execution of an operation already recorded. */
export async function launchWorkflow<C>(
  store: Store,
  operation: OperationItem,
  input: Omit<WorkflowInput<C>, 'operationId' | 'workflow' | 'resource' | 'requestId'>,
  onStartFailure: StartFailure,
): Promise<void> {
  const workflow = operation.workflow;
  if (!workflow) throw new Error(`operation ${operation.id} names no workflow`);
  const full: WorkflowInput<C> = {
    operationId: operation.id,
    workflow,
    ...(operation.requestId ? { requestId: operation.requestId } : {}),
    resource: { type: operation.resourceType, tenantId: operation.tenantId, projectId: operation.projectId, id: operation.resourceId },
    ...input,
  };
  try {
    await startExecution(workflow, operation.id, full as unknown as Record<string, unknown>);
  } catch (error) {
    const message = `the ${workflow} workflow could not start: ${(error as Error).message}`;
    logger.error('could not start workflow', { error: error as Error, workflow, operationId: operation.id });
    await onStartFailure(store, operation, message);
    await finishOperation(store, operation.tenantId, operation.id, { status: 'Failed', error: { code: 'WorkflowStartFailed', message } });
    throw new ApiError('internal', `the workflow could not be started; the ${operation.resourceType} is in Error and can be retried`);
  }
}
