/**
 * The RBAC bootstrap policy every emulated cluster starts with: the ClusterRoles and
 * ClusterRoleBindings kube-apiserver creates (plugin/pkg/auth/authorizer/rbac/
 * bootstrappolicy, as its testdata/cluster-roles.yaml lists them), limited to the ones
 * users and clients meet: `cluster-admin`, the aggregated `admin`/`edit`/`view` and the
 * `system:aggregate-to-*` roles that feed them, and the roles that let every
 * authenticated user discover the API and ask what it may do.
 *
 * As kube-apiserver does on every start, the policy is reconciled into a cluster: a
 * missing role or binding is created, and one annotated
 * `rbac.authorization.kubernetes.io/autoupdate: "true"` gets back any rule, selector or
 * subject it lacks (extra ones are kept).
 */
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, RBAC_GROUP } from './rbac.ts';
import type { ClusterState } from './cluster.ts';
import { clone, deepEqual, isObject } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const rule = (verbs: string[], apiGroups: string[], resources: string[]): JsonObject => ({ apiGroups, resources, verbs });
const urls = (verbs: string[], nonResourceURLs: string[]): JsonObject => ({ nonResourceURLs, verbs });

const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const aggregateTo = (role: string): Record<string, string> => ({ [`rbac.authorization.k8s.io/aggregate-to-${role}`]: 'true' });

interface BootstrapRole {
  name: string;
  labels?: Record<string, string>;
  aggregates?: string;
  rules?: JsonObject[];
}

const CLUSTER_ROLES: BootstrapRole[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  { name: 'admin', aggregates: 'admin' },
  { name: 'edit', labels: aggregateTo('admin'), aggregates: 'edit' },
  { name: 'view', labels: aggregateTo('edit'), aggregates: 'view' },
  {
    name: 'system:aggregate-to-admin',
    labels: aggregateTo('admin'),
    rules: [rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']), rule(READ_WRITE, [RBAC_GROUP], ['rolebindings', 'roles'])],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: aggregateTo('edit'),
    rules: [
      rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
      rule(['impersonate'], [''], ['serviceaccounts']),
      rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      rule(['create'], [''], ['pods/eviction']),
      rule(WRITE, [''], ['configmaps', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(WRITE, ['', 'events.k8s.io'], ['events']),
      rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
      rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
      rule(WRITE, ['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale']),
      rule(WRITE, ['policy'], ['poddisruptionbudgets']),
      rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
      rule(WRITE, ['resource.k8s.io'], ['resourceclaims', 'resourceclaimtemplates']),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: aggregateTo('view'),
    rules: [
      rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
      rule(READ, [''], ['bindings', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['', 'events.k8s.io'], ['events']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(READ, ['apps'], [
        'controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status',
        'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status',
      ]),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
      rule(READ, ['extensions'], [
        'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status',
        'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale',
      ]),
      rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
      rule(READ, ['resource.k8s.io'], ['resourceclaims', 'resourceclaims/status', 'resourceclaimtemplates']),
    ],
  },
  { name: 'system:auth-delegator', rules: [rule(['create'], ['authentication.k8s.io'], ['tokenreviews']), rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])] },
  {
    name: 'system:basic-user',
    rules: [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])],
  },
  { name: 'system:discovery', rules: [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])] },
  { name: 'system:public-info-viewer', rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])] },
];

const group = (name: string): JsonObject => ({ apiGroup: RBAC_GROUP, kind: 'Group', name });

const CLUSTER_ROLE_BINDINGS: Array<{ name: string; subjects: JsonObject[] }> = [
  { name: 'cluster-admin', subjects: [group('system:masters')] },
  { name: 'system:basic-user', subjects: [group('system:authenticated')] },
  { name: 'system:discovery', subjects: [group('system:authenticated')] },
  { name: 'system:public-info-viewer', subjects: [group('system:authenticated'), group('system:unauthenticated')] },
];

const metadataFor = (name: string, labels: Record<string, string> = {}): KubeObject['metadata'] => ({
  name,
  labels: { ...BOOTSTRAP_LABEL, ...labels },
  annotations: { [AUTOUPDATE]: 'true' },
});

function roleObject(role: BootstrapRole): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: metadataFor(role.name, role.labels),
    ...(role.aggregates ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregateTo(role.aggregates) }] } } : {}),
    ...(role.rules ? { rules: clone(role.rules) } : {}),
  };
}

const unionOf = (existing: unknown, wanted: JsonObject[]): unknown[] => {
  const current = Array.isArray(existing) ? [...existing] : [];
  for (const item of wanted) if (!current.some((c) => deepEqual(c, item))) current.push(clone(item));
  return current;
};

/** The role or binding with whatever the bootstrap one has that it lacks (reconciliation never removes). */
function reconciled(existing: KubeObject, wanted: KubeObject, listField: 'rules' | 'subjects'): KubeObject {
  const next = clone(existing);
  next.metadata.labels = { ...wanted.metadata.labels, ...existing.metadata.labels };
  next.metadata.annotations = { ...wanted.metadata.annotations, ...existing.metadata.annotations };
  // An aggregated role's rules are the aggregation controller's; only its selectors are
  // reconciled (a role saved with plain rules by an older emulator gets them too).
  if (isObject(wanted.aggregationRule)) {
    const selectors = (wanted.aggregationRule.clusterRoleSelectors as JsonObject[] | undefined) ?? [];
    const current = isObject(existing.aggregationRule) ? existing.aggregationRule.clusterRoleSelectors : undefined;
    next.aggregationRule = { clusterRoleSelectors: unionOf(current, selectors) };
  } else if (Array.isArray(wanted[listField])) next[listField] = unionOf(existing[listField], wanted[listField] as JsonObject[]);
  if (listField === 'subjects') next.roleRef = clone(wanted.roleRef);
  return next;
}

/** Creates the bootstrap roles and bindings a cluster lacks, and brings auto-updated ones up to date. */
export function reconcileBootstrapPolicy(cluster: ClusterState, manager: string): void {
  const objects: Array<[typeof CLUSTER_ROLE, KubeObject, 'rules' | 'subjects']> = [
    ...CLUSTER_ROLES.map((role): [typeof CLUSTER_ROLE, KubeObject, 'rules'] => [CLUSTER_ROLE, roleObject(role), 'rules']),
    ...CLUSTER_ROLE_BINDINGS.map((binding): [typeof CLUSTER_ROLE, KubeObject, 'subjects'] => [
      CLUSTER_ROLE_BINDING,
      {
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: metadataFor(binding.name),
        roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: binding.name },
        subjects: clone(binding.subjects),
      },
      'subjects',
    ]),
  ];
  for (const [type, wanted, listField] of objects) {
    const existing = cluster.peek(type, undefined, wanted.metadata.name ?? '');
    if (!existing) {
      cluster.controllerWrite(type, wanted, manager);
      continue;
    }
    if (existing.metadata.annotations?.[AUTOUPDATE] === 'false') continue;
    const next = reconciled(existing, wanted, listField);
    if (!deepEqual(next, existing)) cluster.controllerWrite(type, next, manager);
  }
}
