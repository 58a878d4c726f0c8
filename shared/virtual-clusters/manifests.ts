/**
 * What a virtual cluster is on its host, vcluster-style, in namespace `vc-<id>`: a
 * ResourceQuota and LimitRange from the requested resources, a NetworkPolicy that
 * isolates the namespace, the control plane's ServiceAccount/Role/RoleBinding, its
 * Services (headless for the StatefulSet; the exposed one LoadBalancer or behind an
 * Ingress), and the StatefulSet running the control plane with a volume of the
 * requested storage. All applied by server-side apply, as field manager `palette`.
 */
import type { KubeObject } from '../kube/kube-client.ts';
import type { Resources } from './items.ts';

/** vcluster's control plane, pinned: the same image everywhere, upgraded deliberately. */
export const VCLUSTER_IMAGE = 'ghcr.io/loft-sh/vcluster-oss:0.24.1';
/** Where vcluster's API server listens in its pod. */
export const VCLUSTER_PORT = 8443;
/** The annotation pause leaves on the StatefulSet, so resume restores what was running. */
export const REPLICAS_BEFORE_PAUSE = 'palette.dev/replicas-before-pause';
/** vcluster's label on the host pods it syncs from the virtual cluster. */
export const SYNCED_BY = 'vcluster.loft.sh/managed-by';

export const namespaceOf = (virtualClusterId: string) => `vc-${virtualClusterId.slice(3).toLowerCase()}`;
export const kubeconfigSecretOf = (name: string) => `vc-${name}`;
/** The Ingress host of a virtual cluster on its host cluster. */
export const ingressHostOf = (vc: { id: string; name: string }, hostName: string) =>
  `${vc.name}-${vc.id.slice(-6).toLowerCase()}.${hostName}.vcluster.palette.internal`;

export interface HostObjectsInput {
  id: string;
  name: string;
  namespace: string;
  tenantId: string;
  ownerId: string;
  resources: Resources;
  endpointType: 'Ingress' | 'LoadBalancer';
  /** Ingress only: the host name routed to the API server (also a name in its serving certificate). */
  ingressHost?: string;
}

const controlPlaneLabels = (name: string) => ({ app: 'vcluster', release: name });

export function hostObjects(vc: HostObjectsInput): KubeObject[] {
  const labels = { 'app.kubernetes.io/managed-by': 'palette', 'palette.dev/virtual-cluster': vc.id };
  const meta = (name: string, extra: Record<string, string> = {}) => ({ name, namespace: vc.namespace, labels: { ...labels, ...extra } });
  const cpu = String(vc.resources.cpu);
  const memory = `${vc.resources.memoryMiB}Mi`;
  const storage = `${vc.resources.storageGiB}Gi`;
  const serviceAccount = `vc-${vc.name}`;
  const objects: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: vc.namespace, labels: { ...labels, 'palette.dev/tenant': vc.tenantId.toLowerCase(), 'palette.dev/owner': vc.ownerId.toLowerCase() } },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta('vc-quota'),
      // GPUs are extended resources: Kubernetes quotas them by request only (requests = limits for them).
      spec: { hard: { 'requests.cpu': cpu, 'limits.cpu': cpu, 'requests.memory': memory, 'limits.memory': memory, 'requests.storage': storage, 'requests.nvidia.com/gpu': String(vc.resources.gpu ?? 0) } },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta('vc-limits'),
      spec: {
        limits: [
          {
            type: 'Container',
            // The quota bounds limits too (no overcommit): a container that states none takes half a core and
            // 512 MiB of it, so the smallest cluster (4 CPU) still runs eight such pods beside its own.
            defaultRequest: { cpu: '100m', memory: '128Mi' },
            default: { cpu: `${Math.min(500, vc.resources.cpu * 1000)}m`, memory: `${Math.min(512, vc.resources.memoryMiB)}Mi` },
            max: { cpu, memory },
          },
        ],
      },
    } as KubeObject,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('vc-isolation'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          // Pods of the namespace talk to each other; nothing of other namespaces reaches them.
          { from: [{ podSelector: {} }] },
          // The API server is what the endpoint exposes.
          { from: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: VCLUSTER_PORT }] },
        ],
      },
    } as KubeObject,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(serviceAccount) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(serviceAccount),
      rules: [
        { apiGroups: [''], resources: ['pods', 'pods/status', 'pods/log', 'services', 'endpoints', 'configmaps', 'secrets', 'persistentvolumeclaims', 'events', 'serviceaccounts'], verbs: ['*'] },
        { apiGroups: ['apps'], resources: ['statefulsets', 'replicasets', 'deployments'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: ['*'] },
      ],
    } as KubeObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(serviceAccount),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: serviceAccount },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: vc.namespace }],
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(`${vc.name}-headless`),
      spec: { clusterIP: 'None', selector: controlPlaneLabels(vc.name), ports: [{ name: 'https', port: 443, targetPort: VCLUSTER_PORT, protocol: 'TCP' }] },
    } as KubeObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(vc.name, controlPlaneLabels(vc.name)),
      spec: {
        type: vc.endpointType === 'LoadBalancer' ? 'LoadBalancer' : 'ClusterIP',
        selector: controlPlaneLabels(vc.name),
        ports: [{ name: 'https', port: 443, targetPort: VCLUSTER_PORT, protocol: 'TCP' }],
      },
    } as KubeObject,
  ];
  if (vc.endpointType === 'Ingress' && vc.ingressHost) {
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        ...meta(vc.name),
        // TLS goes through to the API server, which holds the certificate for this host.
        annotations: { 'nginx.ingress.kubernetes.io/ssl-passthrough': 'true', 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' },
      },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: vc.ingressHost, http: { paths: [{ path: '/', pathType: 'ImplementationSpecific', backend: { service: { name: vc.name, port: { number: 443 } } } }] } }],
      },
    } as KubeObject);
  }
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(vc.name, controlPlaneLabels(vc.name)),
    spec: {
      replicas: 1,
      serviceName: `${vc.name}-headless`,
      selector: { matchLabels: controlPlaneLabels(vc.name) },
      template: {
        metadata: { labels: { ...labels, ...controlPlaneLabels(vc.name) } },
        spec: {
          serviceAccountName: serviceAccount,
          containers: [
            {
              name: 'syncer',
              image: VCLUSTER_IMAGE,
              args: ['--name', vc.name, '--service-account', serviceAccount, ...(vc.ingressHost ? ['--tls-san', vc.ingressHost] : [])],
              ports: [{ name: 'https', containerPort: VCLUSTER_PORT, protocol: 'TCP' }],
              resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1024Mi' } },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } },
      ],
    },
  } as KubeObject);
  return objects;
}
