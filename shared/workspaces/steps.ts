/**
 * The steps of the workspace workflows (workflows/workspace.ts). Apply brings every
 * member cluster to what the workspace renders and takes it away from the clusters a
 * change removed, one cluster's failure recorded as its own; finish sets Ready or
 * Degraded and ends the operation in one write. Delete removes what the workspace
 * created from every cluster, then the workspace. Every write to the table is
 * conditioned on the operation still owning the workspace.
 */
import * as z from 'zod';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, transact, TransactionConflict } from '../store/table.ts';
import { commitFinish, finishOperationItem } from '../operations/operations.ts';
import { readableCause } from '../operations/step-errors.ts';
import { stepEventSchema } from '../operations/step-event.ts';
import { PermanentProviderError } from '../providers/provider.ts';
import { workspaceSteps } from '#workflows/names.ts';
import { clusterStatusItem, workspaceItem, type WorkspaceItem } from './items.ts';
import { NOTHING, phaseOf, reconcileClusters, renderCurrent } from './clusters.ts';
import { failWorkspaceOperation, ownedWorkspaceUpdate, workspaceDeletionItems } from './workspaces.ts';

export const workspaceStepEvent = stepEventSchema({
  resourceType: 'workspace',
  steps: workspaceSteps,
  targets: ['Ready'],
  context: z.object({ kind: z.enum(['apply', 'delete']) }),
  state: {
    /** What apply left: each member cluster's status, and the removed clusters it could not clean up yet. */
    applied: z.object({ clusters: z.array(clusterStatusItem), leaving: z.array(z.string()) }).optional(),
  },
});
export type WorkspaceStepEvent = z.infer<typeof workspaceStepEvent>;

type Target = { tenantId: string; projectId: string; workspaceId: string };

async function ownedWorkspace(store: Store, target: Target, operationId: string): Promise<WorkspaceItem> {
  const ws = await getItem(store, keys.workspace(target.tenantId, target.projectId, target.workspaceId), workspaceItem);
  if (!ws) throw new PermanentProviderError(`workspace ${target.workspaceId} no longer exists`);
  if (ws.operationId !== operationId) throw new PermanentProviderError(`another operation (${ws.operationId}) took over workspace ${ws.name}`);
  return ws;
}

export async function runWorkspaceStep(store: Store, event: WorkspaceStepEvent): Promise<Record<string, unknown>> {
  const { args } = event;
  const target = { tenantId: args.resource.tenantId, projectId: args.resource.projectId, workspaceId: args.resource.id };
  logger.appendKeys({ workspaceId: target.workspaceId, operationId: args.operationId, step: event.step, ...(args.requestId ? { requestId: args.requestId } : {}) });

  switch (event.step) {
    case 'apply': {
      const ws = await ownedWorkspace(store, target, args.operationId);
      const [members, leavers] = await Promise.all([
        reconcileClusters(store, ws, ws.clusterIds, await renderCurrent(store, ws)),
        reconcileClusters(store, ws, ws.leaving, NOTHING),
      ]);
      const clusters = members.map((m) => m.status);
      // A removed cluster stays on the list until its objects are gone (or the cluster is).
      const leaving = ws.leaving.filter((_, i) => leavers[i]!.status.phase === 'Error' && !leavers[i]!.gone);
      const failedLeavers = leavers.filter((l) => l.status.phase === 'Error' && !l.gone).map((l) => l.status);
      const progress = phaseOf([...clusters, ...failedLeavers]);
      // What a user sees while finish is on its way; a write that finds the operation gone changes nothing.
      await transact(store, [ownedWorkspaceUpdate(target, args.operationId, { set: { status: { phase: 'Applying', ...(progress.message ? { message: progress.message } : {}), clusters: [...clusters, ...failedLeavers] }, leaving } })]).catch((error: unknown) => {
        if (!(error instanceof TransactionConflict)) throw error;
      });
      logger.info('workspace applied', { ready: clusters.filter((c) => c.phase === 'Ready').length, failed: clusters.filter((c) => c.phase !== 'Ready').length, removedFrom: ws.leaving.length - leaving.length });
      return { clusters: [...clusters, ...failedLeavers], leaving };
    }

    case 'remove': {
      const ws = await ownedWorkspace(store, target, args.operationId);
      const all = [...new Set([...ws.clusterIds, ...ws.leaving])];
      const outcomes = await reconcileClusters(store, ws, all, NOTHING);
      const failed = outcomes.filter((o) => o.status.phase === 'Error' && !o.gone);
      if (failed.length) throw new PermanentProviderError(`could not remove the workspace from every cluster: ${failed.map((f) => f.status.message).join('; ')}; delete it again once the cluster is back`);
      return { ok: true, clusters: all.length };
    }

    case 'finish': {
      const done = finishOperationItem(target.tenantId, args.operationId, { status: 'Succeeded' });
      if (args.context.kind === 'delete') {
        // A retried finish finds the workspace already gone: only the operation's end is left (or done).
        const ws = await getItem(store, keys.workspace(target.tenantId, target.projectId, target.workspaceId), workspaceItem);
        const items = ws ? [...workspaceDeletionItems(target, ws.name, args.operationId), done] : [done];
        await commitFinish(store, items, { tenantId: target.tenantId, operationId: args.operationId, what: `workspace ${target.workspaceId}` });
        return { ok: true };
      }
      const applied = args.applied ?? { clusters: [], leaving: [] };
      const { phase, message } = phaseOf(applied.clusters);
      await commitFinish(
        store,
        [ownedWorkspaceUpdate(target, args.operationId, { set: { status: { phase, ...(message ? { message } : {}), clusters: applied.clusters }, leaving: applied.leaving } }), done],
        { tenantId: target.tenantId, operationId: args.operationId, what: `workspace ${target.workspaceId}` },
      );
      return { ok: true, phase };
    }

    case 'markError': {
      const message = readableCause(args.error);
      logger.warn('workspace workflow failed', { reason: message });
      await failWorkspaceOperation(store, target, args.operationId, { code: args.error?.Error ?? 'WorkflowFailed', message });
      return { ok: true };
    }
  }
}
