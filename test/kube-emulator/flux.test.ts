/**
 * Flux in the Kubernetes API emulator: its CRDs in every cluster, and the emulated
 * source-controller (HelmRepository, OCIRepository) and helm-controller (HelmRelease)
 * against the local chart registry with basic auth, driven with the real
 * @kubernetes/client-node and read back as the platform will read them (`Ready`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startChartRegistry } from '#infra/local/chart-registry.ts';
import type { ChartRegistry } from '#infra/local/chart-registry.ts';
import { durationMs } from '#infra/local/kube-emulator/controllers/flux.ts';
import { latestMatching } from '#infra/local/kube-emulator/controllers/flux-sources.ts';
import { startKubeEmulator } from '#infra/local/kube-emulator/index.ts';
import type { KubeEmulator } from '#infra/local/kube-emulator/index.ts';
import { kubectlSandbox, table } from '../kubectl/support.ts';

const AUTH = { username: 'flux', password: 'flux-password' };
const NS = 'apps';
const HELM_REPOSITORY = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository' };
const OCI_REPOSITORY = { apiVersion: 'source.toolkit.fluxcd.io/v1beta2', kind: 'OCIRepository' };
const HELM_RELEASE = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' };

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface FluxObject extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: {
    conditions?: Condition[];
    artifact?: { revision: string; digest: string; url: string; lastUpdateTime: string };
    observedGeneration?: number;
    lastAttemptedRevision?: string;
    lastAttemptedGeneration?: number;
    history?: Array<{ chartName: string; chartVersion: string; version: number; status: string; name: string; namespace: string }>;
  };
}

let registry: ChartRegistry;
let emulator: KubeEmulator;
let client: KubernetesObjectApi;

const ready = (object: FluxObject): Condition | undefined => object.status?.conditions?.find((c) => c.type === 'Ready');

async function read(kind: { apiVersion: string; kind: string }, name: string, namespace = NS): Promise<FluxObject> {
  return (await client.read({ ...kind, metadata: { name, namespace } })) as FluxObject;
}

/** Polls an object until `accept` holds, and returns it. */
async function waitFor(kind: { apiVersion: string; kind: string }, name: string, accept: (object: FluxObject) => boolean, what: string, timeoutMs = 10_000): Promise<FluxObject> {
  const deadline = Date.now() + timeoutMs;
  let last: FluxObject | undefined;
  while (Date.now() < deadline) {
    last = await read(kind, name);
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${kind.kind} ${name} ${what}; last status: ${JSON.stringify(last?.status)}`);
}

const readyIs = (status: string, reason?: string) => (object: FluxObject) => {
  const condition = ready(object);
  return condition?.status === status && (reason === undefined || condition.reason === reason) && object.status?.observedGeneration === object.metadata?.generation;
};

async function createSecret(name: string, stringData: Record<string, string>, type = 'Opaque'): Promise<void> {
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, type, stringData } as KubernetesObject);
}

async function createHelmRepository(name: string, secretName: string, extra: Record<string, unknown> = {}): Promise<void> {
  await client.create({ ...HELM_REPOSITORY, metadata: { name, namespace: NS }, spec: { url: registry.url, interval: '5m', secretRef: { name: secretName }, ...extra } } as KubernetesObject);
}

async function createRelease(name: string, chartSpec: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  await client.create({ ...HELM_RELEASE, metadata: { name, namespace: NS }, spec: { interval: '5m', chart: { spec: chartSpec }, ...extra } } as KubernetesObject);
}

const mergePatch = (kind: { apiVersion: string; kind: string }, name: string, patch: { metadata?: Record<string, unknown> } & Record<string, unknown>) =>
  client.patch({ ...kind, ...patch, metadata: { ...patch.metadata, name, namespace: NS } }, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);

beforeAll(async () => {
  registry = await startChartRegistry({ auth: AUTH });
  emulator = await startKubeEmulator({ readyDelayMs: 100 });
  const cluster = emulator.createCluster('flux-1');
  client = KubernetesObjectApi.makeApiClient(cluster.kubeConfigObject());
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await createSecret('charts-auth', AUTH);
  await createHelmRepository('local-charts', 'charts-auth');
});

afterAll(async () => {
  await emulator?.stop();
  await registry?.stop();
});

describe('chart versions and intervals, as Flux reads them', () => {
  const versions = ['0.1.0', '0.2.0', '0.2.1', '1.0.0-rc.1', '1.0.0', '1.3.2', '2.0.0'];
  test.each([
    ['0.2.0', '0.2.0'],
    ['*', '2.0.0'],
    ['', '2.0.0'],
    ['>=0.1.0 <1.0.0', '0.2.1'],
    ['>=0.1.0, <1.0.0', '0.2.1'],
    ['~0.2.0', '0.2.1'],
    ['^1.0.0', '1.3.2'],
    ['^0.1', '0.1.0'],
    ['1.x', '1.3.2'],
    ['0.1.0 - 0.2.0', '0.2.0'],
    ['<0.1.0 || >=1.3.0 <2.0.0', '1.3.2'],
    ['1.0.0-rc.1', '1.0.0-rc.1'],
    ['9.9.9', undefined],
  ])('%s picks %s', (constraint, expected) => {
    expect(latestMatching(versions, constraint)).toBe(expected);
  });

  test('an improper constraint says so', () => {
    expect(() => latestMatching(versions, 'latest')).toThrow('improper constraint: latest');
  });

  test('Go durations', () => {
    expect(durationMs('5m')).toBe(300_000);
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('1h')).toBe(3_600_000);
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('5 minutes')).toBeUndefined();
  });
});

describe('Flux CRDs', () => {
  test('every cluster serves HelmRepository, OCIRepository and HelmRelease, Established', async () => {
    for (const name of ['helmrepositories.source.toolkit.fluxcd.io', 'ocirepositories.source.toolkit.fluxcd.io', 'helmreleases.helm.toolkit.fluxcd.io']) {
      const crd = (await client.read({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } })) as FluxObject;
      expect(crd.metadata?.labels?.['app.kubernetes.io/part-of']).toBe('flux');
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }
    for (const [apiVersion, kind] of [['source.toolkit.fluxcd.io/v1', 'HelmRepository'], ['source.toolkit.fluxcd.io/v1', 'OCIRepository'], ['source.toolkit.fluxcd.io/v1beta2', 'OCIRepository'], ['helm.toolkit.fluxcd.io/v2', 'HelmRelease']] as const) {
      expect((await client.list(apiVersion, kind, NS)).items).toBeDefined();
    }
  });

  test('the schemas validate: a HelmRelease without an interval is Invalid', async () => {
    await expect(client.create({ ...HELM_RELEASE, metadata: { name: 'no-interval', namespace: NS }, spec: { chart: { spec: { chart: 'hello', sourceRef: { kind: 'HelmRepository', name: 'local-charts' } } } } } as KubernetesObject)).rejects.toMatchObject({ code: 422 });
  });

  test('flux: false leaves them out', async () => {
    const plain = await startKubeEmulator({ flux: false });
    try {
      const other = KubernetesObjectApi.makeApiClient(plain.createCluster('plain').kubeConfigObject());
      await expect(other.read({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'helmreleases.helm.toolkit.fluxcd.io' } })).rejects.toMatchObject({ code: 404 });
    } finally {
      await plain.stop();
    }
  });
});

describe('HelmRepository', () => {
  test('is Ready with the right credentials, its artifact the index digest', async () => {
    const repository = await waitFor(HELM_REPOSITORY, 'local-charts', readyIs('True'), 'to be Ready');
    expect(ready(repository)).toMatchObject({ reason: 'Succeeded', message: expect.stringMatching(/^stored artifact: revision 'sha256:[0-9a-f]{64}'$/) });
    expect(repository.status?.artifact?.revision).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ready(repository)?.message).toBe(`stored artifact: revision '${repository.status?.artifact?.revision}'`);
    expect(repository.status?.artifact?.digest).toBe(repository.status?.artifact?.revision);
    expect(repository.status?.artifact?.lastUpdateTime).toBeTruthy();
  });

  test('is Ready False with the registry answer for a wrong password, and Ready once the Secret is fixed', async () => {
    await createSecret('wrong-auth', { username: AUTH.username, password: 'not-it' });
    await createHelmRepository('wrong-password', 'wrong-auth');
    const refused = await waitFor(HELM_REPOSITORY, 'wrong-password', readyIs('False'), 'to fail');
    expect(ready(refused)?.reason).toBe('Failed');
    expect(ready(refused)?.message).toContain('401 Unauthorized');
    expect(ready(refused)?.message).toContain(`${registry.url}/index.yaml`);

    await mergePatch({ apiVersion: 'v1', kind: 'Secret' }, 'wrong-auth', { stringData: { password: AUTH.password } });
    await waitFor(HELM_REPOSITORY, 'wrong-password', readyIs('True', 'Succeeded'), 'to be Ready after the Secret changed');
  });

  test('a missing Secret is AuthenticationFailed', async () => {
    await createHelmRepository('no-secret', 'absent');
    const failed = await waitFor(HELM_REPOSITORY, 'no-secret', readyIs('False'), 'to fail');
    expect(ready(failed)).toMatchObject({ reason: 'AuthenticationFailed', message: `failed to get secret '${NS}/absent': secrets "absent" not found` });
  });
});

describe('HelmRelease from a HelmRepository', () => {
  test('installs an existing version, then upgrades on a version change', async () => {
    await createRelease('hello', { chart: 'hello', version: '0.1.0', sourceRef: { kind: 'HelmRepository', name: 'local-charts' } }, { values: { message: 'hi' } });
    const installed = await waitFor(HELM_RELEASE, 'hello', readyIs('True'), 'to be installed');
    expect(ready(installed)).toMatchObject({ reason: 'InstallSucceeded', message: `Helm install succeeded for release ${NS}/hello.v1 with chart hello@0.1.0` });
    expect(installed.status).toMatchObject({ lastAttemptedRevision: '0.1.0', lastAttemptedGeneration: 1, observedGeneration: 1 });
    expect(installed.status?.history).toEqual([expect.objectContaining({ chartName: 'hello', chartVersion: '0.1.0', version: 1, status: 'deployed', name: 'hello', namespace: NS })]);

    await mergePatch(HELM_RELEASE, 'hello', { spec: { chart: { spec: { version: '0.2.0' } } } });
    const upgraded = await waitFor(HELM_RELEASE, 'hello', (o) => readyIs('True', 'UpgradeSucceeded')(o), 'to be upgraded');
    expect(ready(upgraded)?.message).toBe(`Helm upgrade succeeded for release ${NS}/hello.v2 with chart hello@0.2.0`);
    expect(upgraded.status).toMatchObject({ lastAttemptedRevision: '0.2.0', lastAttemptedGeneration: 2, observedGeneration: 2 });
    expect(upgraded.status?.history?.map((h) => [h.chartVersion, h.version, h.status])).toEqual([
      ['0.2.0', 2, 'deployed'],
      ['0.1.0', 1, 'superseded'],
    ]);

    // New values are an upgrade too; the same values again change nothing.
    await mergePatch(HELM_RELEASE, 'hello', { spec: { values: { message: 'hello again' } } });
    const revalued = await waitFor(HELM_RELEASE, 'hello', (o) => ready(o)?.message.includes('.v3') === true, 'to be upgraded for its values');
    expect(revalued.status?.history?.[0]).toMatchObject({ chartVersion: '0.2.0', version: 3 });
  });

  test('is Ready False with Flux message for a version the registry does not have', async () => {
    await createRelease('missing', { chart: 'hello', version: '9.9.9', sourceRef: { kind: 'HelmRepository', name: 'local-charts' } });
    const failed = await waitFor(HELM_RELEASE, 'missing', readyIs('False'), 'to fail');
    expect(ready(failed)).toMatchObject({
      reason: 'ArtifactFailed',
      message: "invalid chart reference: failed to get chart version for remote reference: no 'hello' chart with version matching '9.9.9' found",
    });
    expect(failed.status?.history).toBeUndefined();
  });

  test('picks the latest version in a semver range', async () => {
    await createRelease('ranged', { chart: 'hello', version: '>=0.1.0 <0.2.0', sourceRef: { kind: 'HelmRepository', name: 'local-charts' } });
    await createRelease('latest', { chart: 'hello', sourceRef: { kind: 'HelmRepository', name: 'local-charts' } });
    expect(ready(await waitFor(HELM_RELEASE, 'ranged', readyIs('True'), 'to be installed'))?.message).toMatch(/with chart hello@0\.1\.0$/);
    expect(ready(await waitFor(HELM_RELEASE, 'latest', readyIs('True'), 'to be installed'))?.message).toMatch(/with chart hello@0\.2\.0$/);
  });

  test('waits for its source: SourceNotReady until the HelmRepository has an artifact', async () => {
    await createRelease('early', { chart: 'hello', version: '0.1.0', sourceRef: { kind: 'HelmRepository', name: 'later-repo' } });
    const waiting = await waitFor(HELM_RELEASE, 'early', (o) => ready(o)?.reason === 'SourceNotReady', 'to wait');
    expect(ready(waiting)?.status).toBe('False');
    await createHelmRepository('later-repo', 'charts-auth');
    await waitFor(HELM_RELEASE, 'early', readyIs('True', 'InstallSucceeded'), 'to be installed once the source is');
  });

  test('a version that vanishes from the registry turns the release Ready False', async () => {
    await createRelease('vanishing', { chart: 'hello', version: '0.1.0', sourceRef: { kind: 'HelmRepository', name: 'local-charts' } });
    await waitFor(HELM_RELEASE, 'vanishing', readyIs('True'), 'to be installed');
    registry.unpublish('hello', '0.1.0');
    try {
      // `flux reconcile source helm`: the annotation makes the source fetch now rather than at its interval.
      await mergePatch(HELM_REPOSITORY, 'local-charts', { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': new Date().toISOString() } } });
      const failed = await waitFor(HELM_RELEASE, 'vanishing', readyIs('False'), 'to fail');
      expect(ready(failed)?.message).toBe("invalid chart reference: failed to get chart version for remote reference: no 'hello' chart with version matching '0.1.0' found");
      // What was deployed stays deployed.
      expect(failed.status?.history?.[0]).toMatchObject({ chartVersion: '0.1.0', status: 'deployed' });
    } finally {
      await registry.publish('hello', '0.1.0');
    }
    await mergePatch(HELM_REPOSITORY, 'local-charts', { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': `${new Date().toISOString()}-again` } } });
    await waitFor(HELM_RELEASE, 'vanishing', readyIs('True', 'InstallSucceeded'), 'to be Ready again');
  });
});

describe('intervals', () => {
  test('a source fetches again every spec.interval (floored to 5 s), so a vanished version fails its release unprompted', { timeout: 30_000 }, async () => {
    const own = await startChartRegistry();
    try {
      await client.create({ ...HELM_REPOSITORY, metadata: { name: 'polled', namespace: NS }, spec: { url: own.url, interval: '1s' } } as KubernetesObject);
      await createRelease('polled', { chart: 'hello', version: '0.2.0', sourceRef: { kind: 'HelmRepository', name: 'polled' } }, { interval: '1s' });
      await waitFor(HELM_RELEASE, 'polled', readyIs('True'), 'to be installed');
      const revision = (await read(HELM_REPOSITORY, 'polled')).status?.artifact?.revision;
      own.unpublish('hello', '0.2.0');
      const failed = await waitFor(HELM_RELEASE, 'polled', readyIs('False'), 'to fail at the next fetch', 15_000);
      expect(ready(failed)?.reason).toBe('ArtifactFailed');
      expect((await read(HELM_REPOSITORY, 'polled')).status?.artifact?.revision).not.toBe(revision);
    } finally {
      await own.stop();
    }
  });
});

describe('OCI sources', () => {
  const dockerConfig = (password: string) => JSON.stringify({ auths: { [registry.ociHost]: { username: AUTH.username, password, auth: Buffer.from(`${AUTH.username}:${password}`).toString('base64') } } });

  test('an OCIRepository does the token flow and stores the tag manifest; a chartRef release installs it', async () => {
    await createSecret('oci-auth', { '.dockerconfigjson': dockerConfig(AUTH.password) }, 'kubernetes.io/dockerconfigjson');
    await client.create({
      ...OCI_REPOSITORY,
      metadata: { name: 'hello-oci', namespace: NS },
      spec: { url: `oci://${registry.ociHost}/charts/hello`, ref: { tag: '0.2.0' }, interval: '5m', insecure: true, secretRef: { name: 'oci-auth' }, layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' } },
    } as KubernetesObject);
    const source = await waitFor(OCI_REPOSITORY, 'hello-oci', readyIs('True'), 'to be Ready');
    expect(ready(source)).toMatchObject({ reason: 'Succeeded', message: expect.stringMatching(/^stored artifact for digest '0\.2\.0@sha256:[0-9a-f]{64}'$/) });
    expect(source.status?.artifact?.revision).toMatch(/^0\.2\.0@sha256:/);

    await client.create({ ...HELM_RELEASE, metadata: { name: 'hello-from-oci', namespace: NS }, spec: { interval: '5m', chartRef: { kind: 'OCIRepository', name: 'hello-oci' }, targetNamespace: 'default' } } as KubernetesObject);
    const release = await waitFor(HELM_RELEASE, 'hello-from-oci', readyIs('True'), 'to be installed');
    expect(ready(release)).toMatchObject({ reason: 'InstallSucceeded', message: 'Helm install succeeded for release default/default-hello-from-oci.v1 with chart hello@0.2.0' });
  });

  test('an OCIRepository with a wrong password or a missing tag is Ready False with the registry answer', async () => {
    await createSecret('oci-wrong', { '.dockerconfigjson': dockerConfig('not-it') }, 'kubernetes.io/dockerconfigjson');
    await client.create({ ...OCI_REPOSITORY, metadata: { name: 'refused-oci', namespace: NS }, spec: { url: `oci://${registry.ociHost}/charts/hello`, ref: { tag: '0.1.0' }, interval: '5m', insecure: true, secretRef: { name: 'oci-wrong' } } } as KubernetesObject);
    const refused = await waitFor(OCI_REPOSITORY, 'refused-oci', readyIs('False'), 'to fail');
    expect(ready(refused)?.reason).toBe('OCIArtifactPullFailed');
    expect(ready(refused)?.message).toMatch(/^failed to determine artifact digest: GET .*\/token\?.*UNAUTHORIZED/);

    await client.create({ ...OCI_REPOSITORY, metadata: { name: 'no-tag-oci', namespace: NS }, spec: { url: `oci://${registry.ociHost}/charts/hello`, ref: { tag: '9.9.9' }, interval: '5m', insecure: true, secretRef: { name: 'oci-auth' } } } as KubernetesObject);
    const missing = await waitFor(OCI_REPOSITORY, 'no-tag-oci', readyIs('False'), 'to fail');
    expect(ready(missing)?.message).toContain('MANIFEST_UNKNOWN');
  });

  test('a type: oci HelmRepository is Ready at once; its release finds the chart among the tags', async () => {
    await client.create({ ...HELM_REPOSITORY, metadata: { name: 'oci-charts', namespace: NS }, spec: { type: 'oci', url: `oci://${registry.ociHost}/charts`, interval: '5m', insecure: true, secretRef: { name: 'oci-auth' } } } as KubernetesObject);
    await waitFor(HELM_REPOSITORY, 'oci-charts', readyIs('True'), 'to be Ready');
    await createRelease('hello-oci-repo', { chart: 'hello', version: '0.1.0', sourceRef: { kind: 'HelmRepository', name: 'oci-charts' } });
    expect(ready(await waitFor(HELM_RELEASE, 'hello-oci-repo', readyIs('True'), 'to be installed'))?.reason).toBe('InstallSucceeded');
    await createRelease('missing-oci', { chart: 'hello', version: '7.0.0', sourceRef: { kind: 'HelmRepository', name: 'oci-charts' } });
    expect(ready(await waitFor(HELM_RELEASE, 'missing-oci', readyIs('False'), 'to fail'))?.message).toBe(
      "invalid chart reference: failed to get chart version for remote reference: no 'hello' chart with version matching '7.0.0' found",
    );
  });
});

