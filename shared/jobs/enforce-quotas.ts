/**
 * The scheduled `enforce-quotas` job, in two parts that each resume where the last
 * invocation stopped:
 *
 * 1. Idle auto-pause. Every virtual cluster (gsi2 `KIND#virtualcluster#<shard>`, the
 *    shards in parallel) that is Running, has `sleepAfterMinutes`, and saw no activity
 *    (API calls on it, app deploys, webhook deploys, kubeconfig downloads) for that
 *    long is paused through the normal pause workflow; the audit entry names the
 *    platform (`platform:enforce-quotas`) as the actor. In the same walk, sleep
 *    schedules and `deleteAfterIdleDays` are applied (sleep-schedules.ts): paused,
 *    resumed and deleted through the normal workflows, audited the same way. The
 *    platform's own pauses and resumes are not activity (`lastActivityAt` stays).
 *
 * 2. Quota recount. For each tenant (gsi1 `TENANTS`, several at once), each user's
 *    beehive use is recomputed from the reservations of the virtual clusters that
 *    exist, read consistently from the tenant's partition AFTER the counters: every
 *    change of a counter is an ADD in the transaction of the virtual cluster it counts,
 *    so a repair conditioned on the counter still holding what was read cannot undo a
 *    create, resize or delete that landed in between (that repair is cancelled and the
 *    next pass looks again). A drifted counter is set to the recount, audited in the
 *    same transaction. Users whose use passes a limit a tenant admin lowered are listed;
 *    their next create or resize is refused with quota_exceeded (quotas.ts), and nothing
 *    running is destroyed.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { auditPut } from '../audit/audit-log.ts';
import { ApiError } from '../errors.ts';
import { logger } from '../observability/logger.ts';
import { keys, KIND_SHARDS, lists, SYSTEM_TENANT } from '../store/keys.ts';
import { getItem, queryAll, queryPage, TransactionConflict, type TransactItem } from '../store/table.ts';
import { createTx } from '../store/tx.ts';
import { tenantItem } from '../tenancy/items.ts';
import { DEFAULT_QUOTA, quotaDimensions, quotaLimitsItem, type QuotaAmounts } from '../quotas/items.ts';
import { QUOTA_GROUP } from '../quotas/quotas.ts';
import { virtualClusterItem, type VirtualClusterItem } from '../virtual-clusters/items.ts';
import { beginChange } from '../virtual-clusters/virtual-clusters.ts';
import { idleSince } from '../virtual-clusters/sleep-decision.ts';
import { applySleepSettings, type IdleDeletion, type ScheduledChange } from './sleep-schedules.ts';
import { mapLimit, outOfBudget, type JobContext, type JobOutcome } from './runner.ts';
import { PAGE_CONCURRENCY } from './schedule.ts';
import { walkLanes, type LaneState } from './walk.ts';

const JOB = 'enforce-quotas';

const passState = z.object({
  startedAt: z.string(),
  idle: z.record(z.string(), z.object({ cursor: z.string().optional(), page: z.number(), done: z.boolean() })),
  tenants: z.object({ cursor: z.string().optional(), done: z.boolean() }),
});
type PassState = z.infer<typeof passState>;
const stateItem = z.object({ pass: passState.optional() });

const counterRow = z.object({
  sk: z.string(),
  virtualClusters: z.number().optional(),
  cpu: z.number().optional(),
  memoryMiB: z.number().optional(),
  storageGiB: z.number().optional(),
});

export interface PausedCluster {
  tenantId: string;
  projectId: string;
  virtualClusterId: string;
  name: string;
  idleMinutes: number;
  sleepAfterMinutes: number;
  operationId: string;
}

export interface RepairedCounter {
  tenantId: string;
  userId: string;
  before: QuotaAmounts;
  after: QuotaAmounts;
}

export interface OverQuota {
  tenantId: string;
  userId: string;
  used: QuotaAmounts;
  limits: QuotaAmounts;
  over: string[];
}

/** Whether a Running virtual cluster has been idle past its `sleepAfterMinutes` at `now`. */
export function idleMinutesOf(vc: Pick<VirtualClusterItem, 'status' | 'sleepAfterMinutes' | 'lastActivityAt' | 'sleepScheduleApplied'>, now: Date): number | undefined {
  if (vc.status.phase !== 'Running' || !vc.sleepAfterMinutes) return undefined;
  // Counted from the last activity, or from the schedule's wake when that came later.
  const idle = (now.getTime() - idleSince(vc)) / 60_000;
  return idle >= vc.sleepAfterMinutes ? Math.floor(idle) : undefined;
}

