/**
 * Admission in the Kubernetes API emulator: what kube-apiserver's LimitRanger and
 * ResourceQuota plugins do to a write, and the RBAC storage's escalation check, for
 * every user (quota applies to `system:masters` too) and for the pods and claims the
 * simulated controllers create.
 *
 * - LimitRanger (pods on create, claims on create and update): `type: Container`
 *   `default`/`defaultRequest` fill in the limits and requests a container lacks
 *   (recorded in the `kubernetes.io/limit-ranger` annotation); `min`, `max` and
 *   `maxLimitRequestRatio` of Container, Pod and PersistentVolumeClaim items are
 *   enforced with the plugin's messages.
 * - ResourceQuota: the object's usage added to the namespace's must stay within every
 *   matching quota's `hard`, and a quota on cpu or memory needs every container to say
 *   what it requests or limits. The usage of a namespace is computed here for the
 *   quota controller's `status.used` as well, so both count alike.
 */
import type { UserInfo } from './auth.ts';
import type { ClusterState } from './cluster.ts';
import { errors } from './errors.ts';
import { isObject } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { addQuantities, formatQuantity, toQuantity, ZERO_QUANTITY } from './quantity.ts';
import type { Quantity } from './quantity.ts';
import { aggregate, checkEscalation } from './rbac.ts';
import { builtinOfKind } from './resources.ts';
import type { ResourceType } from './resources.ts';
import { limitRangeItemDefaults } from './validation.ts';

const POD = builtinOfKind('Pod');
const PVC = builtinOfKind('PersistentVolumeClaim');
const SERVICE = builtinOfKind('Service');
const QUOTA = builtinOfKind('ResourceQuota');
const LIMIT_RANGE = builtinOfKind('LimitRange');
const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';
const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

export type Operation = 'create' | 'update';

export interface AdmissionRequest {
  operation: Operation;
  type: ResourceType;
  object: KubeObject;
  previous?: KubeObject;
  /** Who asks; controllers' own writes have none (and are not subject to RBAC). */
  user?: UserInfo;
}

type ResourceList = Map<string, Quantity>;

function resourceList(value: unknown): ResourceList {
  const list: ResourceList = new Map();
  if (!isObject(value)) return list;
  for (const [key, raw] of Object.entries(value)) {
    const quantity = toQuantity(raw);
    if (quantity) list.set(key, quantity);
  }
  return list;
}

function add(into: ResourceList, other: ResourceList): ResourceList {
  for (const [key, quantity] of other) into.set(key, addQuantities(into.get(key) ?? ZERO_QUANTITY, quantity));
  return into;
}

function maxOf(into: ResourceList, other: ResourceList): void {
  for (const [key, quantity] of other) {
    const current = into.get(key);
    if (!current || quantity.milli > current.milli) into.set(key, quantity);
  }
}

const pretty = (list: ResourceList): string =>
  [...list.keys()]
    .sort()
    .map((key) => `${key}=${formatQuantity(list.get(key) ?? ZERO_QUANTITY)}`)
    .join(',');

const specOf = (object: KubeObject | undefined): JsonObject => (object && isObject(object.spec) ? object.spec : {});
const containersOf = (pod: KubeObject, field: 'containers' | 'initContainers'): JsonObject[] =>
  Array.isArray(specOf(pod)[field]) ? (specOf(pod)[field] as unknown[]).filter(isObject) : [];
const resourcesOf = (container: JsonObject, kind: 'requests' | 'limits'): ResourceList =>
  resourceList(isObject(container.resources) ? container.resources[kind] : undefined);
const nameOf = (object: KubeObject): string => object.metadata.name || object.metadata.generateName || 'Unknown';

// ---------------------------------------------------------------------------
// Usage, as pkg/quota/v1/evaluator/core counts it
// ---------------------------------------------------------------------------

