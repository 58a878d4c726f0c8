/**
 * An EKS host cluster from the HTTP API down to the AWS SDK: the request's network
 * and the account's roles reach CreateCluster and CreateNodegroup exactly as sent.
 * AWS itself cannot be reached from here, so the SDK clients are mocked with
 * aws-sdk-client-mock; everything between them and the HTTP client is the real
 * runtime (API, DynamoDB Local, the workflow on the local Step Functions).
 */
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListNodegroupsCommand,
  ResourceNotFoundException,
  type CreateClusterCommandInput,
  type CreateNodegroupCommandInput,
} from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, until, type TestRuntime } from '../support/local-api.ts';

const sts = mockClient(STSClient);
const eks = mockClient(EKSClient);

let rt: TestRuntime;
const base = '/v1/projects/default';

/** A small EKS: clusters and node groups as CreateCluster / CreateNodegroup made them, ACTIVE at once. */
function fakeEks() {
  const clusters = new Map<string, CreateClusterCommandInput>();
  const nodegroups = new Map<string, CreateNodegroupCommandInput>();
  eks.on(CreateClusterCommand).callsFake((input: CreateClusterCommandInput) => {
    clusters.set(input.name!, input);
    return { cluster: { name: input.name, status: 'CREATING' } };
  });
  eks.on(DescribeClusterCommand).callsFake(({ name }: { name: string }) => {
    const input = clusters.get(name);
    if (!input) throw new ResourceNotFoundException({ message: `No cluster found for name: ${name}.`, $metadata: { httpStatusCode: 404 } });
    return {
      cluster: {
        name,
        arn: `arn:aws:eks:eu-west-1:210987654321:cluster/${name}`,
        status: 'ACTIVE',
        version: input.version,
        endpoint: `https://${name.toUpperCase()}.gr7.eu-west-1.eks.amazonaws.com`,
        certificateAuthority: { data: Buffer.from('-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n').toString('base64') },
        resourcesVpcConfig: input.resourcesVpcConfig,
        tags: input.tags,
      },
    };
  });
  eks.on(ListNodegroupsCommand).callsFake(({ clusterName }: { clusterName: string }) => ({
    nodegroups: [...nodegroups.values()].filter((n) => n.clusterName === clusterName).map((n) => n.nodegroupName),
  }));
  eks.on(CreateNodegroupCommand).callsFake((input: CreateNodegroupCommandInput) => {
    nodegroups.set(`${input.clusterName}/${input.nodegroupName}`, input);
    return { nodegroup: { nodegroupName: input.nodegroupName, status: 'CREATING' } };
  });
  eks.on(DescribeNodegroupCommand).callsFake(({ clusterName, nodegroupName }: { clusterName: string; nodegroupName: string }) => {
    const input = nodegroups.get(`${clusterName}/${nodegroupName}`)!;
    return {
      nodegroup: {
        nodegroupName,
        clusterName,
        status: 'ACTIVE',
        version: clusters.get(clusterName)?.version,
        instanceTypes: input.instanceTypes,
        scalingConfig: input.scalingConfig,
      },
    };
  });
}

beforeAll(async () => {
  sts.on(AssumeRoleCommand).resolves({
    Credentials: { AccessKeyId: 'ASIACUSTOMER', SecretAccessKey: 'secret', SessionToken: 'session', Expiration: new Date(Date.now() + 3600_000) },
  });
  fakeEks();
  rt = await startTestRuntime({ simSpeed: 1000 });
});
afterAll(async () => {
  await rt?.stop();
  sts.restore();
  eks.restore();
});

