/**
 * The GKE provider against a fake Google Cloud played by nock at the HTTP layer: the
 * OAuth token endpoint and a small stateful GKE API v1 (clusters, node pools,
 * operations), so every call goes through the real @google-cloud/container client in
 * REST mode (google-gax fallback → google-auth-library → gaxios). Like the real API
 * with `$alt=json;enum-encoding=int`, the fake reads and writes enums as numbers.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { inspect } from 'node:util';
import nock from 'nock';
import { FakeGoogle, gkeBusy, GkeClusterStatus, GkeOperationType, GkePoolStatus, GkeTaintEffect, googleStatus, type Json } from '../../support/fake-gcp.ts';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kubeconfigYaml, parseKubeconfig } from '#shared/kube/kubeconfig.ts';
import { classifyGoogleError, googleErrorInfo } from '#shared/providers/gke/errors.ts';
import { compareToTarget, gcpLabels, gkePoolName, versionParts } from '#shared/providers/gke/node-pools.ts';
import { createGkeProvider, type GkeAccountSettings, type GkeProviderOptions } from '#shared/providers/gke/provider.ts';
import {
  ClusterGoneError,
  PermanentProviderError,
  TransientProviderError,
  type ClusterRef,
  type CreateClusterInput,
} from '#shared/providers/provider.ts';

const PROJECT = 'acme-prod-4711';
const EMAIL = `palette@${PROJECT}.iam.gserviceaccount.com`;
const ref: ClusterRef = { clusterId: 'cl_01HXYZ', providerName: 'acme-prod', region: 'europe-west1' };
const LOCATION = `/v1/projects/${PROJECT}/locations/europe-west1`;
const CLUSTER = `${LOCATION}/clusters/acme-prod`;
const GKE = 'https://container.googleapis.com';
const OAUTH = 'https://oauth2.googleapis.com';
/** The GKE client's default scopes. */
const SCOPES = 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/container https://www.googleapis.com/auth/container.read-only';
const CA = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUVMVENDQXBXZ0F3SUJBZ0lSQUo=';
const FAST_RETRIES: GkeProviderOptions = { retryOptions: { maxRetries: 2, retryDelayMs: 1, maxRetryDelayMs: 2 } };

/** GKE's enums, as numbers on the wire. */
const Cluster = GkeClusterStatus;
const Pool = GkePoolStatus;
const Effect = GkeTaintEffect;
const Op = GkeOperationType;
const GPU_DRIVER_DEFAULT = 2;
const CHANNEL_UNSPECIFIED = 0;

let privateKey = '';
let publicKey = '';
let account: GkeAccountSettings;

beforeAll(() => {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  privateKey = pair.privateKey;
  publicKey = pair.publicKey;
  account = {
    projectId: PROJECT,
    serviceAccountKey: {
      type: 'service_account',
      project_id: PROJECT,
      private_key_id: 'a1b2c3',
      private_key: privateKey,
      client_email: EMAIL,
      client_id: '1234567890',
    },
  };
});

/** The base64 body of the key: what must never show up anywhere. */
const keyBody = () => privateKey.split('\n').filter((l) => l && !l.startsWith('-----')).join('');

