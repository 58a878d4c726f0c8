/**
 * Server-side printing for the Kubernetes API emulator: the `meta.k8s.io/v1` Table that
 * kube-apiserver answers to `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, with
 * the columns of kube-apiserver's printers (`pkg/printers/internalversion`) for the
 * common kinds, `additionalPrinterColumns` for custom resources, and NAME / CREATED AT
 * for the rest. Priority-1 columns are what `kubectl get -o wide` adds.
 */
import { isObject } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';
import type { ResourceType } from './resources.ts';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean;

interface Printer {
  columns: ColumnDefinition[];
  row(object: KubeObject): Cell[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

const column = (name: string, type: string, description: string, priority = 0, format = ''): ColumnDefinition => ({ name, type, format, description, priority });
const NAME = column('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
const AGE = column('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');
const CREATED_AT = column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.');
const CONTAINERS = column('Containers', 'string', 'Names of each container in the template.', 1);
const IMAGES = column('Images', 'string', 'Images referenced by each container in the template.', 1);

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function since(timestamp: unknown): string {
  const time = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  return Number.isFinite(time) ? humanDuration(Date.now() - time) : '<unknown>';
}

const age = (object: KubeObject): string => since(object.metadata.creationTimestamp);
const obj = (value: unknown): JsonObject => (isObject(value) ? value : {});
const list = (value: unknown): JsonObject[] => (Array.isArray(value) ? value.filter(isObject) : []);
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const orNone = (value: string): string => (value === '' ? '<none>' : value);

function templateContainers(template: unknown): [string, string] {
  const containers = list(obj(obj(template).spec).containers);
  return [containers.map((c) => String(c.name ?? '')).join(','), containers.map((c) => String(c.image ?? '')).join(',')];
}

/** metav1.LabelSelectorAsSelector(...).String() */
function selectorString(selector: unknown): string {
  const s = obj(selector);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(obj(s.matchLabels)).sort(([a], [b]) => a.localeCompare(b))) parts.push(`${key}=${String(value)}`);
  for (const expression of list(s.matchExpressions)) {
    const values = (Array.isArray(expression.values) ? expression.values.map(String) : []).sort().join(',');
    switch (expression.operator) {
      case 'In':
        parts.push(`${String(expression.key)} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${String(expression.key)} notin (${values})`);
        break;
      case 'Exists':
        parts.push(String(expression.key));
        break;
      case 'DoesNotExist':
        parts.push(`!${String(expression.key)}`);
        break;
    }
  }
  return parts.sort().join(',');
}

const formatLabels = (labels: unknown): string =>
  Object.entries(obj(labels))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');

function loadBalancerAddresses(status: unknown): string[] {
  return list(obj(obj(status).loadBalancer).ingress).map((i) => String(i.ip ?? i.hostname ?? '')).filter(Boolean);
}

const ACCESS_MODES: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

function podRow(pod: KubeObject): Cell[] {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const statuses = list(status.containerStatuses);
  let reason = String(status.reason ?? status.phase ?? 'Pending');
  let restarts = 0;
  let ready = 0;
  let lastRestart: string | undefined;
  for (const container of [...statuses].reverse()) {
    restarts += num(container.restartCount);
    const state = obj(container.state);
    const terminatedBefore = obj(obj(container.lastState).terminated);
    if (typeof terminatedBefore.finishedAt === 'string' && (!lastRestart || terminatedBefore.finishedAt > lastRestart)) lastRestart = terminatedBefore.finishedAt;
    if (isObject(state.waiting) && state.waiting.reason) reason = String(state.waiting.reason);
    else if (isObject(state.terminated) && state.terminated.reason) reason = String(state.terminated.reason);
    else if (container.ready === true && isObject(state.running)) ready++;
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  const gates = list(spec.readinessGates);
  const conditions = list(status.conditions);
  const gatesPassed = gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length;
  return [
    pod.metadata.name ?? '',
    `${ready}/${list(spec.containers).length}`,
    reason,
    lastRestart ? `${restarts} (${since(lastRestart)} ago)` : String(restarts),
    age(pod),
    orNone(String(status.podIP ?? '')),
    orNone(String(spec.nodeName ?? '')),
    orNone(String(status.nominatedNodeName ?? '')),
    gates.length > 0 ? `${gatesPassed}/${gates.length}` : '<none>',
  ];
}

function serviceExternalIp(service: KubeObject): string {
  const spec = obj(service.spec);
  const external = Array.isArray(spec.externalIPs) ? spec.externalIPs.map(String) : [];
  switch (spec.type) {
    case 'LoadBalancer': {
      const addresses = [...loadBalancerAddresses(service.status), ...external];
      return addresses.length > 0 ? addresses.join(',') : '<pending>';
    }
    case 'ExternalName':
      return String(spec.externalName ?? '');
    default:
      return external.length > 0 ? external.join(',') : '<none>';
  }
}

function servicePorts(service: KubeObject): string {
  const ports = list(obj(service.spec).ports).map((p) =>
    p.nodePort ? `${String(p.port)}:${String(p.nodePort)}/${String(p.protocol ?? 'TCP')}` : `${String(p.port)}/${String(p.protocol ?? 'TCP')}`,
  );
  return ports.length > 0 ? ports.join(',') : '<none>';
}

function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value) roles.add(value);
  }
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

function nodeStatus(node: KubeObject): string {
  const ready = list(obj(node.status).conditions).find((c) => c.type === 'Ready');
  const states = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'];
  if (obj(node.spec).unschedulable === true) states.push('SchedulingDisabled');
  return states.join(',');
}

function quotaUsage(quota: KubeObject, limits: boolean): string {
  const hard = obj(obj(quota.status).hard);
  const used = obj(obj(quota.status).used);
  return Object.keys(hard)
    .filter((key) => key.startsWith('limits.') === limits)
    .sort()
    .map((key) => `${key}: ${String(used[key] ?? '0')}/${String(hard[key])}`)
    .join(', ');
}

function bindingSubjects(binding: KubeObject, kind: string): string {
  return list(binding.subjects)
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${String(s.namespace ?? '')}/${String(s.name)}` : String(s.name)))
    .join(', ');
}

const createdAt = (object: KubeObject): string => String(object.metadata.creationTimestamp ?? '');

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [
      NAME,
      column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'string', 'The aggregate status of the containers in this pod.'),
      column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      column('IP', 'string', 'IP address allocated to the pod.', 1),
      column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
      column('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
      column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    row: podRow,
  },
  Deployment: {
    columns: [
      NAME,
      column('Ready', 'string', 'Number of the pod with ready state'),
      column('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      column('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      CONTAINERS,
      IMAGES,
      column('Selector', 'string', 'Label selector for pods.', 1),
    ],
    row: (d) => {
      const spec = obj(d.spec);
      const status = obj(d.status);
      return [d.metadata.name ?? '', `${num(status.readyReplicas)}/${num(spec.replicas)}`, num(status.updatedReplicas), num(status.availableReplicas), age(d), ...templateContainers(spec.template), selectorString(spec.selector)];
    },
  },
  ReplicaSet: {
    columns: [
      NAME,
      column('Desired', 'integer', 'Replicas is the number of desired pods.'),
      column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
      AGE,
      CONTAINERS,
      IMAGES,
      column('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', 1),
    ],
    row: (rs) => {
      const spec = obj(rs.spec);
      const status = obj(rs.status);
      return [rs.metadata.name ?? '', num(spec.replicas), num(status.replicas), num(status.readyReplicas), age(rs), ...templateContainers(spec.template), selectorString(spec.selector)];
    },
  },
  StatefulSet: {
    columns: [NAME, column('Ready', 'string', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
    row: (s) => [s.metadata.name ?? '', `${num(obj(s.status).readyReplicas)}/${num(obj(s.spec).replicas)}`, age(s), ...templateContainers(obj(s.spec).template)],
  },
  Service: {
    columns: [
      NAME,
      column('Type', 'string', 'type determines how the Service is exposed.'),
      column('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'),
      column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      AGE,
      column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    row: (s) => {
      const spec = obj(s.spec);
      return [s.metadata.name ?? '', String(spec.type ?? 'ClusterIP'), orNone(String(spec.clusterIP ?? '')), serviceExternalIp(s), servicePorts(s), age(s), orNone(formatLabels(spec.selector))];
    },
  },
  Namespace: {
    columns: [NAME, column('Status', 'string', 'The status of the namespace'), AGE],
    row: (n) => [n.metadata.name ?? '', String(obj(n.status).phase ?? 'Active'), age(n)],
  },
  Node: {
    columns: [
      NAME,
      column('Status', 'string', 'The status of the node'),
      column('Roles', 'string', 'The roles of the node'),
      AGE,
      column('Version', 'string', 'Kubelet Version reported by the node.'),
      column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
      column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
      column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    row: (n) => {
      const status = obj(n.status);
      const info = obj(status.nodeInfo);
      const address = (type: string) => String(list(status.addresses).find((a) => a.type === type)?.address ?? '<none>');
      return [n.metadata.name ?? '', nodeStatus(n), nodeRoles(n), age(n), String(info.kubeletVersion ?? ''), address('InternalIP'), address('ExternalIP'), String(info.osImage ?? '<unknown>'), String(info.kernelVersion ?? '<unknown>'), String(info.containerRuntimeVersion ?? '<unknown>')];
    },
  },
  Event: {
    columns: [
      column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
      column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
      column('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      column('Object', 'string', 'The object that this event is about.'),
      column('Subobject', 'string', 'The field of the object that this event is about.', 1),
      column('Source', 'string', 'The component reporting this event.', 1),
      column('Message', 'string', 'A human-readable description of the status of this operation.'),
      column('First Seen', 'string', 'The time at which the event was first recorded.', 1),
      column('Count', 'integer', 'The number of times this event has occurred.', 1),
      column('Name', 'string', 'Name must be unique within a namespace.', 1, 'name'),
    ],
    row: (e) => {
      const involved = obj(e.involvedObject);
      const source = obj(e.source);
      const first = e.firstTimestamp ? since(e.firstTimestamp) : since(e.eventTime);
      const last = e.lastTimestamp ? since(e.lastTimestamp) : first;
      const kind = String(involved.kind ?? '').toLowerCase();
      const target = involved.name ? `${kind}/${String(involved.name)}` : kind;
      const sourceText = source.component ? [source.component, source.host].filter(Boolean).join(', ') : String(e.reportingComponent ?? '');
      return [last, String(e.type ?? ''), String(e.reason ?? ''), target, String(involved.fieldPath ?? ''), sourceText, String(e.message ?? '').trim(), first, num(e.count) || 1, e.metadata.name ?? ''];
    },
  },
  Secret: {
    columns: [NAME, column('Type', 'string', 'The type of the secret'), column('Data', 'integer', 'The number of data items'), AGE],
    row: (s) => [s.metadata.name ?? '', String(s.type ?? 'Opaque'), Object.keys(obj(s.data)).length, age(s)],
  },
  ConfigMap: {
    columns: [NAME, column('Data', 'integer', 'The number of data items'), AGE],
    row: (c) => [c.metadata.name ?? '', Object.keys(obj(c.data)).length + Object.keys(obj(c.binaryData)).length, age(c)],
  },
  PersistentVolumeClaim: {
    columns: [
      NAME,
      column('Status', 'string', 'Phase represents the current phase of PersistentVolumeClaim.'),
      column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
      column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
      column('StorageClass', 'string', 'storageClassName is the name of the StorageClass required by the claim.'),
      column('VolumeAttributesClass', 'string', 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.'),
      AGE,
      column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
    ],
    row: (p) => {
      const spec = obj(p.spec);
      const status = obj(p.status);
      const modes = (Array.isArray(status.accessModes) ? status.accessModes : []).map((m) => ACCESS_MODES[String(m)] ?? String(m)).join(',');
      return [
        p.metadata.name ?? '',
        p.metadata.deletionTimestamp ? 'Terminating' : String(status.phase ?? 'Pending'),
        String(spec.volumeName ?? ''),
        status.phase === 'Bound' ? String(obj(status.capacity).storage ?? '') : '',
        status.phase === 'Bound' ? modes : '',
        String(spec.storageClassName ?? ''),
        String(spec.volumeAttributesClassName ?? '<unset>'),
        age(p),
        String(spec.volumeMode ?? '<unset>'),
      ];
    },
  },
  ServiceAccount: {
    columns: [NAME, column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE],
    row: (s) => [s.metadata.name ?? '', list(s.secrets).length, age(s)],
  },
  Ingress: {
    columns: [
      NAME,
      column('Class', 'string', 'The name of the IngressClass resource.'),
      column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
      column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
      column('Ports', 'string', 'Ports of TLS configurations that open'),
      AGE,
    ],
    row: (i) => {
      const spec = obj(i.spec);
      const hosts = list(spec.rules).map((r) => String(r.host ?? '')).filter(Boolean);
      return [i.metadata.name ?? '', String(spec.ingressClassName ?? '<none>'), hosts.length > 0 ? hosts.join(',') : '*', loadBalancerAddresses(i.status).join(','), list(spec.tls).length > 0 ? '80, 443' : '80', age(i)];
    },
  },
  NetworkPolicy: {
    columns: [NAME, column('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'), AGE],
    row: (n) => [n.metadata.name ?? '', orNone(selectorString(obj(n.spec).podSelector)), age(n)],
  },
  ResourceQuota: {
    columns: [NAME, AGE, column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'), column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.')],
    row: (q) => [q.metadata.name ?? '', age(q), quotaUsage(q, false), quotaUsage(q, true)],
  },
  RoleBinding: {
    columns: [
      NAME,
      column('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      AGE,
      column('Users', 'string', 'Users in the roleBinding', 1),
      column('Groups', 'string', 'Groups in the roleBinding', 1),
      column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', 1),
    ],
    row: (b) => [b.metadata.name ?? '', `${String(obj(b.roleRef).kind ?? '')}/${String(obj(b.roleRef).name ?? '')}`, age(b), bindingSubjects(b, 'User'), bindingSubjects(b, 'Group'), bindingSubjects(b, 'ServiceAccount')],
  },
  ControllerRevision: {
    columns: [NAME, column('Controller', 'string', 'Controller of the object'), column('Revision', 'integer', 'Revision indicates the revision of the state represented by Data.'), AGE],
    row: (r) => {
      const owner = (r.metadata.ownerReferences ?? []).find((ref) => ref.controller);
      const controller = owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : ''}/${owner.name}`.replace('./', '/') : '<none>';
      return [r.metadata.name ?? '', controller, num(r.revision), age(r)];
    },
  },
};
PRINTERS.ClusterRoleBinding = PRINTERS.RoleBinding as Printer;

