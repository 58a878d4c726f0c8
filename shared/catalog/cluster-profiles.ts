/**
 * Cluster profiles: versioned, immutable stacks of layers (OS, Kubernetes, CNI, CSI,
 * add-ons) with the variables a cluster fills in. Each (name, version) is its own
 * resource with its own id and is unique in its project.
 *
 * Keys (see store/keys.ts): the profile lives at CLUSTERPROFILE#<p>#<id>, so GET by id
 * is one GetItem and the list is one Query in creation order. The (name, version)
 * reservation lives at CLUSTERPROFILENAME#<p>#<name>#<version> and points at the id:
 * it makes creation unique (both written in one transaction, each with
 * attribute_not_exists) and serves `?name=` as a Query on the name prefix followed by
 * one BatchGetItem, both strongly consistent, so a profile is listed by name the
 * moment its create returned.
 */
import { ApiError, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, skPrefix } from '../store/keys.ts';
import {
  clusterProfileItem,
  clusterProfileNameItem,
  type ClusterProfileItem,
} from '../store/items.ts';
import { getItem, getItems, nowIso, queryPrefixPage, transact, TransactionConflict, type TransactItem, versionIs } from '../store/table.ts';
import type { Page } from '../store/pagination.ts';
import type { CreateClusterProfileInput } from '../api/catalog-schemas.ts';
import { preconditionFailed } from '../tenancy/projects.ts';

/** The API shape: the profile's own `type` and `version`; the resource version is `revision`. */
export function toClusterProfile(item: ClusterProfileItem) {
  return {
    id: item.id,
    name: item.name,
    version: item.profileVersion,
    cloud: item.cloud,
    type: item.profileType,
    kubernetesVersion: item.kubernetesVersion,
    layers: item.layers,
    variables: item.variables,
    projectId: item.projectId,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    revision: item.version,
  };
}

export type ClusterProfile = ReturnType<typeof toClusterProfile>;

/** The profile and the transaction items that create it and reserve its (name, version). */
export function newClusterProfileItems(tenantId: string, projectId: string, input: CreateClusterProfileInput) {
  const now = nowIso();
  const k8s = input.layers.find((l) => l.type === 'k8s');
  const profile: ClusterProfileItem = {
    type: 'clusterprofile',
    id: newId('clusterProfile'),
    name: input.name,
    projectId,
    profileVersion: input.version,
    profileType: input.type,
    cloud: input.cloud,
    kubernetesVersion: input.type === 'add-on' || !k8s ? null : k8s.version,
    layers: input.layers,
    variables: input.variables,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const items: TransactItem[] = [
    {
      Put: {
        Item: { ...keys.clusterProfile(tenantId, projectId, profile.id), ...profile },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        Item: {
          ...keys.clusterProfileName(tenantId, projectId, profile.name, profile.profileVersion),
          type: 'clusterprofilename',
          clusterProfileId: profile.id,
          name: profile.name,
          profileVersion: profile.profileVersion,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
  return { profile, items };
}

export async function createClusterProfile(
  store: Store,
  tenantId: string,
  projectId: string,
  input: CreateClusterProfileInput,
): Promise<ClusterProfileItem> {
  const { profile, items } = newClusterProfileItems(tenantId, projectId, input);
  try {
    await transact(store, items);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      throw new ApiError(
        'conflict',
        `cluster profile ${input.name} version ${input.version} already exists in this project; versions are immutable, create a new version`,
      );
    }
    throw error;
  }
  return profile;
}

/** The profile version, or not_found (other projects' and tenants' profiles are not found either). */
export async function getClusterProfile(store: Store, tenantId: string, projectId: string, profileId: string) {
  const profile = await getItem(store, keys.clusterProfile(tenantId, projectId, profileId), clusterProfileItem);
  if (!profile) throw notFound(`cluster profile ${profileId}`);
  return profile;
}

/**
 * A project's profile versions: all in creation order, or with `name` only that
 * profile's versions, ordered by their version string.
 */
export async function listClusterProfiles(
  store: Store,
  tenantId: string,
  projectId: string,
  query: { limit: number; cursor?: string; name?: string },
): Promise<Page<ClusterProfileItem>> {
  const page = { limit: query.limit, cursor: query.cursor };
  if (query.name === undefined) {
    return queryPrefixPage(store, keys.tenantPartition(tenantId), skPrefix.clusterProfile(projectId), page, clusterProfileItem);
  }
  const reservations = await queryPrefixPage(
    store,
    keys.tenantPartition(tenantId),
    skPrefix.clusterProfileName(projectId, query.name),
    page,
    clusterProfileNameItem,
  );
  const found = await getItems(
    store,
    reservations.items.map((r) => keys.clusterProfile(tenantId, projectId, r.clusterProfileId)),
  );
  return {
    items: found.filter((item) => item !== undefined).map((item) => clusterProfileItem.parse(item)),
    nextCursor: reservations.nextCursor,
  };
}

/**
 * Deletes a profile version and frees its (name, version); the API refuses it while a
 * cluster uses it (functions/api/catalog.ts, clusterUsing).
 */
export async function deleteClusterProfile(
  store: Store,
  tenantId: string,
  projectId: string,
  profileId: string,
  expectedVersion?: number,
): Promise<void> {
  const profile = await getClusterProfile(store, tenantId, projectId, profileId);
  if (expectedVersion !== undefined && profile.version !== expectedVersion) throw preconditionFailed(profile.version);
  try {
    await transact(store, [
      {
        Delete: {
          Key: keys.clusterProfile(tenantId, projectId, profileId),
          ...versionIs(profile.version),
        },
      },
      {
        Delete: {
          Key: keys.clusterProfileName(tenantId, projectId, profile.name, profile.profileVersion),
          ConditionExpression: 'attribute_not_exists(pk) OR clusterProfileId = :id',
          ExpressionAttributeValues: { ':id': profileId },
        },
      },
    ]);
  } catch (error) {
    if (error instanceof TransactionConflict) {
      const latest = await getClusterProfile(store, tenantId, projectId, profileId);
      throw preconditionFailed(latest.version);
    }
    throw error;
  }
}
