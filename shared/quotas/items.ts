import * as z from 'zod';

/** What a user may hold in beehive, summed over all their virtual clusters there, paused ones included. */
export const quotaDimensions = ['virtualClusters', 'cpu', 'memoryMiB', 'storageGiB'] as const;
export type QuotaDimension = (typeof quotaDimensions)[number];
export type QuotaAmounts = Record<QuotaDimension, number>;

/** API.md's defaults: 2 virtual clusters, 12 CPU, 16384 MiB, 20 GiB per user. */
export const DEFAULT_QUOTA: QuotaAmounts = { virtualClusters: 2, cpu: 12, memoryMiB: 16384, storageGiB: 20 };

const amounts = z.object({ virtualClusters: z.number(), cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number() });

/** The tenant's per-user limits in a group (absent: the defaults). */
export const quotaLimitsItem = z.object({
  type: z.literal('quota'),
  groupId: z.string(),
  limits: amounts,
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int().min(1),
});
export type QuotaLimitsItem = z.infer<typeof quotaLimitsItem>;

/** A user's counters in a group, changed only by atomic ADD inside the transactions that reserve and release. */
export const quotaUsageItem = z.object({
  virtualClusters: z.number().default(0),
  cpu: z.number().default(0),
  memoryMiB: z.number().default(0),
  storageGiB: z.number().default(0),
});
export type QuotaUsage = z.infer<typeof quotaUsageItem>;
