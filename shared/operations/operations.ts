import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, RUNNING_OPERATION_SHARDS } from '../store/keys.ts';
import { operationItem, withoutKeys, type OperationItem } from '../store/items.ts';
import { getItem, nowIso, queryAll, type TransactItem } from '../store/table.ts';

export const toOperation = (item: OperationItem) => {
  const { tenantId, executionArn, ...rest } = withoutKeys(item);
  void tenantId;
  void executionArn;
  return rest;
};

/**
 * A long-running action. Workflows (host clusters, virtual clusters, apps) start one
 * together with the resource's phase change, then finish it from their last step.
 */
export function newOperation(input: {
  tenantId: string;
  projectId: string | null;
  kind: string;
  resourceType: string;
  resourceId: string;
}): { operation: OperationItem; put: TransactItem } {
  const operation: OperationItem = {
    type: 'operation',
    id: newId('operation'),
    ...input,
    status: 'Running',
    startedAt: nowIso(),
    version: 1,
  };
  return {
    operation,
    put: {
      Put: {
        Item: {
          ...keys.operation(input.tenantId, operation.id),
          // Repair finds running operations through this sharded key, not a Scan.
          ...keys.runningOperationsIndex(operation.id, operation.startedAt),
          ...operation,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
}

export async function startOperation(store: Store, input: Parameters<typeof newOperation>[0]) {
  const { operation, put } = newOperation(input);
  if (!('Put' in put)) throw new Error('unreachable');
  await store.doc.send(new PutCommand({ TableName: store.tableName, ...put.Put }));
  return operation;
}

/** Ends a running operation once; a second finish (a retried step) changes nothing. */
export async function finishOperation(
  store: Store,
  tenantId: string,
  operationId: string,
  outcome: { status: 'Succeeded' } | { status: 'Failed'; error: { code: string; message: string } },
) {
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: keys.operation(tenantId, operationId),
        UpdateExpression:
          'SET #status = :status, endedAt = :now, #version = #version + :one' +
          (outcome.status === 'Failed' ? ', #error = :error' : '') +
          ' REMOVE gsi2pk, gsi2sk',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version', ...(outcome.status === 'Failed' ? { '#error': 'error' } : {}) },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':now': nowIso(),
          ':one': 1,
          ':running': 'Running',
          ...(outcome.status === 'Failed' ? { ':error': outcome.error } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

export async function getOperation(store: Store, tenantId: string, operationId: string) {
  const operation = await getItem(store, keys.operation(tenantId, operationId), operationItem);
  if (!operation) throw notFound(`operation ${operationId}`);
  return operation;
}

/** Every operation still Running, across tenants: one Query per shard of the gsi2 key. */
export async function listRunningOperations(store: Store, startedBefore = new Date().toISOString()) {
  const running: OperationItem[] = [];
  for (let shard = 0; shard < RUNNING_OPERATION_SHARDS; shard++) {
    running.push(
      ...(await queryAll(
        store,
        {
          index: 'gsi2',
          partition: { attribute: 'gsi2pk', value: keys.runningOperationsShard(shard) },
          skBetween: { attribute: 'gsi2sk', from: '0', to: startedBefore },
        },
        operationItem,
        10_000,
      )),
    );
  }
  return running;
}
