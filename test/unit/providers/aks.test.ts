/**
 * The AKS provider against a fake Azure played by nock at the HTTP layer: AAD's token
 * endpoint and a small stateful ARM (resource groups, managed clusters, agent pools,
 * credentials), so every call goes through the real @azure/identity and
 * @azure/arm-containerservice / @azure/arm-resources clients and their retry policies.
 */
import { inspect } from 'node:util';
import nock from 'nock';
import { azureInProgress, FakeAzure, type AzureReply, type Json } from '../../support/fake-azure.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aksPoolName, azureTags, compareToTarget, taintString } from '#shared/providers/aks/agent-pools.ts';
import { classifyAzureError, describeScope } from '#shared/providers/aks/errors.ts';
import { createAksProvider, type AksAccountSettings, type AksProviderOptions } from '#shared/providers/aks/provider.ts';
import {
  ClusterGoneError,
  PermanentProviderError,
  TransientProviderError,
  type ClusterRef,
  type CreateClusterInput,
} from '#shared/providers/provider.ts';

const SECRET = 'Qx8~never.Leak-this_secret-4711';
const account: AksAccountSettings = {
  tenantId: '11111111-2222-3333-4444-555555555555',
  clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  clientSecret: SECRET,
  subscriptionId: '00000000-0000-0000-0000-00000000beef',
};
const ref: ClusterRef = { clusterId: 'cl_01HXYZ', providerName: 'acme-prod', region: 'westeurope' };
const RG = 'palette-westeurope';
const LOGIN = 'https://login.microsoftonline.com';
const ARM = 'https://management.azure.com';
const SUBNET = `/subscriptions/${account.subscriptionId}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/aks`;
const GPU = aksPoolName('gpu-a100');
const FAST_RETRIES: AksProviderOptions = { retryOptions: { maxRetries: 2, retryDelayInMs: 1, maxRetryDelayInMs: 2 } };

const input: CreateClusterInput = {
  ...ref,
  kubernetesVersion: '1.30',
  nodePools: [
    { name: 'general', instanceType: 'Standard_D4s_v5', count: 3 },
    {
      name: 'gpu-a100',
      instanceType: 'Standard_NC24ads_A100_v4',
      count: 1,
      min: 0,
      max: 4,
      labels: { 'palette.io/gpu': 'a100' },
      taints: [
        { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
        { key: 'dedicated', effect: 'NoExecute' },
      ],
      gpu: { count: 1, model: 'A100' },
    },
  ],
  tags: { 'palette:cluster': ref.clusterId, 'palette:tenant': 'acme', 'team/owner': 'platform' },
  network: { vnetSubnetId: SUBNET },
};

type Reply = AzureReply;
const inProgress = azureInProgress;

function defaultPools() {
  return [
    { name: 'general', ours: 'general', vmSize: 'Standard_D4s_v5', count: 3 },
    { name: GPU, ours: 'gpu-a100', vmSize: 'Standard_NC24ads_A100_v4', count: 1 },
  ];
}

let fake: FakeAzure;
/** Every provider error a test produced, checked for the secret after each test. */
const errors: unknown[] = [];

function provider(options: AksProviderOptions = {}, settings: Partial<AksAccountSettings> = {}) {
  return createAksProvider({ ...account, ...settings }, { ...FAST_RETRIES, ...options });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  errors.push(error);
  return error as Error;
}

beforeEach(() => {
  nock.disableNetConnect();
  fake = new FakeAzure({ tenantId: account.tenantId, subscriptionId: account.subscriptionId, seedPools: defaultPools() });
  errors.length = 0;
  fake.install();
});

afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
  nock.enableNetConnect();
  for (const error of errors) {
    expect(String((error as Error).message)).not.toContain(SECRET);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(SECRET);
  }
  for (const r of fake.requests) expect(JSON.stringify(r)).not.toContain(SECRET);
});

