/**
 * The resource types served by the Kubernetes API emulator, and the discovery documents
 * (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`) derived from them.
 */
import { createHash } from 'node:crypto';

export type NameRule = 'dns1123Subdomain' | 'dns1123Label' | 'dns1035Label' | 'pathSegment';

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
  /** `status` and `scale` subresources (plus `finalize` for namespaces). */
  subresources: string[];
  /** Whether `metadata.generation` is maintained (bumped on spec changes). */
  hasGeneration: boolean;
  nameRule: NameRule;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resource(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<Pick<ResourceType, 'shortNames' | 'categories' | 'subresources' | 'hasGeneration' | 'nameRule'>> = {},
): ResourceType {
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
    ...(extra.shortNames ? { shortNames: extra.shortNames } : {}),
    ...(extra.categories ? { categories: extra.categories } : {}),
  };
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  // core/v1
  resource('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  resource('', 'v1', 'LimitRange', 'limitranges', true, { shortNames: ['limits'] }),
  resource('', 'v1', 'Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    nameRule: 'dns1123Label',
  }),
  resource('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  resource('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, {
    shortNames: ['pvc'],
    subresources: ['status'],
  }),
  resource('', 'v1', 'Pod', 'pods', true, { shortNames: ['po'], categories: ['all'], subresources: ['status'] }),
  resource('', 'v1', 'ResourceQuota', 'resourcequotas', true, { shortNames: ['quota'], subresources: ['status'] }),
  resource('', 'v1', 'Secret', 'secrets', true),
  resource('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    nameRule: 'dns1035Label',
  }),
  resource('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  // apps/v1
  resource('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  resource('apps', 'v1', 'StatefulSet', 'statefulsets', true, {
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    hasGeneration: true,
  }),
  // networking.k8s.io/v1
  resource('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, {
    shortNames: ['ing'],
    subresources: ['status'],
    hasGeneration: true,
  }),
  resource('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, {
    shortNames: ['netpol'],
    hasGeneration: true,
  }),
  // rbac.authorization.k8s.io/v1
  resource('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false, { nameRule: 'pathSegment' }),
  resource('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, {
    nameRule: 'pathSegment',
  }),
  resource('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true, { nameRule: 'pathSegment' }),
  resource('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, { nameRule: 'pathSegment' }),
];

export function findResourceByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function findResourceByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.apiVersion === apiVersion && r.kind === kind);
}

export function resourceOfKind(kind: string): ResourceType {
  const found = RESOURCE_TYPES.find((r) => r.kind === kind);
  if (!found) throw new Error(`kube-emulator: unknown kind ${kind}`);
  return found;
}

export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCE_TYPES) if (r.group) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}

function storageVersionHash(r: ResourceType): string {
  return createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest('base64').slice(0, 11);
}

export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const types = RESOURCE_TYPES.filter((r) => r.group === group && r.version === version);
  if (types.length === 0) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const r of types) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: ALL_VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      storageVersionHash: storageVersionHash(r),
    });
    for (const sub of r.subresources) {
      if (sub === 'scale') {
        resources.push({
          name: `${r.plural}/scale`,
          singularName: '',
          namespaced: r.namespaced,
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
          verbs: ['get', 'patch', 'update'],
        });
      } else if (sub === 'finalize') {
        resources.push({ name: `${r.plural}/finalize`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['update'] });
      } else {
        resources.push({
          name: `${r.plural}/${sub}`,
          singularName: '',
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['get', 'patch', 'update'],
        });
      }
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function apiGroup(group: string): Record<string, unknown> | undefined {
  const versions = groupVersions().filter((gv) => gv.group === group);
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

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(groupVersions().map((gv) => gv.group))];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((g) => {
      const { kind: _kind, apiVersion: _apiVersion, ...rest } = apiGroup(g) ?? {};
      return rest;
    }),
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}
