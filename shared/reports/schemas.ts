import * as z from 'zod';
import { pageQuery, timestamp } from '../api/schema-kit.ts';
import { cost } from '../usage/schemas.ts';

/** A UTC day, an ISO week (Monday to Sunday) and a calendar month in UTC (the chargeback period). */
export const reportKinds = ['daily', 'weekly', 'monthly'] as const;
export type ReportKind = (typeof reportKinds)[number];

/**
 * `rpt_daily_20260114`: the kind and the first day of the period (a weekly report's
 * Monday, a monthly one's first of the month). A period has one id whether its report
 * is partial or final: the final report replaces the partial one under the same id.
 */
export const reportId = z
  .string()
  .regex(/^rpt_(daily|weekly|monthly)_\d{8}$/, 'must be a report id (rpt_daily_YYYYMMDD, rpt_weekly_YYYYMMDD or rpt_monthly_YYYYMMDD)')
  .meta({ example: 'rpt_daily_20260114' });

const partial = z.boolean().meta({
  description: 'true for the current day, week or month so far: each generate-reports run rewrites it, and the final report (false) replaces it under the same id once the period is closed and rolled up',
});
const asOf = timestamp
  .meta({ description: 'partial reports only: how far usage was rolled up when the report was made (the totals count usage up to here, not to the end of the period)' })
  .optional();

const period = z.object({ from: timestamp, to: timestamp });
const quotaAmounts = z.object({ virtualClusters: z.number(), cpu: z.number(), memoryMiB: z.number(), storageGiB: z.number() });

const usageLine = {
  cpuCoreHours: z.number(),
  memoryGiBHours: z.number(),
  storageGiBHours: z.number(),
  cost,
  idle: cost,
};

export const report = z
  .object({
    id: reportId,
    kind: z.enum(reportKinds),
    title: z.string(),
    tenantId: z.string(),
    period,
    previousPeriod: period.meta({
      description: 'the period before; for a partial report the same length of it as this period has so far (month to date against the month before to the same point)',
    }),
    generatedAt: timestamp,
    partial,
    asOf,
    currency: z.literal('USD'),
    totals: z.object(usageLine),
    previousTotals: z.object(usageLine),
    change: z
      .object({ amount: z.number(), percent: z.number().nullable().meta({ description: 'null when the previous period cost nothing' }) })
      .meta({ description: 'total cost against the previous period' }),
    costPerDay: z.array(z.object({ date: z.string(), cost: z.number(), inPeriod: z.boolean() })).meta({
      description:
        'the days of the period and those before it, for the trend: seven days in all for a daily report, fourteen for a weekly one, the month before and this one for a monthly one; a partial report\'s end at the day it was rolled up to',
    }),
    costByProject: z.array(
      z.object({
        projectId: z.string(),
        name: z.string(),
        ...usageLine,
        previousCost: z.number(),
        changePercent: z.number().nullable(),
      }),
    ),
    topVirtualClusters: z.array(
      z.object({ id: z.string(), name: z.string(), projectId: z.string(), projectName: z.string(), ownerId: z.string().optional(), ...usageLine }),
    ),
    quotaUse: z
      .array(
        z.object({
          userId: z.string(),
          email: z.string(),
          name: z.string(),
          used: quotaAmounts,
          limits: quotaAmounts,
          percent: quotaAmounts.meta({ description: 'used / limit × 100 per dimension' }),
          over: z.array(z.string()).meta({ description: 'the dimensions where use passes a limit that was lowered' }),
        }),
      )
      .meta({ description: 'each user\'s beehive quota use when the report was made' }),
    idle: z.object({
      pausedStorage: z.number().meta({ description: 'what paused virtual clusters\' storage cost' }),
      hostIdle: z.number().meta({ description: 'what the tenant\'s own host clusters cost beyond their virtual clusters\' allocations' }),
      total: z.number(),
      percentOfTotal: z.number().nullable(),
    }),
    notes: z.array(z.string()),
  })
  .meta({ id: 'Report' });
export type Report = z.infer<typeof report>;

export const reportSummary = z
  .object({
    id: reportId,
    kind: z.enum(reportKinds),
    title: z.string(),
    period,
    generatedAt: timestamp,
    partial,
    asOf,
    total: z.number(),
    currency: z.literal('USD'),
  })
  .meta({ id: 'ReportSummary' });

export const reportListQuery = z.strictObject({ ...pageQuery, kind: z.enum(reportKinds).optional() });
export const reportParams = z.strictObject({ id: reportId });