describe('create', () => {
  it('creates the resource group in the cluster region, then starts the cluster with its agent pools without waiting for it', async () => {
    await provider().create(input);

    expect(fake.calls('PUT', /resourcegroups\/palette-westeurope$/i).map((r) => r.body)).toEqual([
      { location: 'westeurope', tags: { 'palette:managed-by': 'palette' } },
    ]);
    const [put, ...more] = fake.calls('PUT', /managedClusters\/acme-prod$/);
    expect(more).toHaveLength(0);
    const poolTags = (name: string) => ({ 'palette:cluster': ref.clusterId, 'palette:tenant': 'acme', team_owner: 'platform', 'palette:nodepool': name });
    expect(put?.body).toEqual({
      location: 'westeurope',
      tags: { 'palette:cluster': ref.clusterId, 'palette:tenant': 'acme', team_owner: 'platform' },
      identity: { type: 'SystemAssigned' },
      properties: {
        kubernetesVersion: '1.30',
        dnsPrefix: 'acme-prod',
        networkProfile: { networkPlugin: 'azure', networkPluginMode: 'overlay' },
        agentPoolProfiles: [
          {
            name: 'general',
            mode: 'System',
            osType: 'Linux',
            vmSize: 'Standard_D4s_v5',
            count: 3,
            enableAutoScaling: false,
            nodeLabels: { 'palette.io/node-pool': 'general' },
            vnetSubnetID: SUBNET,
            tags: poolTags('general'),
          },
          {
            name: GPU,
            mode: 'User',
            osType: 'Linux',
            vmSize: 'Standard_NC24ads_A100_v4',
            count: 1,
            enableAutoScaling: true,
            minCount: 0,
            maxCount: 4,
            nodeLabels: { 'palette.io/gpu': 'a100', 'palette.io/node-pool': 'gpu-a100' },
            nodeTaints: ['nvidia.com/gpu=present:NoSchedule', 'dedicated:NoExecute'],
            gpuProfile: { driver: 'Install' },
            vnetSubnetID: SUBNET,
            tags: poolTags('gpu-a100'),
          },
        ],
      },
    });
    // Started, not awaited: nothing polled the Azure-AsyncOperation URL.
    expect(fake.requests.filter((r) => r.path.includes('/operations/'))).toHaveLength(0);
    expect(fake.cluster().properties.provisioningState).toBe('Creating');
  });

  it('leaves an existing resource group alone, wherever it is', async () => {
    fake.groups.set('rg-shared', { location: 'northeurope' });

    await provider({}, { resourceGroup: 'rg-shared' }).create(input);

    expect(fake.calls('PUT', /resourcegroups\/rg-shared$/i)).toHaveLength(0);
    expect(fake.calls('PUT', /resourceGroups\/rg-shared\/providers\/Microsoft\.ContainerService\/managedClusters\/acme-prod$/)).toHaveLength(1);
  });

  it('succeeds without another PUT when a retry finds the cluster already there', async () => {
    await provider().create(input);
    await provider().create(input);
    fake.step();
    await provider().create(input);

    expect(fake.calls('PUT', /managedClusters\/acme-prod$/)).toHaveLength(1);
  });

  it('treats a conflict from a concurrent create as the cluster already on its way', async () => {
    fake.fault('PUT', /managedClusters\/acme-prod$/, inProgress('create managed cluster'));
    const handle = fake.handle.bind(fake);
    fake.handle = (method, url, body) => {
      const reply = handle(method, url, body);
      // The concurrent attempt's cluster: there when the provider looks again after the 409.
      if (method === 'PUT' && url.pathname.endsWith('/managedClusters/acme-prod')) fake.seed();
      return reply;
    };

    await expect(provider().create(input)).resolves.toBeUndefined();
    expect(fake.calls('GET', /managedClusters\/acme-prod$/)).toHaveLength(2);
  });

  it('rejects before calling Azure a cluster AKS would refuse', async () => {
    const p = provider();
    const cases: Array<[Partial<CreateClusterInput>, RegExp]> = [
      [{ nodePools: [] }, /at least one node pool/],
      [{ nodePools: [{ name: 'general', instanceType: 'Standard_D4s_v5', count: 0 }] }, /system pool and needs at least 1 node/],
      [{ nodePools: [{ name: 'Bad_Name', instanceType: 'Standard_D4s_v5', count: 1 }] }, /not a DNS label/],
      [{ network: { subnetIds: ['subnet-a', 'subnet-b'] } }, /network\.vnetSubnetId/],
      [{ network: { vnetSubnetId: 'subnet-a' } }, /not a subnet resource id/],
      [{ providerName: '-acme' }, /not a valid AKS cluster name/],
    ];
    for (const [change, message] of cases) {
      const error = await failure(p.create({ ...input, ...change }));
      expect(error).toBeInstanceOf(PermanentProviderError);
      expect(error.message).toMatch(message);
    }
    expect(fake.requests).toHaveLength(0);
  });
});

