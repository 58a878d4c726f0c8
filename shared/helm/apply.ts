/**
 * Putting chart uses on a cluster and reading where they stand, for the workflow
 * steps of host clusters (helm layers) and apps (helm tiers). The registries are read
 * from the table when the step runs, so a credential never rides in execution state.
 */
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItems } from '../store/table.ts';
import { applyObjects, kubeCall } from '../kube/apply.ts';
import type { KubeClient, KubeObject } from '../kube/kube-client.ts';
import { PermanentProviderError } from '../providers/provider.ts';
import { registryItem, type RegistryItem } from '../registries/items.ts';
import { registryEndpoint } from '../registries/registries.ts';
import { fluxCredentialSecret, fluxObjects, HELM_RELEASE, helmReleaseState, sourceRefOf, type HelmChartUse, type ReleaseState } from './flux.ts';

export interface ChartRequest {
  release: string;
  registryId: string;
  chart: string;
  version: string;
  values?: Record<string, unknown>;
}

/** The registries the requests name, by id; a registry deleted since is a permanent error naming it. */
export async function registriesOf(store: Store, tenantId: string, requests: ChartRequest[]): Promise<Map<string, RegistryItem>> {
  const ids = [...new Set(requests.map((r) => r.registryId))];
  const found = await getItems(store, ids.map((id) => keys.registry(tenantId, id)));
  const missing = ids.filter((_, i) => !found[i]);
  if (missing.length) throw new PermanentProviderError(`registry ${missing.join(', ')} no longer exists`);
  return new Map(ids.map((id, i) => [id, registryItem.parse(found[i])]));
}

export function chartUses(requests: ChartRequest[], registries: Map<string, RegistryItem>, namespace: string, labels: Record<string, string>): HelmChartUse[] {
  return requests.map((r) => {
    const registry = registries.get(r.registryId)!;
    return {
      release: r.release,
      namespace,
      registry: { id: registry.id, type: registry.registryType, url: registry.url, authenticated: registry.sealedSecret !== undefined },
      chart: r.chart,
      version: r.version,
      ...(r.values ? { values: r.values } : {}),
      labels,
    };
  });
}

/** The credential Secrets, then the sources and releases, by server-side apply (the Secret's value is set each time: a rotated password reaches Flux). */
export async function applyChartUses(client: KubeClient, uses: HelmChartUse[], registries: Map<string, RegistryItem>): Promise<KubeObject[]> {
  const secrets = (
    await Promise.all(uses.map(async (use) => fluxCredentialSecret(use, await registryEndpoint(registries.get(use.registry.id)!))))
  ).filter((s): s is KubeObject => s !== undefined);
  const objects = uses.flatMap(fluxObjects);
  const unique = new Map([...secrets, ...objects].map((o) => [`${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`, o]));
  await applyObjects(client, [...unique.values()]);
  return objects;
}

/** Ready when every release is; failed as soon as one is, with Flux's reason. */
export async function chartUsesState(client: KubeClient, uses: HelmChartUse[]): Promise<ReleaseState> {
  const states = await Promise.all(
    uses.map(async (use) => {
      const [release, source] = await Promise.all([
        kubeCall(`reading HelmRelease ${use.release}`, () => client.get({ ...HELM_RELEASE, name: use.release, namespace: use.namespace })),
        kubeCall(`reading the source of ${use.release}`, () => client.get(sourceRefOf(use))),
      ]);
      return helmReleaseState(release, source, use.release);
    }),
  );
  const failed = states.find((s) => s.state === 'failed');
  if (failed) return failed;
  const waiting = states.filter((s) => s.state === 'waiting');
  if (waiting.length) return { state: 'waiting', message: waiting.map((s) => s.message).join('; ') };
  return { state: 'ready', message: `${uses.length} chart(s) ready` };
}
