import * as z from 'zod';
import { resourceBase } from '../store/items.ts';
import { appTierTypes } from '../app-profiles/items.ts';

export const appPhases = ['Deploying', 'Deployed', 'Error', 'Deleting'] as const;
export type AppPhase = (typeof appPhases)[number];
export const tierPhases = ['Pending', 'Deploying', 'Ready', 'Error'] as const;
export type TierPhase = (typeof tierPhases)[number];

export const tierStatusItem = z.object({ name: z.string(), phase: z.enum(tierPhases), message: z.string().optional() });
export type TierStatus = z.infer<typeof tierStatusItem>;

/** One object an app applied, as much as is needed to find it again (to prune or delete it). */
export const objectRefItem = z.object({ apiVersion: z.string(), kind: z.string(), name: z.string(), namespace: z.string().optional() });
export type ObjectRef = z.infer<typeof objectRefItem>;

/** A tier as it is deployed: its content hash (unchanged tiers are left alone) and what it applied. */
export const deployedTierItem = z.object({ name: z.string(), type: z.enum(appTierTypes), hash: z.string(), objects: z.array(objectRefItem) });
export type DeployedTier = z.infer<typeof deployedTierItem>;

const valuesItem = z.record(z.string(), z.record(z.string(), z.unknown()));

export const pendingAppChange = z.discriminatedUnion('kind', [
  /** A first deploy, a redeploy or an upgrade: the profile version and values to deploy, as `revision`. */
  z.object({ kind: z.literal('deploy'), appProfileId: z.string(), values: valuesItem, revision: z.number().int() }),
  z.object({ kind: z.literal('delete') }),
]);
export type PendingAppChange = z.infer<typeof pendingAppChange>;

export const appItem = z.object({
  type: z.literal('app'),
  ...resourceBase,
  tenantId: z.string(),
  projectId: z.string(),
  virtualClusterId: z.string(),
  /** Its namespace in the virtual cluster. */
  namespace: z.string(),
  /** The profile version deployed (or, before the first deploy finishes, being deployed). */
  appProfileId: z.string(),
  profileName: z.string(),
  profileVersion: z.string(),
  values: valuesItem,
  /** The deployment number: each deploy, redeploy or upgrade is the next revision. */
  revision: z.number().int(),
  status: z.object({ phase: z.enum(appPhases), message: z.string().optional(), tiers: z.array(tierStatusItem) }),
  deployed: z.array(deployedTierItem).default([]),
  pending: pendingAppChange.optional(),
  operationId: z.string().optional(),
});
export type AppItem = z.infer<typeof appItem>;

export const appNameItem = z.object({ id: z.string() });