async function pauseIfIdle(context: JobContext, listed: VirtualClusterItem): Promise<PausedCluster | undefined> {
  if (idleMinutesOf(listed, context.now) === undefined) return undefined;
  // The work list is an index (eventually consistent): decide on the item as it is now.
  const vc = await getItem(context.store, keys.virtualCluster(listed.tenantId, listed.projectId, listed.id), virtualClusterItem);
  const idleMinutes = vc && idleMinutesOf(vc, context.now);
  if (!vc || idleMinutes === undefined) return undefined;
  const tx = createTx(context.store, {
    audit: (resourceId) =>
      auditPut({
        tenantId: vc.tenantId,
        actor: context.actor,
        action: 'virtualcluster.pause',
        resourceType: 'virtualcluster',
        resourceId: resourceId ?? vc.id,
        projectId: vc.projectId,
        statusCode: 202,
        requestId: `job:${JOB}:${context.runId}`,
      }),
  });
  try {
    const { operation } = await beginChange(tx, vc, { kind: 'pause' }, { requestId: `job:${JOB}:${context.runId}`, activity: false });
    logger.info('paused an idle virtual cluster', { virtualClusterId: vc.id, idleMinutes, sleepAfterMinutes: vc.sleepAfterMinutes });
    return { tenantId: vc.tenantId, projectId: vc.projectId, virtualClusterId: vc.id, name: vc.name, idleMinutes, sleepAfterMinutes: vc.sleepAfterMinutes!, operationId: operation.id };
  } catch (error) {
    // It changed at the same moment (a user resumed work, another change began): it is not idle.
    if (error instanceof ApiError && (error.code === 'conflict' || error.code === 'invalid_state')) return undefined;
    throw error;
  }
}

const amountsOf = (row: z.infer<typeof counterRow> | undefined): QuotaAmounts => ({
  virtualClusters: row?.virtualClusters ?? 0,
  cpu: row?.cpu ?? 0,
  memoryMiB: row?.memoryMiB ?? 0,
  storageGiB: row?.storageGiB ?? 0,
});

const sameAmounts = (a: QuotaAmounts, b: QuotaAmounts) => quotaDimensions.every((d) => a[d] === b[d]);