/** resourcehelper.PodRequests / PodLimits: containers plus sidecars, or the largest init container if more. */
function podResources(pod: KubeObject, kind: 'requests' | 'limits'): ResourceList {
  const total: ResourceList = new Map();
  for (const container of containersOf(pod, 'containers')) add(total, resourcesOf(container, kind));
  const sidecars: ResourceList = new Map();
  const initPeak: ResourceList = new Map();
  for (const container of containersOf(pod, 'initContainers')) {
    let own = resourcesOf(container, kind);
    if (container.restartPolicy === 'Always') {
      add(total, own);
      add(sidecars, own);
      own = new Map(sidecars);
    } else own = add(add(new Map(), own), sidecars);
    maxOf(initPeak, own);
  }
  maxOf(total, initPeak);
  const overhead = resourceList(specOf(pod).overhead);
  for (const [key, quantity] of overhead) if (total.has(key)) total.set(key, addQuantities(total.get(key) ?? ZERO_QUANTITY, quantity));
  return total;
}

/** A resource name outside Kubernetes' own namespace (`nvidia.com/gpu`): quota counts those by request only. */
const isExtendedResource = (name: string): boolean => name.includes('/') && !name.includes('kubernetes.io/') && !name.startsWith('requests.');

/** podComputeUsageHelper */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const usage: ResourceList = new Map([['pods', { milli: 1000n, format: 'DecimalSI' }]]);
  for (const resource of ['cpu', 'memory', 'ephemeral-storage']) {
    const request = requests.get(resource);
    if (request) {
      usage.set(resource, request);
      usage.set(`requests.${resource}`, request);
    }
    const limit = limits.get(resource);
    if (limit) usage.set(`limits.${resource}`, limit);
  }
  for (const [resource, request] of requests) {
    if (resource.startsWith('hugepages-')) {
      usage.set(resource, request);
      usage.set(`requests.${resource}`, request);
    }
    if (isExtendedResource(resource)) usage.set(`requests.${resource}`, request);
  }
  return usage;
}

/** Whether a pod still holds its resources: not Succeeded or Failed, and not past its deletion grace period. */
function podCounts(pod: KubeObject): boolean {
  const phase = isObject(pod.status) ? pod.status.phase : undefined;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deletion = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (deletion && typeof grace === 'number' && Date.now() >= Date.parse(deletion) + grace * 1000) return false;
  return true;
}

function podUsage(pod: KubeObject): ResourceList {
  const usage: ResourceList = new Map([['count/pods', { milli: 1000n, format: 'DecimalSI' }]]);
  if (!podCounts(pod)) return usage;
  return add(usage, computeUsage(podResources(pod, 'requests'), podResources(pod, 'limits')));
}

function claimUsage(claim: KubeObject): ResourceList {
  const one: Quantity = { milli: 1000n, format: 'DecimalSI' };
  const usage: ResourceList = new Map([
    ['persistentvolumeclaims', one],
    ['count/persistentvolumeclaims', one],
  ]);
  const spec = specOf(claim);
  const storageClass = typeof spec.storageClassName === 'string' && spec.storageClassName ? spec.storageClassName : claim.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (storageClass) usage.set(`${storageClass}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, one);
  const requested = resourceList(isObject(spec.resources) ? spec.resources.requests : undefined).get('storage');
  const allocated = resourceList(isObject(claim.status) ? claim.status.allocatedResources : undefined).get('storage');
  const storage = allocated && requested && allocated.milli > requested.milli ? allocated : requested ?? allocated;
  if (storage) {
    usage.set('requests.storage', storage);
    if (storageClass) usage.set(`${storageClass}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
  }
  return usage;
}

function serviceUsage(service: KubeObject): ResourceList {
  const one: Quantity = { milli: 1000n, format: 'DecimalSI' };
  const usage: ResourceList = new Map([
    ['services', one],
    ['count/services', one],
  ]);
  const spec = specOf(service);
  const ports = Array.isArray(spec.ports) ? spec.ports.filter(isObject) : [];
  if (spec.type === 'LoadBalancer') usage.set('services.loadbalancers', one);
  if (spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false)) {
    usage.set('services.nodeports', { milli: BigInt(ports.length) * 1000n, format: 'DecimalSI' });
  }
  return usage;
}