const DEFAULT_PRINTER: Printer = { columns: [NAME, CREATED_AT], row: (o) => [o.metadata.name ?? '', createdAt(o)] };

/** A `[?(@.a.b=="x")]` filter of a printer column JSONPath (Flux's Ready columns use them), as a test of list items. */
function jsonPathFilter(index: string): ((item: unknown) => boolean) | undefined {
  const match = /^\?\(@((?:\.[A-Za-z0-9_-]+)+)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?|true|false))\)$/.exec(index.trim());
  if (!match) return undefined;
  const path = (match[1] ?? '').split('.').filter(Boolean);
  const expected = match[3] ?? match[4] ?? match[5] ?? '';
  return (item) => {
    let value: unknown = item;
    for (const key of path) value = obj(value)[key];
    const equal = value !== undefined && String(value) === expected;
    return match[2] === '==' ? equal : !equal;
  };
}

/** A JSONPath as printer columns use them: `.a.b`, `.a[0].b`, `.a[*].b`, `.a[?(@.b=="x")].c`, optionally in braces. */
function jsonPath(object: unknown, path: string): unknown[] {
  const tokens = path
    .replace(/^\{|\}$/g, '')
    .replace(/^\./, '')
    .split(/\.(?![^[]*\])/)
    .filter(Boolean);
  let current: unknown[] = [object];
  for (const token of tokens) {
    const match = /^([^[]*)((?:\[[^\]]*\])*)$/.exec(token);
    const key = match?.[1] ?? token;
    const indexes = [...(match?.[2] ?? '').matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] ?? '');
    current = current.flatMap((value) => (key ? [obj(value)[key]] : [value])).filter((v) => v !== undefined);
    for (const index of indexes) {
      current = current.flatMap((value) => {
        if (!Array.isArray(value)) return [];
        if (index === '*') return value;
        if (index.startsWith('?')) return value.filter(jsonPathFilter(index) ?? (() => false));
        const n = Number(index);
        const item = n < 0 ? value[value.length + n] : value[n];
        return item === undefined ? [] : [item];
      });
    }
  }
  return current;
}

