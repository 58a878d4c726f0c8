/**
 * AKS and GKE host clusters from the HTTP API down to the clouds' own HTTP APIs. The
 * providers run in their provider functions behind the local Lambda endpoint, in this
 * process, so nock plays Azure (AAD + ARM) and Google Cloud (GKE API v1) for them
 * (test/support/fake-azure.ts, fake-gcp.ts), each advancing its clusters one step per
 * poll. Everything between the HTTP client and those fakes is the real runtime: the
 * API, DynamoDB Local, the workflows on the local Step Functions, the sealed secrets.
 *
 * The tests run in order and share the runtime: the last one looks for the Azure
 * client secret and the Google private key in everything the others left behind.
 */
import { generateKeyPairSync } from 'node:crypto';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, TestRuntime } from '../support/local-api.ts';
import { FakeAzure } from '../support/fake-azure.ts';
import { FakeGoogle, GkeTaintEffect, googleStatus } from '../support/fake-gcp.ts';

const base = '/v1/projects/default';

// ---------------------------------------------------------------------------------
// The customer's clouds
// ---------------------------------------------------------------------------------

const AZ = {
  tenantId: '7f3c2a10-1b2c-4d5e-8f90-0a1b2c3d4e5f',
  clientId: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
  subscriptionId: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
};
const AZURE_SECRET = 'Az8Q~e2e.N3ver-Leak_this.s3cret~4711';
const SUBNET = `/subscriptions/${AZ.subscriptionId}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/prod-vnet/subnets/aks-nodes`;

const GCP_PROJECT = 'acme-ml-204511';
const GCP_EMAIL = `palette@${GCP_PROJECT}.iam.gserviceaccount.com`;
const PRIVATE_KEY_ID = '9f8e7d6c5b4a39281706f5e4d3c2b1a0e2e0c0de';
const { privateKey: PRIVATE_KEY } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const KEY_FILE = JSON.stringify({
  type: 'service_account',
  project_id: GCP_PROJECT,
  private_key_id: PRIVATE_KEY_ID,
  private_key: PRIVATE_KEY,
  client_email: GCP_EMAIL,
  client_id: '104857600123456789012',
  auth_uri: 'https://accounts.google.com/o/oauth2/auth',
  token_uri: 'https://oauth2.googleapis.com/token',
});
/** The base64 lines of the key's body: none may show up anywhere, escaped or not. */
const KEY_LINES = PRIVATE_KEY.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));

const azure = new FakeAzure({ ...AZ, autoAdvance: true });
const google = new FakeGoogle({ projectId: GCP_PROJECT, autoAdvance: true });

// ---------------------------------------------------------------------------------
// The runtime, with every log line it writes kept
// ---------------------------------------------------------------------------------

let rt: TestRuntime;
let until: typeof import('../support/local-api.ts').until;
const written: string[] = [];
const originals = { stdout: process.stdout.write, stderr: process.stderr.write };

beforeAll(async () => {
  // Loggers read their level when their module loads: as much logging as there is, so
  // the secret scan at the end sees everything the platform would ever write.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
  for (const stream of ['stdout', 'stderr'] as const) {
    const original = originals[stream];
    process[stream].write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      written.push(String(chunk));
      if (String(chunk).startsWith('{')) return true; // log lines: kept, not printed
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof original;
  }
  // Nothing leaves this machine: the clouds are nock's, everything else is on loopback.
  nock.disableNetConnect();
  nock.enableNetConnect((host: string) => /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host));
  const support = await import('../support/local-api.ts');
  until = support.until;
  rt = await support.startTestRuntime({ simSpeed: 1000 });
});

afterAll(async () => {
  await rt?.stop();
  nock.abortPendingRequests();
  nock.cleanAll();
  nock.enableNetConnect();
  process.stdout.write = originals.stdout;
  process.stderr.write = originals.stderr;
});

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

const paths = (r: ApiResponse) => ((r.body?.errors ?? []) as Array<{ path: string }>).map((e) => e.path);

async function operationEnd(operationId: string, timeoutMs = 20_000) {
  const started = Date.now();
  const op = await until(`operation ${operationId}`, () => rt.admin.get(`/v1/operations/${operationId}`), (r) => r.body.status !== 'Running', timeoutMs);
  return { op: op.body, ms: Date.now() - started };
}