const input: CreateClusterInput = {
  ...ref,
  kubernetesVersion: '1.30',
  nodePools: [
    { name: 'general', instanceType: 'e2-standard-4', count: 1 },
    {
      name: 'gpu-l4',
      instanceType: 'g2-standard-8',
      count: 1,
      min: 0,
      max: 4,
      labels: { 'palette.io/gpu': 'l4' },
      taints: [
        { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' },
        { key: 'dedicated', effect: 'NoExecute' },
      ],
      gpu: { count: 1, model: 'nvidia-l4' },
    },
  ],
  tags: { 'palette:cluster': ref.clusterId, 'palette:tenant': 'acme', 'team/owner': 'platform' },
  network: { network: 'prod-vpc', subnetwork: `projects/${PROJECT}/regions/europe-west1/subnetworks/gke` },
};

const LABELS = { 'palette-cluster': 'cl_01hxyz', 'palette-tenant': 'acme', 'team-owner': 'platform' };

const status = googleStatus;
const busy = gkeBusy;

function defaultPools() {
  return [
    { name: 'general', ours: 'general', machineType: 'e2-standard-4', count: 1 },
    { name: 'gpu-l4', ours: 'gpu-l4', machineType: 'g2-standard-8', count: 1 },
  ];
}

let fake: FakeGoogle;
/** Every provider error a test produced, checked for the private key after each test. */
const errors: unknown[] = [];

function provider(options: GkeProviderOptions = {}, settings: Partial<GkeAccountSettings> = {}) {
  return createGkeProvider({ ...account, ...settings }, { ...FAST_RETRIES, ...options });
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

function decodeJwt(jwt: string): { header: Json; payload: Json; signed: Buffer; signature: Buffer } {
  const [h = '', p = '', s = ''] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Json,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Json,
    signed: Buffer.from(`${h}.${p}`),
    signature: Buffer.from(s, 'base64url'),
  };
}

beforeEach(() => {
  nock.disableNetConnect();
  fake = new FakeGoogle({ projectId: PROJECT, seedPools: defaultPools() });
  errors.length = 0;
  fake.install();
});

afterEach(() => {
  nock.abortPendingRequests();
  nock.cleanAll();
  nock.enableNetConnect();
  for (const error of errors) {
    expect(String((error as Error).message)).not.toContain(keyBody().slice(0, 64));
    const text = inspect(error, { depth: 10, showHidden: true });
    for (const line of privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(text).not.toContain(line);
  }
  for (const r of fake.requests) expect(JSON.stringify(r)).not.toContain(keyBody().slice(0, 64));
});

describe('create', () => {
  it('starts the cluster with all its node pools, labels, taints, GPUs and network in one createCluster, without waiting for it', async () => {
    await provider().create(input);

    const [post, ...more] = fake.calls('POST', /\/clusters$/);
    expect(more).toHaveLength(0);
    expect(post?.path).toBe(`${LOCATION}/clusters`);
    expect(post?.body).toEqual({
      cluster: {
        name: 'acme-prod',
        initialClusterVersion: '1.30',
        releaseChannel: { channel: CHANNEL_UNSPECIFIED },
        resourceLabels: LABELS,
        network: 'prod-vpc',
        subnetwork: `projects/${PROJECT}/regions/europe-west1/subnetworks/gke`,
        ipAllocationPolicy: { useIpAliases: true },
        nodePools: [
          {
            name: 'general',
            initialNodeCount: 1,
            config: {
              machineType: 'e2-standard-4',
              metadata: {},
              labels: { 'palette.io/node-pool': 'general' },
              resourceLabels: { ...LABELS, 'palette-nodepool': 'general' },
            },
            management: { autoUpgrade: false, autoRepair: true },
          },
          {
            name: 'gpu-l4',
            initialNodeCount: 1,
            config: {
              machineType: 'g2-standard-8',
              metadata: {},
              labels: { 'palette.io/gpu': 'l4', 'palette.io/node-pool': 'gpu-l4' },
              taints: [
                { key: 'nvidia.com/gpu', value: 'present', effect: Effect.NO_SCHEDULE },
                { key: 'dedicated', effect: Effect.NO_EXECUTE },
              ],
              // int64 fields travel as strings in proto3 JSON.
              accelerators: [{ acceleratorCount: '1', acceleratorType: 'nvidia-l4', gpuDriverInstallationConfig: { gpuDriverVersion: GPU_DRIVER_DEFAULT } }],
              resourceLabels: { ...LABELS, 'palette-nodepool': 'gpu-l4' },
            },
            autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 4 },
            management: { autoUpgrade: false, autoRepair: true },
          },
        ],
      },
    });
    // Started, not awaited: nothing polled the operation.
    expect(fake.requests.filter((r) => r.path.includes('/operations'))).toHaveLength(0);
    expect(fake.cluster().json.status).toBe(Cluster.PROVISIONING);
  });

  it("uses the project's default network when none is given", async () => {
    const { network: _network, ...rest } = input;

    await provider().create(rest);

    const [post] = fake.calls('POST', /\/clusters$/);
    expect(post?.body?.cluster).not.toHaveProperty('network');
    expect(post?.body?.cluster).not.toHaveProperty('subnetwork');
  });

  it('treats ALREADY_EXISTS from a retry or a concurrent create as success', async () => {
    const p = provider();
    await p.create(input);
    await p.create(input);

    expect(fake.calls('POST', /\/clusters$/)).toHaveLength(2);
    expect(fake.clusters.size).toBe(1);
  });

  it('rejects before calling Google a cluster GKE would refuse', async () => {
    const p = provider();
    const cases: Array<[Partial<CreateClusterInput>, RegExp]> = [
      [{ nodePools: [] }, /at least one node pool/],
      [{ nodePools: [{ name: 'general', instanceType: 'e2-standard-4', count: 0 }] }, /at least one node pool with nodes/],
      [{ nodePools: [{ name: 'Bad_Name', instanceType: 'e2-standard-4', count: 1 }] }, /not a DNS label/],
      [{ nodePools: [{ name: 'general', instanceType: 'Standard_D4s_v5', count: 1 }] }, /not a Compute Engine machine type/],
      [{ nodePools: [{ name: 'gpu', instanceType: 'g2-standard-8', count: 1, gpu: { count: 1, model: 'L4 GPU' } }] }, /not a GKE accelerator type/],
      [{ network: { subnetIds: ['subnet-a', 'subnet-b'] } }, /network\.network and network\.subnetwork/],
      [{ network: { network: 'prod vpc', subnetwork: 'gke' } }, /network\.network 'prod vpc' is not a VPC network/],
      [{ providerName: 'Acme_Prod' }, /not a valid GKE cluster name/],
      [{ region: 'westeurope' }, /not a Google Cloud region/],
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
  it('goes Provisioning → Running through describe, scales, and is Deleting until it is Deleted', async () => {
    const p = provider();
    await p.create(input);

    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Provisioning', message: 'creating the GKE control plane' });

    fake.step(); // control plane up, pools still provisioning
    const creatingPools = await p.describe(ref);
    expect(creatingPools).toMatchObject({
      phase: 'Provisioning',
      message: 'creating node pools general, gpu-l4',
      endpoint: 'https://34.77.10.20',
      kubernetesVersion: '1.30.5-gke.1014001',
    });
    expect(creatingPools.nodePools.map((n) => n.phase)).toEqual(['Provisioning', 'Provisioning']);

    fake.step();
    await expect(p.describe(ref)).resolves.toEqual({
      phase: 'Running',
      kubernetesVersion: '1.30.5-gke.1014001',
      endpoint: 'https://34.77.10.20',
      // One node per zone in three zones.
      nodePools: [
        { name: 'general', instanceType: 'e2-standard-4', count: 3, phase: 'Running' },
        { name: 'gpu-l4', instanceType: 'g2-standard-8', count: 3, phase: 'Running' },
      ],
    });

    await p.scaleNodePool(ref, { name: 'general', instanceType: 'e2-standard-4', count: 2 });
    expect(fake.sizes.get('general')).toBe(2);
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Updating', message: 'updating node pool general' });
    fake.step();
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Running' });

    await p.delete(ref);
    await p.delete(ref); // a retry: already deleting
    expect(fake.calls('DELETE', /clusters\/acme-prod$/)).toHaveLength(1);
    await expect(p.describe(ref)).resolves.toMatchObject({
      phase: 'Deleting',
      message: 'deleting GKE cluster acme-prod',
      nodePools: [{ name: 'general', phase: 'Deleting' }, { name: 'gpu-l4', phase: 'Deleting' }],
    });
    fake.step();
    await expect(p.describe(ref)).resolves.toEqual({ phase: 'Deleted', nodePools: [] });
    await expect(p.delete(ref)).resolves.toBeUndefined();

    // API calls carry self-signed JWTs: no token exchange at all.
    expect(fake.tokenRequests).toHaveLength(0);
  });

  it('signs every API call with a self-signed JWT of the service account key, for the GKE API as audience', async () => {
    fake.seed();

    await provider().describe(ref);

    const [get] = fake.calls('GET', /clusters\/acme-prod$/);
    const jwt = decodeJwt((get?.authorization ?? '').replace(/^Bearer /, ''));
    expect(jwt.header).toMatchObject({ alg: 'RS256' });
    expect(jwt.payload).toMatchObject({ iss: EMAIL, sub: EMAIL, aud: 'https://container.googleapis.com/' });
    expect(jwt.payload).not.toHaveProperty('scope');
    expect(jwt.payload.exp - jwt.payload.iat).toBe(3600);
    expect(verify('RSA-SHA256', jwt.signed, createPublicKey(publicKey), jwt.signature)).toBe(true);
  });
});

describe('describe', () => {
  it.each([
    ['RECONCILING', Cluster.RECONCILING, 'Updating', 'GKE is updating cluster acme-prod'],
    ['STOPPING', Cluster.STOPPING, 'Deleting', 'deleting GKE cluster acme-prod'],
    ['DEGRADED', Cluster.DEGRADED, 'Failed', 'GKE cluster acme-prod is DEGRADED: Node auto-repair cannot reach the nodes.'],
  ])('maps a cluster in status %s (%i) to %s', async (_name, code, phase, message) => {
    const cluster = fake.seed();
    cluster.json.status = code;
    if (code === Cluster.DEGRADED) cluster.json.statusMessage = 'Node auto-repair cannot reach the nodes.';

    await expect(provider().describe(ref)).resolves.toMatchObject({ phase, message });
  });

  it('maps an ERROR cluster to Failed with its status message and conditions', async () => {
    const cluster = fake.seed();
    cluster.json.status = Cluster.ERROR;
    cluster.json.statusMessage = 'Cluster creation failed.';
    cluster.json.conditions = [{ code: 'GCE_STOCKOUT', message: 'The zone europe-west1-b does not have enough resources available.' }];

    await expect(provider().describe(ref)).resolves.toMatchObject({
      phase: 'Failed',
      message: 'GKE cluster acme-prod is ERROR: Cluster creation failed.; GCE_STOCKOUT: The zone europe-west1-b does not have enough resources available.',
    });
  });

  it.each([
    ['ERROR', Pool.ERROR],
    ['RUNNING_WITH_ERROR', Pool.RUNNING_WITH_ERROR],
  ])('maps a node pool in status %s to Failed with its message, by our pool name', async (name, code) => {
    const pool = fake.seed().pools.get('gpu-l4')!;
    pool.status = code;
    pool.statusMessage = 'Quota G2 GPUs exceeded in europe-west1.';

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Failed');
    expect(status.message).toBe(`node pool gpu-l4 is ${name}: Quota G2 GPUs exceeded in europe-west1.`);
    expect(status.nodePools.find((n) => n.name === 'gpu-l4')?.phase).toBe('Failed');
  });

  it('reports a pool being added to a running cluster as Provisioning', async () => {
    fake.seed().pools.get('gpu-l4')!.status = Pool.PROVISIONING;

    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Provisioning', message: 'creating node pool gpu-l4' });
  });

  it('reports our pool names, machine types and initial sizes over all zones', async () => {
    fake.seed('1.30.5-gke.1014001', [
      { name: 'p-1st-pool-2f3a', ours: '1st-pool', machineType: 'n2-highmem-8', count: 2, extra: { locations: ['europe-west1-b', 'europe-west1-c'] } },
    ]);

    await expect(provider().describe(ref)).resolves.toMatchObject({
      phase: 'Running',
      nodePools: [{ name: '1st-pool', instanceType: 'n2-highmem-8', count: 4, phase: 'Running' }],
    });
  });

  it('reports Deleted when GKE does not know the cluster', async () => {
    await expect(provider().describe(ref)).resolves.toEqual({ phase: 'Deleted', nodePools: [] });
  });
});

describe('scaleNodePool', () => {
  it('sets the size of a fixed pool, per zone', async () => {
    fake.seed();

    await provider().scaleNodePool(ref, { name: 'general', instanceType: 'e2-standard-4', count: 3 });

    // The name travels in the path (`…/nodePools/general:setSize`), the rest in the body.
    const [post] = fake.calls('POST', /nodePools\/general:setSize$/);
    expect(post?.path).toBe(`${CLUSTER}/nodePools/general:setSize`);
    expect(post?.body).toEqual({ nodeCount: 3 });
  });

  it('asks to be retried while another operation runs on the cluster', async () => {
    const p = provider();
    fake.seed();
    await p.scaleNodePool(ref, { name: 'general', instanceType: 'e2-standard-4', count: 3 });

    const error = await failure(p.scaleNodePool(ref, { name: 'general', instanceType: 'e2-standard-4', count: 3 }));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/^GKE scale node pool general: Cluster is running incompatible operation operation-1\. \(FAILED_PRECONDITION\)$/);
  });

  it('changes only the bounds of an autoscaled pool, whose size belongs to the autoscaler', async () => {
    fake.seed('1.30.5-gke.1014001', [
      { name: 'gpu-l4', ours: 'gpu-l4', machineType: 'g2-standard-8', count: 1, extra: { autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 4 } } },
    ]);
    const p = provider();

    await p.scaleNodePool(ref, { name: 'gpu-l4', instanceType: 'g2-standard-8', count: 1, min: 0, max: 4 });
    expect(fake.calls('POST', /nodePools/)).toHaveLength(0);

    await p.scaleNodePool(ref, { name: 'gpu-l4', instanceType: 'g2-standard-8', count: 1, min: 1, max: 8 });
    expect(fake.calls('POST', /nodePools\/gpu-l4:setAutoscaling$/).map((r) => r.body)).toEqual([
      { autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 8 } },
    ]);
    expect(fake.calls('POST', /:setSize$/)).toHaveLength(0);
  });

  it('turns autoscaling off first, then sets the size on the retry', async () => {
    fake.seed('1.30.5-gke.1014001', [
      { name: 'general', ours: 'general', machineType: 'e2-standard-4', count: 1, extra: { autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 3 } } },
    ]);
    const p = provider();
    const fixed = { name: 'general', instanceType: 'e2-standard-4', count: 2 };

    const error = await failure(p.scaleNodePool(ref, fixed));
    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/its size is set once that finishes/);
    expect(fake.calls('POST', /:setAutoscaling$/)[0]?.body?.autoscaling).toEqual({ enabled: false });

    fake.step();
    await p.scaleNodePool(ref, fixed);
    expect(fake.sizes.get('general')).toBe(2);
  });

  it("creates a missing pool with its labels, taints and GPUs, the cluster's labels and the control plane's version", async () => {
    fake.seed('1.30.5-gke.1014001', [{ name: 'general', ours: 'general', machineType: 'e2-standard-4', count: 1 }]);

    await provider().scaleNodePool(ref, input.nodePools[1]!);

    const [post] = fake.calls('POST', /\/nodePools$/);
    expect(post?.path).toBe(`${CLUSTER}/nodePools`);
    expect(post?.body).toEqual({
      nodePool: {
        name: 'gpu-l4',
        initialNodeCount: 1,
        version: '1.30.5-gke.1014001',
        config: {
          machineType: 'g2-standard-8',
          metadata: {},
          labels: { 'palette.io/gpu': 'l4', 'palette.io/node-pool': 'gpu-l4' },
          taints: [
            { key: 'nvidia.com/gpu', value: 'present', effect: Effect.NO_SCHEDULE },
            { key: 'dedicated', effect: Effect.NO_EXECUTE },
          ],
          accelerators: [{ acceleratorCount: '1', acceleratorType: 'nvidia-l4', gpuDriverInstallationConfig: { gpuDriverVersion: GPU_DRIVER_DEFAULT } }],
          resourceLabels: { 'palette-cluster': 'cl_01hxyz', 'palette-nodepool': 'gpu-l4' },
        },
        autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 4 },
        management: { autoUpgrade: false, autoRepair: true },
      },
    });
    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Provisioning', message: 'creating node pool gpu-l4' });
  });

  it('asks to be retried when the pool is missing and the cluster is busy', async () => {
    fake.seed('1.30.5-gke.1014001', [{ name: 'general', ours: 'general', machineType: 'e2-standard-4', count: 1 }]).json.status = Cluster.RECONCILING;

    const error = await failure(provider().scaleNodePool(ref, input.nodePools[1]!));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/is RECONCILING; node pool gpu-l4 can be added once that operation finishes/);
    expect(fake.calls('POST', /nodePools/)).toHaveLength(0);
  });

  it('refuses a GKE pool that carries another of our pools', async () => {
    fake.seed('1.30.5-gke.1014001', [{ name: 'general', ours: 'something-else', machineType: 'e2-standard-4', count: 1 }]);

    const error = await failure(provider().scaleNodePool(ref, { name: 'general', instanceType: 'e2-standard-4', count: 2 }));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/belongs to node pool 'something-else'/);
  });

  it('says the cluster is gone when it no longer exists', async () => {
    const error = await failure(provider().scaleNodePool(ref, { name: 'general', instanceType: 'e2-standard-4', count: 4 }));

    expect(error).toBeInstanceOf(ClusterGoneError);
  });
});

