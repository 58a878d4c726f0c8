import { KubernetesObjectApi, PatchStrategy, loadAllYaml, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { PermanentProviderError, TransientProviderError } from '../providers/provider.ts';

export const FIELD_MANAGER = 'palette';

/** Splits YAML (several documents allowed) into Kubernetes objects; bad YAML is a permanent error. */
export function parseManifests(yamlText: string, source: string): KubernetesObject[] {
  let documents: unknown[];
  try {
    documents = loadAllYaml(yamlText);
  } catch (error) {
    throw new PermanentProviderError(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  return documents
    .filter((doc): doc is KubernetesObject => doc !== null && typeof doc === 'object')
    .map((doc, index) => {
      if (!doc.apiVersion || !doc.kind || !doc.metadata?.name) {
        throw new PermanentProviderError(`${source}: document ${index + 1} needs apiVersion, kind and metadata.name`);
      }
      return doc;
    });
}

const statusOf = (error: unknown) => (error as { code?: number; statusCode?: number }).code ?? (error as { statusCode?: number }).statusCode;

/**
 * Server-side apply of each object, in order, as field manager `palette`: applying the
 * same manifests again changes nothing, so a retried step is safe.
 */
export async function applyObjects(config: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(config);
  for (const object of objects) {
    try {
      await client.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (error) {
      const status = statusOf(error);
      const what = `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name}`;
      if (status === undefined || status >= 500 || status === 429 || status === 409) {
        throw new TransientProviderError(`applying ${what}: ${(error as Error).message}`);
      }
      throw new PermanentProviderError(`applying ${what} was refused (HTTP ${status}): ${(error as Error).message}`);
    }
  }
}

/** The object API with what kubectl's discovery knows: whether a kind is namespaced. */
class DiscoveringObjectApi extends KubernetesObjectApi {
  async isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    return (await this.resource(apiVersion, kind))?.namespaced;
  }
}

/**
 * Puts objects that name no namespace into `namespace` when their kind is namespaced
 * (as `kubectl apply -n` does); cluster-scoped ones stay as they are.
 */
export async function inNamespace(config: KubeConfig, objects: KubernetesObject[], namespace: string): Promise<KubernetesObject[]> {
  const client = config.makeApiClient(DiscoveringObjectApi);
  return Promise.all(
    objects.map(async (object) => {
      if (object.metadata?.namespace) return object;
      let namespaced: boolean | undefined;
      try {
        namespaced = await client.isNamespaced(object.apiVersion!, object.kind!);
      } catch (error) {
        throw new TransientProviderError(`discovering ${object.kind} in ${object.apiVersion}: ${(error as Error).message}`);
      }
      if (namespaced === undefined) throw new PermanentProviderError(`the cluster serves no ${object.kind} in ${object.apiVersion}`);
      return namespaced ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    }),
  );
}
