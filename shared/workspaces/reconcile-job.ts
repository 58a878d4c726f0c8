/**
 * The `reconcile-workspaces` job: every settled workspace (Ready, Degraded) is applied
 * again on each of its clusters. What drifted (a RoleBinding deleted by hand, a quota
 * edited, a team's new member) is put back; a cluster that was down and is back turns
 * the workspace Ready again, one that went down turns it Degraded. The status write is
 * conditioned on the version the job read, so a change started meanwhile wins; each
 * change of phase or repair is audited with the job as the actor.
 */
import * as z from 'zod';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { auditPut } from '../audit/audit-log.ts';
import { logger } from '../observability/logger.ts';
import { keys, KIND_SHARDS, lists } from '../store/keys.ts';
import { getItem, TransactionConflict, updateItem } from '../store/table.ts';
import { createTx } from '../store/tx.ts';
import { mapLimit, type JobContext, type JobOutcome } from '../jobs/runner.ts';
import { walkLanes, type LaneState } from '../jobs/walk.ts';
import { PAGE_CONCURRENCY } from '../jobs/schedule.ts';
import { workspaceItem, type WorkspaceItem } from './items.ts';
import { phaseOf, reconcileClusters, renderCurrent } from './clusters.ts';

const JOB = 'reconcile-workspaces';
const stateItem = z.object({ lanes: z.record(z.string(), z.object({ cursor: z.string().optional(), page: z.number(), done: z.boolean() })).optional() }).loose();

interface Reconciled {
  tenantId: string;
  workspaceId: string;
  phase: { before: string; after: string };
  /** Objects put back or taken away, per cluster. */
  repaired: Array<{ clusterId: string; changed: number }>;
}

const sameStatus = (a: WorkspaceItem['status'], b: WorkspaceItem['status']) => JSON.stringify(a) === JSON.stringify(b);

async function reconcileOne(context: JobContext, ws: WorkspaceItem): Promise<Reconciled | 'changed-meanwhile' | undefined> {
  if (ws.status.phase !== 'Ready' && ws.status.phase !== 'Degraded') return undefined;
  const outcomes = await reconcileClusters(context.store, ws, ws.clusterIds, await renderCurrent(context.store, ws));
  const clusters = outcomes.map((o) => o.status);
  const { phase, message } = phaseOf(clusters);
  const status = { phase, ...(message ? { message } : {}), clusters };
  const repaired = outcomes.flatMap((o) => (o.changed > 0 ? [{ clusterId: o.status.clusterId, changed: o.changed }] : []));
  if (sameStatus(status, ws.status) && repaired.length === 0) return undefined;
  const tx = createTx(context.store, {
    audit: () =>
      auditPut({
        tenantId: ws.tenantId,
        actor: context.actor,
        action: 'workspace.reconcile',
        resourceType: 'workspace',
        resourceId: ws.id,
        projectId: ws.projectId,
        statusCode: 200,
        requestId: `job:${JOB}:${context.runId}`,
        detail: [phase !== ws.status.phase ? `${ws.status.phase} → ${phase}` : '', ...repaired.map((r) => `${r.changed} object(s) re-applied on ${r.clusterId}`)].filter(Boolean).join('; '),
      }),
  });
  try {
    // Only the status is this job's; the version it read must still be there (no change started since).
    await tx.commit([updateItem(keys.workspace(ws.tenantId, ws.projectId, ws.id), { set: { status }, expectedVersion: ws.version })], { resourceId: ws.id });
  } catch (error) {
    if (error instanceof TransactionConflict) return 'changed-meanwhile';
    throw error;
  }
  if (repaired.length) logger.warn('workspace drift repaired', { workspaceId: ws.id, repaired });
  if (phase !== ws.status.phase) logger.info('workspace phase changed', { workspaceId: ws.id, from: ws.status.phase, to: phase, reason: message });
  return { tenantId: ws.tenantId, workspaceId: ws.id, phase: { before: ws.status.phase, after: phase }, repaired };
}

export async function reconcileWorkspaces(context: JobContext): Promise<JobOutcome> {
  const { store } = context;
  const stored = stateItem.parse((await getItem(store, keys.jobState(JOB), z.object({}).loose())) ?? {});
  const lanes = Array.from({ length: KIND_SHARDS }, (_, shard) => ({ id: String(shard), list: lists.ofKind('workspace', shard) }));
  const reconciled: Reconciled[] = [];
  const changedMeanwhile: string[] = [];
  const walked = await walkLanes(store, context, lanes, (stored.lanes ?? {}) as Record<string, LaneState>, workspaceItem, { pageSize: context.pageSize ?? 25, concurrency: PAGE_CONCURRENCY }, async (items) => {
    for (const [i, result] of (await mapLimit(items, 4, (ws) => reconcileOne(context, ws))).entries()) {
      if (result === 'changed-meanwhile') changedMeanwhile.push(items[i]!.id);
      else if (result) reconciled.push(result);
    }
  });
  await store.doc.send(new PutCommand({ TableName: store.tableName, Item: { ...keys.jobState(JOB), type: 'jobstate', ...(walked.more ? { lanes: walked.lanes } : {}) } }));
  return {
    summary: { checked: walked.items, reconciled, changedMeanwhile, complete: !walked.more },
    more: walked.more,
  };
}
