/**
 * The steps of the host-cluster workflows (workflows/host-cluster.ts). Each is safe to
 * run again: the state machine retries transient failures, and a runtime that died
 * mid-workflow is repaired by re-running from the operation.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, nowIso, transact, versionIs } from '../store/table.ts';
import { finishOperation } from '../operations/operations.ts';
import { getCloudAccount } from '../catalog/cloud-accounts.ts';
import { getClusterProfile } from '../catalog/cluster-profiles.ts';
import { renderTemplate } from '../catalog/profile-variables.ts';
import { applyObjects, parseManifests } from '../kube/apply.ts';
import { clusterRef, providerFor } from '../providers/index.ts';
import { PermanentProviderError } from '../providers/provider.ts';
import { hostClusterItem, type HostClusterItem } from './cluster-items.ts';
import { markClusterError, type WorkflowInput } from './host-clusters.ts';
import type { HostClusterStep } from '../../workflows/names.ts';
import { logger } from '../http/logger.ts';

/** What every Task passes: `{ step, args: <the execution state>, target? }`. */
export const stepEventSchema = z.object({
  step: z.enum(['provision', 'describe', 'scale', 'upgrade', 'delete', 'validateImport', 'applyAddons', 'finish', 'markError']),
  args: z
    .object({
      tenantId: z.string().min(1),
      projectId: z.string().min(1),
      clusterId: z.string().min(1),
      operationId: z.string().min(1),
      workflow: z.string(),
      pollSeconds: z.number(),
      maxPolls: z.number(),
      poll: z.object({ attempts: z.number().optional() }).passthrough().optional(),
      error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
    })
    .passthrough(),
  target: z.enum(['Running', 'Deleted']).optional(),
}) satisfies z.ZodType<{ step: HostClusterStep }>;

export type StepEvent = z.infer<typeof stepEventSchema>;

async function load(store: Store, args: WorkflowInput): Promise<HostClusterItem> {
  const cluster = await getItem(store, keys.cluster(args.tenantId, args.projectId, args.clusterId), hostClusterItem);
  if (!cluster) throw new PermanentProviderError(`cluster ${args.clusterId} no longer exists`);
  return cluster;
}

async function providerOf(store: Store, cluster: HostClusterItem) {
  const account = cluster.cloudAccountId
    ? await getCloudAccount(store, cluster.tenantId, cluster.projectId, cluster.cloudAccountId).catch(() => undefined)
    : undefined;
  return providerFor(cluster, account);
}

/** Saves a cluster after a step, guarded by the version it was read at. */
async function save(store: Store, before: HostClusterItem, after: Omit<HostClusterItem, 'version' | 'updatedAt'>) {
  await store.doc.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { ...keys.cluster(before.tenantId, before.projectId, before.id), ...after, updatedAt: nowIso(), version: before.version + 1 },
      ...versionIs(before.version),
    }),
  );
}

/** Step Functions' Cause is the Lambda error JSON on AWS and the bare message locally. */
export function readableCause(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'the workflow failed';
  const cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) return parsed.errorMessage;
  } catch {
    // not JSON
  }
  return cause || error.Error || 'the workflow failed';
}