describe('a cluster from create to delete', () => {
  it('goes Creating → Running through describe, scales, and is Deleting until it is Deleted', async () => {
    const p = provider();
    await p.create(input);

    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Provisioning', message: 'creating the AKS control plane', kubernetesVersion: '1.30' });

    fake.step(); // control plane up, pools still creating
    const creatingPools = await p.describe(ref);
    expect(creatingPools).toMatchObject({
      phase: 'Provisioning',
      message: 'creating agent pools general, gpu-a100',
      endpoint: 'https://acme-prod-k3x9.hcp.westeurope.azmk8s.io:443',
    });
    expect(creatingPools.nodePools.map((n) => n.phase)).toEqual(['Provisioning', 'Provisioning']);

    fake.step();
    await expect(p.describe(ref)).resolves.toEqual({
      phase: 'Running',
      kubernetesVersion: '1.30',
      endpoint: 'https://acme-prod-k3x9.hcp.westeurope.azmk8s.io:443',
      nodePools: [
        { name: 'general', instanceType: 'Standard_D4s_v5', count: 3, phase: 'Running' },
        { name: 'gpu-a100', instanceType: 'Standard_NC24ads_A100_v4', count: 1, phase: 'Running' },
      ],
    });

    await p.scaleNodePool(ref, { name: 'general', instanceType: 'Standard_D4s_v5', count: 5 });
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Updating', message: 'scaling agent pool general to 5 nodes' });
    fake.step();
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Running' });

    await p.delete(ref);
    await p.delete(ref); // a retry: already deleting
    expect(fake.calls('DELETE', /managedClusters\/acme-prod$/)).toHaveLength(1);
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Deleting', nodePools: [{ name: 'general', phase: 'Deleting' }, { name: 'gpu-a100', phase: 'Deleting' }] });
    fake.step();
    await expect(p.describe(ref)).resolves.toEqual({ phase: 'Deleted', nodePools: [] });
    await expect(p.delete(ref)).resolves.toBeUndefined();

    // One sign-in for the whole life of the provider.
    expect(fake.tokenRequests).toHaveLength(1);
    expect(fake.tokenRequests[0]).toContain(`client_id=${account.clientId}`);
    expect(fake.tokenRequests[0]).toContain('scope=https%3A%2F%2Fmanagement.azure.com%2F.default');
  });
});

describe('describe', () => {
  it.each([
    ['Updating', 'Updating', 'AKS is updating the cluster'],
    ['Scaling', 'Updating', 'AKS is scaling the cluster'],
    ['Upgrading', 'Updating', 'upgrading the AKS control plane to 1.30'],
    ['Deleting', 'Deleting', 'deleting AKS cluster acme-prod'],
    ['Canceled', 'Failed', 'the last operation on AKS cluster acme-prod was canceled; run it again'],
  ])('maps a cluster in provisioning state %s to %s', async (state, phase, message) => {
    fake.seed().properties.provisioningState = state;

    await expect(provider().describe(ref)).resolves.toMatchObject({ phase, message });
  });

  it('maps a Failed cluster to Failed with its provisioning error', async () => {
    const cluster = fake.seed();
    cluster.properties.provisioningState = 'Failed';
    cluster.properties.status = { provisioningError: { code: 'VMExtensionProvisioningError', message: 'Unable to establish outbound connection from agents.' } };

    await expect(provider().describe(ref)).resolves.toMatchObject({
      phase: 'Failed',
      message: 'AKS cluster acme-prod is Failed: VMExtensionProvisioningError: Unable to establish outbound connection from agents.',
    });
  });

  it('maps a failed agent pool to Failed with its error, by our pool name', async () => {
    const pool = fake.seed().pools.get(GPU)!;
    pool.provisioningState = 'Failed';
    pool.status = { provisioningError: { code: 'ZonalAllocationFailed', message: 'Allocation failed for Standard_NC24ads_A100_v4.' } };

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Failed');
    expect(status.message).toBe('agent pool gpu-a100 is Failed: ZonalAllocationFailed: Allocation failed for Standard_NC24ads_A100_v4.');
    expect(status.nodePools.find((n) => n.name === 'gpu-a100')?.phase).toBe('Failed');
  });

  it('says a stopped cluster must be started', async () => {
    fake.seed().properties.powerState = { code: 'Stopped' };

    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Failed', message: expect.stringMatching(/is stopped; start it/) });
  });

  it('reports Deleted when neither the cluster nor its resource group exists', async () => {
    await expect(provider().describe(ref)).resolves.toEqual({ phase: 'Deleted', nodePools: [] });
    fake.groups.set(RG, { location: 'westeurope' });
    await expect(provider().describe(ref)).resolves.toEqual({ phase: 'Deleted', nodePools: [] });
  });
});

