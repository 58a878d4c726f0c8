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
import { ApiError, assertIfMatch, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { assertChartsExist, registryReferenceUpdates, type ChartUse } from '../registries/registries.ts';
import { claimName, deleteNamed } from '../store/names.ts';
import { getItem, getItems, nowIso, queryPage, TransactionConflict, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import type { Page } from '../store/pagination.ts';
import { clusterProfileItem, clusterProfileNameItem, type ClusterProfileItem } from './items.ts';
import type { CreateClusterProfileInput } from './schemas.ts';

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
    clusters: 0,
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
    claimName(keys.clusterProfileName(tenantId, projectId, profile.name, profile.profileVersion), 'clusterprofilename', {
      clusterProfileId: profile.id,
      name: profile.name,
      profileVersion: profile.profileVersion,
    }),
    { ConditionCheck: { Key: keys.project(tenantId, projectId), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleting)' } },
  ];
  return { profile, items };
}

export async function createClusterProfile(
  tx: Tx,
  tenantId: string,
  projectId: string,
  input: CreateClusterProfileInput,
): Promise<ClusterProfileItem> {
  const { profile, items } = newClusterProfileItems(tenantId, projectId, input);
  const registries = await assertChartsExist(tx.store, tenantId, helmLayerCharts(input.layers));
  try {
    await tx.commit([...items, ...registryReferenceUpdates(tenantId, registries.map((r) => r.id), 1)], { resourceId: profile.id });
  } catch (error) {
    if (error instanceof TransactionConflict) {
      if (error.reasons[2] === 'ConditionalCheckFailed') throw new ApiError('invalid_state', 'the project is being deleted');
      if (error.reasons.slice(3).includes('ConditionalCheckFailed')) throw new ApiError('conflict', 'a registry of the profile was deleted at the same moment');
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
  if (query.name === undefined) return queryPage(store, { ...lists.clusterProfiles(tenantId, projectId), ...page }, clusterProfileItem);
  const reservations = await queryPage(store, { ...lists.clusterProfileVersions(tenantId, projectId, query.name), ...page }, clusterProfileNameItem);
  const found = await getItems(
    store,
    reservations.items.map((r) => keys.clusterProfile(tenantId, projectId, r.clusterProfileId)),
  );
  return {
    items: found.filter((item) => item !== undefined).map((item) => clusterProfileItem.parse(item)),
    nextCursor: reservations.nextCursor,
  };
}

/** Deletes a profile version and frees its (name, version), refused while a cluster uses it. */
export async function deleteClusterProfile(tx: Tx, tenantId: string, projectId: string, profileId: string, ifMatch?: number): Promise<void> {
  const profile = await getClusterProfile(tx.store, tenantId, projectId, profileId);
  assertIfMatch(profile, ifMatch);
  const inUse = () => new ApiError('invalid_state', `a host cluster still uses ${profile.name}@${profile.profileVersion}; upgrade or delete it first`);
  if (profile.clusters > 0) throw inUse();
  await deleteNamed(tx, {
    key: keys.clusterProfile(tenantId, projectId, profileId),
    version: profile.version,
    what: `cluster profile ${profileId}`,
    ifMatch,
    reservation: { key: keys.clusterProfileName(tenantId, projectId, profile.name, profile.profileVersion), ownerAttribute: 'clusterProfileId', ownerId: profileId },
    unused: { expression: 'attribute_not_exists(#uses) OR #uses = :none', names: { '#uses': 'clusters' }, values: { ':none': 0 } },
    inUse: async () => inUse(),
    also: registryReferenceUpdates(tenantId, helmLayerCharts(profile.layers).map((c) => c.registryId), -1),
  });
}

/** The charts a profile's helm layers take from registries. */
export const helmLayerCharts = (layers: Array<{ type: string; registryId?: string | undefined; chart?: string | undefined; version: string }>): ChartUse[] =>
  layers.flatMap((l, i) => (l.type === 'helm' && l.registryId && l.chart ? [{ registryId: l.registryId, chart: l.chart, version: l.version, path: `body.layers.${i}` }] : []));
