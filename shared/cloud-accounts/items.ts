import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const cloudProviders = ['aws', 'azure', 'gcp', 'vsphere', 'edge', 'sim'] as const;

export const awsAccountSettings = z.object({
  roleArn: z.string(),
  externalId: z.string(),
  clusterRoleArn: z.string().optional(),
  nodeRoleArn: z.string().optional(),
});

/** An Azure service principal; its client secret only sealed (purpose `cloudaccount:<id>`). */
export const azureAccountSettings = z.object({
  tenantId: z.string(),
  clientId: z.string(),
  subscriptionId: z.string(),
  resourceGroup: z.string().optional(),
  sealedClientSecret: z.string(),
});

/** A Google Cloud service account; its key file only sealed (purpose `cloudaccount:<id>`). */
export const gcpAccountSettings = z.object({ projectId: z.string(), clientEmail: z.string(), sealedServiceAccountKey: z.string() });

/** vCenter through a data-centre gateway agent; the password only sealed (purpose `cloudaccount:<id>`). */
export const vsphereAccountSettings = z.object({
  gatewayId: z.string(),
  vcenter: z.string(),
  datacenter: z.string(),
  datastore: z.string(),
  network: z.string(),
  username: z.string(),
  sealedPassword: z.string(),
});

export const simAccountSettings = z.object({ provisionSeconds: z.number().int(), failProvisioning: z.boolean() });

export const cloudAccountItem = z.object({
  type: z.literal('cloudaccount'),
  ...resourceBase,
  projectId: z.string(),
  provider: z.enum(cloudProviders),
  aws: awsAccountSettings.optional(),
  azure: azureAccountSettings.optional(),
  gcp: gcpAccountSettings.optional(),
  vsphere: vsphereAccountSettings.optional(),
  sim: simAccountSettings.optional(),
  /** Host clusters that use the account (kept by their create, retry and delete); one in use cannot go. */
  clusters: z.number().int().default(0),
});
export type CloudAccountItem = z.infer<typeof cloudAccountItem>;

/** What a provider needs from the account (carried in workflow state, never re-read by a step). */
export type AccountSettings = Pick<CloudAccountItem, 'id' | 'provider' | 'aws' | 'azure' | 'gcp' | 'vsphere' | 'sim'>;
export const accountSettingsOf = (account: CloudAccountItem): AccountSettings => ({
  id: account.id,
  provider: account.provider,
  ...(account.aws ? { aws: account.aws } : {}),
  ...(account.azure ? { azure: account.azure } : {}),
  ...(account.gcp ? { gcp: account.gcp } : {}),
  ...(account.vsphere ? { vsphere: account.vsphere } : {}),
  ...(account.sim ? { sim: account.sim } : {}),
});

/** The account settings as carried in a workflow's state: secrets stay sealed there (execution history keeps state). */
export const accountSettingsItem = z.object({
  id: z.string(),
  provider: z.enum(cloudProviders),
  aws: awsAccountSettings.optional(),
  azure: azureAccountSettings.optional(),
  gcp: gcpAccountSettings.optional(),
  vsphere: vsphereAccountSettings.optional(),
  sim: simAccountSettings.optional(),
});

/** What a sealed account secret is bound to: it opens as this account's and no other's. */
export const accountSecretPurpose = (accountId: string) => `cloudaccount:${accountId}`;

/** Reserves a cloud account name in a project. */
export const cloudAccountNameItem = z.object({ type: z.literal('cloudaccountname'), cloudAccountId: z.string() });

/** The provider a cloud account's clusters run on (also the name of the profile cloud that fits it). */
export const providerOfAccount = { aws: 'eks', azure: 'aks', gcp: 'gke', vsphere: 'vsphere', edge: 'edge', sim: 'sim' } as const satisfies Record<CloudAccountItem['provider'], string>;