describe('scaleNodePool', () => {
  it('PUTs the existing agent pool with the new count and keeps its other settings', async () => {
    fake.seed();

    await provider().scaleNodePool(ref, { name: 'general', instanceType: 'Standard_D4s_v5', count: 5 });

    const [put] = fake.calls('PUT', /agentPools\/general$/);
    expect(put?.body?.properties).toMatchObject({
      count: 5,
      enableAutoScaling: false,
      vmSize: 'Standard_D4s_v5',
      mode: 'System',
      orchestratorVersion: '1.30',
      nodeLabels: { 'palette.io/node-pool': 'general' },
      tags: { 'palette:nodepool': 'general' },
    });
    expect(put?.body?.properties).not.toHaveProperty('minCount');
  });

  it('does nothing when the pool already has that size', async () => {
    fake.seed();

    await provider().scaleNodePool(ref, { name: 'general', instanceType: 'Standard_D4s_v5', count: 3 });

    expect(fake.calls('PUT', /agentPools/)).toHaveLength(0);
  });

  it('changes only the bounds of an autoscaled pool, whose count belongs to the autoscaler', async () => {
    fake.seed('1.30', [{ name: GPU, ours: 'gpu-a100', vmSize: 'Standard_NC24ads_A100_v4', count: 2, extra: { enableAutoScaling: true, minCount: 0, maxCount: 4 } }]);
    const p = provider();

    await p.scaleNodePool(ref, { name: 'gpu-a100', instanceType: 'Standard_NC24ads_A100_v4', count: 1, min: 0, max: 4 });
    expect(fake.calls('PUT', /agentPools/)).toHaveLength(0);

    await p.scaleNodePool(ref, { name: 'gpu-a100', instanceType: 'Standard_NC24ads_A100_v4', count: 1, min: 1, max: 8 });
    expect(fake.calls('PUT', new RegExp(`agentPools/${GPU}$`))[0]?.body?.properties).toMatchObject({ enableAutoScaling: true, minCount: 1, maxCount: 8, count: 1 });
  });

  it('creates a missing pool as a User pool with its labels, taints, GPU driver and the cluster subnet', async () => {
    fake.seed('1.30', [{ name: 'general', ours: 'general', vmSize: 'Standard_D4s_v5', count: 3, extra: { vnetSubnetID: SUBNET } }]);
    fake.cluster().tags = { 'palette:cluster': ref.clusterId, 'palette:target-version': '1.30' };

    await provider().scaleNodePool(ref, input.nodePools[1]!);

    const [put] = fake.calls('PUT', new RegExp(`agentPools/${GPU}$`));
    expect(put?.body).toEqual({
      properties: {
        mode: 'User',
        osType: 'Linux',
        vmSize: 'Standard_NC24ads_A100_v4',
        count: 1,
        enableAutoScaling: true,
        minCount: 0,
        maxCount: 4,
        nodeLabels: { 'palette.io/gpu': 'a100', 'palette.io/node-pool': 'gpu-a100' },
        nodeTaints: ['nvidia.com/gpu=present:NoSchedule', 'dedicated:NoExecute'],
        gpuProfile: { driver: 'Install' },
        vnetSubnetID: SUBNET,
        // The cluster's tags, without its bookkeeping ones.
        tags: { 'palette:cluster': ref.clusterId, 'palette:nodepool': 'gpu-a100' },
      },
    });
    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Provisioning', message: 'creating agent pool gpu-a100' });
  });

  it('asks to be retried while the agent pool is busy with another operation', async () => {
    fake.seed().pools.get('general')!.provisioningState = 'Upgrading';

    const error = await failure(provider().scaleNodePool(ref, { name: 'general', instanceType: 'Standard_D4s_v5', count: 4 }));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/in progress upgrading agent pool operation/);
  });

  it('says the cluster is gone when it no longer exists', async () => {
    fake.groups.set(RG, { location: 'westeurope' });

    const error = await failure(provider().scaleNodePool(ref, { name: 'general', instanceType: 'Standard_D4s_v5', count: 4 }));

    expect(error).toBeInstanceOf(ClusterGoneError);
  });
});

