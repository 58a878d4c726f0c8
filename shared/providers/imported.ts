import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import {
  PermanentProviderError,
  TransientProviderError,
  type ClusterProvider,
  type ProviderClusterStatus,
} from './provider.ts';

/** Parses a kubeconfig the way kubectl would; a broken one is a permanent error. */
export function parseKubeconfig(kubeconfig: string): KubeConfig {
  const config = new KubeConfig();
  try {
    config.loadFromString(kubeconfig);
  } catch (error) {
    throw new PermanentProviderError(`the kubeconfig cannot be read: ${(error as Error).message}`);
  }
  if (!config.getCurrentCluster()) throw new PermanentProviderError('the kubeconfig names no current cluster');
  return config;
}

/**
 * An existing cluster reached by its kubeconfig. It is "Running" while its API server
 * answers; deleting only unlinks it (the cluster itself is left alone).
 */
export function createImportedProvider(kubeconfig: string): ClusterProvider {
  const config = () => parseKubeconfig(kubeconfig);
  const status = async (): Promise<ProviderClusterStatus> => {
    try {
      const version = await config().makeApiClient(VersionApi).getCode();
      return { phase: 'Running', kubernetesVersion: `${version.major}.${version.minor}`.replace(/\+$/, ''), endpoint: config().getCurrentCluster()?.server, nodePools: [] };
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 401 || code === 403) {
        throw new PermanentProviderError(`the cluster refused the kubeconfig's credentials (HTTP ${code})`);
      }
      throw new TransientProviderError(`the cluster's API server did not answer: ${(error as Error).message}`);
    }
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
    kubeConfig: async () => config(),
  };
}