describe('an EKS host cluster created through the API', () => {
  let accountId: string;
  let profileId: string;

  beforeAll(async () => {
    const account = await rt.admin.post(`${base}/cloudaccounts`, {
      name: 'customer-aws',
      provider: 'aws',
      aws: {
        roleArn: 'arn:aws:iam::210987654321:role/PaletteAccess',
        externalId: 'ext-8c1f',
        clusterRoleArn: 'arn:aws:iam::210987654321:role/team-eks-cluster',
        nodeRoleArn: 'arn:aws:iam::210987654321:role/team-eks-nodes',
      },
    });
    expect(account.status).toBe(201);
    expect(account.body.aws).toMatchObject({ clusterRoleArn: 'arn:aws:iam::210987654321:role/team-eks-cluster' });
    accountId = account.body.id;
    const profile = await rt.admin.post(`${base}/clusterprofiles`, {
      name: 'eks-base', version: '1.0.0', cloud: 'eks', type: 'full',
      layers: [{ type: 'os', name: 'al2023', version: '2023' }, { type: 'k8s', name: 'kubernetes', version: '1.31' }],
    });
    expect(profile.status).toBe(201);
    profileId = profile.body.id;
  });

  const request = (extra: Record<string, unknown> = {}) => ({
    name: 'prod-eu',
    cloudAccountId: accountId,
    region: 'eu-west-1',
    profileId,
    nodePools: [{ name: 'general', instanceType: 'm6i.large', count: 3, min: 2, max: 6 }],
    ...extra,
  });

  it('refuses an aws cluster without at least two subnets, at body.network.subnetIds, and writes nothing', async () => {
    const before = await rt.snapshot();
    const missing = await rt.admin.post(`${base}/clusters`, request());
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { path: string }) => e.path)).toContain('body.network.subnetIds');
    const one = await rt.admin.post(`${base}/clusters`, request({ network: { subnetIds: ['subnet-0a1b2c3d4e5f60718'] } }));
    expect(one.status).toBe(400);
    expect(one.body.errors.map((e: { path: string }) => e.path)).toContain('body.network.subnetIds');
    expect(await rt.snapshot()).toEqual(before);
    expect(eks.commandCalls(CreateClusterCommand)).toHaveLength(0);
  });

  it('sends CreateCluster with the subnets, security groups, endpoint access, role, version and tags, then the node groups', async () => {
    const network = {
      subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f9e8d7c6b5a40312'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      endpointPublicAccess: false,
      endpointPrivateAccess: true,
    };
    const created = await rt.admin.post(`${base}/clusters`, request({ network }));
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ provider: 'eks', network, status: { phase: 'Provisioning' } });
    const op = await until('the EKS create', () => rt.admin.get(`/v1/operations/${created.body.operationId}`), (r) => r.body.status !== 'Running');
    expect(op.body).toMatchObject({ status: 'Succeeded' });

    const [assume] = sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);
    expect(assume).toMatchObject({ RoleArn: 'arn:aws:iam::210987654321:role/PaletteAccess', ExternalId: 'ext-8c1f', RoleSessionName: `palette-${created.body.id}` });

    const creates = eks.commandCalls(CreateClusterCommand).map((c) => c.args[0].input);
    expect(creates).toHaveLength(1);
    expect(creates[0]).toEqual({
      name: `palette-${created.body.id.slice(3).toLowerCase()}`,
      version: '1.31',
      roleArn: 'arn:aws:iam::210987654321:role/team-eks-cluster',
      resourcesVpcConfig: network,
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
      tags: {
        'palette:cluster': created.body.id,
        'palette:tenant': rt.seeded.tenantId,
        'palette:project': created.body.projectId,
        'palette:nodepools': 'general:m6i.large:3:2:6',
      },
    });
    const nodegroups = eks.commandCalls(CreateNodegroupCommand).map((c) => c.args[0].input);
    expect(nodegroups).toEqual([
      expect.objectContaining({
        clusterName: creates[0]!.name,
        nodegroupName: 'general',
        instanceTypes: ['m6i.large'],
        scalingConfig: { minSize: 2, maxSize: 6, desiredSize: 3 },
        subnets: network.subnetIds,
        nodeRole: 'arn:aws:iam::210987654321:role/team-eks-nodes',
      }),
    ]);

    const running = await rt.admin.get(`${base}/clusters/${created.body.id}`);
    expect(running.body).toMatchObject({ status: { phase: 'Running' }, kubernetesVersion: '1.31', endpoint: expect.stringMatching(/\.eks\.amazonaws\.com$/) });

    // The kubeconfig carries the cluster's CA and a presigned STS token, and no client-side secrets.
    const kubeconfig = await rt.admin.get(`${base}/clusters/${created.body.id}/kubeconfig`);
    expect(kubeconfig.status).toBe(200);
    expect(kubeconfig.text).toContain(`server: ${running.body.endpoint}`);
    expect(kubeconfig.text).toMatch(/token: k8s-aws-v1\.[A-Za-z0-9_-]+/);
  });

  it("gives a GPU pool NVIDIA's AL2023 image, the GPU label and taint beside its own, and shows its GPUs in capacity", async () => {
    const network = { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f9e8d7c6b5a40312'] };
    const created = await rt.admin.post(`${base}/clusters`, request({
      name: 'gpu-eu',
      network,
      nodePools: [
        { name: 'general', instanceType: 'm6i.large', count: 2 },
        { name: 'gpu', instanceType: 'g5.xlarge', count: 2, labels: { team: 'ml' }, taints: [{ key: 'dedicated', value: 'ml', effect: 'NoExecute' }] },
      ],
    }));
    expect(created.status).toBe(202);
    const op = await until('the EKS GPU create', () => rt.admin.get(`/v1/operations/${created.body.operationId}`), (r) => r.body.status !== 'Running');
    expect(op.body.status).toBe('Succeeded');
    const clusterName = `palette-${created.body.id.slice(3).toLowerCase()}`;
    const groups = eks.commandCalls(CreateNodegroupCommand).map((c) => c.args[0].input).filter((n) => n.clusterName === clusterName);
    const gpu = groups.find((n) => n.nodegroupName === 'gpu')!;
    expect(gpu).toMatchObject({
      instanceTypes: ['g5.xlarge'],
      amiType: 'AL2023_x86_64_NVIDIA',
      labels: { team: 'ml', 'palette.dev/gpu-model': 'nvidia-a10g', 'palette.io/node-pool': 'gpu' },
      taints: [{ key: 'dedicated', value: 'ml', effect: 'NO_EXECUTE' }, { key: 'nvidia.com/gpu', value: 'present', effect: 'NO_SCHEDULE' }],
    });
    const general = groups.find((n) => n.nodegroupName === 'general')!;
    expect(general.amiType).toBeUndefined();
    expect(general.taints).toBeUndefined();

    const cluster = await rt.admin.get(`${base}/clusters/${created.body.id}`);
    expect(cluster.body.capacity).toEqual({ cpu: 2 * 2 + 2 * 4, memoryMiB: 2 * 8192 + 2 * 16384, storageGiB: 80, gpu: 2 });
    expect(cluster.body.nodePools.map((p: { gpu: unknown }) => p.gpu)).toEqual([null, { count: 1, model: 'nvidia-a10g' }]);
  });

  it('refuses an instance type of another cloud at the pool, and a taint with an unknown effect', async () => {
    const network = { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f9e8d7c6b5a40312'] };
    const before = await rt.snapshot();
    const foreign = await rt.admin.post(`${base}/clusters`, request({ network, nodePools: [{ name: 'a', instanceType: 'Standard_D4s_v5', count: 1 }] }));
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.nodePools.0.instanceType']);
    const badTaint = await rt.admin.post(`${base}/clusters`, request({ network, nodePools: [{ name: 'a', instanceType: 'm6i.large', count: 1, taints: [{ key: 'k', effect: 'Sometimes' }] }] }));
    expect(badTaint.status).toBe(400);
    expect(badTaint.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.nodePools.0.taints.0.effect']);
    expect(await rt.snapshot()).toEqual(before);
  });
});
