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