describe('kubectl', () => {
  test('get helmreleases and helmrepositories print Flux columns', async () => {
    const kubectl = await kubectlSandbox(emulator.kubeconfig('flux-1'));
    try {
      const releases = await kubectl(['get', 'helmreleases', '-n', NS]);
      expect(releases.code, releases.stderr).toBe(0);
      const { header, rows } = table(releases.stdout);
      expect(header).toEqual(['NAME', 'AGE', 'READY', 'STATUS']);
      expect(rows.find((r) => r[0] === 'missing')?.slice(2)).toEqual(['False', "invalid chart reference: failed to get chart version for remote reference: no 'hello' chart with version matching '9.9.9' found"]);
      expect(rows.find((r) => r[0] === 'hello')?.[2]).toBe('True');
      const repositories = await kubectl(['get', 'helmrepo', 'local-charts', '-n', NS]);
      expect(table(repositories.stdout).header).toEqual(['NAME', 'URL', 'AGE', 'READY', 'STATUS']);
      expect(table(repositories.stdout).rows[0]?.[1]).toBe(registry.url);
    } finally {
      await kubectl.cleanup();
    }
  });
});

describe('persistence', () => {
  test('after a restart, sources fetch again and installed releases stay as they were', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flux-emulator-'));
    try {
      let first = await startKubeEmulator({ dataDir, readyDelayMs: 50 });
      const kc = first.createCluster('flux-restart').kubeConfigObject();
      let api = KubernetesObjectApi.makeApiClient(kc);
      await api.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'auth', namespace: 'default' }, stringData: AUTH } as KubernetesObject);
      await api.create({ ...HELM_REPOSITORY, metadata: { name: 'charts', namespace: 'default' }, spec: { url: registry.url, interval: '5m', secretRef: { name: 'auth' } } } as KubernetesObject);
      await api.create({ ...HELM_RELEASE, metadata: { name: 'kept', namespace: 'default' }, spec: { interval: '5m', chart: { spec: { chart: 'hello', version: '0.2.0', sourceRef: { kind: 'HelmRepository', name: 'charts' } } } } } as KubernetesObject);
      const installed = async () => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const release = (await api.read({ ...HELM_RELEASE, metadata: { name: 'kept', namespace: 'default' } })) as FluxObject;
          if (ready(release)?.status === 'True') return release;
          if (Date.now() > deadline) throw new Error(`release not Ready: ${JSON.stringify(release.status)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const before = await installed();
      await first.stop();

      first = await startKubeEmulator({ dataDir, readyDelayMs: 50 });
      api = KubernetesObjectApi.makeApiClient(first.kubeConfigObject('flux-restart'));
      const after = await installed();
      expect(after.status?.history).toEqual(before.status?.history);
      await first.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