describe('upgrade', () => {
  it('upgrades the control plane first and then, from describe, every node pool one at a time', async () => {
    fake.seed('1.30.5-gke.1014001');
    const p = provider();

    await p.upgrade(ref, '1.31');

    expect(fake.calls('POST', /:updateMaster$/).map((r) => [r.path, r.body])).toEqual([[`${CLUSTER}:updateMaster`, { masterVersion: '1.31' }]]);
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Updating', kubernetesVersion: '1.30.5-gke.1014001' });
    await p.upgrade(ref, '1.31'); // a retry while it runs
    expect(fake.calls('POST', /:updateMaster$/)).toHaveLength(1);
    expect(fake.calls('GET', /\/operations$/)).toHaveLength(1);

    fake.step(); // the control plane is at 1.31
    const first = await p.describe(ref);
    expect(first).toMatchObject({ phase: 'Updating', message: 'upgrading node pools general, gpu-l4 to 1.31.5-gke.1014001', kubernetesVersion: '1.31.5-gke.1014001' });
    expect(first.nodePools.map((n) => n.phase)).toEqual(['Updating', 'Updating']);
    expect(fake.calls('PUT', /nodePools\//).map((r) => r.body)).toEqual([
      { nodeVersion: '1.31.5-gke.1014001', imageType: 'COS_CONTAINERD' },
    ]);

    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Updating', message: 'updating node pool general' });
    fake.step();
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Updating', message: 'upgrading node pool gpu-l4 to 1.31.5-gke.1014001' });
    expect(fake.calls('PUT', /nodePools\//).map((r) => r.path.split('/').pop())).toEqual(['general', 'gpu-l4']);
    fake.step();
    await expect(p.describe(ref)).resolves.toMatchObject({ phase: 'Running', kubernetesVersion: '1.31.5-gke.1014001' });
  });

  it('refuses to downgrade', async () => {
    fake.seed('1.31.5-gke.1014001');

    const error = await failure(provider().upgrade(ref, '1.30'));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/runs Kubernetes 1\.31\.5-gke\.1014001; GKE cannot downgrade it to 1\.30/);
    expect(fake.calls('POST', /:updateMaster$/)).toHaveLength(0);
  });

  it('takes a control plane on 1.31.5-gke.1014001 as at 1.31 and sends nothing', async () => {
    fake.seed('1.31.5-gke.1014001');

    await provider().upgrade(ref, '1.31');

    expect(fake.calls('POST', /:updateMaster$/)).toHaveLength(0);
  });

  it('asks to be retried while another operation runs on the cluster', async () => {
    const cluster = fake.seed('1.30.5-gke.1014001');
    cluster.json.status = Cluster.RECONCILING;
    cluster.op = { name: 'operation-9', type: Op.SET_NODE_POOL_SIZE };

    const error = await failure(provider().upgrade(ref, '1.31'));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/is RECONCILING; its upgrade to 1\.31 starts once that operation finishes/);
  });

  it('treats a FAILED_PRECONDITION from GKE as another operation in progress', async () => {
    fake.seed('1.30.5-gke.1014001');
    fake.fault('POST', /:updateMaster$/, busy('operation-7'));

    await expect(failure(provider().upgrade(ref, '1.31'))).resolves.toBeInstanceOf(TransientProviderError);
  });
});