describe('upgrade', () => {
  it('upgrades the control plane first and then, from describe, every agent pool', async () => {
    fake.seed('1.30');
    const p = provider();

    await p.upgrade(ref, '1.31');

    const [put, ...more] = fake.calls('PUT', /managedClusters\/acme-prod$/);
    expect(more).toHaveLength(0);
    expect(put?.body?.properties.kubernetesVersion).toBe('1.31');
    expect(put?.body?.tags).toEqual({ 'palette:cluster': ref.clusterId, 'palette:target-version': '1.31' });
    // The pools keep their version: a control-plane-only upgrade.
    expect(put?.body?.properties.agentPoolProfiles.map((a: Json) => [a.name, a.orchestratorVersion])).toEqual([
      ['general', '1.30'],
      [GPU, '1.30'],
    ]);
    expect(put?.body?.identity).toEqual({ type: 'SystemAssigned' });

    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Updating', message: 'upgrading the AKS control plane to 1.31' });
    await p.upgrade(ref, '1.31'); // a retry while it runs
    expect(fake.calls('PUT', /managedClusters\/acme-prod$/)).toHaveLength(1);
    expect(fake.calls('PUT', /agentPools/)).toHaveLength(0);

    fake.step(); // the control plane is at 1.31
    const pools = await p.describe(ref);
    expect(pools).toMatchObject({ phase: 'Updating', message: 'upgrading agent pools general, gpu-a100 to 1.31', kubernetesVersion: '1.31' });
    expect(pools.nodePools.map((n) => n.phase)).toEqual(['Updating', 'Updating']);
    expect(fake.calls('PUT', /agentPools/).map((r) => [r.path.split('/').pop(), r.body?.properties.orchestratorVersion])).toEqual([
      ['general', '1.31'],
      [GPU, '1.31'],
    ]);

    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Updating', message: 'upgrading agent pools general, gpu-a100 to 1.31' });
    expect(fake.calls('PUT', /agentPools/)).toHaveLength(2);

    fake.step();
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Running', kubernetesVersion: '1.31' });
  });

  it('refuses to downgrade', async () => {
    fake.seed('1.31');

    const error = await failure(provider().upgrade(ref, '1.30'));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/runs Kubernetes 1\.31; AKS cannot downgrade it to 1\.30/);
    expect(fake.calls('PUT', /managedClusters/)).toHaveLength(0);
  });

  it('takes a control plane on 1.31.4 as at 1.31 and only records the target for the pools', async () => {
    const cluster = fake.seed('1.31');
    cluster.properties.currentKubernetesVersion = '1.31.4';

    await provider().upgrade(ref, '1.31');

    expect(fake.calls('PUT', /managedClusters/)).toHaveLength(0);
    expect(fake.calls('PATCH', /managedClusters\/acme-prod$/).map((r) => r.body)).toEqual([
      { tags: { 'palette:cluster': ref.clusterId, 'palette:target-version': '1.31' } },
    ]);
  });

  it('asks to be retried while another operation runs on the cluster', async () => {
    fake.seed('1.30').properties.provisioningState = 'Scaling';

    const error = await failure(provider().upgrade(ref, '1.31'));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/is Scaling; its upgrade to 1\.31 starts once that operation finishes/);
  });

  it('treats a conflict from ARM as another operation in progress', async () => {
    fake.seed('1.30');
    fake.fault('PUT', /managedClusters\/acme-prod$/, inProgress('scale agent pool'));

    await expect(failure(provider().upgrade(ref, '1.31'))).resolves.toBeInstanceOf(TransientProviderError);
  });
});