/** Sets a counter to the recount on condition it still holds what was read, with its audit entry. */
function counterRepair(tenantId: string, userId: string, read: z.infer<typeof counterRow> | undefined, after: QuotaAmounts): TransactItem {
  const names: Record<string, string> = { '#type': 'type' };
  const values: Record<string, unknown> = { ':type': 'quotausage' };
  const sets = ['#type = :type'];
  const conditions: string[] = [];
  quotaDimensions.forEach((d, i) => {
    names[`#d${i}`] = d;
    values[`:a${i}`] = after[d];
    sets.push(`#d${i} = :a${i}`);
    const before = read?.[d];
    if (before === undefined) conditions.push(`attribute_not_exists(#d${i})`);
    else {
      values[`:b${i}`] = before;
      conditions.push(`#d${i} = :b${i}`);
    }
  });
  return {
    Update: {
      Key: keys.quotaUsage(tenantId, QUOTA_GROUP, userId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: read ? conditions.join(' AND ') : 'attribute_not_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

async function recountTenant(context: JobContext, tenantId: string) {
  const { store } = context;
  const limitsItem = await getItem(store, keys.quotaLimits(tenantId, QUOTA_GROUP), quotaLimitsItem);
  const limits = limitsItem?.limits ?? DEFAULT_QUOTA;
  // Counters first, then the virtual clusters (see the module comment).
  const counters = await queryAll(store, lists.quotaUsages(tenantId, QUOTA_GROUP), counterRow, 100_000);
  const clusters = await queryAll(store, lists.virtualClustersOfTenant(tenantId), virtualClusterItem, 100_000);
  const recount = new Map<string, QuotaAmounts>();
  for (const vc of clusters) {
    if (!vc.reservation?.quota) continue;
    const used = recount.get(vc.ownerId) ?? { virtualClusters: 0, cpu: 0, memoryMiB: 0, storageGiB: 0 };
    used.virtualClusters += 1;
    used.cpu += vc.reservation.cpu;
    used.memoryMiB += vc.reservation.memoryMiB;
    used.storageGiB += vc.reservation.storageGiB;
    recount.set(vc.ownerId, used);
  }
  const prefix = `QUOTAUSAGE#${QUOTA_GROUP}#`;
  const read = new Map(counters.map((row) => [row.sk.slice(prefix.length), row]));
  const repaired: RepairedCounter[] = [];
  const changedMeanwhile: string[] = [];
  const overQuota: OverQuota[] = [];
  for (const userId of new Set([...read.keys(), ...recount.keys()])) {
    const row = read.get(userId);
    const before = amountsOf(row);
    const after = recount.get(userId) ?? { virtualClusters: 0, cpu: 0, memoryMiB: 0, storageGiB: 0 };
    if (!sameAmounts(before, after)) {
      const tx = createTx(store, {
        audit: () =>
          auditPut({
            tenantId,
            actor: context.actor,
            action: 'quota.repair',
            resourceType: 'quota',
            resourceId: userId,
            projectId: null,
            statusCode: 200,
            requestId: `job:${JOB}:${context.runId}`,
          }),
      });
      try {
        await tx.commit([counterRepair(tenantId, userId, row, after)], { resourceId: userId });
        repaired.push({ tenantId, userId, before, after });
        logger.warn('repaired a drifted quota counter', { tenantId, userId, before, after });
      } catch (error) {
        if (!(error instanceof TransactionConflict)) throw error;
        changedMeanwhile.push(userId);
        continue;
      }
    }
    const over = quotaDimensions.filter((d) => after[d] > limits[d]);
    if (over.length) overQuota.push({ tenantId, userId, used: after, limits, over });
  }
  return { users: new Set([...read.keys(), ...recount.keys()]).size, virtualClusters: clusters.length, repaired, changedMeanwhile, overQuota };
}

export async function enforceQuotas(context: JobContext): Promise<JobOutcome> {
  const { store } = context;
  const stored = stateItem.parse((await getItem(store, keys.jobState(JOB), z.object({}).loose())) ?? {});
  const pass: PassState = stored.pass ?? { startedAt: context.now.toISOString(), idle: {}, tenants: { done: false } };

  // 1. Idle virtual clusters, every shard of the work list at once.
  const paused: PausedCluster[] = [];
  const slept: ScheduledChange[] = [];
  const woken: ScheduledChange[] = [];
  const deleted: IdleDeletion[] = [];
  const lanes = Array.from({ length: KIND_SHARDS }, (_, shard) => ({ id: String(shard), list: lists.ofKind('virtualcluster', shard) }));
  const walked = await walkLanes(store, context, lanes, pass.idle as Record<string, LaneState>, virtualClusterItem, { pageSize: context.pageSize ?? 100, concurrency: PAGE_CONCURRENCY }, async (items) => {
    await mapLimit(items, 4, async (vc) => {
      // Its schedule or idle deletion first; idle auto-pause only when that changed nothing.
      const scheduled = await applySleepSettings(context, JOB, vc);
      if (scheduled?.kind === 'slept') slept.push(scheduled.change);
      else if (scheduled?.kind === 'woken') woken.push(scheduled.change);
      else if (scheduled?.kind === 'deleted') deleted.push(scheduled.change);
      const found = scheduled ? undefined : await pauseIfIdle(context, vc);
      if (found) paused.push(found);
    });
  });
  pass.idle = walked.lanes;

  // 2. The quota recount, tenant by tenant.
  const repaired: RepairedCounter[] = [];
  const overQuota: OverQuota[] = [];
  const changedMeanwhile: Array<{ tenantId: string; userId: string }> = [];
  let tenants = 0;
  let users = 0;
  // At least one page of tenants per invocation, so the recount always moves on.
  let first = true;
  while (!pass.tenants.done && (first || !outOfBudget(context, walked.items + tenants, context.maxItems))) {
    first = false;
    const page = await queryPage(store, { ...lists.tenants(), limit: context.pageSize ?? 25, ...(pass.tenants.cursor ? { cursor: pass.tenants.cursor } : {}) }, tenantItem);
    const results = await mapLimit(page.items.filter((t) => t.id !== SYSTEM_TENANT), 4, (tenant) => recountTenant(context, tenant.id));
    for (const [index, result] of results.entries()) {
      tenants++;
      users += result.users;
      repaired.push(...result.repaired);
      overQuota.push(...result.overQuota);
      changedMeanwhile.push(...result.changedMeanwhile.map((userId) => ({ tenantId: page.items[index]!.id, userId })));
    }
    pass.tenants = page.nextCursor ? { cursor: page.nextCursor, done: false } : { done: true };
  }

  const complete = !walked.more && pass.tenants.done;
  await store.doc.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { ...keys.jobState(JOB), type: 'jobstate', ...(complete ? {} : { pass }) },
    }),
  );
  return {
    summary: {
      pass: { startedAt: pass.startedAt, complete },
      checked: { virtualClusters: walked.items, tenants, users },
      paused,
      sleepSchedules: { slept, woken, deleted },
      repaired,
      overQuota,
      changedMeanwhile,
    },
    more: !complete,
  };
}
