/**
 * Brings one cluster to what a workspace renders, and takes away what it no longer
 * does: the same call applies a new workspace, a changed one, repairs drift, and (with
 * nothing rendered) removes the workspace from a cluster. Idempotent, so a retried step
 * or a repeated job run is safe.
 */
import { kubeCall } from '../kube/apply.ts';
import type { KubeClient, KubeObject } from '../kube/kube-client.ts';
import { PermanentProviderError, TransientProviderError } from '../providers/provider.ts';
import { fieldManagerOf, MANAGED_BY, OWNER_LABEL, sharedLabel, SYSTEM_NAMESPACE, type RenderedWorkspace } from './render.ts';

const OWNED_KINDS = [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  { apiVersion: 'v1', kind: 'ResourceQuota' },
  { apiVersion: 'v1', kind: 'LimitRange' },
] as const;

export interface ReconcileResult {
  /** Objects created, changed or removed: 0 when the cluster already matched. */
  changed: number;
}

const keyOf = (o: KubeObject) => `${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name}`;
const versionOf = (o: KubeObject | undefined) => (o?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;

async function ensureNamespace(client: KubeClient, namespace: KubeObject, workspaceId: string): Promise<boolean> {
  const name = namespace.metadata!.name!;
  const existing = await kubeCall(`reading namespace ${name}`, () => client.get({ apiVersion: 'v1', kind: 'Namespace', name }));
  if (!existing) return kubeCall(`creating namespace ${name}`, () => client.create(namespace));
  const owner = existing.metadata?.labels?.[OWNER_LABEL];
  if (owner && owner !== workspaceId) throw new PermanentProviderError(`namespace ${name} belongs to workspace ${owner}`);
  if ((existing as { status?: { phase?: string } }).status?.phase === 'Terminating') throw new TransientProviderError(`namespace ${name} is still terminating`);
  return false;
}

/**
 * A workspace lets go of a ServiceAccount it no longer binds; the last workspace to let
 * go deletes it (its tokens die with it).
 */
async function releaseServiceAccount(client: KubeClient, account: KubeObject, workspaceId: string) {
  const ref = { apiVersion: 'v1', kind: 'ServiceAccount', name: account.metadata!.name!, namespace: SYSTEM_NAMESPACE };
  const others = Object.keys(account.metadata?.labels ?? {}).filter((label) => label.startsWith('ws.palette.dev/') && label !== sharedLabel(workspaceId));
  if (others.length === 0) {
    await kubeCall(`deleting ServiceAccount ${ref.name}`, () => client.delete(ref));
    return;
  }
  await kubeCall(`releasing ServiceAccount ${ref.name}`, () => client.mergePatch(ref, { metadata: { labels: { [sharedLabel(workspaceId)]: null } } }, fieldManagerOf(workspaceId)));
}

export async function reconcileWorkspace(client: KubeClient, workspaceId: string, rendered: RenderedWorkspace): Promise<ReconcileResult> {
  const manager = fieldManagerOf(workspaceId);
  const owner = `${OWNER_LABEL}=${workspaceId}`;
  let changed = 0;

  // What the workspace holds on the cluster now, by its labels (list items carry no kind: it is put back).
  const listed = (apiVersion: string, kind: string, namespace: string | undefined, selector: string) =>
    kubeCall(`listing the workspace's ${kind}s`, () => client.list(apiVersion, kind, namespace, selector)).then((items) => items.map((o) => ({ ...o, apiVersion, kind })));
  const [ownedNamespaces, accounts, ...ownedObjects] = await Promise.all([
    listed('v1', 'Namespace', undefined, owner),
    listed('v1', 'ServiceAccount', SYSTEM_NAMESPACE, sharedLabel(workspaceId)),
    ...OWNED_KINDS.map((k) => listed(k.apiVersion, k.kind, undefined, owner)),
  ]);
  const existing = new Map([...accounts, ...ownedObjects.flat()].map((o) => [keyOf(o), versionOf(o)]));

  if (rendered.serviceAccounts.length > 0) {
    const system = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE, labels: MANAGED_BY } };
    if (await kubeCall(`creating namespace ${SYSTEM_NAMESPACE}`, () => client.create(system))) changed += 1;
  }
  for (const namespace of rendered.namespaces) if (await ensureNamespace(client, namespace, workspaceId)) changed += 1;

  const applied = await Promise.all(
    [...rendered.serviceAccounts, ...rendered.objects].map((object) =>
      kubeCall(`applying ${object.kind} ${object.metadata?.namespace}/${object.metadata?.name}`, () => client.apply(object, manager)),
    ),
  );
  changed += applied.filter((object) => existing.get(keyOf(object)) !== versionOf(object)).length;

  // What it held and no longer renders goes; what it did not create is never touched.
  const wanted = new Set([...rendered.namespaces, ...rendered.serviceAccounts, ...rendered.objects].map(keyOf));
  for (const object of ownedObjects.flat().filter((o) => !wanted.has(keyOf(o)))) {
    const ref = { apiVersion: object.apiVersion!, kind: object.kind!, name: object.metadata!.name!, namespace: object.metadata!.namespace! };
    if (await kubeCall(`deleting ${ref.kind} ${ref.namespace}/${ref.name}`, () => client.delete(ref))) changed += 1;
  }
  for (const account of accounts.filter((o) => !wanted.has(keyOf(o)))) {
    await releaseServiceAccount(client, account, workspaceId);
    changed += 1;
  }
  for (const namespace of ownedNamespaces.filter((o) => !wanted.has(keyOf(o)))) {
    const terminating = (namespace as { status?: { phase?: string } }).status?.phase === 'Terminating';
    if (!terminating && (await kubeCall(`deleting namespace ${namespace.metadata!.name}`, () => client.delete({ apiVersion: 'v1', kind: 'Namespace', name: namespace.metadata!.name! })))) changed += 1;
  }
  return { changed };
}
