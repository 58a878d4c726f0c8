/**
 * Cloud accounts: where a project's clusters are provisioned, an AWS IAM role to
 * assume or the simulated cloud. Names are unique per project through a reservation
 * item written in the same transaction as the account.
 */
import { ApiError, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix } from '../store/keys.ts';
import { cloudAccountItem, withoutKeys, type CloudAccountItem } from '../store/items.ts';
import { getItem, nowIso, queryPrefixPage, transact, TransactionConflict, type TransactItem, versionIs } from '../store/table.ts';
import { DEFAULT_SIM_PROVISION_SECONDS, type CreateCloudAccountInput } from '../api/catalog-schemas.ts';
import { preconditionFailed } from '../tenancy/projects.ts';

export const toCloudAccount = (item: CloudAccountItem) => withoutKeys(item);

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
    await transact(store, items);
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
  return queryPrefixPage(store, keys.tenantPartition(tenantId), skPrefix.cloudAccount(projectId), page, cloudAccountItem);
}

/**
 * Deletes an account and frees its name; the API refuses it while a cluster uses it
 * (functions/api/catalog.ts, clusterUsing).
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
    await transact(store, [
      {
        Delete: {
          Key: keys.cloudAccount(tenantId, projectId, accountId),
          ...versionIs(account.version),
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