describe('clusterAccess', () => {
  it("returns the server, CA and credentials of the cluster's user kubeconfig", async () => {
    fake.seed();

    const access = await provider().clusterAccess(ref);

    expect(access).toEqual({
      name: 'acme-prod',
      server: 'https://acme-prod-k3x9.hcp.westeurope.azmk8s.io:443',
      caData: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t',
      token: '0123456789abcdef',
      clientCertificateData: 'Y2xpZW50LWNlcnQ=',
      clientKeyData: 'Y2xpZW50LWtleQ==',
    });
    expect(fake.calls('POST', /managedClusters\/acme-prod\/listClusterUserCredential$/)).toHaveLength(1);
  });

  it('asks to be retried while AKS has no credentials yet', async () => {
    fake.seed();
    fake.kubeconfigs = [];

    await expect(failure(provider().clusterAccess(ref))).resolves.toBeInstanceOf(TransientProviderError);
  });

  it('throws ClusterGoneError for a cluster that no longer exists', async () => {
    fake.groups.set(RG, { location: 'westeurope' });

    await expect(failure(provider().clusterAccess(ref))).resolves.toBeInstanceOf(ClusterGoneError);
  });
});

describe('errors from Azure', () => {
  const throttled: Reply = [429, { error: { code: 'TooManyRequests', message: 'The request is being throttled as the limit has been reached.' } }, { 'Retry-After': '0' }];

  it("surfaces throttling as a TransientProviderError once the SDK's own retries give up", async () => {
    fake.seed();
    fake.fault('GET', /managedClusters\/acme-prod$/, throttled, 3);

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/throttled/);
    expect(fake.calls('GET', /managedClusters\/acme-prod$/)).toHaveLength(3); // 1 + maxRetries 2
  });

  it('gets through a 429 that the SDK retried after its Retry-After', async () => {
    fake.seed();
    fake.fault('GET', /managedClusters\/acme-prod$/, throttled);

    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Running' });
    expect(fake.calls('GET', /managedClusters\/acme-prod$/)).toHaveLength(2);
  });

  it('hands a long Retry-After to the workflow instead of sleeping through it', async () => {
    fake.seed();
    fake.fault('GET', /managedClusters\/acme-prod$/, [throttled[0], throttled[1], { 'Retry-After': '600' }], 3);

    const started = Date.now();
    await expect(failure(provider().describe(ref))).resolves.toBeInstanceOf(TransientProviderError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(fake.calls('GET', /managedClusters\/acme-prod$/)).toHaveLength(1);
  });

  it('retries a 5xx and reports it as transient when it persists', async () => {
    fake.seed();
    fake.fault('GET', /managedClusters\/acme-prod$/, [503, { error: { code: 'ServiceUnavailable', message: 'The service is unavailable.' } }], 3);

    await expect(failure(provider().describe(ref))).resolves.toBeInstanceOf(TransientProviderError);
  });

  it('names the missing action and scope of an AuthorizationFailed', async () => {
    fake.groups.set('rg-1', { location: 'westeurope' });
    fake.fault('PUT', /managedClusters\/acme-prod$/, [
      403,
      {
        error: {
          code: 'AuthorizationFailed',
          message:
            `The client '${account.clientId}' with object id 'ffffffff-0000-0000-0000-000000000001' does not have authorization to perform action ` +
            `'Microsoft.ContainerService/managedClusters/write' over scope '/subscriptions/${account.subscriptionId}/resourceGroups/rg-1/providers/Microsoft.ContainerService/managedClusters/acme-prod' ` +
            'or the scope is invalid. If access was recently granted, please refresh your credentials.',
        },
      },
    ]);

    const error = await failure(provider({}, { resourceGroup: 'rg-1' }).create(input));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/the service principal lacks Microsoft\.ContainerService\/managedClusters\/write on resource group rg-1/);
    expect(error.message).toContain(account.clientId);
  });

  it('names the linked subnet of a LinkedAuthorizationFailed', async () => {
    fake.fault('PUT', /managedClusters\/acme-prod$/, [
      403,
      {
        error: {
          code: 'LinkedAuthorizationFailed',
          message:
            `The client '${account.clientId}' with object id 'ffff' has permission to perform action 'Microsoft.ContainerService/managedClusters/write' on scope '/subscriptions/x/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/acme-prod'; ` +
            `however, it does not have permission to perform action(s) 'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) '${SUBNET}' (respectively) or the linked scope(s) are invalid.`,
        },
      },
    ]);

    const error = await failure(provider().create(input));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/lacks Microsoft\.Network\/virtualNetworks\/subnets\/join\/action on resource group net/);
    expect(error.message).toContain(SUBNET);
  });

  it('says to raise the quota when AKS runs out of it', async () => {
    fake.fault('PUT', /managedClusters\/acme-prod$/, [
      400,
      { error: { code: 'ErrCode_InsufficientVCPUQuota', message: 'Insufficient regional vcpu quota left for location westeurope. left regional vcpu quota 4, requested quota 36.' } },
    ]);

    const error = await failure(provider().create(input));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/AKS create cluster acme-prod: Insufficient regional vcpu quota.*request a quota increase/);
  });

  it('fails permanently with the Azure message on an invalid parameter', async () => {
    fake.fault('PUT', /managedClusters\/acme-prod$/, [400, { error: { code: 'InvalidParameter', message: "Version 1.19 is not supported in this region.", target: 'kubernetesVersion' } }]);

    const error = await failure(provider().create(input));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toBe('AKS create cluster acme-prod: Version 1.19 is not supported in this region. (InvalidParameter)');
  });

  it('says Azure refused the service principal when AAD rejects its secret', async () => {
    fake.tokenReply = [
      401,
      {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${account.clientId}'. Trace ID: t-1 Correlation ID: c-1 Timestamp: 2025-03-01 12:00:00Z`,
        error_codes: [7000215],
        trace_id: 't-1',
        correlation_id: 'c-1',
      },
    ];

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/^Azure refused to sign in the service principal aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee \(AKS get cluster acme-prod\): AADSTS7000215: Invalid client secret provided\./);
    expect(error.message).toMatch(/Check the cloud account's tenant id, client id and client secret/);
    expect(fake.requests).toHaveLength(0);
  });

  it('never puts the client secret in an error, even where Azure echoes it', async () => {
    fake.tokenReply = [400, { error: 'invalid_request', error_description: `AADSTS900144: The request body is malformed near '${SECRET}'.` }];

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toContain('***');
    // afterEach checks the message and the whole error (causes included) of every failure.
  });
});