/** The names a quota counts objects of a resource under: `count/<resource>[.<group>]`, and the old short names. */
const LEGACY_COUNTS = new Set(['configmaps', 'replicationcontrollers', 'resourcequotas', 'secrets']);
const countName = (type: ResourceType): string => (type.group ? `count/${type.plural}.${type.group}` : `count/${type.plural}`);

interface Evaluator {
  /** The quota resources this kind is counted under. */
  matches(resource: string): boolean;
  usage(object: KubeObject): ResourceList;
  /** Whether an admission of `operation` is charged (pods only on create; claims and services on update too). */
  handles(operation: Operation): boolean;
}

const POD_RESOURCES = new Set(['pods', 'count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage']);

function evaluatorFor(type: ResourceType): Evaluator {
  if (type.kind === 'Pod' && type.group === '') {
    return {
      matches: (r) => POD_RESOURCES.has(r) || r.startsWith('hugepages-') || r.startsWith('requests.hugepages-') || (r.startsWith('requests.') && isExtendedResource(r.slice('requests.'.length))),
      usage: podUsage,
      handles: (operation) => operation === 'create',
    };
  }
  if (type.kind === 'PersistentVolumeClaim' && type.group === '') {
    return {
      matches: (r) => ['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'].includes(r) || (r.includes(STORAGE_CLASS_SUFFIX) && /\/(requests\.storage|persistentvolumeclaims)$/.test(r)),
      usage: claimUsage,
      handles: () => true,
    };
  }
  if (type.kind === 'Service' && type.group === '') {
    return { matches: (r) => ['services', 'count/services', 'services.loadbalancers', 'services.nodeports'].includes(r), usage: serviceUsage, handles: () => true };
  }
  const count = countName(type);
  const legacy = type.group === '' && LEGACY_COUNTS.has(type.plural) ? type.plural : undefined;
  const one: Quantity = { milli: 1000n, format: 'DecimalSI' };
  return {
    matches: (r) => r === count || r === legacy,
    usage: () => new Map([[count, one], ...(legacy ? ([[legacy, one]] as Array<[string, Quantity]>) : [])]),
    handles: (operation) => operation === 'create',
  };
}

// ---------------------------------------------------------------------------
// Quota scopes
// ---------------------------------------------------------------------------

interface ScopeSelector {
  scopeName: string;
  operator: string;
  values: string[];
}

function scopesOf(quota: KubeObject): ScopeSelector[] {
  const spec = specOf(quota);
  const scopes: ScopeSelector[] = (Array.isArray(spec.scopes) ? spec.scopes : []).map((scope) => ({ scopeName: String(scope), operator: 'Exists', values: [] }));
  const selector = isObject(spec.scopeSelector) && Array.isArray(spec.scopeSelector.matchExpressions) ? spec.scopeSelector.matchExpressions.filter(isObject) : [];
  for (const expression of selector) {
    scopes.push({ scopeName: String(expression.scopeName ?? ''), operator: String(expression.operator ?? ''), values: Array.isArray(expression.values) ? expression.values.map(String) : [] });
  }
  return scopes;
}

function isBestEffort(pod: KubeObject): boolean {
  return [...containersOf(pod, 'containers'), ...containersOf(pod, 'initContainers')].every((container) =>
    (['requests', 'limits'] as const).every((kind) => !resourcesOf(container, kind).has('cpu') && !resourcesOf(container, kind).has('memory')),
  );
}

