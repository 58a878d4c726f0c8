/**
 * What a backup holds and how it goes back: every namespaced object of the kinds the
 * virtual cluster serves, in its user namespaces (all but `kube-*`; `default`
 * included), and those Namespaces themselves; no other cluster-scoped kind. Objects a
 * controller owns (a Deployment's ReplicaSets and Pods), Events, Endpoints and what
 * a cluster makes by itself (each namespace's `default` ServiceAccount and
 * `kube-root-ca.crt`, ServiceAccount token Secrets, the `default/kubernetes` Service)
 * are left out; what the API server assigns (uid, resourceVersion, creationTimestamp,
 * managedFields, status, a Service's cluster IP, a claim's bound volume) is stripped,
 * so each object applies to a new cluster as it was written. Secrets are kept: the store is encrypted. A snapshot is gzip'd JSON.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { applyObjects, kubeCall } from '../kube/apply.ts';
import type { KubeClient, KubeObject, ServedKind } from '../kube/kube-client.ts';
import { PermanentProviderError } from '../providers/provider.ts';

export const SNAPSHOT_FORMAT = 'palette.dev/backup/v1';

export interface Snapshot {
  format: typeof SNAPSHOT_FORMAT;
  virtualCluster: { id: string; name: string };
  takenAt: string;
  objects: KubeObject[];
}

/** Kinds that are state of the cluster rather than what anyone wrote: never backed up. */
const SKIPPED_KINDS = new Set([
  'v1/Event',
  'events.k8s.io/Event',
  'v1/Endpoints',
  'discovery.k8s.io/EndpointSlice',
  'coordination.k8s.io/Lease',
  'v1/Binding',
  'v1/ComponentStatus',
  'authorization.k8s.io/LocalSubjectAccessReview',
  'metrics.k8s.io/PodMetrics',
]);

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
const kindKey = (k: Pick<ServedKind, 'apiVersion' | 'kind'>) => `${groupOf(k.apiVersion) || 'v1'}/${k.kind}`;

export const isUserNamespace = (name: string) => !name.startsWith('kube-');

