import { parseKubeconfig } from '../kube/kubeconfig.ts';
import {
  ClusterGoneError,
  PermanentProviderError,
  TransientProviderError,
  type ClusterProvider,
  type ClusterRef,
  type ProviderClusterStatus,
} from './provider.ts';

export interface SimAccountSettings {
  provisionSeconds: number;
  failProvisioning: boolean;
}

/** A `sim` cloud account's settings when it names none. */
export const SIM_DEFAULTS: SimAccountSettings = { provisionSeconds: 5, failProvisioning: false };

/** Seconds a simulated scale or upgrade takes (before PALETTE_SIM_SPEED), as the simulated cloud plays it. */
export const SIM_UPDATE_SECONDS = 2;

/**
 * The `sim` provider: a client of the simulated cloud's HTTP API, whose address the
 * local runtime passes in PALETTE_SIM_ENDPOINT (the same way EKS is reached through
 * its SDK endpoint). Its clusters' API servers are Kubernetes API emulator instances.
 */
export function createSimProvider(settings: SimAccountSettings, endpoint = process.env.PALETTE_SIM_ENDPOINT): ClusterProvider {
  const call = async (method: string, path: string, body?: unknown) => {
    if (!endpoint) throw new PermanentProviderError('the simulated cloud is not available here (PALETTE_SIM_ENDPOINT is not set)');
    let response: Response;
    try {
      response = await fetch(`${endpoint}${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      throw new TransientProviderError(`simulated cloud unreachable: ${(error as Error).message}`);
    }
    const payload = (await response.json()) as Record<string, unknown>;
    if (response.status >= 500 || response.status === 409) {
      throw new TransientProviderError(`simulated cloud: ${String(payload.message)}`);
    }
    return { status: response.status, payload };
  };
  const path = (ref: ClusterRef) => `/clusters/${encodeURIComponent(ref.providerName)}`;

  return {
    kind: 'sim',
    async create(input) {
      await call('PUT', path(input), {
        region: input.region,
        kubernetesVersion: input.kubernetesVersion,
        nodePools: input.nodePools.map(({ name, instanceType, count, labels, taints }) => ({ name, instanceType, count, ...(labels ? { labels } : {}), ...(taints ? { taints } : {}) })),
        provisionSeconds: settings.provisionSeconds,
        failProvisioning: settings.failProvisioning,
      });
    },
    async describe(ref): Promise<ProviderClusterStatus> {
      const { status, payload } = await call('GET', path(ref));
      if (status === 404) return { phase: 'Deleted', nodePools: [] };
      return payload as unknown as ProviderClusterStatus;
    },
    async scaleNodePool(ref, pool) {
      const { status } = await call('PUT', `${path(ref)}/nodepools/${encodeURIComponent(pool.name)}`, pool);
      if (status === 404) throw new PermanentProviderError(`simulated cluster ${ref.providerName} does not exist`);
    },
    async upgrade(ref, kubernetesVersion) {
      const { status } = await call('POST', `${path(ref)}/upgrade`, { kubernetesVersion });
      if (status === 404) throw new PermanentProviderError(`simulated cluster ${ref.providerName} does not exist`);
    },
    async delete(ref) {
      await call('DELETE', path(ref));
    },
    async clusterAccess(ref) {
      const { status, payload } = await call('GET', `${path(ref)}/kubeconfig`);
      if (status === 404) throw new ClusterGoneError(`simulated cluster ${ref.providerName} does not exist`);
      if (status === 422) throw new PermanentProviderError(`simulated cloud: ${String(payload.message)}`);
      if (status !== 200) throw new TransientProviderError(`simulated cluster ${ref.providerName} has no API server yet`);
      return parseKubeconfig(String(payload.kubeconfig));
    },
  };
}
