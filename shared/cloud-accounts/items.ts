import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const cloudProviders = ['aws', 'sim'] as const;

export const awsAccountSettings = z.object({
  roleArn: z.string(),
  externalId: z.string(),
  clusterRoleArn: z.string().optional(),
  nodeRoleArn: z.string().optional(),
});

export const simAccountSettings = z.object({ provisionSeconds: z.number().int(), failProvisioning: z.boolean() });

export const cloudAccountItem = z.object({
  type: z.literal('cloudaccount'),
  ...resourceBase,
  projectId: z.string(),
  provider: z.enum(cloudProviders),
  aws: awsAccountSettings.optional(),
  sim: simAccountSettings.optional(),
  /** Host clusters that use the account (kept by their create, retry and delete); one in use cannot go. */
  clusters: z.number().int().default(0),
});
export type CloudAccountItem = z.infer<typeof cloudAccountItem>;

/** What a provider needs from the account (carried in workflow state, never re-read by a step). */
export type AccountSettings = Pick<CloudAccountItem, 'provider' | 'aws' | 'sim'>;
export const accountSettingsOf = (account: CloudAccountItem): AccountSettings => ({
  provider: account.provider,
  ...(account.aws ? { aws: account.aws } : {}),
  ...(account.sim ? { sim: account.sim } : {}),
});

/** The account settings as carried in a workflow's state. */
export const accountSettingsItem = z.object({ provider: z.enum(cloudProviders), aws: awsAccountSettings.optional(), sim: simAccountSettings.optional() });

/** Reserves a cloud account name in a project. */
export const cloudAccountNameItem = z.object({ type: z.literal('cloudaccountname'), cloudAccountId: z.string() });