describe('delete', () => {
  it('succeeds when GKE no longer knows the cluster, even if it disappears between the look and the delete', async () => {
    await expect(provider().delete(ref)).resolves.toBeUndefined();
    expect(fake.calls('DELETE', /clusters/)).toHaveLength(0);

    fake.seed();
    fake.fault('DELETE', /clusters\/acme-prod$/, status(404, 'NOT_FOUND', 'Not found: clusters/acme-prod.'));
    await expect(provider().delete(ref)).resolves.toBeUndefined();
  });

  it('asks to be retried while another operation runs on the cluster', async () => {
    fake.seed().op = { name: 'operation-3', type: Op.UPGRADE_NODES };

    await expect(failure(provider().delete(ref))).resolves.toBeInstanceOf(TransientProviderError);
  });
});

describe('clusterAccess', () => {
  it("returns the cluster's endpoint and CA with an OAuth access token of the service account, as a kubeconfig kubectl reads", async () => {
    fake.seed();

    const access = await provider().clusterAccess(ref);

    expect(access).toEqual({ name: 'acme-prod', server: 'https://34.77.10.20', caData: CA, token: 'ya29.c.kubeconfig-token' });
    expect(parseKubeconfig(kubeconfigYaml(access))).toEqual(access);

    const [request, ...more] = fake.tokenRequests;
    expect(more).toHaveLength(0);
    expect(request?.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const assertion = decodeJwt(request?.get('assertion') ?? '');
    expect(assertion.payload).toMatchObject({ iss: EMAIL, aud: 'https://oauth2.googleapis.com/token', scope: SCOPES });
    expect(verify('RSA-SHA256', assertion.signed, createPublicKey(publicKey), assertion.signature)).toBe(true);
  });

  it('reuses the access token while it is good for more than 15 minutes', async () => {
    fake.seed();
    const p = provider();

    await p.clusterAccess(ref);
    await p.clusterAccess(ref);

    expect(fake.tokenRequests).toHaveLength(1);
  });

  it('asks to be retried while the cluster has no endpoint yet', async () => {
    await provider().create(input);

    const error = await failure(provider().clusterAccess(ref));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/has no API endpoint yet \(status PROVISIONING\)/);
  });

  it('throws ClusterGoneError for a cluster that no longer exists', async () => {
    await expect(failure(provider().clusterAccess(ref))).resolves.toBeInstanceOf(ClusterGoneError);
  });

  it('says Google refused the key when the token endpoint answers invalid_grant', async () => {
    fake.seed();
    fake.tokenReply = [400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }];

    const error = await failure(provider().clusterAccess(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toBe(
      `Google Cloud refused the key of the service account ${EMAIL} (GKE get an access token for cluster acme-prod): invalid_grant: Invalid JWT Signature.. ` +
        "Check the cloud account's service account key (a deleted or disabled key, or a disabled service account, must be replaced with a new key).",
    );
  });
});

describe('errors from Google Cloud', () => {
  const throttled = status(429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'container.googleapis.com'.");

  it('surfaces throttling as a TransientProviderError once the quick retries give up', async () => {
    fake.seed();
    fake.fault('GET', /clusters\/acme-prod$/, throttled, 3);

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/^GKE get cluster acme-prod: Quota exceeded for quota metric 'Read requests'/);
    expect(fake.calls('GET', /clusters\/acme-prod$/)).toHaveLength(3); // 1 + maxRetries 2
  });

  it('gets through a 503 that a quick retry outlasts', async () => {
    fake.seed();
    fake.fault('GET', /clusters\/acme-prod$/, status(503, 'UNAVAILABLE', 'The service is currently unavailable.'));

    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Running' });
    expect(fake.calls('GET', /clusters\/acme-prod$/)).toHaveLength(2);
  });

  it('reports a persistent 5xx as transient', async () => {
    fake.seed();
    fake.fault('GET', /clusters\/acme-prod$/, status(500, 'INTERNAL', 'Internal error encountered.'), 3);

    await expect(failure(provider().describe(ref))).resolves.toBeInstanceOf(TransientProviderError);
  });

  it('does not repeat a write after a 500, which may have done its work', async () => {
    fake.fault('POST', /\/clusters$/, status(500, 'INTERNAL', 'Internal error encountered.'));

    await expect(failure(provider().create(input))).resolves.toBeInstanceOf(TransientProviderError);
    expect(fake.calls('POST', /\/clusters$/)).toHaveLength(1);
  });

  it('names the service account and the roles it needs on PERMISSION_DENIED', async () => {
    fake.fault('POST', /\/clusters$/, status(403, 'PERMISSION_DENIED', `Required "container.clusters.create" permission(s) for "projects/${PROJECT}".`));

    const error = await failure(provider().create(input));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toBe(
      `GKE create cluster acme-prod: Required "container.clusters.create" permission(s) for "projects/${PROJECT}". (PERMISSION_DENIED); ` +
        `grant the service account ${EMAIL} the Kubernetes Engine Admin (roles/container.admin) and Service Account User (roles/iam.serviceAccountUser) roles on project ${PROJECT}`,
    );
  });

  it('says to enable the Kubernetes Engine API when it is disabled', async () => {
    fake.fault(
      'POST',
      /\/clusters$/,
      status(403, 'PERMISSION_DENIED', `Kubernetes Engine API has not been used in project 1234 before or it is disabled.`, [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com' },
      ]),
    );

    const error = await failure(provider().create(input));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/enable the Kubernetes Engine API \(container\.googleapis\.com\) in project acme-prod-4711/);
  });

  it('says to raise the quota when GKE runs out of it', async () => {
    fake.fault('POST', /\/clusters$/, status(403, 'PERMISSION_DENIED', 'Insufficient regional quota to satisfy request: resource "CPUS": request requires \'24.0\' and is short \'12.0\'.'));

    const error = await failure(provider().create(input));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/Insufficient regional quota.*request a quota increase for project acme-prod-4711/);
  });

  it('fails permanently with the GKE message on an invalid argument', async () => {
    fake.fault('POST', /\/clusters$/, status(400, 'INVALID_ARGUMENT', 'Master version "1.19" is unsupported.'));

    const error = await failure(provider().create(input));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toBe('GKE create cluster acme-prod: Master version "1.19" is unsupported. (INVALID_ARGUMENT)');
  });

  it('says Google refused the key when the API answers UNAUTHENTICATED', async () => {
    fake.fault(
      'GET',
      /clusters\/acme-prod$/,
      status(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'),
    );

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(new RegExp(`^Google Cloud refused the key of the service account ${EMAIL.replace(/\./g, '\\.')} \\(GKE get cluster acme-prod\\)`));
    expect(error.message).toMatch(/must be replaced with a new key/);
  });

  it('says the key cannot sign when its private_key is not a PEM key, without calling Google', async () => {
    const error = await failure(provider({}, { serviceAccountKey: { client_email: EMAIL, private_key: 'not-a-key' } }).describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/service account key cannot sign requests \(GKE get cluster acme-prod\): its private_key is not a usable PEM private key/);
    expect(fake.requests).toHaveLength(0);
  });

  it('says the key is incomplete when it has no private_key', async () => {
    const error = await failure(provider({}, { serviceAccountKey: { client_email: EMAIL, private_key: '' } }).describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/has no client_email or private_key/);
  });
});

