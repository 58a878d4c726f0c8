/**
 * The resource types served by the Kubernetes API emulator: the built-in kinds, the
 * kinds each cluster's CustomResourceDefinitions add, and the discovery documents
 * (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`) derived from them.
 */
import { createHash } from 'node:crypto';
import type { JsonObject, KubeObject } from './json.ts';

export type NameRule = 'dns1123Subdomain' | 'dns1123Label' | 'dns1035Label' | 'pathSegment';

/** A second representation of a stored kind, converted on the way in and out. */
export interface ResourceView {
  storage: ResourceType;
  toView(stored: KubeObject): KubeObject;
  fromView(view: KubeObject): KubeObject;
}

/** What a CustomResourceDefinition version contributes to its kinds. */
export interface CustomResourceInfo {
  crdName: string;
  /** `openAPIV3Schema` of this version. */
  schema: JsonObject | undefined;
  printerColumns: Array<{ name: string; type: string; format?: string; description?: string; priority?: number; jsonPath: string }>;
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  /** Whether objects are kept in this version. */
  storage: boolean;
  /** Compiled from `schema`. */
  check?: (value: unknown, path: string, walk: { problems: Array<{ field: string; message: string; reason: string }>; unknown: string[] }) => unknown;
}

export interface ResourceType {
  group: string;
  version: string;
  /** `v1` or `<group>/<version>` */
  apiVersion: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Subresources served under `<plural>/<name>/<subresource>`. */
  subresources: string[];
  /** Whether `metadata.generation` is maintained (bumped on spec changes). */
  hasGeneration: boolean;
  nameRule: NameRule;
  verbs: string[];
  /** Reviews and the like are answered, never stored. */
  stored: boolean;
  view?: ResourceView;
  custom?: CustomResourceInfo;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface ResourceExtras {
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  hasGeneration?: boolean;
  nameRule?: NameRule;
  verbs?: string[];
  stored?: boolean;
}

export function resourceType(group: string, version: string, kind: string, plural: string, namespaced: boolean, extra: ResourceExtras = {}): ResourceType {
  return {
    group,
    version,
    apiVersion: group ? `${group}/${version}` : version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    subresources: extra.subresources ?? [],
    hasGeneration: extra.hasGeneration ?? false,
    nameRule: extra.nameRule ?? 'dns1123Subdomain',
    verbs: extra.verbs ?? ALL_VERBS,
    stored: extra.stored ?? true,
    ...(extra.shortNames ? { shortNames: extra.shortNames } : {}),
    ...(extra.categories ? { categories: extra.categories } : {}),
  };
}

const review = (group: string, kind: string, plural: string, namespaced = false): ResourceType =>
  resourceType(group, 'v1', kind, plural, namespaced, { verbs: ['create'], stored: false });

const CORE_EVENT = resourceType('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] });

export const BUILTIN_TYPES: readonly ResourceType[] = [
  // core/v1
  resourceType('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  CORE_EVENT,
  resourceType('', 'v1', 'LimitRange', 'limitranges', true, { shortNames: ['limits'] }),
  resourceType('', 'v1', 'Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    nameRule: 'dns1123Label',
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  resourceType('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  resourceType('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { shortNames: ['pvc'], subresources: ['status'] }),
  resourceType('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'log', 'exec', 'attach', 'portforward'],
  }),
  resourceType('', 'v1', 'ResourceQuota', 'resourcequotas', true, { shortNames: ['quota'], subresources: ['status'] }),
  resourceType('', 'v1', 'Secret', 'secrets', true),
  resourceType('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    nameRule: 'dns1035Label',
  }),
  resourceType('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'], subresources: ['token'] }),
  // apps/v1
  resourceType('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true),
  resourceType('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  resourceType('apps', 'v1', 'ReplicaSet', 'replicasets', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  resourceType('apps', 'v1', 'StatefulSet', 'statefulsets', true, {
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  // networking.k8s.io/v1
  resourceType('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, { shortNames: ['ing'], subresources: ['status'], hasGeneration: true }),
  resourceType('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'], hasGeneration: true }),
  // rbac.authorization.k8s.io/v1
  resourceType('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, { nameRule: 'pathSegment' }),
  resourceType('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, { nameRule: 'pathSegment' }),
  resourceType('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, { nameRule: 'pathSegment' }),
  resourceType('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, { nameRule: 'pathSegment' }),
  // apiextensions.k8s.io/v1
  resourceType('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: ['status'],
    hasGeneration: true,
  }),
  // authentication.k8s.io/v1 and authorization.k8s.io/v1: answered, not stored
  review('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews'),
  review('authentication.k8s.io', 'TokenReview', 'tokenreviews'),
  review('authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
  review('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews'),
  review('authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews'),
  review('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews'),
  // events.k8s.io/v1: the same Events as core/v1, in their newer shape
  { ...resourceType('events.k8s.io', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }), view: eventsV1View(CORE_EVENT) },
];

export function builtinOfKind(kind: string, group?: string): ResourceType {
  const found = BUILTIN_TYPES.find((r) => r.kind === kind && !r.view && (group === undefined || r.group === group));
  if (!found) throw new Error(`kube-emulator: unknown kind ${kind}`);
  return found;
}

/** The key objects of a type are stored under: shared by all versions of a group's resource. */
export const storageKey = (type: ResourceType): string => `${type.group}/${type.plural}`;

/** Kubernetes version priority: GA before beta before alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] => {
    const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!match) return [-1, 0, 0];
    const stability = match[2] === undefined ? 3 : match[2] === 'beta' ? 2 : 1;
    return [stability, Number(match[1]), Number(match[3] ?? 0)];
  };
  const [sa, ma, na] = parse(a);
  const [sb, mb, nb] = parse(b);
  if (sa !== sb) return sb - sa;
  if (ma !== mb) return mb - ma;
  if (na !== nb) return nb - na;
  return a.localeCompare(b);
}

/**
 * The kinds one cluster serves: the built-ins plus those its established
 * CustomResourceDefinitions define.
 */
export class ResourceRegistry {
  private readonly custom = new Map<string, ResourceType[]>();
  private cache: ResourceType[] | undefined;

  all(): ResourceType[] {
    this.cache ??= [...BUILTIN_TYPES, ...[...this.custom.values()].flat()];
    return this.cache;
  }

  /** Kinds whose objects live in the store (one per storage key). */
  storedTypes(): ResourceType[] {
    const seen = new Set<string>();
    const out: ResourceType[] = [];
    for (const type of this.all()) {
      if (!type.stored || type.view) continue;
      const key = storageKey(type);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(type);
    }
    return out;
  }

  byPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((r) => r.group === group && r.version === version && r.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((r) => r.apiVersion === apiVersion && r.kind === kind);
  }

  /** The stored type an object of `apiVersion`/`kind` belongs to. */
  storedTypeOf(apiVersion: string, kind: string): ResourceType | undefined {
    const type = this.byKind(apiVersion, kind);
    return type?.view?.storage ?? type;
  }

  setCustom(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.custom.delete(crdName);
    else this.custom.set(crdName, types);
    this.cache = undefined;
  }

  customTypes(crdName: string): ResourceType[] {
    return this.custom.get(crdName) ?? [];
  }

  groupVersions(): Array<{ group: string; version: string }> {
    const seen = new Map<string, { group: string; version: string }>();
    for (const r of this.all()) if (r.group) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
    return [...seen.values()];
  }

  apiResourceList(group: string, version: string): JsonObject | undefined {
    const types = this.all().filter((r) => r.group === group && r.version === version);
    if (types.length === 0) return undefined;
    const resources: JsonObject[] = [];
    for (const r of types) {
      resources.push({
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        ...(r.categories ? { categories: r.categories } : {}),
        ...(r.stored ? { storageVersionHash: storageVersionHash(r) } : {}),
      });
      for (const sub of r.subresources) resources.push(subresourceDiscovery(r, sub));
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }

  apiGroup(group: string): JsonObject | undefined {
    const versions = this.groupVersions()
      .filter((gv) => gv.group === group)
      .sort((a, b) => compareVersions(a.version, b.version));
    const preferred = versions[0];
    if (!preferred) return undefined;
    return {
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: group,
      versions: versions.map((v) => ({ groupVersion: `${v.group}/${v.version}`, version: v.version })),
      preferredVersion: { groupVersion: `${preferred.group}/${preferred.version}`, version: preferred.version },
    };
  }

  apiGroupList(): JsonObject {
    const groups = [...new Set(this.groupVersions().map((gv) => gv.group))];
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((g) => {
        const { kind: _kind, apiVersion: _apiVersion, ...rest } = this.apiGroup(g) ?? {};
        return rest;
      }),
    };
  }
}

function subresourceDiscovery(r: ResourceType, sub: string): JsonObject {
  const base = { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced };
  switch (sub) {
    case 'scale':
      return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };
    case 'finalize':
      return { ...base, kind: r.kind, verbs: ['update'] };
    case 'log':
      return { ...base, kind: 'Pod', verbs: ['get'] };
    case 'exec':
    case 'attach':
      return { ...base, kind: sub === 'exec' ? 'PodExecOptions' : 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'portforward':
      return { ...base, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    case 'token':
      return { ...base, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] };
    default:
      return { ...base, kind: r.kind, verbs: ['get', 'patch', 'update'] };
  }
}

function storageVersionHash(r: ResourceType): string {
  const stored = r.view?.storage ?? r;
  return createHash('sha256').update(`${stored.group}/${stored.version}/${stored.kind}`).digest('base64').slice(0, 11);
}

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** events.k8s.io/v1 Events are core/v1 Events with renamed fields, as kube-apiserver converts them. */
function eventsV1View(storage: ResourceType): ResourceView {
  const rename: Array<[string, string]> = [
    ['involvedObject', 'regarding'],
    ['related', 'related'],
    ['message', 'note'],
    ['reportingComponent', 'reportingController'],
    ['reportingInstance', 'reportingInstance'],
    ['reason', 'reason'],
    ['type', 'type'],
    ['action', 'action'],
    ['eventTime', 'eventTime'],
  ];
  return {
    storage,
    toView(stored) {
      const out: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: stored.metadata };
      for (const [core, v1] of rename) if (stored[core] !== undefined) out[v1] = stored[core];
      const source = stored.source as JsonObject | undefined;
      if (source?.component !== undefined) out.deprecatedSource = source;
      if (stored.firstTimestamp !== undefined) out.deprecatedFirstTimestamp = stored.firstTimestamp;
      if (stored.lastTimestamp !== undefined) out.deprecatedLastTimestamp = stored.lastTimestamp;
      if (typeof stored.count === 'number') out.deprecatedCount = stored.count;
      if (stored.series !== undefined) out.series = stored.series;
      return out;
    },
    fromView(view) {
      const out: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: view.metadata };
      for (const [core, v1] of rename) if (view[v1] !== undefined) out[core] = view[v1];
      if (view.deprecatedSource !== undefined) out.source = view.deprecatedSource;
      if (view.deprecatedFirstTimestamp !== undefined) out.firstTimestamp = view.deprecatedFirstTimestamp;
      if (view.deprecatedLastTimestamp !== undefined) out.lastTimestamp = view.deprecatedLastTimestamp;
      if (view.deprecatedCount !== undefined) out.count = view.deprecatedCount;
      if (view.series !== undefined) out.series = view.series;
      return out;
    },
  };
}