function usesCrossNamespaceAffinity(pod: KubeObject): boolean {
  const affinity = isObject(specOf(pod).affinity) ? (specOf(pod).affinity as JsonObject) : {};
  const terms = (['podAffinity', 'podAntiAffinity'] as const).flatMap((kind) => {
    const rules = isObject(affinity[kind]) ? (affinity[kind] as JsonObject) : {};
    const required = Array.isArray(rules.requiredDuringSchedulingIgnoredDuringExecution) ? rules.requiredDuringSchedulingIgnoredDuringExecution.filter(isObject) : [];
    const preferred = Array.isArray(rules.preferredDuringSchedulingIgnoredDuringExecution)
      ? rules.preferredDuringSchedulingIgnoredDuringExecution.filter(isObject).map((p) => (isObject(p.podAffinityTerm) ? p.podAffinityTerm : {}))
      : [];
    return [...required, ...preferred];
  });
  return terms.some((term) => (Array.isArray(term.namespaces) && term.namespaces.length > 0) || term.namespaceSelector !== undefined);
}

/** Whether a pod is in one scope of a quota (podMatchesScopeFunc). */
function podInScope(pod: KubeObject, scope: ScopeSelector): boolean {
  const spec = specOf(pod);
  const terminating = typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
  let matches: boolean;
  switch (scope.scopeName) {
    case 'Terminating':
      matches = terminating;
      break;
    case 'NotTerminating':
      matches = !terminating;
      break;
    case 'BestEffort':
      matches = isBestEffort(pod);
      break;
    case 'NotBestEffort':
      matches = !isBestEffort(pod);
      break;
    case 'CrossNamespacePodAffinity':
      matches = usesCrossNamespaceAffinity(pod);
      break;
    case 'PriorityClass': {
      const priorityClass = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
      if (scope.operator === 'Exists') return priorityClass !== '';
      if (scope.operator === 'In') return scope.values.includes(priorityClass);
      if (scope.operator === 'NotIn') return !scope.values.includes(priorityClass);
      return false;
    }
    default:
      return false;
  }
  return scope.operator === 'DoesNotExist' ? !matches : matches;
}

/** Whether `object` falls under `quota`'s scopes; scoped quotas count pods only. */
function inScopes(quota: KubeObject, type: ResourceType, object: KubeObject): boolean {
  const scopes = scopesOf(quota);
  if (scopes.length === 0) return true;
  return type.kind === 'Pod' && scopes.every((scope) => podInScope(object, scope));
}

const hardOf = (quota: KubeObject): ResourceList => resourceList(specOf(quota).hard);

/** The stored kind whose objects a quota resource counts, if the cluster serves one. */
function typeCountedBy(cluster: ClusterState, resource: string): ResourceType | undefined {
  for (const type of [POD, PVC, SERVICE]) if (evaluatorFor(type).matches(resource)) return type;
  if (LEGACY_COUNTS.has(resource)) return cluster.types.storedTypes().find((t) => t.group === '' && t.plural === resource);
  if (!resource.startsWith('count/')) return undefined;
  const [plural = '', ...group] = resource.slice('count/'.length).split('.');
  return cluster.types.storedTypes().find((t) => t.plural === plural && t.group === group.join('.'));
}

/** What a namespace uses of each resource `quota` constrains (its `status.used`). */
export function quotaUsage(cluster: ClusterState, quota: KubeObject): ResourceList {
  const namespace = quota.metadata.namespace ?? '';
  const byType = new Map<ResourceType, string[]>();
  for (const resource of hardOf(quota).keys()) {
    const type = typeCountedBy(cluster, resource);
    if (type) byType.set(type, [...(byType.get(type) ?? []), resource]);
  }
  const used: ResourceList = new Map();
  for (const [type, resources] of byType) {
    for (const resource of resources) used.set(resource, ZERO_QUANTITY);
    const evaluator = evaluatorFor(type);
    for (const object of cluster.scan(type, namespace)) {
      if (!inScopes(quota, type, object)) continue;
      for (const [key, quantity] of evaluator.usage(object)) if (resources.includes(key)) used.set(key, addQuantities(used.get(key) ?? ZERO_QUANTITY, quantity));
    }
  }
  return used;
}