describe('an Azure that cannot be reached', () => {
  // An Error, as Node's sockets raise them (nock 15 never settles a request it fails with a plain object).
  const networkError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('fails permanently and promptly when nothing answers at all', async () => {
    nock.cleanAll(); // no interceptor: every connection is refused

    const started = Date.now();
    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/^Azure could not be reached: /);
    expect(error.message).toContain('login.microsoftonline.com');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails permanently when the sign-in host does not resolve', async () => {
    nock.cleanAll();
    nock(LOGIN)
      .persist()
      .post(`/${account.tenantId}/oauth2/v2.0/token`)
      .query(true)
      .replyWithError(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND login.microsoftonline.com'));

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/^Azure could not be reached: .*getaddrinfo ENOTFOUND login\.microsoftonline\.com/);
  });

  it('fails permanently when Resource Manager cannot be reached after a sign-in', async () => {
    nock.cleanAll();
    fake.playAad();
    nock(ARM)
      .persist()
      .get(/managedClusters/)
      .replyWithError(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND management.azure.com'));

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/^Azure could not be reached: getaddrinfo ENOTFOUND management\.azure\.com/);
  });

  it('retries a connection that broke mid-request as transient', async () => {
    nock.cleanAll();
    fake.playAad();
    nock(ARM).persist().get(/managedClusters/).replyWithError(networkError('ECONNRESET', 'socket hang up'));

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/the connection to Azure failed \(AKS get cluster acme-prod\): socket hang up/);
  });
});

