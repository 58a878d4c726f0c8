/**
 * App profiles: versioned, immutable stacks of tiers (containers, databases, raw
 * manifests) that apps deploy in order. Each (name, version) is its own resource with
 * its own id and is unique in its project.
 *
 * Keys (see store/keys.ts): the profile lives at APPPROFILE#<p>#<id> (GET is one
 * GetItem, the list one Query in creation order); the (name, version) reservation at
 * APPPROFILENAME#<p>#<name>#<version> makes creation unique and serves `?name=`; the
 * family item APPPROFILEFAMILY#<p>#<name> holds what the versions of a name share: the
 * type of each tier name and the highest version. Creating or deleting a version
 * writes the family item in the same transaction, at the version it read, so the
 * tier-type rule and `latest` hold under concurrent writers: of two creates that give
 * one tier different types, one commits and the other re-reads and is refused.
 */
import { ApiError, assertIfMatch, notFound, validationFailed, type FieldError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { pickFields } from '../store/items.ts';
import { keys, lists } from '../store/keys.ts';
import { claimName, releaseName } from '../store/names.ts';
import type { Page } from '../store/pagination.ts';
import {
  getItem,
  getItems,
  nowIso,
  queryAll,
  queryPage,
  TransactionConflict,
  updateItem,
  versionConflict,
  versionIs,
  type TransactItem,
} from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import {
  appProfileFamilyItem,
  appProfileItem,
  appProfileNameItem,
  type AppProfileFamilyItem,
  type AppProfileItem,
  type AppTier,
  type AppTierType,
  type LatestVersion,
} from './items.ts';
import { appProfile as appProfileShape, type CreateAppProfileInput } from './schemas.ts';
import { assertChartsExist, registryReferenceUpdates, type ChartUse } from '../registries/registries.ts';
import { compareSemver, highest } from './semver.ts';

/** The API shape: the profile's own `version`; the resource version is `revision`. */
export const toAppProfile = (item: AppProfileItem) =>
  pickFields(appProfileShape, { ...item, version: item.profileVersion, revision: item.version });

export type AppProfile = ReturnType<typeof toAppProfile>;

/**
 * Writers of one family read it, then write it at that version; one that loses a race
 * reads it again (the winner may have made its change unacceptable) and tries again,
 * a few times before telling the caller to retry.
 */
const FAMILY_ATTEMPTS = 8;

const familyKey = (tenantId: string, projectId: string, name: string) => keys.appProfileFamily(tenantId, projectId, name);

const readFamily = (store: Store, tenantId: string, projectId: string, name: string) =>
  getItem(store, familyKey(tenantId, projectId, name), appProfileFamilyItem);

/** The family's content after a change, or undefined when no version of the name is left. */
type FamilyContent = Pick<AppProfileFamilyItem, 'tierTypes' | 'latest'>;

/**
 * The write that moves the family from what was read to `next`: created if it did not
 * exist, changed or deleted only at the version read, so a concurrent writer's change
 * makes this transaction fail instead of being overwritten.
 */
function familyWrite(
  tenantId: string,
  projectId: string,
  name: string,
  current: AppProfileFamilyItem | undefined,
  next: FamilyContent | undefined,
): TransactItem[] {
  const key = familyKey(tenantId, projectId, name);
  if (!current) {
    if (!next) return [];
    const now = nowIso();
    const item: AppProfileFamilyItem = { type: 'appprofilefamily', name, projectId, ...next, createdAt: now, updatedAt: now, version: 1 };
    return [{ Put: { Item: { ...key, ...item }, ConditionExpression: 'attribute_not_exists(pk)' } }];
  }
  if (!next) return [{ Delete: { Key: key, ...versionIs(current.version) } }];
  return [updateItem(key, { set: { tierTypes: next.tierTypes, latest: next.latest }, expectedVersion: current.version })];
}

/** Tiers that would change the type a tier of that name has in the family's other versions. */
function tierTypeChanges(family: AppProfileFamilyItem | undefined, tiers: readonly AppTier[], profileName: string): FieldError[] {
  if (!family) return [];
  return tiers.flatMap((tier, i) => {
    const existing = Object.hasOwn(family.tierTypes, tier.name) ? family.tierTypes[tier.name] : undefined;
    if (existing === undefined || existing === tier.type) return [];
    return [{
      path: `body.tiers.${i}.type`,
      message: `tier ${tier.name} is a ${existing} tier in other versions of ${profileName}; a tier keeps its type across versions (give a ${tier.type} tier another name)`,
    }];
  });
}

const tierTypesOf = (profiles: readonly Pick<AppProfileItem, 'tiers'>[]): Record<string, AppTierType> =>
  Object.fromEntries(profiles.flatMap((p) => p.tiers.map((t) => [t.name, t.type] as const)));

/** The profile version and the transaction items that create it, apart from the family write. */
function newAppProfile(tenantId: string, projectId: string, input: CreateAppProfileInput) {
  const now = nowIso();
  const profile: AppProfileItem = {
    type: 'appprofile',
    id: newId('appProfile'),
    name: input.name,
    projectId,
    profileVersion: input.version,
    description: input.description,
    tiers: input.tiers,
    apps: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const put: TransactItem = {
    Put: { Item: { ...keys.appProfile(tenantId, projectId, profile.id), ...profile }, ConditionExpression: 'attribute_not_exists(pk)' },
  };
  const reservation = claimName(keys.appProfileName(tenantId, projectId, profile.name, profile.profileVersion), 'appprofilename', {
    appProfileId: profile.id,
    name: profile.name,
    profileVersion: profile.profileVersion,
  });
  const projectLive: TransactItem = {
    ConditionCheck: { Key: keys.project(tenantId, projectId), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleting)' },
  };
  return { profile, put, reservation, projectLive };
}

const failed = (reason: string | undefined) => reason === 'ConditionalCheckFailed';
const raced = (what: string) => new ApiError('conflict', `${what} changed at the same time; retry`);

/**
 * Creates a profile version: one transaction with the profile, its (name, version)
 * reservation, the family write and the check that the project is live. A new version
 * may add and drop tiers, but a tier name keeps its type (400 at body.tiers.<i>.type).
 */
export async function createAppProfile(tx: Tx, tenantId: string, projectId: string, input: CreateAppProfileInput): Promise<AppProfileItem> {
  const { profile, put, reservation, projectLive } = newAppProfile(tenantId, projectId, input);
  const registries = await assertChartsExist(tx.store, tenantId, helmTierCharts(input.tiers));
  const holds = registryReferenceUpdates(tenantId, registries.map((r) => r.id), 1);
  for (let attempt = 1; attempt <= FAMILY_ATTEMPTS; attempt++) {
    const family = await readFamily(tx.store, tenantId, projectId, input.name);
    const changes = tierTypeChanges(family, input.tiers, input.name);
    if (changes.length) throw validationFailed('a tier cannot change its type between versions of a profile', changes);
    const latest: LatestVersion =
      !family || compareSemver(input.version, family.latest.version) > 0 ? { appProfileId: profile.id, version: input.version } : family.latest;
    const next = { tierTypes: { ...family?.tierTypes, ...tierTypesOf([profile]) }, latest };
    try {
      const familyItems = familyWrite(tenantId, projectId, input.name, family, next);
      await tx.commit([put, reservation, ...familyItems, projectLive, ...holds], { resourceId: profile.id });
      return profile;
    } catch (error) {
      if (!(error instanceof TransactionConflict)) throw error;
      if (failed(error.reasons[3])) throw new ApiError('invalid_state', 'the project is being deleted');
      if (error.reasons.slice(4).some(failed)) throw new ApiError('conflict', 'a registry of the profile was deleted at the same moment');
      if (failed(error.reasons[1])) {
        throw new ApiError('conflict', `app profile ${input.name} version ${input.version} already exists in this project; versions are immutable, create a new version`);
      }
      if (!failed(error.reasons[2])) throw error;
      await pause(attempt);
    }
  }
  throw raced(`app profile ${input.name}`);
}

/** The charts a profile's helm tiers take from registries. */
const helmTierCharts = (tiers: readonly AppTier[]): ChartUse[] =>
  tiers.flatMap((t, i) => (t.type === 'helm' ? [{ registryId: t.registryId, chart: t.chart, version: t.version, path: `body.tiers.${i}` }] : []));

/** Jittered, growing pauses, so writers that collided do not collide again in step. */
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt * (0.5 + Math.random())));