/** `status.used` as strings, in the order of `hard`. */
export function quotaUsedStatus(cluster: ClusterState, quota: KubeObject): Record<string, string> {
  const used = quotaUsage(cluster, quota);
  const out: Record<string, string> = {};
  for (const key of Object.keys(isObject(specOf(quota).hard) ? (specOf(quota).hard as JsonObject) : {})) {
    const quantity = used.get(key);
    if (quantity) out[key] = formatQuantity(quantity);
  }
  return out;
}

// ---------------------------------------------------------------------------
// ResourceQuota admission (plugin/pkg/admission/resourcequota)
// ---------------------------------------------------------------------------

/** What a quota on cpu or memory needs every container to state (podEvaluator.Constraints). */
const CONSTRAINED = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

function missingConstraints(pod: KubeObject, restricted: string[]): string | undefined {
  const required = restricted.filter((r) => CONSTRAINED.has(r));
  if (required.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const container of [...containersOf(pod, 'containers'), ...containersOf(pod, 'initContainers')]) {
    const stated = computeUsage(resourcesOf(container, 'requests'), resourcesOf(container, 'limits'));
    for (const resource of required) {
      if (stated.has(resource)) continue;
      const names = missing.get(resource) ?? new Set<string>();
      names.add(String(container.name ?? ''));
      missing.set(resource, names);
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((resource) => `${resource} for: ${[...(missing.get(resource) ?? [])].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

function checkQuota(cluster: ClusterState, request: AdmissionRequest): void {
  const { type, object, previous, operation } = request;
  const namespace = object.metadata.namespace;
  if (!type.namespaced || !namespace) return;
  const evaluator = evaluatorFor(type);
  if (!evaluator.handles(operation)) return;
  const quotas = [...cluster.scan(QUOTA, namespace)].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
  const refuse = (message: string): never => {
    throw errors.forbiddenResource(type.group, type.plural, nameOf(object), message);
  };
  const interesting: KubeObject[] = [];
  for (const quota of quotas) {
    const restricted = [...hardOf(quota).keys()].filter((r) => evaluator.matches(r));
    if (restricted.length === 0 || !inScopes(quota, type, object)) continue;
    const missing = type.kind === 'Pod' ? missingConstraints(object, restricted) : undefined;
    if (missing) refuse(`failed quota: ${quota.metadata.name ?? ''}: ${missing}`);
    interesting.push(quota);
  }
  if (interesting.length === 0) return;
  const delta = evaluator.usage(object);
  if (operation === 'update' && previous) {
    for (const [key, before] of evaluator.usage(previous)) {
      const after = delta.get(key);
      if (after) delta.set(key, { milli: after.milli > before.milli ? after.milli - before.milli : 0n, format: after.format });
    }
  }
  for (const [key, quantity] of delta) if (quantity.milli === 0n) delta.delete(key);
  if (delta.size === 0) return;
  for (const quota of interesting) {
    const hard = hardOf(quota);
    const used = quotaUsage(cluster, quota);
    const requested: ResourceList = new Map([...delta].filter(([key]) => hard.has(key)));
    const exceeded = [...requested.keys()].filter((key) => addQuantities(used.get(key) ?? ZERO_QUANTITY, requested.get(key) ?? ZERO_QUANTITY).milli > (hard.get(key)?.milli ?? 0n));
    if (exceeded.length === 0) continue;
    const only = (list: ResourceList): ResourceList => new Map([...list].filter(([key]) => exceeded.includes(key)));
    refuse(`exceeded quota: ${quota.metadata.name ?? ''}, requested: ${pretty(only(requested))}, used: ${pretty(only(used))}, limited: ${pretty(only(hard))}`);
  }
}

// ---------------------------------------------------------------------------
// LimitRanger (plugin/pkg/admission/limitranger)
// ---------------------------------------------------------------------------

interface LimitItem {
  type: string;
  min: ResourceList;
  max: ResourceList;
  default: ResourceList;
  defaultRequest: ResourceList;
  maxLimitRequestRatio: ResourceList;
}

function limitRanges(cluster: ClusterState, namespace: string): LimitItem[][] {
  return [...cluster.scan(LIMIT_RANGE, namespace)]
    .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
    .map((range) =>
      (Array.isArray(specOf(range).limits) ? (specOf(range).limits as unknown[]).filter(isObject) : []).map((raw) => {
        const item = limitRangeItemDefaults(raw);
        return {
          type: String(item.type ?? ''),
          min: resourceList(item.min),
          max: resourceList(item.max),
          default: resourceList(item.default),
          defaultRequest: resourceList(item.defaultRequest),
          maxLimitRequestRatio: resourceList(item.maxLimitRequestRatio),
        };
      }),
    );
}

const text = (quantity: Quantity | undefined): string => formatQuantity(quantity ?? ZERO_QUANTITY);

function minConstraint(limitType: string, resource: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const request = requests.get(resource);
  const limit = limits.get(resource);
  if (!request) return `minimum ${resource} usage per ${limitType} is ${text(enforced)}.  No request is specified`;
  if (request.milli < enforced.milli) return `minimum ${resource} usage per ${limitType} is ${text(enforced)}, but request is ${text(request)}`;
  if (limit && limit.milli < enforced.milli) return `minimum ${resource} usage per ${limitType} is ${text(enforced)}, but limit is ${text(limit)}`;
  return undefined;
}

function maxConstraint(limitType: string, resource: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const request = requests.get(resource);
  const limit = limits.get(resource);
  if (!limit) return `maximum ${resource} usage per ${limitType} is ${text(enforced)}.  No limit is specified`;
  if (limit.milli > enforced.milli) return `maximum ${resource} usage per ${limitType} is ${text(enforced)}, but limit is ${text(limit)}`;
  if (request && request.milli > enforced.milli) return `maximum ${resource} usage per ${limitType} is ${text(enforced)}, but request is ${text(request)}`;
  return undefined;
}

function ratioConstraint(limitType: string, resource: string, enforced: Quantity, requests: ResourceList, limits: ResourceList): string | undefined {
  const request = requests.get(resource);
  const limit = limits.get(resource);
  if (!request || request.milli === 0n) return `${resource} max limit to request ratio per ${limitType} is ${text(enforced)}, but no request is specified or request is 0`;
  if (!limit || limit.milli === 0n) return `${resource} max limit to request ratio per ${limitType} is ${text(enforced)}, but no limit is specified or limit is 0`;
  const ratio = Number(limit.milli) / Number(request.milli);
  if (ratio * 1000 > Number(enforced.milli)) return `${resource} max limit to request ratio per ${limitType} is ${text(enforced)}, but provided ratio is ${ratio.toFixed(6)}`;
  return undefined;
}

const sorted = (list: ResourceList): Array<[string, Quantity]> => [...list].sort(([a], [b]) => a.localeCompare(b));

function checkItem(item: LimitItem, requests: ResourceList, limits: ResourceList, problems: string[]): void {
  for (const [resource, enforced] of sorted(item.min)) {
    const problem = minConstraint(item.type, resource, enforced, requests, limits);
    if (problem) problems.push(problem);
  }
  for (const [resource, enforced] of sorted(item.max)) {
    const problem = maxConstraint(item.type, resource, enforced, requests, limits);
    if (problem) problems.push(problem);
  }
  for (const [resource, enforced] of sorted(item.maxLimitRequestRatio)) {
    const problem = ratioConstraint(item.type, resource, enforced, requests, limits);
    if (problem) problems.push(problem);
  }
}

/** A claim's `max` bounds what it requests (maxRequestConstraint); it has no limits. */
function checkClaimItem(item: LimitItem, requests: ResourceList, problems: string[]): void {
  for (const [resource, enforced] of sorted(item.min)) {
    const problem = minConstraint(item.type, resource, enforced, requests, new Map());
    if (problem) problems.push(problem);
  }
  for (const [resource, enforced] of sorted(item.max)) {
    const request = requests.get(resource);
    if (!request) problems.push(`maximum ${resource} usage per ${item.type} is ${text(enforced)}.  No request is specified`);
    else if (request.milli > enforced.milli) problems.push(`maximum ${resource} usage per ${item.type} is ${text(enforced)}, but request is ${text(request)}`);
  }
}

/** LimitRanger's Admit: container defaults from each LimitRange, in the order the lister gives them. */
function defaultPodResources(cluster: ClusterState, pod: KubeObject): void {
  for (const items of limitRanges(cluster, pod.metadata.namespace ?? '')) {
    const requests: ResourceList = new Map();
    const limits: ResourceList = new Map();
    for (const item of items.filter((i) => i.type === 'Container')) {
      for (const [key, value] of item.defaultRequest) requests.set(key, value);
      for (const [key, value] of item.default) limits.set(key, value);
    }
    if (requests.size === 0 && limits.size === 0) continue;
    const notes: string[] = [];
    for (const [field, label] of [['containers', 'container'], ['initContainers', 'init container']] as const) {
      for (const container of containersOf(pod, field)) {
        const resources = isObject(container.resources) ? container.resources : {};
        container.resources = resources;
        const fill = (kind: 'requests' | 'limits', defaults: ResourceList): string[] => {
          const current = isObject(resources[kind]) ? (resources[kind] as JsonObject) : {};
          const set = [...defaults.keys()].filter((key) => current[key] === undefined);
          for (const key of set) current[key] = formatQuantity(defaults.get(key) ?? ZERO_QUANTITY);
          if (Object.keys(current).length > 0) resources[kind] = current;
          return set.sort();
        };
        const setLimits = fill('limits', limits);
        const setRequests = fill('requests', requests);
        if (setRequests.length > 0) notes.push(`${setRequests.join(', ')} request for ${label} ${String(container.name ?? '')}`);
        if (setLimits.length > 0) notes.push(`${setLimits.join(', ')} limit for ${label} ${String(container.name ?? '')}`);
      }
    }
    if (notes.length > 0) pod.metadata.annotations = { ...pod.metadata.annotations, [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
  }
}

/** LimitRanger's Validate for pods and claims: the first LimitRange with violations refuses. */
function checkLimitRanges(cluster: ClusterState, request: AdmissionRequest): void {
  const { type, object, operation } = request;
  const isPod = type.kind === 'Pod' && type.group === '';
  const isClaim = type.kind === 'PersistentVolumeClaim' && type.group === '';
  if (!(isPod && operation === 'create') && !isClaim) return;
  for (const items of limitRanges(cluster, object.metadata.namespace ?? '')) {
    const problems: string[] = [];
    for (const item of items) {
      if (isPod && item.type === 'Container') {
        for (const container of [...containersOf(object, 'containers'), ...containersOf(object, 'initContainers')]) {
          checkItem(item, resourcesOf(container, 'requests'), resourcesOf(container, 'limits'), problems);
        }
      } else if (isPod && item.type === 'Pod') {
        checkItem(item, podResources(object, 'requests'), podResources(object, 'limits'), problems);
      } else if (isClaim && item.type === 'PersistentVolumeClaim') {
        checkClaimItem(item, resourceList(isObject(specOf(object).resources) ? (specOf(object).resources as JsonObject).requests : undefined), problems);
      }
    }
    if (problems.length > 0) throw errors.forbiddenResource(type.group, type.plural, nameOf(object), aggregate(problems));
  }
}

// ---------------------------------------------------------------------------
// The chain
// ---------------------------------------------------------------------------

/** Mutating admission: LimitRanger's defaults on new pods. Changes `request.object` in place. */
export function admitMutating(cluster: ClusterState, request: AdmissionRequest): void {
  if (request.type.kind === 'Pod' && request.type.group === '' && request.operation === 'create') defaultPodResources(cluster, request.object);
}

/** Validating admission (and the RBAC storage's escalation check): throws the 403 a real server sends. */
export function admitValidating(cluster: ClusterState, request: AdmissionRequest): void {
  if (request.user) checkEscalation(cluster, request.user, request.type, request.object, request.previous);
  checkLimitRanges(cluster, request);
  checkQuota(cluster, request);
}
