import * as z from 'zod';
import { timestamp } from '../api/schema-kit.ts';

const amount = (max: number) => z.number().int().min(0).max(max);

export const quotaBody = z
  .strictObject({
    virtualClusters: amount(1000),
    cpu: amount(100_000),
    memoryMiB: amount(100_000_000),
    storageGiB: amount(10_000_000),
  })
  .meta({ id: 'QuotaLimits', description: 'Per user, summed over all their virtual clusters in beehive, paused ones included' });

export const quota = z
  .object({
    clusterGroupId: z.literal('beehive'),
    limits: quotaBody,
    used: z.object({ virtualClusters: z.number().int(), cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number() }),
    version: z.number().int().min(1).meta({ description: 'the version of the tenant\'s limits (1 while the defaults apply)' }),
    updatedAt: timestamp.nullable(),
  })
  .meta({ id: 'Quota' });