export async function runHostClusterStep(store: Store, event: StepEvent): Promise<Record<string, unknown>> {
  const { args } = event;
  logger.appendKeys({ clusterId: args.clusterId, operationId: args.operationId, step: event.step });
  const cluster = await load(store, args);
  if (cluster.operationId !== args.operationId) {
    throw new PermanentProviderError(`operation ${args.operationId} was superseded by ${cluster.operationId}`);
  }
  const provider = await providerOf(store, cluster);
  const ref = clusterRef(cluster);
  const pending = cluster.pending;

  switch (event.step) {
    case 'provision':
      if (cluster.staleProviderName) {
        // Best effort: the failed attempt's resources must not linger at the provider.
        await provider.delete({ ...ref, providerName: cluster.staleProviderName }).catch((error: unknown) =>
          logger.warn('could not remove the failed attempt', { providerName: cluster.staleProviderName, error: error as Error }),
        );
      }
      await provider.create({
        ...ref,
        kubernetesVersion: cluster.kubernetesVersion ?? '1.31',
        nodePools: cluster.nodePools,
        tags: { 'palette:cluster': cluster.id, 'palette:tenant': cluster.tenantId, 'palette:project': cluster.projectId },
      });
      return { ok: true };

    case 'scale':
      if (pending?.kind !== 'scale') throw new PermanentProviderError('no scale is pending');
      await provider.scaleNodePool(ref, pending.pool);
      return { ok: true };

    case 'upgrade':
      if (pending?.kind !== 'upgrade') throw new PermanentProviderError('no upgrade is pending');
      if (pending.kubernetesVersion !== cluster.kubernetesVersion) await provider.upgrade(ref, pending.kubernetesVersion);
      return { ok: true };

    case 'delete':
      await provider.delete(ref);
      return { ok: true };

    case 'validateImport': {
      const status = await provider.describe(ref);
      await save(store, cluster, { ...cluster, kubernetesVersion: status.kubernetesVersion ?? null, endpoint: status.endpoint });
      return { ok: true };
    }

    case 'describe': {
      const attempts = (args.poll?.attempts ?? 0) + 1;
      if (cluster.provider === 'imported' && event.target === 'Deleted') return { phase: 'Deleted', attempts };
      const status = await provider.describe(ref);
      // EKS deletes node groups before the control plane: keep asking until it is gone.
      if (event.target === 'Deleted' && status.phase !== 'Deleted' && status.phase !== 'Deleting') await provider.delete(ref);
      if (status.phase !== 'Failed' && status.message && status.message !== cluster.status.message) {
        await save(store, cluster, { ...cluster, status: { ...cluster.status, message: status.message } }).catch(() => undefined);
      }
      return { phase: status.phase, attempts, ...(status.message ? { message: status.message } : { message: `the provider reports ${status.phase}` }), endpoint: status.endpoint ?? null };
    }

    case 'applyAddons': {
      const profileId = pending?.kind === 'upgrade' ? pending.profileId : cluster.profileId;
      if (!profileId) return { applied: 0 };
      const profile = await getClusterProfile(store, cluster.tenantId, cluster.projectId, profileId).catch(() => undefined);
      if (!profile) throw new PermanentProviderError(`cluster profile ${profileId} no longer exists`);
      const variables = pending?.kind === 'upgrade' ? pending.variables : cluster.variables;
      const objects = profile.layers
        .filter((layer) => layer.type === 'addon')
        .flatMap((layer) =>
          (layer.manifests ?? []).flatMap((manifest) =>
            parseManifests(renderTemplate(manifest.content, variables), `layer ${layer.name}, manifest ${manifest.name}`),
          ),
        );
      if (objects.length) await applyObjects(await provider.kubeConfig(ref), objects);
      return { applied: objects.length };
    }

    case 'finish': {
      if (pending?.kind === 'delete') {
        await transact(store, [
          {
            Delete: {
              Key: keys.cluster(cluster.tenantId, cluster.projectId, cluster.id),
              ...versionIs(cluster.version),
            },
          },
          { Delete: { Key: keys.clusterName(cluster.tenantId, cluster.projectId, cluster.name) } },
        ]);
      } else {
        const status = await provider.describe(ref).catch(() => undefined);
        let next: HostClusterItem = { ...cluster, status: { phase: 'Running' }, pending: undefined, endpoint: status?.endpoint ?? cluster.endpoint };
        if (pending?.kind === 'scale') {
          next = { ...next, nodePools: cluster.nodePools.map((p) => (p.name === pending.pool.name ? pending.pool : p)) };
        } else if (pending?.kind === 'upgrade') {
          next = { ...next, profileId: pending.profileId, kubernetesVersion: pending.kubernetesVersion, variables: pending.variables };
        } else if (status?.kubernetesVersion) {
          next = { ...next, kubernetesVersion: status.kubernetesVersion };
        }
        await save(store, cluster, next);
      }
      await finishOperation(store, cluster.tenantId, args.operationId, { status: 'Succeeded' });
      return { ok: true };
    }

    case 'markError': {
      const message = readableCause(args.error);
      logger.warn('host cluster workflow failed', { reason: message });
      await markClusterError(store, cluster.tenantId, cluster.projectId, cluster.id, message);
      await finishOperation(store, cluster.tenantId, args.operationId, {
        status: 'Failed',
        error: { code: args.error?.Error ?? 'WorkflowFailed', message },
      });
      return { ok: true };
    }
  }
}

