import { loadAll } from './yaml.ts';
import { PermanentProviderError, TransientProviderError } from '../providers/provider.ts';
import { KubeApiError, type KubeClient, type KubeObject } from './kube-client.ts';

export const FIELD_MANAGER = 'palette';

/** Splits YAML (several documents allowed) into Kubernetes objects; bad YAML is a permanent error. */
export function parseManifests(yamlText: string, source: string): KubeObject[] {
  let documents: unknown[];
  try {
    documents = loadAll(yamlText);
  } catch (error) {
    throw new PermanentProviderError(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  return documents
    .filter((doc): doc is KubeObject => doc !== null && typeof doc === 'object')
    .map((doc, index) => {
      if (!doc.apiVersion || !doc.kind || !doc.metadata?.name) {
        throw new PermanentProviderError(`${source}: document ${index + 1} needs apiVersion, kind and metadata.name`);
      }
      return doc;
    });
}

const describe = (object: KubeObject) => `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name}`;

/**
 * A Kubernetes call whose failure the state machine can act on: what a retry can cure
 * (no answer, 5xx, 429, a conflict) is transient, any other refusal permanent.
 */
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const status = error instanceof KubeApiError ? error.status : undefined;
    if (status === undefined || status >= 500 || status === 429 || status === 409) throw new TransientProviderError(`${what}: ${(error as Error).message}`);
    throw new PermanentProviderError(`${what} was refused (HTTP ${status}): ${(error as Error).message}`);
  }
}

/** Kinds others depend on: applied first, in order, before the rest go in parallel. */
const FOUNDATIONS = new Set(['Namespace', 'CustomResourceDefinition']);

/**
 * Server-side apply of each object as field manager `palette`: applying the same
 * manifests again changes nothing, so a retried step is safe. Namespaces and CRDs go
 * first; the rest are applied concurrently (the API server orders nothing else).
 */
export async function applyObjects(client: KubeClient, objects: KubeObject[]): Promise<void> {
  const apply = (object: KubeObject) => kubeCall(`applying ${describe(object)}`, () => client.apply(object, FIELD_MANAGER));
  for (const object of objects.filter((o) => FOUNDATIONS.has(o.kind ?? ''))) await apply(object);
  await Promise.all(objects.filter((o) => !FOUNDATIONS.has(o.kind ?? '')).map(apply));
}

/**
 * Puts objects that name no namespace into `namespace` when their kind is namespaced
 * (as `kubectl apply -n` does); cluster-scoped ones stay as they are.
 */
export async function inNamespace(client: KubeClient, objects: KubeObject[], namespace: string): Promise<KubeObject[]> {
  return Promise.all(
    objects.map(async (object) => {
      if (object.metadata?.namespace) return object;
      const namespaced = await kubeCall(`discovering ${object.kind} in ${object.apiVersion}`, () => client.isNamespaced(object.apiVersion!, object.kind!));
      if (namespaced === undefined) throw new PermanentProviderError(`the cluster serves no ${object.kind} in ${object.apiVersion}`);
      return namespaced ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    }),
  );
}
