/**
 * CustomResourceDefinition controller of the Kubernetes API emulator: an accepted
 * definition is Established at once and its served versions become kinds of the
 * cluster (discovery, CRUD, watch, tables, OpenAPI, schema validation). Deleting it
 * deletes its custom resources first, behind the `customresourcecleanup` finalizer.
 */
import type { ClusterState, StoreEvent } from '../cluster.ts';
import { clone, deepEqual, isObject, kubeTimestamp } from '../json.ts';
import type { JsonObject, KubeObject } from '../json.ts';
import { builtinOfKind, resourceType } from '../resources.ts';
import type { CustomResourceInfo, ResourceType } from '../resources.ts';
import { compileCustomSchema } from '../schema.ts';
import { CONTROLLER_MANAGER, specOf, statusOf } from './base.ts';
import type { Controller, ControllerContext } from './base.ts';

const CRD = builtinOfKind('CustomResourceDefinition');
const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

/** The kinds a definition serves, one per served version. */
export function customTypesOf(crd: KubeObject): ResourceType[] {
  const spec = specOf(crd);
  const names = isObject(spec.names) ? spec.names : {};
  const group = String(spec.group ?? '');
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const crdName = crd.metadata.name ?? '';
  return versions
    .filter((version) => version.served !== false)
    .map((version) => {
      const subresources = isObject(version.subresources) ? version.subresources : {};
      const schema = isObject(version.schema) && isObject(version.schema.openAPIV3Schema) ? (version.schema.openAPIV3Schema as JsonObject) : undefined;
      const scale = isObject(subresources.scale) ? subresources.scale : undefined;
      const custom: CustomResourceInfo = {
        crdName,
        schema,
        printerColumns: Array.isArray(version.additionalPrinterColumns)
          ? version.additionalPrinterColumns.filter(isObject).map((c) => ({
              name: String(c.name),
              type: String(c.type ?? 'string'),
              jsonPath: String(c.jsonPath ?? ''),
              ...(c.format ? { format: String(c.format) } : {}),
              ...(c.description ? { description: String(c.description) } : {}),
              ...(typeof c.priority === 'number' ? { priority: c.priority } : {}),
            }))
          : [],
        ...(scale
          ? {
              scale: {
                specReplicasPath: String(scale.specReplicasPath ?? '.spec.replicas'),
                statusReplicasPath: String(scale.statusReplicasPath ?? '.status.replicas'),
                ...(scale.labelSelectorPath ? { labelSelectorPath: String(scale.labelSelectorPath) } : {}),
              },
            }
          : {}),
        storage: version.storage === true,
      };
      const check = compileCustomSchema(schema);
      if (check) custom.check = check;
      const type = resourceType(group, String(version.name), String(names.kind ?? ''), String(names.plural ?? ''), spec.scope !== 'Cluster', {
        subresources: [...(isObject(subresources.status) ? ['status'] : []), ...(scale ? ['scale'] : [])],
        hasGeneration: true,
        ...(Array.isArray(names.shortNames) ? { shortNames: names.shortNames.map(String) } : {}),
        ...(Array.isArray(names.categories) ? { categories: names.categories.map(String) } : {}),
      });
      return {
        ...type,
        listKind: String(names.listKind ?? `${String(names.kind ?? '')}List`),
        singular: String(names.singular ?? String(names.kind ?? '').toLowerCase()),
        custom,
      };
    });
}

export function registerCustomTypes(cluster: ClusterState, crd: KubeObject): void {
  cluster.types.setCustom(crd.metadata.name ?? '', crd.metadata.deletionTimestamp ? cluster.types.customTypes(crd.metadata.name ?? '') : customTypesOf(crd));
}

export class CustomResourceDefinitionController implements Controller {
  constructor(private readonly context: ControllerContext) {}

  observe(cluster: ClusterState, object: KubeObject, event: StoreEvent | undefined): void {
    if (object.kind !== 'CustomResourceDefinition') return;
    const name = object.metadata.name ?? '';
    if (event?.type === 'DELETED') {
      cluster.types.setCustom(name, []);
      return;
    }
    // Registered at once, so that the request that created the definition is followed by working custom resources.
    registerCustomTypes(cluster, object);
    this.context.enqueue(cluster, `crd/${name}`, () => this.reconcile(cluster, name));
  }

  private reconcile(cluster: ClusterState, name: string): void {
    const crd = cluster.peek(CRD, undefined, name);
    if (!crd) return;
    if (crd.metadata.deletionTimestamp) {
      for (const type of cluster.types.customTypes(name).slice(0, 1)) {
        for (const object of cluster.scan(type)) cluster.deleteObject(type, object);
      }
      const next = clone(crd);
      next.metadata.finalizers = (crd.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
      if (next.metadata.finalizers.length === 0) cluster.commitDelete(CRD, crd);
      else cluster.controllerWrite(CRD, next, CONTROLLER_MANAGER);
      return;
    }
    let current = crd;
    if (!(crd.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) {
      const next = clone(crd);
      next.metadata.finalizers = [...(crd.metadata.finalizers ?? []), CLEANUP_FINALIZER];
      current = cluster.controllerWrite(CRD, next, 'kube-apiserver') ?? next;
    }
    const spec = specOf(current);
    const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
    const storage = versions.find((v) => v.storage === true)?.name;
    const previous = statusOf(current);
    const storedVersions = [...new Set([...(Array.isArray(previous.storedVersions) ? previous.storedVersions.map(String) : []), ...(storage ? [String(storage)] : [])])];
    const now = kubeTimestamp();
    const conditions = ['NamesAccepted', 'Established'].map((type) => {
      const old = Array.isArray(previous.conditions) ? previous.conditions.filter(isObject).find((c) => c.type === type) : undefined;
      return {
        type,
        status: 'True',
        lastTransitionTime: old?.lastTransitionTime ?? now,
        reason: type === 'NamesAccepted' ? 'NoConflicts' : 'InitialNamesAccepted',
        message: type === 'NamesAccepted' ? 'no conflicts found' : 'the initial names have been accepted',
      };
    });
    const status = { conditions, acceptedNames: clone(spec.names ?? {}), storedVersions };
    if (deepEqual(previous, status)) return;
    cluster.controllerWrite(CRD, { ...clone(current), status }, 'kube-apiserver', 'status');
  }
}