/** The kinds a backup lists: namespaced, listable and writable, not in SKIPPED_KINDS. */
export function backedUpKinds(served: ServedKind[]): ServedKind[] {
  const seen = new Set<string>();
  return served.filter((k) => {
    if (!k.namespaced || !k.verbs.includes('list') || !(k.verbs.includes('create') || k.verbs.includes('patch'))) return false;
    const key = kindKey(k);
    // One version per kind: the same objects served in two groups (Events) are listed once.
    if (SKIPPED_KINDS.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What every namespace has by itself, re-created by the new cluster. */
function isBuiltIn(object: KubeObject): boolean {
  const name = object.metadata?.name;
  if (object.kind === 'ServiceAccount' && name === 'default') return true;
  if (object.kind === 'ConfigMap' && name === 'kube-root-ca.crt') return true;
  // The API server's own Service in `default`.
  if (object.kind === 'Service' && name === 'kubernetes' && object.metadata?.namespace === 'default') return true;
  if (object.kind === 'Secret' && (object as { type?: string }).type === 'kubernetes.io/service-account-token') return true;
  return false;
}

const ownedByController = (object: KubeObject) =>
  ((object.metadata?.ownerReferences as Array<{ controller?: boolean }> | undefined) ?? []).some((ref) => ref.controller === true);

const ASSIGNED_METADATA = ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers'];
const ASSIGNED_ANNOTATIONS = [/^pv\.kubernetes\.io\//, /^volume\.(beta\.)?kubernetes\.io\//, /^deployment\.kubernetes\.io\/revision$/, /^control-plane\.alpha\.kubernetes\.io\//];

/** The object as its author wrote it: no status, nothing the API server or a controller assigned. */
export function cleaned(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = object as KubeObject & { status?: unknown };
  const metadata: Record<string, unknown> = { ...(object.metadata ?? {}) };
  for (const field of ASSIGNED_METADATA) delete metadata[field];
  const annotations = Object.fromEntries(Object.entries((metadata.annotations as Record<string, string> | undefined) ?? {}).filter(([k]) => !ASSIGNED_ANNOTATIONS.some((p) => p.test(k))));
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  const out: KubeObject = { ...rest, metadata: metadata as KubeObject['metadata'] };
  const spec = out.spec as Record<string, unknown> | undefined;
  if (spec && typeof spec === 'object') {
    const copy: Record<string, unknown> = { ...spec };
    if (object.kind === 'Service') {
      // The new cluster assigns its own addresses.
      delete copy.clusterIP;
      delete copy.clusterIPs;
      delete copy.healthCheckNodePort;
    }
    if (object.kind === 'PersistentVolumeClaim') delete copy.volumeName;
    if (object.kind === 'Pod') delete copy.nodeName;
    if (object.kind === 'Job' && copy.manualSelector !== true) {
      // The Job controller generated its selector and label: the new one generates them again.
      delete copy.selector;
      const template = copy.template as { metadata?: { labels?: Record<string, string> } } | undefined;
      if (template?.metadata?.labels) {
        const labels = Object.fromEntries(Object.entries(template.metadata.labels).filter(([k]) => !/(^|\/)controller-uid$|^job-name$|^batch\.kubernetes\.io\/job-name$/.test(k)));
        copy.template = { ...template, metadata: { ...template.metadata, labels } };
      }
    }
    out.spec = copy;
  }
  if (object.kind === 'Namespace') {
    // A namespace's spec holds only its finalizers, which the new cluster sets.
    delete out.spec;
  }
  return out;
}

const sortKey = (o: KubeObject) => `${kindKey({ apiVersion: o.apiVersion ?? '', kind: o.kind ?? '' })}/${o.metadata?.namespace}/${o.metadata?.name}`;

/** Every object a backup holds, in a stable order (namespaces first, then by kind, namespace and name). */
export async function collectObjects(client: KubeClient): Promise<KubeObject[]> {
  const served = await kubeCall('discovering the served kinds', () => client.serverResources());
  const namespaces = (await kubeCall('listing namespaces', () => client.list('v1', 'Namespace', undefined))).filter((ns) => isUserNamespace(ns.metadata?.name ?? ''));
  const inUserNamespaces = new Set(namespaces.map((ns) => ns.metadata!.name!));
  const kinds = backedUpKinds(served);
  const lists = await Promise.all(
    kinds.map(async (k) => {
      const items = await kubeCall(`listing ${k.kind} (${k.apiVersion})`, () => client.list(k.apiVersion, k.kind, undefined));
      // Lists leave out apiVersion and kind on their items.
      return items.map((item) => ({ ...item, apiVersion: k.apiVersion, kind: k.kind }));
    }),
  );
  const objects = lists
    .flat()
    .filter((o) => inUserNamespaces.has(o.metadata?.namespace ?? '') && !ownedByController(o) && !isBuiltIn(o))
    .map(cleaned)
    .sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  const nsObjects = namespaces.map((ns) => cleaned({ ...ns, apiVersion: 'v1', kind: 'Namespace' })).sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
  return [...nsObjects, ...objects];
}

export const encodeSnapshot = (snapshot: Snapshot): Uint8Array => gzipSync(Buffer.from(JSON.stringify(snapshot), 'utf8'));

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  let parsed: Partial<Snapshot>;
  try {
    parsed = JSON.parse(gunzipSync(bytes).toString('utf8')) as Partial<Snapshot>;
  } catch (error) {
    throw new PermanentProviderError(`the backup's snapshot cannot be read: ${(error as Error).message}`);
  }
  if (parsed.format !== SNAPSHOT_FORMAT || !Array.isArray(parsed.objects)) throw new PermanentProviderError(`the backup's snapshot is not a ${SNAPSHOT_FORMAT} snapshot`);
  return parsed as Snapshot;
}

/** Kinds others refer to, applied before the rest (a Deployment's ServiceAccount, ConfigMaps and Secrets). */
const FIRST = new Set(['ServiceAccount', 'Secret', 'ConfigMap', 'PersistentVolumeClaim', 'Role', 'RoleBinding', 'LimitRange', 'ResourceQuota', 'NetworkPolicy']);

export interface RestoreOutcome {
  applied: number;
  /** Objects of kinds the new cluster does not serve (a CRD it lacks), by kind. */
  skipped: Record<string, number>;
}

/**
 * Applies a snapshot's objects by server-side apply (field manager `palette`):
 * namespaces, then what others refer to, then the rest. Applying again changes
 * nothing, so a retried step is safe. Kinds the new cluster does not serve are counted,
 * not applied.
 */
export async function restoreObjects(client: KubeClient, objects: KubeObject[]): Promise<RestoreOutcome> {
  const served = new Set((await kubeCall('discovering the served kinds', () => client.serverResources())).map((k) => `${k.apiVersion}/${k.kind}`));
  const skipped: Record<string, number> = {};
  const applicable = objects.filter((o) => {
    if (served.has(`${o.apiVersion}/${o.kind}`)) return true;
    const key = `${o.apiVersion}/${o.kind}`;
    skipped[key] = (skipped[key] ?? 0) + 1;
    return false;
  });
  const namespaces = applicable.filter((o) => o.kind === 'Namespace');
  const first = applicable.filter((o) => FIRST.has(o.kind ?? ''));
  const rest = applicable.filter((o) => o.kind !== 'Namespace' && !FIRST.has(o.kind ?? ''));
  for (const stage of [namespaces, first, rest]) if (stage.length) await applyObjects(client, stage);
  return { applied: applicable.length, skipped };
}