/** The profile version, or not_found (other projects' and tenants' profiles are not found either). */
export async function getAppProfile(store: Store, tenantId: string, projectId: string, profileId: string): Promise<AppProfileItem> {
  const profile = await getItem(store, keys.appProfile(tenantId, projectId, profileId), appProfileItem);
  if (!profile) throw notFound(`app profile ${profileId}`);
  return profile;
}

/**
 * A project's profile versions: all in creation order, or with `name` only that
 * profile's versions, ordered by their version string.
 */
export async function listAppProfiles(
  store: Store,
  tenantId: string,
  projectId: string,
  query: { limit: number; cursor?: string; name?: string },
): Promise<Page<AppProfileItem>> {
  const page = { limit: query.limit, cursor: query.cursor };
  if (query.name === undefined) return queryPage(store, { ...lists.appProfiles(tenantId, projectId), ...page }, appProfileItem);
  const reservations = await queryPage(store, { ...lists.appProfileVersions(tenantId, projectId, query.name), ...page }, appProfileNameItem);
  const found = await getItems(store, reservations.items.map((r) => keys.appProfile(tenantId, projectId, r.appProfileId)));
  return {
    items: found.filter((item) => item !== undefined).map((item) => appProfileItem.parse(item)),
    nextCursor: reservations.nextCursor,
  };
}