describe('agent pool names', () => {
  it('keeps names AKS accepts and maps the others deterministically to ≤ 12 lowercase alphanumerics', () => {
    expect(aksPoolName('general')).toBe('general');
    expect(aksPoolName('system2')).toBe('system2');
    const names = ['gpu-a100', 'gpua100', 'memory-optimized-large', 'memory-optimized-small', '1st-pool', 'abcdefghijklm'];
    const mapped = names.map(aksPoolName);
    for (const name of mapped) expect(name).toMatch(/^[a-z][a-z0-9]{0,11}$/);
    expect(new Set(mapped).size).toBe(names.length);
    expect(aksPoolName('gpu-a100')).toMatch(/^gpua100[0-9a-f]{4}$/);
    expect(aksPoolName('1st-pool')).toMatch(/^p1stpool[0-9a-f]{4}$/);
    expect(aksPoolName('gpu-a100')).toBe(aksPoolName('gpu-a100'));
  });

  it('writes taints as key=value:Effect, or key:Effect without a value', () => {
    expect(taintString({ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' })).toBe('nvidia.com/gpu=present:NoSchedule');
    expect(taintString({ key: 'dedicated', effect: 'PreferNoSchedule' })).toBe('dedicated:PreferNoSchedule');
  });

  it('rewrites tags to what Azure accepts', () => {
    expect(azureTags({ 'palette:cluster': 'cl_1', 'a/b?c': 'x', 'azure-thing': 'y', long: 'v'.repeat(300) })).toEqual({
      'palette:cluster': 'cl_1',
      a_b_c: 'x',
      'palette-azure-thing': 'y',
      long: 'v'.repeat(256),
    });
  });

  it('compares a version with a target on the components the target names', () => {
    expect(compareToTarget('1.31.4', '1.31')).toBe(0);
    expect(compareToTarget('1.30.9', '1.31')).toBe(-1);
    expect(compareToTarget('1.32.0', '1.31')).toBe(1);
    expect(compareToTarget('1.31.2', '1.31.5')).toBe(-1);
  });
});

describe('classifyAzureError', () => {
  const azure = (code: string, statusCode: number, message = `${code} happened`) =>
    Object.assign(new Error(message), { name: 'RestError', code, statusCode });

  it.each([
    ['TooManyRequests', 429],
    ['InternalServerError', 500],
    ['ServiceUnavailable', 503],
    ['AnotherOperationInProgress', 409],
    ['SomethingNew', 502],
  ])('treats %s (%i) as transient', (code, status) => {
    expect(classifyAzureError(azure(code, status))).toBeInstanceOf(TransientProviderError);
  });

  it('treats OperationNotAllowed as transient only when another operation is in progress', () => {
    expect(classifyAzureError(azure('OperationNotAllowed', 409, "Operation is not allowed because there's an in progress upgrade managed cluster operation"))).toBeInstanceOf(
      TransientProviderError,
    );
    const quota = classifyAzureError(azure('OperationNotAllowed', 409, 'Operation could not be completed as it results in exceeding approved standardNCADSA100v4Family Cores quota.'));
    expect(quota).toBeInstanceOf(PermanentProviderError);
    expect(quota.message).toMatch(/request a quota increase/);
  });

  it.each([
    ['InvalidParameter', 400],
    ['BadRequest', 400],
    ['QuotaExceeded', 400],
    ['MissingSubscriptionRegistration', 409],
    ['SubscriptionNotFound', 404],
    ['AuthorizationFailed', 403],
  ])('treats %s as permanent and keeps the Azure message', (code, status) => {
    const error = classifyAzureError(azure(code, status), 'create cluster acme');
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toContain(`${code} happened`);
    expect(error.message).toContain('AKS create cluster acme');
  });

  it('passes provider errors through unchanged', () => {
    const transient = new TransientProviderError('busy');
    expect(classifyAzureError(transient)).toBe(transient);
  });

  it('redacts what it is told to', () => {
    const error = classifyAzureError(azure('BadRequest', 400, `bad secret ${SECRET}`), 'x', { redact: [SECRET] });
    expect(error.message).not.toContain(SECRET);
  });

  it('describes a scope by its resource group, else its subscription', () => {
    expect(describeScope('/subscriptions/s/resourceGroups/rg-1/providers/Microsoft.ContainerService/managedClusters/a')).toBe('resource group rg-1');
    expect(describeScope('/subscriptions/s')).toBe('subscription s');
  });
});
