/**
 * Namespace controller of the Kubernetes API emulator: every namespace gets its
 * `default` ServiceAccount and `kube-root-ca.crt` ConfigMap, and a Terminating namespace
 * is removed once its content is gone and only the `kubernetes` finalizer is left.
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { clone, deepEqual, isObject } from '../json.ts';
import type { KubeObject } from '../json.ts';
import { builtinOfKind } from '../resources.ts';
import { CONTROLLER_MANAGER } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const NAMESPACE = builtinOfKind('Namespace');
const CONFIG_MAP = builtinOfKind('ConfigMap');
const SERVICE_ACCOUNT = builtinOfKind('ServiceAccount');
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class NamespaceController implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, _event: StoreEvent | undefined): void {
    const ns = object.kind === 'Namespace' ? object.metadata.name : object.metadata.namespace;
    if (ns === undefined) return;
    const relevant =
      object.kind === 'Namespace' ||
      object.kind === 'ConfigMap' ||
      object.kind === 'ServiceAccount' ||
      cluster.peek(NAMESPACE, undefined, ns)?.metadata.deletionTimestamp !== undefined;
    if (relevant) this.context.enqueue(cluster, `namespace/${ns}`, () => this.reconcile(cluster, ns));
  }

  private reconcile(cluster: ClusterState, name: string): void {
    const namespace = cluster.peek(NAMESPACE, undefined, name);
    if (!namespace) return;
    if (namespace.metadata.deletionTimestamp) {
      const remaining = cluster.types.storedTypes().some((type) => type.namespaced && cluster.scan(type, name).length > 0);
      if (remaining) return;
      const spec = isObject(namespace.spec) ? namespace.spec : {};
      const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers.filter((f) => f !== 'kubernetes') : [];
      if (finalizers.length === 0 && (namespace.metadata.finalizers ?? []).length === 0) cluster.commitDelete(NAMESPACE, namespace);
      return;
    }
    if (!cluster.peek(SERVICE_ACCOUNT, name, 'default')) {
      cluster.controllerWrite(SERVICE_ACCOUNT, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } }, CONTROLLER_MANAGER);
    }
    const rootCa = cluster.peek(CONFIG_MAP, name, 'kube-root-ca.crt');
    const caData = { 'ca.crt': this.context.options.caPem };
    if (!rootCa || !deepEqual(rootCa.data, caData)) {
      cluster.controllerWrite(
        CONFIG_MAP,
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { ...(rootCa ? clone(rootCa.metadata) : {}), name: 'kube-root-ca.crt', namespace: name, annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } },
          data: caData,
        },
        CONTROLLER_MANAGER,
      );
    }
  }
}