/**
 * The highest version of a profile name (for an app's `updateAvailable`): one read of
 * the family item, undefined when the project has no version of that name.
 */
export async function latestVersionOf(store: Store, tenantId: string, projectId: string, name: string): Promise<LatestVersion | undefined> {
  const family = await readFamily(store, tenantId, projectId, name);
  return family ? { appProfileId: family.latest.appProfileId, version: family.latest.version } : undefined;
}

/** The family as it is once `removed` is gone: recomputed from the versions that remain. */
async function familyWithout(store: Store, tenantId: string, projectId: string, name: string, removed: string): Promise<FamilyContent | undefined> {
  const reservations = (await queryAll(store, lists.appProfileVersions(tenantId, projectId, name), appProfileNameItem, 10_000))
    .filter((r) => r.appProfileId !== removed);
  if (reservations.length === 0) return undefined;
  const remaining = (await getItems(store, reservations.map((r) => keys.appProfile(tenantId, projectId, r.appProfileId))))
    .filter((item) => item !== undefined)
    .map((item) => appProfileItem.parse(item));
  const top = highest(reservations, (r) => r.profileVersion)!;
  return { tierTypes: tierTypesOf(remaining), latest: { appProfileId: top.appProfileId, version: top.profileVersion } };
}

/**
 * Deletes a profile version and frees its (name, version), refused while an app uses
 * it. This is store/names.ts's deleteNamed (the delete at the version read, guarded by
 * the counter being zero, with the reservation's release) plus the family write in the
 * same transaction: `latest` and the tier types never name a version that is gone.
 */
export async function deleteAppProfile(tx: Tx, tenantId: string, projectId: string, profileId: string, ifMatch?: number): Promise<void> {
  const key = keys.appProfile(tenantId, projectId, profileId);
  const what = `app profile ${profileId}`;
  for (let attempt = 1; attempt <= FAMILY_ATTEMPTS; attempt++) {
    const profile = await getAppProfile(tx.store, tenantId, projectId, profileId);
    assertIfMatch(profile, ifMatch);
    if (profile.apps > 0) {
      throw new ApiError('invalid_state', `${profile.apps} app(s) still use ${profile.name}@${profile.profileVersion}; upgrade or delete them first`);
    }
    // The family is read before the versions, so a version created after this read moves it and fails the write below.
    const family = await readFamily(tx.store, tenantId, projectId, profile.name);
    const next = await familyWithout(tx.store, tenantId, projectId, profile.name, profileId);
    const unused = versionIs(profile.version, { clause: '(attribute_not_exists(#uses) OR #uses = :none)', values: { ':none': 0 } });
    Object.assign(unused.ExpressionAttributeNames, { '#uses': 'apps' });
    try {
      await tx.commit(
        [
          { Delete: { Key: key, ...unused } },
          releaseName(keys.appProfileName(tenantId, projectId, profile.name, profile.profileVersion), 'appProfileId', profileId),
          ...familyWrite(tenantId, projectId, profile.name, family, next),
          ...registryReferenceUpdates(tenantId, helmTierCharts(profile.tiers).map((c) => c.registryId), -1),
        ],
        { resourceId: profileId },
      );
      return;
    } catch (error) {
      if (!(error instanceof TransactionConflict)) throw error;
      if (failed(error.reasons[0])) {
        // Gone, moved past the If-Match, or taken into use meanwhile: the next read says which.
        const conflict = await versionConflict(tx.store, key, what, ifMatch);
        if (conflict.code !== 'conflict') throw conflict;
      } else if (!failed(error.reasons[2])) {
        throw error;
      }
      await pause(attempt);
    }
  }
  throw raced(what);
}
