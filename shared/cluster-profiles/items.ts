import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const profileClouds = ['eks', 'aks', 'gke', 'vsphere', 'edge', 'sim', 'all'] as const;
export const profileTypes = ['infra', 'add-on', 'full'] as const;
export const layerTypes = ['os', 'k8s', 'cni', 'csi', 'addon', 'helm'] as const;
export const variableFormats = ['string', 'number', 'boolean'] as const;

const profileLayerItem = z.object({
  type: z.enum(layerTypes),
  name: z.string(),
  version: z.string(),
  values: z.string().optional(),
  manifests: z.array(z.object({ name: z.string(), content: z.string() })).optional(),
  /** Helm layers: the chart of a registry; `version` is the chart's version. */
  registryId: z.string().optional(),
  chart: z.string().optional(),
});

const profileVariableItem = z.object({
  name: z.string(),
  format: z.enum(variableFormats),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  required: z.boolean(),
  regex: z.string().optional(),
});

/**
 * One version of a cluster profile, immutable. `type` and `version` are taken by the
 * item type and the resource version, so the profile's own are `profileType` and
 * `profileVersion`.
 */
export const clusterProfileItem = z.object({
  type: z.literal('clusterprofile'),
  ...resourceBase,
  projectId: z.string(),
  profileVersion: z.string(),
  profileType: z.enum(profileTypes),
  cloud: z.enum(profileClouds),
  /** The k8s layer's version; null for add-on profiles. */
  kubernetesVersion: z.string().nullable(),
  layers: z.array(profileLayerItem),
  variables: z.array(profileVariableItem),
  /** Host clusters that run (or are being upgraded to) this version; one in use cannot go. */
  clusters: z.number().int().default(0),
});
export type ClusterProfileItem = z.infer<typeof clusterProfileItem>;

/** Reserves a (name, version) of a cluster profile in a project. */
export const clusterProfileNameItem = z.object({
  type: z.literal('clusterprofilename'),
  clusterProfileId: z.string(),
  name: z.string(),
  profileVersion: z.string(),
});
