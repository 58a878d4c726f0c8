import { KubeconfigError, parseKubeconfig, type ClusterAccess } from '../kube/kubeconfig.ts';
import { kubeGet } from '../kube/http.ts';
import { PermanentProviderError, TransientProviderError, type ClusterProvider, type ProviderClusterStatus } from './provider.ts';

/** The imported cluster's access; a broken kubeconfig is a permanent error. */
export function importedClusterAccess(kubeconfig: string): ClusterAccess {
  try {
    return parseKubeconfig(kubeconfig);
  } catch (error) {
    if (error instanceof KubeconfigError) throw new PermanentProviderError(error.message);
    throw error;
  }
}

/**
 * An existing cluster reached by its kubeconfig. It is "Running" while its API server
 * answers; deleting only unlinks it (the cluster itself is left alone).
 */
export function createImportedProvider(kubeconfig: string): ClusterProvider {
  const status = async (): Promise<ProviderClusterStatus> => {
    const access = importedClusterAccess(kubeconfig);
    let answer: { status: number; body: unknown };
    try {
      answer = await kubeGet(access, '/version');
    } catch (error) {
      throw new TransientProviderError(`the cluster's API server did not answer: ${(error as Error).message}`);
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new PermanentProviderError(`the cluster refused the kubeconfig's credentials (HTTP ${answer.status})`);
    }
    if (answer.status !== 200) throw new TransientProviderError(`the cluster's API server answered /version with HTTP ${answer.status}`);
    const version = answer.body as { major?: string; minor?: string };
    return {
      phase: 'Running',
      kubernetesVersion: `${version.major ?? ''}.${version.minor ?? ''}`.replace(/\+$/, ''),
      endpoint: access.server,
      nodePools: [],
    };
  };
  return {
    kind: 'imported',
    create: async () => undefined,
    describe: status,
    scaleNodePool: async () => {
      throw new PermanentProviderError('node pools of an imported cluster are managed outside this platform');
    },
    upgrade: async () => {
      throw new PermanentProviderError('an imported cluster is upgraded outside this platform');
    },
    delete: async () => undefined,
    clusterAccess: async () => importedClusterAccess(kubeconfig),
  };
}
