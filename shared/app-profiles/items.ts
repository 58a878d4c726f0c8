import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const appTierTypes = ['container', 'database', 'manifest', 'helm'] as const;
export type AppTierType = (typeof appTierTypes)[number];

export const databaseEngines = ['postgres', 'mysql', 'redis', 'mongodb'] as const;
export type DatabaseEngine = (typeof databaseEngines)[number];

const containerTierItem = z.object({
  name: z.string(),
  type: z.literal('container'),
  image: z.string(),
  port: z.number().int().optional(),
  replicas: z.number().int(),
  env: z.record(z.string(), z.string()).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  resources: z.object({ cpu: z.number(), memoryMiB: z.number().int(), gpu: z.number().int().optional() }).optional(),
  volume: z.object({ sizeGiB: z.number().int(), mountPath: z.string() }).optional(),
});

const databaseTierItem = z.object({
  name: z.string(),
  type: z.literal('database'),
  engine: z.enum(databaseEngines),
  version: z.string(),
  storageGiB: z.number().int(),
});

const manifestTierItem = z.object({
  name: z.string(),
  type: z.literal('manifest'),
  manifests: z.array(z.object({ name: z.string(), content: z.string() })),
});

/** A chart of a registry, released by Flux in the app's namespace. */
const helmTierItem = z.object({
  name: z.string(),
  type: z.literal('helm'),
  registryId: z.string(),
  chart: z.string(),
  version: z.string(),
  values: z.record(z.string(), z.unknown()).optional(),
});

export const appTierItem = z.discriminatedUnion('type', [containerTierItem, databaseTierItem, manifestTierItem, helmTierItem]);
export type AppTier = z.infer<typeof appTierItem>;
export type ContainerTier = z.infer<typeof containerTierItem>;
export type DatabaseTier = z.infer<typeof databaseTierItem>;
export type ManifestTier = z.infer<typeof manifestTierItem>;
export type HelmTier = z.infer<typeof helmTierItem>;

/**
 * One version of an app profile, immutable but for its reference counter. `version`
 * is taken by the resource version, so the profile's semver is `profileVersion`.
 */
export const appProfileItem = z.object({
  type: z.literal('appprofile'),
  ...resourceBase,
  projectId: z.string(),
  profileVersion: z.string(),
  description: z.string(),
  tiers: z.array(appTierItem),
  /** Apps deployed from (or being upgraded to) this version, changed by the apps feature with ADD; one in use cannot go. */
  apps: z.number().int().default(0),
});
export type AppProfileItem = z.infer<typeof appProfileItem>;

/** Reserves a (name, version) of an app profile in a project. */
export const appProfileNameItem = z.object({
  type: z.literal('appprofilename'),
  appProfileId: z.string(),
  name: z.string(),
  profileVersion: z.string(),
});
export type AppProfileNameItem = z.infer<typeof appProfileNameItem>;

export const latestVersion = z.object({ appProfileId: z.string(), version: z.string() });
export type LatestVersion = z.infer<typeof latestVersion>;

/**
 * What the versions of one profile name share: the type of every tier name any of
 * them uses (a tier keeps its type across versions) and the highest version. Every
 * create and delete of a version rewrites it at the version it read, so two
 * concurrent writers cannot both pass the tier-type rule.
 */
export const appProfileFamilyItem = z.object({
  type: z.literal('appprofilefamily'),
  name: z.string(),
  projectId: z.string(),
  tierTypes: z.record(z.string(), z.enum(appTierTypes)),
  latest: latestVersion,
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().min(1),
});
export type AppProfileFamilyItem = z.infer<typeof appProfileFamilyItem>;