function customPrinter(type: ResourceType): Printer {
  const defined = type.custom?.printerColumns ?? [];
  if (defined.length === 0) return { columns: [NAME, AGE], row: (o) => [o.metadata.name ?? '', age(o)] };
  return {
    columns: [NAME, ...defined.map((c) => column(c.name, c.type, c.description ?? '', c.priority ?? 0, c.format ?? ''))],
    row: (o) => [
      o.metadata.name ?? '',
      ...defined.map((c): Cell => {
        const values = jsonPath(o, c.jsonPath);
        if (values.length === 0) return c.type === 'integer' || c.type === 'number' ? '' : '<none>';
        const first = values[0];
        if (c.type === 'date') return since(first);
        if (values.length > 1) return values.map((v) => (isObject(v) || Array.isArray(v) ? JSON.stringify(v) : String(v))).join(',');
        if (typeof first === 'number' || typeof first === 'boolean') return first;
        return isObject(first) || Array.isArray(first) ? JSON.stringify(first) : String(first);
      }),
    ],
  };
}

function printerFor(type: ResourceType): Printer {
  if (type.custom) return customPrinter(type);
  const kind = type.view?.storage.kind ?? type.kind;
  return PRINTERS[kind] ?? DEFAULT_PRINTER;
}

export interface TableOptions {
  includeObject: IncludeObject;
  noHeaders?: boolean;
}

/** `objects` must be in their stored form (core/v1 for events.k8s.io Events); `toObject` gives what a row carries. */
export function toTable(type: ResourceType, objects: KubeObject[], listMeta: JsonObject, options: TableOptions, toObject: (o: KubeObject) => KubeObject = (o) => o): JsonObject {
  const printer = printerFor(type);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    ...(options.noHeaders ? {} : { columnDefinitions: printer.columns }),
    rows: objects.map((object) => {
      const row: JsonObject = { cells: printer.row(object) };
      if (options.includeObject === 'Object') row.object = toObject(object);
      else if (options.includeObject === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
      return row;
    }),
  };
}

/** Which representation an `Accept` header asks for. */
export function negotiate(accept: string | undefined): 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList' | 'object' {
  for (const part of (accept ?? '').split(',')) {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    const mediaType = part.split(';')[0]?.trim() ?? '';
    if (!params.has('as') && (mediaType === 'application/json' || mediaType === 'application/yaml' || mediaType === '*/*')) return 'object';
    const group = params.get('g');
    if (group !== 'meta.k8s.io') continue;
    const version = params.get('v');
    if (version !== 'v1' && version !== 'v1beta1') continue;
    const as = params.get('as');
    if (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return as;
  }
  return 'object';
}
