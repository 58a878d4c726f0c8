/**
 * Cloud accounts: where a project's clusters are provisioned, an AWS IAM role to
 * assume or the simulated cloud. Names are unique per project through a reservation
 * item written in the same transaction as the account; host clusters hold a
 * reference count on the account they use, so an account in use cannot be deleted.
 */
import { ApiError, assertIfMatch, notFound, validationFailed } from '../errors.ts';
import { agentsById } from '../agents/agents.ts';
import { agentPhase } from '../agents/heartbeat.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { claimName, deleteNamed } from '../store/names.ts';
import { getItem, nowIso, queryPage, TransactionConflict, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { SIM_DEFAULTS } from '../providers/sim.ts';
import { accountSecretPurpose, accountSettingsOf, cloudAccountItem, providerOfAccount, type CloudAccountItem } from './items.ts';
import { providerFor } from '../providers/index.ts';
import { PermanentProviderError, TransientProviderError } from '../providers/provider.ts';
import { logger } from '../observability/logger.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { cloudAccount as cloudAccountShape, type CreateCloudAccountInput } from './schemas.ts';

const withoutPassword = <T extends { password: string }>({ password: _password, ...rest }: T) => rest;

export const toCloudAccount = (item: CloudAccountItem) =>
  pickFields(cloudAccountShape, { ...item, ...(item.azure || item.gcp || item.vsphere ? { secretSet: true } : {}) });

/** An account's secret, sealed for that account alone: the plain text never reaches the table. */
export async function sealAccountSecret(accountId: string, input: CreateCloudAccountInput): Promise<string | undefined> {
  const secret = input.azure?.clientSecret ?? input.gcp?.serviceAccountKey.text ?? input.vsphere?.password;
  return secret === undefined ? undefined : secretBoxFromEnv().seal(secret, accountSecretPurpose(accountId));
}

/** The account and the transaction items that create it and reserve its name (seeding uses these too). */
export function newCloudAccountItems(tenantId: string, projectId: string, input: CreateCloudAccountInput, sealed?: { id: string; secret: string | undefined }) {
  const now = nowIso();
  const account: CloudAccountItem = {
    type: 'cloudaccount',
    id: sealed?.id ?? newId('cloudAccount'),
    name: input.name,
    projectId,
    provider: input.provider,
    ...(input.provider === 'aws' && input.aws ? { aws: { ...input.aws } } : {}),
    ...(input.provider === 'azure' && input.azure && sealed?.secret
      ? {
          azure: {
            tenantId: input.azure.tenantId, clientId: input.azure.clientId, subscriptionId: input.azure.subscriptionId,
            ...(input.azure.resourceGroup ? { resourceGroup: input.azure.resourceGroup } : {}),
            sealedClientSecret: sealed.secret,
          },
        }
      : {}),
    ...(input.provider === 'gcp' && input.gcp && sealed?.secret
      ? { gcp: { projectId: input.gcp.projectId, clientEmail: input.gcp.serviceAccountKey.clientEmail, sealedServiceAccountKey: sealed.secret } }
      : {}),
    ...(input.provider === 'vsphere' && input.vsphere && sealed?.secret
      ? { vsphere: { ...withoutPassword(input.vsphere), sealedPassword: sealed.secret } }
      : {}),
    ...(input.provider === 'sim' ? { sim: { ...SIM_DEFAULTS, ...input.sim } } : {}),
    clusters: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const items: TransactItem[] = [
    { Put: { Item: { ...keys.cloudAccount(tenantId, projectId, account.id), ...account }, ConditionExpression: 'attribute_not_exists(pk)' } },
    claimName(keys.cloudAccountName(tenantId, projectId, account.name), 'cloudaccountname', { cloudAccountId: account.id }),
    // The project must still exist, and not be on its way out.
    { ConditionCheck: { Key: keys.project(tenantId, projectId), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleting)' } },
  ];
  return { account, items };
}

export async function createCloudAccount(tx: Tx, tenantId: string, projectId: string, input: CreateCloudAccountInput): Promise<CloudAccountItem> {
  if (input.vsphere) {
    const [gateway] = await agentsById(tx.store, tenantId, projectId, [input.vsphere.gatewayId]);
    if (gateway?.kind !== 'gateway') throw validationFailed('a vsphere account is served by a registered gateway', [{ path: 'body.vsphere.gatewayId', message: 'no gateway of that id in this project' }]);
  }
  const id = newId('cloudAccount');
  const { account, items } = newCloudAccountItems(tenantId, projectId, input, { id, secret: await sealAccountSecret(id, input) });
  try {
    await tx.commit(items, { resourceId: account.id });
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (error.reasons[2] === 'ConditionalCheckFailed') throw new ApiError('invalid_state', 'the project is being deleted');
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
export function listCloudAccounts(store: Store, tenantId: string, projectId: string, page: { limit: number; cursor?: string }) {
  return queryPage(store, { ...lists.cloudAccounts(tenantId, projectId), ...page }, cloudAccountItem);
}

/** Deletes an account and frees its name, refused while a host cluster uses it. */
export async function deleteCloudAccount(tx: Tx, tenantId: string, projectId: string, accountId: string, ifMatch?: number): Promise<void> {
  const account = await getCloudAccount(tx.store, tenantId, projectId, accountId);
  assertIfMatch(account, ifMatch);
  const inUse = () => new ApiError('invalid_state', `a host cluster still uses cloud account ${account.name}; delete the cluster first`);
  if (account.clusters > 0) throw inUse();
  await deleteNamed(tx, {
    key: keys.cloudAccount(tenantId, projectId, accountId),
    version: account.version,
    what: `cloud account ${accountId}`,
    ifMatch,
    reservation: { key: keys.cloudAccountName(tenantId, projectId, account.name), ownerAttribute: 'cloudAccountId', ownerId: accountId },
    unused: { expression: 'attribute_not_exists(#uses) OR #uses = :none', names: { '#uses': 'clusters' }, values: { ':none': 0 } },
    inUse: async () => inUse(),
  });
}

/** Where a credential check asks: a region every account of the cloud can read. */
const CHECK_REGION = { aws: 'us-east-1', azure: 'eastus', gcp: 'us-central1', vsphere: 'datacenter', edge: 'edge', sim: 'sim-local-1' } as const;
const CLOUD_NAME = { aws: 'AWS', azure: 'Azure', gcp: 'Google Cloud', vsphere: 'The gateway', edge: 'Edge', sim: 'The simulated cloud' } as const;

/**
 * Tries the account's credential against its cloud: signs in and asks for a cluster
 * that does not exist, through the same provider its clusters use. "Not found" means
 * the cloud accepted who we are; a refusal, or a cloud that cannot be reached, is
 * `valid: false` with the provider's message.
 */
export async function validateCloudAccount(store: Store, tenantId: string, projectId: string, accountId: string) {
  const account = await getCloudAccount(store, tenantId, projectId, accountId);
  const cloud = CLOUD_NAME[account.provider];
  if (account.provider === 'edge') return { valid: true, message: 'an edge account holds no credential: its clusters are made of registered edge hosts' };
  if (account.vsphere) {
    // The platform cannot reach vCenter itself: what it can say is whether the gateway that does is there.
    const [gateway] = await agentsById(store, tenantId, projectId, [account.vsphere.gatewayId]);
    if (!gateway) return { valid: false, message: `the gateway ${account.vsphere.gatewayId} of this account was removed` };
    if (agentPhase(gateway) === 'Unreachable') return { valid: false, message: `gateway ${gateway.name} is unreachable (last seen ${gateway.lastSeenAt}); the vCenter login is tried with its next task` };
    return { valid: true, message: `gateway ${gateway.name} is connected; the vCenter login is tried with its first task` };
  }
  try {
    const provider = await providerFor({ provider: providerOfAccount[account.provider], account: accountSettingsOf(account) });
    await provider.describe({ clusterId: 'credential-check', providerName: 'palette-credential-check', region: CHECK_REGION[account.provider] });
    return { valid: true, message: `${cloud} accepted the credential` };
  } catch (error) {
    if (!(error instanceof PermanentProviderError || error instanceof TransientProviderError)) throw error;
    logger.info('cloud account credential refused', { cloudAccountId: accountId, provider: account.provider, reason: error.message });
    return { valid: false, message: error instanceof TransientProviderError ? `${error.message} (the check may succeed if tried again)` : error.message };
  }
}
