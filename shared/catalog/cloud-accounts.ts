/**
 * Cloud accounts: where a project's clusters are provisioned, an AWS IAM role to
 * assume or the simulated cloud. Names are unique per project through a reservation
 * item written in the same transaction as the account.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { z } from 'zod';
import { ApiError, notFound, validationFailed } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix } from '../store/keys.ts';
import { cloudAccountItem, withoutKeys, type CloudAccountItem } from '../store/items.ts';
import { getItem, nowIso, queryPage, transact, TransactionConflict, type TransactItem } from '../store/table.ts';
import { DEFAULT_SIM_PROVISION_SECONDS, type CreateCloudAccountInput } from '../api/catalog-schemas.ts';
import { preconditionFailed } from '../tenancy/projects.ts';

export const toCloudAccount = (item: CloudAccountItem) => withoutKeys(item);

/**
 * TransactWriteItems that retries when DynamoDB cancels it for a concurrent
 * transaction on the same items (reason `TransactionConflict`), so the retry sees the
 * winner's writes and fails its condition (→ TransactionConflict, a 409 for callers)
 * instead of surfacing a 500.
 */
export async function transactRetrying(store: Store, items: TransactItem[], attempts = 6): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await transact(store, items);
      return;
    } catch (error) {
      const raced =
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
      if (!raced || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}

/**
 * One page of the items whose sort key begins with `prefix` in the tenant partition.
 * A cursor must come from the same list: pagination.ts checks the partition, this
 * checks the sort key prefix (a cursor of another list or project would otherwise
 * make DynamoDB reject the query with a 500).
 */
export function pageWithin<S extends z.ZodType>(
  store: Store,
  tenantId: string,
  prefix: string,
  page: { limit: number; cursor?: string },
  schema: S,
) {
  if (page.cursor !== undefined) {
    let sk: unknown;
    try {
      sk = (JSON.parse(Buffer.from(page.cursor, 'base64url').toString('utf8')) as { sk?: unknown } | null)?.sk;
    } catch {
      sk = undefined;
    }
    if (typeof sk !== 'string' || !sk.startsWith(prefix)) {
      throw validationFailed('cursor is not valid for this list', [{ path: 'cursor', message: 'invalid cursor' }]);
    }
  }
  return queryPage(
    store,
    {
      partition: { attribute: 'pk', value: keys.tenantPartition(tenantId) },
      skBeginsWith: { attribute: 'sk', value: prefix },
      limit: page.limit,
      cursor: page.cursor,
    },
    schema,
  );
}

/** The account and the transaction items that create it and reserve its name (seeding uses these too). */
export function newCloudAccountItems(tenantId: string, projectId: string, input: CreateCloudAccountInput) {
  const now = nowIso();
  const account: CloudAccountItem = {
    type: 'cloudaccount',
    id: newId('cloudAccount'),
    name: input.name,
    projectId,
    provider: input.provider,
    ...(input.provider === 'aws' && input.aws
      ? { aws: { roleArn: input.aws.roleArn, externalId: input.aws.externalId } }
      : {}),
    ...(input.provider === 'sim'
      ? {
          sim: {
            provisionSeconds: input.sim?.provisionSeconds ?? DEFAULT_SIM_PROVISION_SECONDS,
            failProvisioning: input.sim?.failProvisioning ?? false,
          },
        }
      : {}),
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const items: TransactItem[] = [
    {
      Put: {
        Item: { ...keys.cloudAccount(tenantId, projectId, account.id), ...account },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        Item: { ...keys.cloudAccountName(tenantId, projectId, account.name), type: 'cloudaccountname', cloudAccountId: account.id },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  return { account, items };
}

export async function createCloudAccount(
  store: Store,
  tenantId: string,
  projectId: string,
  input: CreateCloudAccountInput,
): Promise<CloudAccountItem> {
  const { account, items } = newCloudAccountItems(tenantId, projectId, input);
  try {
    await transactRetrying(store, items);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      throw new ApiError('conflict', `a cloud account named ${input.name} already exists in this project`);
    }
    throw error;
  }
  return account;
}

/** The account, or not_found (other projects' and tenants' accounts are not found either). */
export async function getCloudAccount(store: Store, tenantId: string, projectId: string, accountId: string) {
  const account = await getItem(store, keys.cloudAccount(tenantId, projectId, accountId), cloudAccountItem);
  if (!account) throw notFound(`cloud account ${accountId}`);
  return account;
}

/** A project's accounts in creation order. */
export function listCloudAccounts(
  store: Store,
  tenantId: string,
  projectId: string,
  page: { limit: number; cursor?: string },
) {
  return pageWithin(store, tenantId, skPrefix.cloudAccount(projectId), page, cloudAccountItem);
}

/**
 * Deletes an account and frees its name. Clusters that still use it are not checked
 * yet: once clusters exist, this is where deletion must be refused (invalid_state).
 */
export async function deleteCloudAccount(
  store: Store,
  tenantId: string,
  projectId: string,
  accountId: string,
  expectedVersion?: number,
): Promise<void> {
  const account = await getCloudAccount(store, tenantId, projectId, accountId);
  if (expectedVersion !== undefined && account.version !== expectedVersion) throw preconditionFailed(account.version);
  try {
    await transactRetrying(store, [
      {
        Delete: {
          Key: keys.cloudAccount(tenantId, projectId, accountId),
          ConditionExpression: 'attribute_exists(pk) AND #version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': account.version },
        },
      },
      {
        Delete: {
          Key: keys.cloudAccountName(tenantId, projectId, account.name),
          ConditionExpression: 'attribute_not_exists(pk) OR cloudAccountId = :id',
          ExpressionAttributeValues: { ':id': accountId },
        },
      },
    ]);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      const latest = await getCloudAccount(store, tenantId, projectId, accountId);
      throw preconditionFailed(latest.version);
    }
    throw error;
  }
}
