/**
 * The sleep-schedule part of `enforce-quotas`' walk over the virtual clusters: each
 * one whose `sleepSchedule` or `deleteAfterIdleDays` asks for a change now
 * (shared/virtual-clusters/sleep-schedule.ts decides) is paused, resumed or deleted
 * through the same `beginChange` the API uses, so through the normal workflows; each
 * change is audited with the job as the actor and listed in the job's summary. The
 * schedule's own pauses and resumes are not activity (`lastActivityAt` stays), so a
 * cluster nobody uses still reaches `deleteAfterIdleDays`.
 */
import { auditPut } from '../audit/audit-log.ts';
import { ApiError } from '../errors.ts';
import { logger } from '../observability/logger.ts';
import { keys } from '../store/keys.ts';
import { getItem, isConditionFailure, update, updateItem } from '../store/table.ts';
import { createTx } from '../store/tx.ts';
import { virtualClusterItem, type VirtualClusterItem } from '../virtual-clusters/items.ts';
import type { ScheduleEvent } from '../virtual-clusters/sleep-schedule.ts';
import { decideSleep, type SleepDecision } from '../virtual-clusters/sleep-decision.ts';
import { beginChange } from '../virtual-clusters/virtual-clusters.ts';
import type { JobContext } from './runner.ts';

interface ClusterRef {
  tenantId: string;
  projectId: string;
  virtualClusterId: string;
  name: string;
  operationId: string;
}

/** Paused (`sleep`) or resumed (`wake`) by its schedule: the fire time it followed. */
export interface ScheduledChange extends ClusterRef {
  event: ScheduleEvent['event'];
  scheduledAt: string;
  cron: string;
  timezone: string;
}

export interface IdleDeletion extends ClusterRef {
  idleDays: number;
  deleteAfterIdleDays: number;
}

export type SleepOutcome = { kind: 'slept' | 'woken'; change: ScheduledChange } | { kind: 'deleted'; change: IdleDeletion };

const hasSettings = (vc: VirtualClusterItem) => vc.sleepSchedule !== undefined || vc.deleteAfterIdleDays !== undefined;

/**
 * Applies a virtual cluster's sleep schedule and idle deletion at the job's `now`.
 * Decides on the listed item (the work list is an index, eventually consistent), then
 * again on the item read as it is now; a change that loses a race (another change
 * began, the cluster moved) is left for the next run.
 */
export async function applySleepSettings(context: JobContext, job: string, listed: VirtualClusterItem): Promise<SleepOutcome | undefined> {
  if (!hasSettings(listed) || decideSleep(listed, context.now).action === 'none') return undefined;
  const vc = await getItem(context.store, keys.virtualCluster(listed.tenantId, listed.projectId, listed.id), virtualClusterItem);
  if (!vc || !hasSettings(vc)) return undefined;
  const decision = decideSleep(vc, context.now);
  if (decision.action === 'none') return undefined;
  if (decision.action === 'record') {
    await remember(context, vc, decision.event);
    return undefined;
  }
  return change(context, job, vc, decision);
}

/** The cluster is already where the fire time says: remember it was applied (bookkeeping, not a change: no version, no audit). */
async function remember(context: JobContext, vc: VirtualClusterItem, event: ScheduleEvent) {
  try {
    await update(context.store, updateItem(keys.virtualCluster(vc.tenantId, vc.projectId, vc.id), { set: { sleepScheduleApplied: event }, touch: false, expectedVersion: vc.version }));
  } catch (error) {
    // It changed meanwhile: the next run decides again.
    if (!isConditionFailure(error)) throw error;
  }
}

async function change(context: JobContext, job: string, vc: VirtualClusterItem, decision: Exclude<SleepDecision, { action: 'none' | 'record' }>): Promise<SleepOutcome | undefined> {
  const kind = decision.action;
  const requestId = `job:${job}:${context.runId}`;
  const schedule = vc.sleepSchedule;
  const detail =
    decision.action === 'delete'
      ? `no activity for ${decision.idleDays} days (deleteAfterIdleDays ${vc.deleteAfterIdleDays})`
      : `sleep schedule: ${decision.event.event} "${decision.event.event === 'sleep' ? schedule!.sleep : schedule!.wake}" (${schedule!.timezone}) fired at ${decision.event.at}`;
  const tx = createTx(context.store, {
    audit: (resourceId) =>
      auditPut({
        tenantId: vc.tenantId,
        actor: context.actor,
        action: `virtualcluster.${kind}`,
        resourceType: 'virtualcluster',
        resourceId: resourceId ?? vc.id,
        projectId: vc.projectId,
        statusCode: 202,
        requestId,
        detail,
      }),
  });
  try {
    const { operation } =
      decision.action === 'delete'
        ? await beginChange(tx, vc, { kind: 'delete' }, { requestId, activity: false })
        : await beginChange(tx, vc, { kind: decision.action }, { requestId, activity: false, also: { sleepScheduleApplied: decision.event } });
    const ref = { tenantId: vc.tenantId, projectId: vc.projectId, virtualClusterId: vc.id, name: vc.name, operationId: operation.id };
    logger.info('applied a virtual cluster\'s sleep settings', { virtualClusterId: vc.id, change: kind, detail });
    if (decision.action === 'delete') return { kind: 'deleted', change: { ...ref, idleDays: decision.idleDays, deleteAfterIdleDays: vc.deleteAfterIdleDays! } };
    const event = decision.event;
    return {
      kind: event.event === 'sleep' ? 'slept' : 'woken',
      change: { ...ref, event: event.event, scheduledAt: event.at, cron: event.event === 'sleep' ? schedule!.sleep : schedule!.wake!, timezone: schedule!.timezone },
    };
  } catch (error) {
    // It changed at the same moment (a user paused, resumed or deleted it; another change began): the next run decides again.
    if (error instanceof ApiError && (error.code === 'conflict' || error.code === 'invalid_state')) return undefined;
    throw error;
  }
}