async function profile(name: string, version: string, cloud: string, k8s: string): Promise<string> {
  const created = await rt.admin.post(`${base}/clusterprofiles`, {
    name, version, cloud, type: 'full',
    layers: [{ type: 'os', name: 'ubuntu', version: '22.04' }, { type: 'k8s', name: 'kubernetes', version: k8s }],
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function createCluster(body: Record<string, unknown>) {
  const created = await rt.admin.post(`${base}/clusters`, body);
  expect(created.status, created.text).toBe(202);
  return created.body as { id: string; operationId: string; providerName?: string };
}

async function expectGone(clusterId: string) {
  const deleting = await rt.admin.delete(`${base}/clusters/${clusterId}`);
  expect(deleting.status, deleting.text).toBe(202);
  const { op } = await operationEnd(deleting.body.operationId);
  expect(op, JSON.stringify(op)).toMatchObject({ status: 'Succeeded' });
  expect((await rt.admin.get(`${base}/clusters/${clusterId}`)).status).toBe(404);
}

/** The managed cluster ARM path of a cluster, from its recorded requests (its provider name is ours to pick). */
const armClusterPath = (rg: string, providerName: string) =>
  new RegExp(`/resourceGroups/${rg}/providers/Microsoft\\.ContainerService/managedClusters/${providerName}$`);

async function providerNameOf(clusterId: string): Promise<string> {
  // The provider name is not in the API's answers; it is the one managed cluster /
  // GKE cluster whose tags / labels carry the cluster id.
  const fromAzure = [...azure.clusters.values()].find((c) => c.tags['palette:cluster'] === clusterId)?.name;
  const fromGoogle = [...google.clusters.values()].find((c) => c.json.resourceLabels?.['palette-cluster'] === clusterId.toLowerCase())?.json.name as string | undefined;
  return fromAzure ?? fromGoogle ?? `palette-${clusterId.slice(3).toLowerCase()}`;
}

// ---------------------------------------------------------------------------------
// AKS
// ---------------------------------------------------------------------------------

describe('AKS host clusters through the API, against Azure faked at HTTP', () => {
  let accountId: string;
  let profileV1: string;
  let profileV2: string;
  let clusterId: string;
  let providerName: string;

  beforeAll(async () => {
    nock.cleanAll();
    azure.install();
    profileV1 = await profile('aks-base', '1.0.0', 'aks', '1.30');
    profileV2 = await profile('aks-base', '1.1.0', 'aks', '1.31');
  });

  const gpuCluster = (extra: Record<string, unknown> = {}) => ({
    name: 'aks-gpu',
    cloudAccountId: accountId,
    region: 'westeurope',
    profileId: profileV1,
    network: { vnetSubnetId: SUBNET },
    nodePools: [
      { name: 'system', instanceType: 'Standard_D4s_v5', count: 3 },
      {
        name: 'gpu-t4',
        instanceType: 'Standard_NC4as_T4_v3',
        count: 2,
        labels: { 'team.example.com/owner': 'ml' },
        taints: [{ key: 'dedicated', value: 'ml', effect: 'NoExecute' }],
      },
    ],
    ...extra,
  });

  it('refuses an azure account without a client secret at body.azure.clientSecret', async () => {
    const missing = await rt.admin.post(`${base}/cloudaccounts`, { name: 'azure-nosecret', provider: 'azure', azure: { ...AZ } });
    expect(missing.status).toBe(400);
    expect(paths(missing)).toContain('body.azure.clientSecret');
  });

  it('registers an azure account that answers secretSet and never the client secret, and validates it against Azure', async () => {
    const account = await rt.admin.post(`${base}/cloudaccounts`, { name: 'customer-azure', provider: 'azure', azure: { ...AZ, clientSecret: AZURE_SECRET } });
    expect(account.status, account.text).toBe(201);
    expect(account.body).toMatchObject({ provider: 'azure', secretSet: true, azure: { ...AZ } });
    expect(account.body.azure).not.toHaveProperty('clientSecret');
    expect(account.text).not.toContain(AZURE_SECRET);
    accountId = account.body.id;
    const read = await rt.admin.get(`${base}/cloudaccounts/${accountId}`);
    expect(read.body).toMatchObject({ secretSet: true });
    expect(read.text).not.toContain(AZURE_SECRET);

    const tokensBefore = azure.tokenRequests.length;
    const validated = await rt.admin.post(`${base}/cloudaccounts/${accountId}/validate`);
    expect(validated.status).toBe(200);
    expect(validated.body).toEqual({ valid: true, message: expect.any(String) });
    // It signed in as the service principal, with its secret, and asked ARM something.
    expect(azure.tokenRequests.length).toBeGreaterThan(tokensBefore);
    expect(azure.tokenRequests.at(-1)).toContain(`client_id=${AZ.clientId}`);
    expect(azure.tokenRequests.at(-1)).toContain(`client_secret=${encodeURIComponent(AZURE_SECRET)}`);
    expect(azure.calls('GET', /managedClusters\//).length).toBeGreaterThan(0);
  });

  it('refuses an EKS instance type on an azure account at body.nodePools.0.instanceType, and a taint effect that does not exist, writing nothing', async () => {
    const before = await rt.snapshot();
    const eksType = await rt.admin.post(`${base}/clusters`, gpuCluster({ name: 'aks-wrong-type', nodePools: [{ name: 'system', instanceType: 'm6i.large', count: 1 }] }));
    expect(eksType.status).toBe(400);
    expect(paths(eksType)).toContain('body.nodePools.0.instanceType');
    const sometimes = await rt.admin.post(
      `${base}/clusters`,
      gpuCluster({ name: 'aks-bad-taint', nodePools: [{ name: 'system', instanceType: 'Standard_D4s_v5', count: 1, taints: [{ key: 'dedicated', effect: 'Sometimes' }] }] }),
    );
    expect(sometimes.status).toBe(400);
    expect(paths(sometimes)).toContain('body.nodePools.0.taints.0.effect');
    expect(await rt.snapshot()).toEqual(before);
  });

  it('creates a cluster with a system pool and a GPU pool: ARM gets the pools with their sizes, labels, taints, GPU driver and subnet, and the cluster runs', async () => {
    const putsBefore = azure.calls('PUT', /managedClusters\/[^/]+$/).length;
    const created = await createCluster(gpuCluster());
    clusterId = created.id;
    const { op, ms } = await operationEnd(created.operationId);
    expect(op, JSON.stringify(op)).toMatchObject({ status: 'Succeeded', progress: { done: op.progress?.total } });
    expect(op.steps.filter((s: { status: string }) => s.status === 'Failed')).toEqual([]);
    expect(ms).toBeLessThan(15_000);

    providerName = await providerNameOf(clusterId);
    const puts = azure.calls('PUT', armClusterPath('palette-westeurope', providerName));
    expect(puts).toHaveLength(1);
    expect(azure.calls('PUT', /managedClusters\/[^/]+$/)).toHaveLength(putsBefore + 1);
    const body = puts[0]!.body!;
    expect(body).toMatchObject({
      location: 'westeurope',
      tags: { 'palette:cluster': clusterId },
      properties: { kubernetesVersion: '1.30' },
    });
    const profiles = body.properties.agentPoolProfiles as Array<Record<string, any>>;
    expect(profiles).toHaveLength(2);
    const [system, gpu] = profiles;
    expect(system).toMatchObject({ name: 'system', mode: 'System', vmSize: 'Standard_D4s_v5', count: 3, vnetSubnetID: SUBNET });
    expect(system).not.toHaveProperty('gpuProfile');
    expect(system).not.toHaveProperty('nodeTaints');
    expect(gpu).toMatchObject({
      mode: 'User',
      vmSize: 'Standard_NC4as_T4_v3',
      count: 2,
      vnetSubnetID: SUBNET,
      nodeLabels: { 'team.example.com/owner': 'ml', 'palette.dev/gpu-model': 'nvidia-t4', 'palette.io/node-pool': 'gpu-t4' },
    });
    expect(gpu!.nodeTaints).toHaveLength(2);
    expect(gpu!.nodeTaints).toEqual(expect.arrayContaining(['dedicated=ml:NoExecute', 'nvidia.com/gpu=present:NoSchedule']));
    // The NVIDIA driver, as agent-pools.ts installs it on a GPU pool.
    expect(gpu!.gpuProfile).toEqual({ driver: 'Install' });

    // Polled, not spun on: the fake moves on once per poll, so a handful of GETs did it.
    expect(azure.calls('GET', armClusterPath('palette-westeurope', providerName)).length).toBeLessThanOrEqual(8);

    const running = await rt.admin.get(`${base}/clusters/${clusterId}`);
    expect(running.body).toMatchObject({
      provider: 'aks',
      status: { phase: 'Running' },
      kubernetesVersion: '1.30',
      network: { vnetSubnetId: SUBNET },
      endpoint: `https://${providerName}-k3x9.hcp.westeurope.azmk8s.io:443`,
      capacity: { cpu: 3 * 4 + 2 * 4, memoryMiB: (3 * 16 + 2 * 28) * 1024, storageGiB: 5 * 128, gpu: 2 },
    });
    expect(running.body.nodePools).toEqual([
      expect.objectContaining({ name: 'system', gpu: null }),
      expect.objectContaining({
        name: 'gpu-t4',
        gpu: { count: 1, model: 'nvidia-t4' },
        labels: expect.objectContaining({ 'palette.dev/gpu-model': 'nvidia-t4', 'team.example.com/owner': 'ml' }),
        taints: expect.arrayContaining([{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]),
      }),
    ]);
  });

  it("hands out the cluster's kubeconfig from AKS's user credentials, through the provider function", async () => {
    const kubeconfig = await rt.admin.get(`${base}/clusters/${clusterId}/kubeconfig`);
    expect(kubeconfig.status, kubeconfig.text).toBe(200);
    expect(kubeconfig.headers.get('content-type')).toContain('yaml');
    expect(kubeconfig.text).toMatch(/server: https:\/\/[^\s]+\.azmk8s\.io:443/);
    expect(azure.calls('POST', /\/listClusterUserCredential$/).length).toBeGreaterThan(0);
  });

  it('scales the system pool: ARM gets the agent pool with its new count', async () => {
    const scaling = await rt.admin.patch(`${base}/clusters/${clusterId}/nodepools/system`, { count: 4 });
    expect(scaling.status, scaling.text).toBe(202);
    const { op } = await operationEnd(scaling.body.operationId);
    expect(op, JSON.stringify(op)).toMatchObject({ status: 'Succeeded' });
    const [put, ...more] = azure.calls('PUT', new RegExp(`managedClusters/${providerName}/agentPools/system$`));
    expect(more).toHaveLength(0);
    expect(put?.body?.properties).toMatchObject({ count: 4, vmSize: 'Standard_D4s_v5', mode: 'System' });
    const scaled = await rt.admin.get(`${base}/clusters/${clusterId}`);
    expect(scaled.body).toMatchObject({ status: { phase: 'Running' }, capacity: { cpu: 4 * 4 + 2 * 4, gpu: 2 } });
    expect(scaled.body.nodePools[0]).toMatchObject({ name: 'system', count: 4 });
  });

  it('upgrades to a profile version with a newer Kubernetes: the control plane first, then every agent pool', async () => {
    const upgrading = await rt.admin.post(`${base}/clusters/${clusterId}/upgrade`, { profileId: profileV2 });
    expect(upgrading.status, upgrading.text).toBe(202);
    const { op } = await operationEnd(upgrading.body.operationId);
    expect(op, JSON.stringify(op)).toMatchObject({ status: 'Succeeded' });
    const puts = azure.calls('PUT', armClusterPath('palette-westeurope', providerName));
    expect(puts).toHaveLength(2);
    expect(puts[1]?.body?.properties.kubernetesVersion).toBe('1.31');
    const poolPuts = azure.calls('PUT', new RegExp(`managedClusters/${providerName}/agentPools/`)).filter((r) => r.body?.properties.orchestratorVersion === '1.31');
    expect(poolPuts.map((r) => r.path.split('/').pop()).sort()).toHaveLength(2);
    const upgraded = await rt.admin.get(`${base}/clusters/${clusterId}`);
    expect(upgraded.body).toMatchObject({ status: { phase: 'Running' }, kubernetesVersion: '1.31', profileId: profileV2 });
  });

  it('deletes the cluster: ARM gets the DELETE and the cluster is gone', async () => {
    await expectGone(clusterId);
    expect(azure.calls('DELETE', armClusterPath('palette-westeurope', providerName))).toHaveLength(1);
    expect(azure.clusters.has(providerName)).toBe(false);
  });

  it('gets through a 429 on the create PUT and still ends Succeeded', async () => {
    azure.fault('PUT', /managedClusters\/[^/]+$/, [429, { error: { code: 'TooManyRequests', message: 'The request is being throttled as the limit has been reached.' } }, { 'Retry-After': '0' }]);
    const created = await createCluster(gpuCluster({ name: 'aks-throttled', nodePools: [{ name: 'system', instanceType: 'Standard_D4s_v5', count: 1 }] }));
    const { op } = await operationEnd(created.operationId);
    expect(op, JSON.stringify(op)).toMatchObject({ status: 'Succeeded' });
    const name = await providerNameOf(created.id);
    expect(azure.calls('PUT', armClusterPath('palette-westeurope', name))).toHaveLength(2); // the 429, then the one that took
    expect((await rt.admin.get(`${base}/clusters/${created.id}`)).body.status).toEqual({ phase: 'Running' });
    await expectGone(created.id);
  });

  it('ends in Error naming the missing permission when ARM answers AuthorizationFailed, and the cluster can then be deleted', async () => {
    azure.fault('PUT', /managedClusters\/[^/]+$/, [
      403,
      {
        error: {
          code: 'AuthorizationFailed',
          message:
            `The client '${AZ.clientId}' with object id 'ffffffff-0000-0000-0000-000000000001' does not have authorization to perform action ` +
            `'Microsoft.ContainerService/managedClusters/write' over scope '/subscriptions/${AZ.subscriptionId}/resourceGroups/palette-westeurope/providers/Microsoft.ContainerService/managedClusters/x' ` +
            'or the scope is invalid. If access was recently granted, please refresh your credentials.',
        },
      },
    ]);
    const created = await createCluster(gpuCluster({ name: 'aks-denied' }));
    const { op } = await operationEnd(created.operationId);
    expect(op.status).toBe('Failed');
    expect(op.error.message).toMatch(/Microsoft\.ContainerService\/managedClusters\/write/);
    const failed = await rt.admin.get(`${base}/clusters/${created.id}`);
    expect(failed.body.status).toEqual({ phase: 'Error', message: expect.stringMatching(/lacks Microsoft\.ContainerService\/managedClusters\/write on resource group palette-westeurope/) });
    await expectGone(created.id);
  });

  it('removes a cluster whose cloud refuses the delete only when forced by a project.admin, naming in the audit what may be left', async () => {
    const created = await createCluster(gpuCluster({ name: 'aks-stuck' }));
    expect((await operationEnd(created.operationId)).op.status).toBe('Succeeded');
    const name = await providerNameOf(created.id);
    const denied: [number, Record<string, unknown>] = [403, { error: { code: 'AuthorizationFailed', message: 'The client does not have authorization to perform action Microsoft.ContainerService/managedClusters/delete.' } }];
    azure.fault('DELETE', armClusterPath('palette-westeurope', name), denied, 10);

    // Without force the cloud's refusal ends the delete, and the record stays.
    const plain = await rt.admin.delete(`${base}/clusters/${created.id}`);
    expect(plain.status).toBe(202);
    expect((await operationEnd(plain.body.operationId)).op.status).toBe('Failed');
    expect((await rt.admin.get(`${base}/clusters/${created.id}`)).body.status.phase).toBe('Error');

    // An editor may not force.
    const user = await rt.admin.post('/v1/users', { email: 'aks-editor@demo.local', name: 'Ed' });
    await rt.admin.put(`${base}/members/${user.body.id}`, { role: 'project.editor' });
    const editor = rt.as((await rt.admin.post(`/v1/users/${user.body.id}/apikeys`, { name: 'k' })).body.key);
    const refused = await editor.delete(`${base}/clusters/${created.id}?force=true`);
    expect(refused.status).toBe(403);
    expect((await rt.admin.delete(`${base}/clusters/${created.id}?force=maybe`)).status).toBe(400);

    const forced = await rt.admin.delete(`${base}/clusters/${created.id}?force=true`);
    expect(forced.status).toBe(202);
    expect((await operationEnd(forced.body.operationId)).op.status).toBe('Succeeded');
    expect((await rt.admin.get(`${base}/clusters/${created.id}`)).status).toBe(404);
    const audit = await rt.admin.get('/v1/audit?action=cluster.delete&limit=100');
    const entry = audit.body.items.find((e: { resourceId: string; detail?: string }) => e.resourceId === created.id && e.detail);
    expect(entry.detail).toMatch(new RegExp(`forced delete: .*${name} in westeurope .*may still exist`));
  });
});

// ---------------------------------------------------------------------------------
// GKE
// ---------------------------------------------------------------------------------

describe('GKE host clusters through the API, against Google Cloud faked at HTTP', () => {
  let accountId: string;
  let profileId: string;
  let clusterId: string;
  let providerName: string;

  beforeAll(async () => {
    nock.cleanAll();
    google.install();
    profileId = await profile('gke-base', '1.0.0', 'gke', '1.30');
  });

  const gpuCluster = (extra: Record<string, unknown> = {}) => ({
    name: 'gke-gpu',
    cloudAccountId: accountId,
    region: 'europe-west4',
    profileId,
    network: { network: 'ml-vpc', subnetwork: 'gke-nodes' },
    nodePools: [
      { name: 'general', instanceType: 'e2-standard-4', count: 1 },
      {
        name: 'gpu-l4',
        instanceType: 'g2-standard-4',
        count: 1,
        labels: { 'team.example.com/owner': 'ml' },
        taints: [{ key: 'dedicated', value: 'ml', effect: 'NoExecute' }],
      },
    ],
    ...extra,
  });

  it('refuses a gcp account whose key is not JSON at body.gcp.serviceAccountKey', async () => {
    const broken = await rt.admin.post(`${base}/cloudaccounts`, { name: 'gcp-broken', provider: 'gcp', gcp: { projectId: GCP_PROJECT, serviceAccountKey: 'not json at all' } });
    expect(broken.status).toBe(400);
    expect(paths(broken)).toContain('body.gcp.serviceAccountKey');
  });

  it('registers a gcp account with a service-account key that answers secretSet and never the key, and validates it against Google', async () => {
    const account = await rt.admin.post(`${base}/cloudaccounts`, { name: 'customer-gcp', provider: 'gcp', gcp: { projectId: GCP_PROJECT, serviceAccountKey: KEY_FILE } });
    expect(account.status, account.text).toBe(201);
    expect(account.body).toMatchObject({ provider: 'gcp', secretSet: true, gcp: { projectId: GCP_PROJECT, clientEmail: GCP_EMAIL } });
    expect(account.body.gcp).not.toHaveProperty('serviceAccountKey');
    for (const line of KEY_LINES) expect(account.text).not.toContain(line);
    expect(account.text).not.toContain(PRIVATE_KEY_ID);
    accountId = account.body.id;

    const validated = await rt.admin.post(`${base}/cloudaccounts/${accountId}/validate`);
    expect(validated.status).toBe(200);
    expect(validated.body).toEqual({ valid: true, message: expect.any(String) });
    const [get] = google.calls('GET', /\/clusters\/[^/]+$/);
    expect(get?.path).toMatch(new RegExp(`^/v1/projects/${GCP_PROJECT}/locations/[a-z0-9-]+/clusters/`));
    expect(get?.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/); // a JWT signed with the key
  });

  it('creates a cluster with a general pool and a GPU pool: createCluster gets the accelerators, labels, taints and network, and the cluster runs', async () => {
    const created = await createCluster(gpuCluster());
    clusterId = created.id;
    const { op, ms } = await operationEnd(created.operationId);
    expect(op, JSON.stringify(op)).toMatchObject({ status: 'Succeeded', progress: { done: op.progress?.total } });
    expect(ms).toBeLessThan(15_000);

    providerName = await providerNameOf(clusterId);
    const posts = google.calls('POST', /\/clusters$/);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe(`/v1/projects/${GCP_PROJECT}/locations/europe-west4/clusters`);
    const cluster = posts[0]!.body!.cluster as Record<string, any>;
    expect(cluster).toMatchObject({ name: providerName, initialClusterVersion: '1.30', network: 'ml-vpc', subnetwork: 'gke-nodes' });
    const [general, gpu] = cluster.nodePools as Array<Record<string, any>>;
    expect(general).toMatchObject({ name: 'general', initialNodeCount: 1, config: { machineType: 'e2-standard-4' } });
    expect(general!.config).not.toHaveProperty('accelerators');
    expect(gpu).toMatchObject({
      name: 'gpu-l4',
      initialNodeCount: 1,
      config: {
        machineType: 'g2-standard-4',
        labels: { 'team.example.com/owner': 'ml', 'palette.dev/gpu-model': 'nvidia-l4', 'palette.io/node-pool': 'gpu-l4' },
      },
    });
    expect(gpu!.config.taints).toHaveLength(2);
    expect(gpu!.config.taints).toEqual(
      expect.arrayContaining([
        { key: 'dedicated', value: 'ml', effect: GkeTaintEffect.NO_EXECUTE },
        { key: 'nvidia.com/gpu', value: 'present', effect: GkeTaintEffect.NO_SCHEDULE },
      ]),
    );
    // int64 fields travel as strings in proto3 JSON; the driver version enum as a number (DEFAULT = 2).
    expect(gpu!.config.accelerators).toEqual([{ acceleratorCount: '1', acceleratorType: 'nvidia-l4', gpuDriverInstallationConfig: { gpuDriverVersion: 2 } }]);

    expect(google.calls('GET', new RegExp(`/clusters/${providerName}$`)).length).toBeLessThanOrEqual(8);
    const running = await rt.admin.get(`${base}/clusters/${clusterId}`);
    expect(running.body).toMatchObject({
      provider: 'gke',
      status: { phase: 'Running' },
      network: { network: 'ml-vpc', subnetwork: 'gke-nodes' },
      endpoint: 'https://34.77.10.20',
      capacity: { cpu: 8, gpu: 1 },
    });
    expect(running.body.nodePools[1]).toMatchObject({ name: 'gpu-l4', gpu: { count: 1, model: 'nvidia-l4' } });
  });

  it('scales the general pool through setSize', async () => {
    const scaling = await rt.admin.patch(`${base}/clusters/${clusterId}/nodepools/general`, { count: 2 });
    expect(scaling.status, scaling.text).toBe(202);
    const { op } = await operationEnd(scaling.body.operationId);
    expect(op, JSON.stringify(op)).toMatchObject({ status: 'Succeeded' });
    expect(google.calls('POST', new RegExp(`/clusters/${providerName}/nodePools/general:setSize$`)).map((r) => r.body)).toEqual([
      expect.objectContaining({ nodeCount: 2 }),
    ]);
    expect(google.sizes.get('general')).toBe(2);
    expect((await rt.admin.get(`${base}/clusters/${clusterId}`)).body.nodePools[0]).toMatchObject({ name: 'general', count: 2 });
  });

  it('deletes the cluster: GKE gets deleteCluster and the cluster is gone', async () => {
    await expectGone(clusterId);
    expect(google.calls('DELETE', new RegExp(`/clusters/${providerName}$`))).toHaveLength(1);
    expect(google.clusters.has(providerName)).toBe(false);
  });

  it('ends in Error naming the permission when GKE answers PERMISSION_DENIED, and the cluster can then be deleted', async () => {
    google.fault(
      'POST',
      /\/clusters$/,
      googleStatus(403, 'PERMISSION_DENIED', `Permission 'container.clusters.create' denied on resource 'projects/${GCP_PROJECT}' (or it may not exist).`),
    );
    const created = await createCluster(gpuCluster({ name: 'gke-denied' }));
    const { op } = await operationEnd(created.operationId);
    expect(op.status).toBe('Failed');
    const failed = await rt.admin.get(`${base}/clusters/${created.id}`);
    expect(failed.body.status).toEqual({
      phase: 'Error',
      message: expect.stringMatching(/container\.clusters\.create.*; grant the service account palette@\S+ the Kubernetes Engine Admin \(roles\/container\.admin\)/),
    });
    await expectGone(created.id);
  });
});

// ---------------------------------------------------------------------------------
// Clouds that cannot be reached
// ---------------------------------------------------------------------------------

describe('AKS and GKE clusters when neither cloud can be reached', () => {
  let azureAccount: string;
  let gcpAccount: string;

  beforeAll(async () => {
    // No interceptor for any Azure or Google host, and no way out: every connection fails.
    nock.cleanAll();
    const a = await rt.admin.post(`${base}/cloudaccounts`, { name: 'azure-offline', provider: 'azure', azure: { ...AZ, clientSecret: AZURE_SECRET } });
    const g = await rt.admin.post(`${base}/cloudaccounts`, { name: 'gcp-offline', provider: 'gcp', gcp: { projectId: GCP_PROJECT, serviceAccountKey: KEY_FILE } });
    azureAccount = a.body.id;
    gcpAccount = g.body.id;
  });

  it('validates both accounts as not valid, saying the cloud could not be reached', async () => {
    const a = await rt.admin.post(`${base}/cloudaccounts/${azureAccount}/validate`);
    expect(a.body).toEqual({ valid: false, message: expect.stringMatching(/Azure could not be reached/) });
    const g = await rt.admin.post(`${base}/cloudaccounts/${gcpAccount}/validate`);
    expect(g.body).toEqual({ valid: false, message: expect.stringMatching(/Google Cloud could not be reached/) });
  });

  let aks: { id: string; operationId: string };
  let gke: { id: string; operationId: string };

  it('ends an azure and a gcp create in Error saying the cloud could not be reached', async () => {
    const aksProfile = await profile('aks-offline', '1.0.0', 'aks', '1.30');
    const gkeProfile = await profile('gke-offline', '1.0.0', 'gke', '1.30');
    [aks, gke] = await Promise.all([
      createCluster({ name: 'aks-offline', cloudAccountId: azureAccount, region: 'westeurope', profileId: aksProfile, nodePools: [{ name: 'system', instanceType: 'Standard_D4s_v5', count: 1 }] }),
      createCluster({ name: 'gke-offline', cloudAccountId: gcpAccount, region: 'europe-west4', profileId: gkeProfile, nodePools: [{ name: 'general', instanceType: 'e2-standard-4', count: 1 }] }),
    ]);
    const [aksEnd, gkeEnd] = await Promise.all([operationEnd(aks.operationId, 30_000), operationEnd(gke.operationId, 30_000)]);
    expect(aksEnd.op.status).toBe('Failed');
    expect(aksEnd.op.error.message).toMatch(/Azure could not be reached/);
    expect(gkeEnd.op.status).toBe('Failed');
    expect(gkeEnd.op.error.message).toMatch(/Google Cloud could not be reached/);
    expect((await rt.admin.get(`${base}/clusters/${aks.id}`)).body.status).toEqual({ phase: 'Error', message: expect.stringMatching(/Azure could not be reached/) });
    expect((await rt.admin.get(`${base}/clusters/${gke.id}`)).body.status).toEqual({ phase: 'Error', message: expect.stringMatching(/Google Cloud could not be reached/) });
  }, 60_000);

  it('deletes both clusters: their creates never reached the cloud, so there is nothing there to remove and the records go', async () => {
    // API.md "Cluster Mode II": without force, a cluster whose create never reached its
    // cloud (no cloud resource recorded) is deleted without calling the cloud.
    expect(aks && gke).toBeTruthy();
    // Both run to their end (no workflow left running into the runtime's stop), then both must have worked.
    const results = await Promise.allSettled([expectGone(aks.id), expectGone(gke.id)]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }, 60_000);
});

// ---------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------

describe('the account secrets after all of the above', () => {
  it('appear nowhere in the table, the logs or the requests to the clouds: not the client secret, the private key or its id', async () => {
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const items: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await rt.store.doc.send(new ScanCommand({ TableName: rt.store.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of page.Items ?? []) items.push(JSON.stringify(item));
      start = page.LastEvaluatedKey;
    } while (start);
    const table = items.join('\n');
    // The accounts are there, sealed: the scan does see them.
    expect(table).toContain('customer-azure');
    expect(table).toContain('sealedClientSecret');
    expect(table).toContain('sealedServiceAccountKey');

    const logs = written.join('');
    // The API, the workflow steps and the failed credential checks all logged: the scan has something to look at.
    expect(logs).toContain('cloudaccount.validate');
    expect(logs).toContain('palette-host-cluster-steps');
    expect(logs).toContain('cloud account credential refused');
    const cloudRequests = JSON.stringify([...azure.requests, ...google.requests]);
    for (const [where, text] of [['table', table], ['logs', logs], ['cloud requests', cloudRequests]] as const) {
      expect(text.includes(AZURE_SECRET), `client secret in the ${where}`).toBe(false);
      expect(text.includes(encodeURIComponent(AZURE_SECRET)), `url-encoded client secret in the ${where}`).toBe(false);
      expect(text.includes(PRIVATE_KEY_ID), `private_key_id in the ${where}`).toBe(false);
      for (const line of KEY_LINES) expect(text.includes(line), `a line of the private key in the ${where}`).toBe(false);
    }
  });
});