describe('a Google Cloud that cannot be reached', () => {
  // An Error, as Node's sockets raise them (nock 15 never settles a request it fails with a plain object).
  const networkError = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('fails permanently and promptly when nothing answers at all', async () => {
    nock.cleanAll(); // no interceptor: every connection is refused

    const started = Date.now();
    const error = await failure(provider({ retryOptions: {} }).describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/^Google Cloud could not be reached: .*container\.googleapis\.com/);
    expect(Date.now() - started).toBeLessThan(2000); // the default retries, 250 + 500 ms at most
  });

  it('fails permanently when the API host does not resolve, after two quick retries', async () => {
    nock.cleanAll();
    let attempts = 0;
    nock(GKE)
      .persist()
      .get(/clusters/)
      .query(true)
      .replyWithError(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND container.googleapis.com'))
      .on('request', () => {
        attempts += 1;
      });

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/^Google Cloud could not be reached: .*getaddrinfo ENOTFOUND container\.googleapis\.com \(GKE get cluster acme-prod\)$/);
    expect(attempts).toBe(3);
  });

  it('fails permanently when the token endpoint cannot be reached for a kubeconfig', async () => {
    fake.seed();
    nock.cleanAll();
    fake.playGke();
    let attempts = 0;
    nock(OAUTH)
      .persist()
      .post('/token')
      .replyWithError(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND oauth2.googleapis.com'))
      .on('request', () => {
        attempts += 1;
      });

    const started = Date.now();
    const error = await failure(provider().clusterAccess(ref));

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toMatch(/^Google Cloud could not be reached: .*ENOTFOUND oauth2\.googleapis\.com/);
    // gaxios's own retries of the token request (gtoken asks for them), and no more.
    expect(attempts).toBe(3);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retries a connection that broke mid-request as transient', async () => {
    nock.cleanAll();
    nock(GKE).persist().get(/clusters/).query(true).replyWithError(networkError('ECONNRESET', 'socket hang up'));

    const error = await failure(provider().describe(ref));

    expect(error).toBeInstanceOf(TransientProviderError);
    expect(error.message).toMatch(/^the connection to Google Cloud failed \(GKE get cluster acme-prod\): .*socket hang up/);
  });
});

describe('names, labels and versions', () => {
  it('keeps pool names GKE accepts and maps the others deterministically', () => {
    expect(gkePoolName('general')).toBe('general');
    expect(gkePoolName('gpu-l4')).toBe('gpu-l4');
    const names = ['1st-pool', '2nd-pool', '0123456789012345678901234567890123456789'];
    const mapped = names.map(gkePoolName);
    for (const name of mapped) expect(name).toMatch(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/);
    expect(new Set(mapped).size).toBe(names.length);
    expect(gkePoolName('1st-pool')).toMatch(/^p-1st-pool-[0-9a-f]{4}$/);
    expect(gkePoolName('1st-pool')).toBe(gkePoolName('1st-pool'));
  });

  it('rewrites tags to GCP label rules', () => {
    expect(gcpLabels({ 'palette:cluster': 'cl_01HXYZ', 'team/owner': 'Platform Team', '9lives': 'x', long: 'v'.repeat(80) })).toEqual({
      'palette-cluster': 'cl_01hxyz',
      'team-owner': 'platform-team',
      'palette-9lives': 'x',
      long: 'v'.repeat(63),
    });
  });

  it('compares GKE versions with a target on the components the target names', () => {
    expect(versionParts('1.31.5-gke.1023000')).toEqual([1, 31, 5, 1023000]);
    expect(compareToTarget('1.31.5-gke.1023000', '1.31')).toBe(0);
    expect(compareToTarget('1.30.9-gke.100', '1.31')).toBe(-1);
    expect(compareToTarget('1.32.0-gke.100', '1.31')).toBe(1);
    expect(compareToTarget('1.31.5-gke.1023000', '1.31.5-gke.1200000')).toBe(-1);
  });
});

describe('classifyGoogleError', () => {
  /** A GaxiosError as the REST transport throws it: HTTP status, and the JSON body as the message. */
  const gaxios = (code: number, grpc: string, message = `${grpc} happened`) =>
    Object.assign(new Error(JSON.stringify({ error: { code, message, status: grpc } })), { name: 'GaxiosError', code, status: code });

  it.each([
    [429, 'RESOURCE_EXHAUSTED'],
    [500, 'INTERNAL'],
    [502, 'UNKNOWN'],
    [503, 'UNAVAILABLE'],
    [504, 'DEADLINE_EXCEEDED'],
    [409, 'ABORTED'],
  ])('treats %i %s as transient', (code, grpc) => {
    expect(classifyGoogleError(gaxios(code, grpc))).toBeInstanceOf(TransientProviderError);
  });

  it('treats FAILED_PRECONDITION as transient only when another operation runs', () => {
    expect(classifyGoogleError(gaxios(400, 'FAILED_PRECONDITION', 'Operation operation-1 is currently upgrading cluster acme-prod. Please wait and try again once it is done.'))).toBeInstanceOf(
      TransientProviderError,
    );
    expect(classifyGoogleError(gaxios(400, 'FAILED_PRECONDITION', 'Node pool has autoscaling enabled.'))).toBeInstanceOf(PermanentProviderError);
  });

  it.each([
    [400, 'INVALID_ARGUMENT'],
    [403, 'PERMISSION_DENIED'],
    [401, 'UNAUTHENTICATED'],
    [404, 'NOT_FOUND'],
  ])('treats %i %s as permanent and keeps the GKE message', (code, grpc) => {
    const error = classifyGoogleError(gaxios(code, grpc), 'create cluster acme');
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toContain(`${grpc} happened`);
    expect(error.message).toContain('GKE create cluster acme');
  });

  it("reads google-gax's own errors by their gRPC code", () => {
    const deadline = Object.assign(new Error('Total timeout of API exceeded'), { name: 'GoogleError', code: 4 });
    expect(googleErrorInfo(deadline).status).toBe('DEADLINE_EXCEEDED');
    expect(classifyGoogleError(deadline)).toBeInstanceOf(TransientProviderError);
  });

  it('passes provider errors through unchanged', () => {
    const transient = new TransientProviderError('busy');
    expect(classifyGoogleError(transient)).toBe(transient);
  });

  it('redacts what it is told to', () => {
    const error = classifyGoogleError(gaxios(400, 'INVALID_ARGUMENT', 'bad key s3cr3t-key-material'), 'x', { redact: ['s3cr3t-key-material'] });
    expect(error.message).not.toContain('s3cr3t-key-material');
    expect(error.message).toContain('***');
  });
});
