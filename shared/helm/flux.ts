/**
 * Helm charts as Flux objects: a source (a `HelmRepository`, or for an OCI registry an
 * `OCIRepository` of the chart) with its credentials as a Secret, and a `HelmRelease`
 * (`helm.toolkit.fluxcd.io/v2`) of the chart's version with its values. Flux in the
 * cluster does the install; ready means the HelmRelease says `Ready=True`. The same
 * rendering serves cluster-profile layers and app tiers. Pure, but for the Secret,
 * which is built from the opened credential and never part of a content hash.
 */
import type { KubeObject } from '../kube/kube-client.ts';
import type { RegistryEndpoint, RegistryType } from '../registries/items.ts';
import { httpBase } from '../registries/url.ts';

export const HELM_RELEASE = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' } as const;
export const HELM_REPOSITORY = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository' } as const;
export const OCI_REPOSITORY = { apiVersion: 'source.toolkit.fluxcd.io/v1beta2', kind: 'OCIRepository' } as const;

const INTERVAL = '10m';

export interface HelmChartUse {
  /** The release's name (and of its HelmRelease). */
  release: string;
  namespace: string;
  registry: { id: string; type: RegistryType; url: string; authenticated: boolean };
  chart: string;
  version: string;
  values?: Record<string, unknown>;
  labels: Record<string, string>;
}

const dnsName = (text: string) => text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);

/** A HelmRepository is shared by the releases of a namespace that use the registry; an OCIRepository is one chart's. */
export const sourceNameOf = (use: Pick<HelmChartUse, 'release' | 'registry'>) => (use.registry.type === 'helm' ? dnsName(`registry-${use.registry.id}`) : dnsName(`${use.release}-chart`));
export const credentialSecretNameOf = (use: Pick<HelmChartUse, 'release' | 'registry'>) => `${sourceNameOf(use)}-auth`;

/** The source and the release, in apply order. */
export function fluxObjects(use: HelmChartUse): KubeObject[] {
  const source = sourceNameOf(use);
  const secretRef = use.registry.authenticated ? { secretRef: { name: credentialSecretNameOf(use) } } : {};
  const metadata = (name: string) => ({ name, namespace: use.namespace, labels: use.labels });
  if (use.registry.type === 'helm') {
    return [
      { ...HELM_REPOSITORY, metadata: metadata(source), spec: { url: use.registry.url, interval: INTERVAL, ...secretRef } },
      {
        ...HELM_RELEASE,
        metadata: metadata(use.release),
        spec: {
          interval: INTERVAL,
          releaseName: use.release,
          chart: { spec: { chart: use.chart, version: use.version, sourceRef: { kind: HELM_REPOSITORY.kind, name: source }, interval: INTERVAL } },
          values: use.values ?? {},
        },
      },
    ];
  }
  const base = httpBase(use.registry);
  return [
    {
      ...OCI_REPOSITORY,
      metadata: metadata(source),
      spec: {
        url: `oci://${base.host}${base.pathname.replace(/\/$/, '')}/${use.chart}`,
        ref: { tag: use.version },
        interval: INTERVAL,
        layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
        ...(base.protocol === 'http:' ? { insecure: true } : {}),
        ...secretRef,
      },
    },
    {
      ...HELM_RELEASE,
      metadata: metadata(use.release),
      spec: { interval: INTERVAL, releaseName: use.release, chartRef: { kind: OCI_REPOSITORY.kind, name: source }, values: use.values ?? {} },
    },
  ];
}

/** The source's credentials as Flux reads them: basic auth for a HelmRepository, a docker config for an OCIRepository. */
export function fluxCredentialSecret(use: HelmChartUse, endpoint: RegistryEndpoint): KubeObject | undefined {
  if (!endpoint.auth) return undefined;
  const [username, password] = 'token' in endpoint.auth ? ['token', endpoint.auth.token] : [endpoint.auth.username, endpoint.auth.password];
  const metadata = { name: credentialSecretNameOf(use), namespace: use.namespace, labels: use.labels };
  if (use.registry.type === 'helm') return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', stringData: { username, password } };
  const host = httpBase(endpoint).host;
  const dockerConfig = { auths: { [host]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') } } };
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify(dockerConfig) } };
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

const readyOf = (object: KubeObject | undefined): Condition | undefined =>
  ((object as { status?: { conditions?: Condition[] } } | undefined)?.status?.conditions ?? []).find((c) => c.type === 'Ready');

/** Reasons Flux gives while it is still working: anything else on Ready=False is a failure to report. */
const STILL_WORKING = new Set(['Progressing', 'ProgressingWithRetry', 'SourceNotReady', 'DependencyNotReady', 'ReconciliationInProgress']);

export type ReleaseState = { state: 'ready' | 'waiting' | 'failed'; message: string };

/** Where a release stands, from its Ready condition and, while it waits for its source, the source's. */
export function helmReleaseState(release: KubeObject | undefined, source: KubeObject | undefined, name: string): ReleaseState {
  if (!release) return { state: 'waiting', message: `HelmRelease ${name} is not there yet` };
  const ready = readyOf(release);
  const generation = (release.metadata as { generation?: number } | undefined)?.generation;
  const observed = (release as { status?: { observedGeneration?: number } }).status?.observedGeneration;
  // A condition from before the last change says nothing about this version.
  if (generation !== undefined && observed !== undefined && observed < generation) return { state: 'waiting', message: `HelmRelease ${name} is being reconciled` };
  if (ready?.status === 'True') return { state: 'ready', message: ready.message ?? 'ready' };
  const sourceReady = readyOf(source);
  if (sourceReady?.status === 'False' && !STILL_WORKING.has(sourceReady.reason ?? '')) {
    return { state: 'failed', message: `the chart's source ${source?.metadata?.name}: ${sourceReady.reason}: ${sourceReady.message ?? ''}`.trim() };
  }
  if (ready?.status === 'False' && !STILL_WORKING.has(ready.reason ?? '')) return { state: 'failed', message: `HelmRelease ${name}: ${ready.reason}: ${ready.message ?? ''}`.trim() };
  return { state: 'waiting', message: `HelmRelease ${name}: ${ready?.message ?? 'waiting for Flux'}` };
}

/** The source a release reads its chart from. */
export const sourceRefOf = (use: HelmChartUse) => ({ ...(use.registry.type === 'helm' ? HELM_REPOSITORY : OCI_REPOSITORY), name: sourceNameOf(use), namespace: use.namespace });
