import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  InvalidParameterException,
  ListNodegroupsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  TagResourceCommand,
  ThrottlingException,
  UpdateClusterVersionCommand,
  UpdateNodegroupConfigCommand,
  UpdateNodegroupVersionCommand,
  type Cluster,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEksProvider, type AwsCredentials, type EksAccountSettings, type EksProviderOptions } from '#shared/providers/eks/provider.ts';
import { classifyAwsError } from '#shared/providers/eks/errors.ts';
import { decodeNodePoolTags, encodeNodePoolTags } from '#shared/providers/eks/node-pools.ts';
import { PermanentProviderError, TransientProviderError, type ClusterRef } from '#shared/providers/provider.ts';

const account = {
  roleArn: 'arn:aws:iam::123456789012:role/PaletteAccess',
  externalId: 'ext-7f3a',
};
const ref: ClusterRef = { clusterId: 'cl_01HXYZ', providerName: 'acme-prod', region: 'eu-west-1' };
const T0 = new Date('2025-03-01T12:00:00Z');
const meta = { $metadata: { httpStatusCode: 400 } };

const stsMock = mockClient(STSClient);
const eksMock = mockClient(EKSClient);

function assumedCredentials(n = 1, expiration = new Date(T0.getTime() + 3600_000)) {
  return {
    Credentials: {
      AccessKeyId: `ASIACUSTOMER00000${n}`,
      SecretAccessKey: `secret-${n}`,
      SessionToken: `token-${n}`,
      Expiration: expiration,
    },
  };
}

function cluster(status: Cluster['status'], extra: Partial<Cluster> = {}): { cluster: Cluster } {
  return {
    cluster: {
      name: ref.providerName,
      arn: `arn:aws:eks:eu-west-1:123456789012:cluster/${ref.providerName}`,
      status,
      version: '1.30',
      endpoint: 'https://ABCDEF0123.gr7.eu-west-1.eks.amazonaws.com',
      certificateAuthority: { data: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t' },
      resourcesVpcConfig: { subnetIds: ['subnet-a', 'subnet-b'] },
      tags: { 'palette:cluster-id': ref.clusterId, 'palette:nodepools': 'default:m5.large:3/gpu:g5.xlarge:1:0:4' },
      ...extra,
    },
  };
}

function nodegroup(name: string, status: Nodegroup['status'], extra: Partial<Nodegroup> = {}): { nodegroup: Nodegroup } {
  return {
    nodegroup: {
      nodegroupName: name,
      clusterName: ref.providerName,
      status,
      version: '1.30',
      instanceTypes: [name === 'gpu' ? 'g5.xlarge' : 'm5.large'],
      scalingConfig: { minSize: 3, maxSize: 3, desiredSize: name === 'gpu' ? 1 : 3 },
      ...extra,
    },
  };
}

/** Nodegroups the mock EKS knows, by name. */
function withNodegroups(...groups: Array<{ nodegroup: Nodegroup }>): void {
  eksMock.on(ListNodegroupsCommand).resolves({ nodegroups: groups.map((g) => g.nodegroup.nodegroupName ?? '') });
  for (const g of groups) eksMock.on(DescribeNodegroupCommand, { nodegroupName: g.nodegroup.nodegroupName }).resolves(g);
}

function notFound(message = 'No cluster found for name: acme-prod.') {
  return new ResourceNotFoundException({ message, ...meta, $metadata: { httpStatusCode: 404 } });
}

let clock: Date;
let eksClientFor: ReturnType<typeof vi.fn<(region: string, credentials: AwsCredentials) => EKSClient>>;

function provider(extra: EksProviderOptions = {}, roles: Pick<EksAccountSettings, 'clusterRoleArn' | 'nodeRoleArn'> = {}) {
  return createEksProvider({ ...account, ...roles }, {
    stsClient: new STSClient({ region: 'us-east-1' }),
    eksClientFor,
    now: () => clock,
    ...extra,
  });
}

function inputs<T>(command: abstract new (...args: never[]) => T) {
  return eksMock.commandCalls(command as any).map((c) => c.args[0].input as Record<string, unknown>);
}

beforeEach(() => {
  stsMock.reset();
  eksMock.reset();
  clock = T0;
  eksClientFor = vi.fn((region: string, credentials: AwsCredentials) => new EKSClient({ region, credentials }));
  stsMock.on(AssumeRoleCommand).resolves(assumedCredentials());
  eksMock.on(ListNodegroupsCommand).resolves({ nodegroups: [] });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cross-account access', () => {
  it('assumes the customer role with the external id and hands its credentials to the EKS client factory', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('CREATING'));

    await provider().describe(ref);

    const calls = stsMock.commandCalls(AssumeRoleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      RoleArn: account.roleArn,
      ExternalId: account.externalId,
      RoleSessionName: 'palette-cl_01HXYZ',
      DurationSeconds: 3600,
    });
    expect(eksClientFor).toHaveBeenCalledTimes(1);
    expect(eksClientFor).toHaveBeenCalledWith(
      'eu-west-1',
      expect.objectContaining({
        accessKeyId: 'ASIACUSTOMER000001',
        secretAccessKey: 'secret-1',
        sessionToken: 'token-1',
      }),
    );
  });

  it('reuses the assumed credentials until five minutes before they expire', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('CREATING'));
    const p = provider();

    await p.describe(ref);
    clock = new Date(T0.getTime() + 54 * 60_000);
    await p.describe(ref);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(eksClientFor).toHaveBeenCalledTimes(1);

    stsMock.on(AssumeRoleCommand).resolves(assumedCredentials(2, new Date(T0.getTime() + 2 * 3600_000)));
    clock = new Date(T0.getTime() + 56 * 60_000);
    await p.describe(ref);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(eksClientFor).toHaveBeenCalledTimes(2);
    expect(eksClientFor).toHaveBeenLastCalledWith('eu-west-1', expect.objectContaining({ accessKeyId: 'ASIACUSTOMER000002' }));
  });

  it('keeps the role session name within the 64 characters STS allows', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('CREATING'));

    await provider().describe({ ...ref, clusterId: `cl_${'x'.repeat(80)}` });

    const name = stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input.RoleSessionName ?? '';
    expect(name).toHaveLength(64);
    expect(name.startsWith('palette-cl_')).toBe(true);
  });

  it('turns AccessDenied from STS into a PermanentProviderError that points at the trust policy and external id', async () => {
    stsMock.on(AssumeRoleCommand).rejects(
      new STSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'User: arn:aws:sts::999:assumed-role/palette is not authorized to perform: sts:AssumeRole',
        $metadata: { httpStatusCode: 403 },
      }),
    );

    const error = await provider().describe(ref).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as Error).message).toMatch(/cannot assume role arn:aws:iam::123456789012:role\/PaletteAccess/);
    expect((error as Error).message).toMatch(/trust policy/);
    expect((error as Error).message).toMatch(/external id/);
    expect(eksMock.calls()).toHaveLength(0);
  });
});

describe('create', () => {
  const input = {
    ...ref,
    kubernetesVersion: '1.30',
    nodePools: [
      { name: 'default', instanceType: 'm5.large', count: 3 },
      { name: 'gpu', instanceType: 'g5.xlarge', count: 1, min: 0, max: 4 },
    ],
    tags: { 'palette:cluster-id': ref.clusterId },
    network: { subnetIds: ['subnet-a', 'subnet-b'] },
  };

  it('creates the cluster with API_AND_CONFIG_MAP access, the conventional roles and the desired pools in a tag', async () => {
    eksMock.on(CreateClusterCommand).resolves({});

    await provider().create({ ...input, network: { subnetIds: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-1'] } });

    const [sent] = inputs(CreateClusterCommand);
    expect(sent).toEqual({
      name: 'acme-prod',
      version: '1.30',
      roleArn: 'arn:aws:iam::123456789012:role/PaletteEksClusterRole',
      resourcesVpcConfig: { subnetIds: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-1'] },
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
      tags: { 'palette:cluster-id': ref.clusterId, 'palette:nodepools': 'default:m5.large:3/gpu:g5.xlarge:1:0:4' },
    });
    // EKS rejects CreateNodegroup until the cluster is ACTIVE: create does not try.
    expect(inputs(CreateNodegroupCommand)).toHaveLength(0);
  });

  it('uses the cluster role of the cloud account when it names one', async () => {
    eksMock.on(CreateClusterCommand).resolves({});

    await provider({}, { clusterRoleArn: 'arn:aws:iam::123456789012:role/Custom' }).create(input);

    expect(inputs(CreateClusterCommand)[0]?.roleArn).toBe('arn:aws:iam::123456789012:role/Custom');
  });

  it('treats ResourceInUseException as a cluster an earlier attempt already created', async () => {
    eksMock
      .on(CreateClusterCommand)
      .rejects(new ResourceInUseException({ message: 'Cluster already exists with name: acme-prod', ...meta }));

    await expect(provider().create(input)).resolves.toBeUndefined();
  });

  it('fails permanently when the cluster names fewer than two subnets', async () => {
    await expect(provider().create({ ...input, network: undefined })).rejects.toThrow(PermanentProviderError);
    await expect(provider().create({ ...input, network: { subnetIds: ['subnet-a'] } })).rejects.toThrow(/network\.subnetIds/);
    expect(inputs(CreateClusterCommand)).toHaveLength(0);
  });

  it('fails permanently with the AWS message on InvalidParameterException', async () => {
    eksMock
      .on(CreateClusterCommand)
      .rejects(new InvalidParameterException({ message: 'unsupported Kubernetes version 1.19', ...meta }));

    const error = await provider().create(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as Error).message).toMatch(/unsupported Kubernetes version 1\.19/);
  });

  it('surfaces throttling as a TransientProviderError', async () => {
    eksMock
      .on(CreateClusterCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    await expect(provider().create(input)).rejects.toThrow(TransientProviderError);
  });
});

describe('describe', () => {
  it.each([
    ['CREATING', 'Provisioning'],
    ['PENDING', 'Provisioning'],
    ['UPDATING', 'Updating'],
    ['DELETING', 'Deleting'],
  ] as const)('maps an EKS cluster in %s to %s', async (eksStatus, phase) => {
    eksMock.on(DescribeClusterCommand).resolves(cluster(eksStatus));

    const status = await provider().describe(ref);

    expect(status.phase).toBe(phase);
    expect(inputs(CreateNodegroupCommand)).toHaveLength(0);
  });

  it('maps an ACTIVE cluster whose node groups are all ACTIVE to Running with version and endpoint', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    withNodegroups(nodegroup('default', 'ACTIVE'), nodegroup('gpu', 'ACTIVE'));

    const status = await provider().describe(ref);

    expect(status).toEqual({
      phase: 'Running',
      kubernetesVersion: '1.30',
      endpoint: 'https://ABCDEF0123.gr7.eu-west-1.eks.amazonaws.com',
      nodePools: [
        { name: 'default', instanceType: 'm5.large', count: 3, phase: 'Running' },
        { name: 'gpu', instanceType: 'g5.xlarge', count: 1, phase: 'Running' },
      ],
    });
    expect(inputs(CreateNodegroupCommand)).toHaveLength(0);
  });

  it('maps a FAILED cluster to Failed with the health issue messages', async () => {
    eksMock.on(DescribeClusterCommand).resolves(
      cluster('FAILED', {
        health: {
          issues: [
            { code: 'Ec2SubnetNotFound', message: 'Subnet subnet-a does not exist' },
            { code: 'IamRoleNotFound', message: 'Role PaletteEksClusterRole not found' },
          ],
        },
      }),
    );

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Failed');
    expect(status.message).toBe('Subnet subnet-a does not exist; Role PaletteEksClusterRole not found');
  });

  it('reports Deleted when EKS no longer knows the cluster', async () => {
    eksMock.on(DescribeClusterCommand).rejects(notFound());

    await expect(provider().describe(ref)).resolves.toEqual({ phase: 'Deleted', nodePools: [] });
  });

  it('creates the missing node groups once the cluster is ACTIVE and reports Provisioning', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    eksMock.on(CreateNodegroupCommand).resolves({});

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Provisioning');
    expect(status.nodePools.map((p) => [p.name, p.phase])).toEqual([
      ['default', 'Provisioning'],
      ['gpu', 'Provisioning'],
    ]);
    const created = inputs(CreateNodegroupCommand);
    expect(created).toHaveLength(2);
    expect(created[0]).toMatchObject({
      clusterName: 'acme-prod',
      nodegroupName: 'default',
      instanceTypes: ['m5.large'],
      scalingConfig: { minSize: 3, maxSize: 3, desiredSize: 3 },
      subnets: ['subnet-a', 'subnet-b'],
      nodeRole: 'arn:aws:iam::123456789012:role/PaletteEksNodeRole',
    });
    expect(created[1]).toMatchObject({ nodegroupName: 'gpu', scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 1 } });
    expect((created[0]?.tags as Record<string, string>)['palette:nodepools']).toBeUndefined();
  });

  it('creates only the node groups that are missing and treats ResourceInUseException as already created', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    withNodegroups(nodegroup('default', 'ACTIVE'));
    eksMock.on(CreateNodegroupCommand).rejects(new ResourceInUseException({ message: 'NodeGroup already exists', ...meta }));

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Provisioning');
    expect(inputs(CreateNodegroupCommand).map((i) => i.nodegroupName)).toEqual(['gpu']);
  });

  it('reports Provisioning while a node group is still CREATING', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    withNodegroups(nodegroup('default', 'ACTIVE'), nodegroup('gpu', 'CREATING'));

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Provisioning');
    expect(status.nodePools.find((p) => p.name === 'gpu')?.phase).toBe('Provisioning');
    expect(inputs(CreateNodegroupCommand)).toHaveLength(0);
  });

  it('reports Updating while a node group is UPDATING', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    withNodegroups(nodegroup('default', 'UPDATING'), nodegroup('gpu', 'ACTIVE'));

    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Updating' });
  });

  it('maps a CREATE_FAILED node group to Failed with its issue messages', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    withNodegroups(
      nodegroup('default', 'ACTIVE'),
      nodegroup('gpu', 'CREATE_FAILED', {
        health: { issues: [{ code: 'AsgInstanceLaunchFailures', message: 'Could not launch On-Demand Instances. InsufficientInstanceCapacity' }] },
      }),
    );

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Failed');
    expect(status.message).toMatch(/gpu/);
    expect(status.message).toMatch(/InsufficientInstanceCapacity/);
  });

  it('surfaces ThrottlingException as a TransientProviderError', async () => {
    eksMock.on(DescribeClusterCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));

    await expect(provider().describe(ref)).rejects.toThrow(TransientProviderError);
  });
});

describe('scaleNodePool', () => {
  it('sends UpdateNodegroupConfig with the desired size and widened bounds', async () => {
    eksMock.on(DescribeNodegroupCommand).resolves(nodegroup('default', 'ACTIVE'));
    eksMock.on(UpdateNodegroupConfigCommand).resolves({});

    await provider().scaleNodePool(ref, { name: 'default', instanceType: 'm5.large', count: 5, min: 2 });

    expect(inputs(UpdateNodegroupConfigCommand)).toEqual([
      { clusterName: 'acme-prod', nodegroupName: 'default', scalingConfig: { minSize: 2, maxSize: 5, desiredSize: 5 } },
    ]);
  });

  it('does nothing when the node group already has that size', async () => {
    eksMock.on(DescribeNodegroupCommand).resolves(nodegroup('default', 'ACTIVE'));

    await provider().scaleNodePool(ref, { name: 'default', instanceType: 'm5.large', count: 3 });

    expect(inputs(UpdateNodegroupConfigCommand)).toHaveLength(0);
  });

  it('creates the node group when it does not exist yet', async () => {
    eksMock.on(DescribeNodegroupCommand).rejects(notFound('No node group found for name: batch.'));
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    eksMock.on(CreateNodegroupCommand).resolves({});

    await provider().scaleNodePool(ref, { name: 'batch', instanceType: 'c6i.2xlarge', count: 2 });

    expect(inputs(CreateNodegroupCommand)).toEqual([
      expect.objectContaining({
        nodegroupName: 'batch',
        instanceTypes: ['c6i.2xlarge'],
        scalingConfig: { minSize: 2, maxSize: 2, desiredSize: 2 },
      }),
    ]);
    expect(inputs(UpdateNodegroupConfigCommand)).toHaveLength(0);
  });

  it('asks to be retried when another update of the node group is in progress', async () => {
    eksMock.on(DescribeNodegroupCommand).resolves(nodegroup('default', 'UPDATING'));
    eksMock
      .on(UpdateNodegroupConfigCommand)
      .rejects(new ResourceInUseException({ message: 'An update is already in progress', ...meta }));

    await expect(
      provider().scaleNodePool(ref, { name: 'default', instanceType: 'm5.large', count: 4 }),
    ).rejects.toThrow(TransientProviderError);
  });
});

describe('upgrade', () => {
  it('sends UpdateClusterVersion and records the target version on the cluster', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    eksMock.on(UpdateClusterVersionCommand).resolves({});
    eksMock.on(TagResourceCommand).resolves({});

    await provider().upgrade(ref, '1.31');

    expect(inputs(UpdateClusterVersionCommand)).toEqual([{ name: 'acme-prod', version: '1.31' }]);
    expect(inputs(TagResourceCommand)).toEqual([
      { resourceArn: cluster('ACTIVE').cluster.arn, tags: { 'palette:target-version': '1.31' } },
    ]);
  });

  it('does not call UpdateClusterVersion when the control plane already runs the version', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE', { version: '1.31' }));
    eksMock.on(TagResourceCommand).resolves({});

    await provider().upgrade(ref, '1.31');

    expect(inputs(UpdateClusterVersionCommand)).toHaveLength(0);
  });

  it('asks to be retried when another cluster update is in progress', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('UPDATING'));
    eksMock
      .on(UpdateClusterVersionCommand)
      .rejects(new ResourceInUseException({ message: 'An update is already in progress', ...meta }));

    await expect(provider().upgrade(ref, '1.31')).rejects.toThrow(TransientProviderError);
  });

  it('reports Updating while the ACTIVE control plane is still below the target version', async () => {
    const tags = { ...cluster('ACTIVE').cluster.tags, 'palette:target-version': '1.31' };
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE', { tags }));
    withNodegroups(nodegroup('default', 'ACTIVE'), nodegroup('gpu', 'ACTIVE'));

    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Updating' });
    expect(inputs(UpdateNodegroupVersionCommand)).toHaveLength(0);
  });

  it('upgrades node groups behind the control plane from describe and reports Updating', async () => {
    const tags = { ...cluster('ACTIVE').cluster.tags, 'palette:target-version': '1.31' };
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE', { version: '1.31', tags }));
    withNodegroups(nodegroup('default', 'ACTIVE'), nodegroup('gpu', 'ACTIVE', { version: '1.31' }));
    eksMock.on(UpdateNodegroupVersionCommand).resolves({});

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Updating');
    expect(inputs(UpdateNodegroupVersionCommand)).toEqual([
      { clusterName: 'acme-prod', nodegroupName: 'default', version: '1.31' },
    ]);
  });
});

describe('delete', () => {
  it('deletes the node groups first and the cluster only once none remain', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));
    eksMock.on(TagResourceCommand).resolves({});
    withNodegroups(nodegroup('default', 'ACTIVE'), nodegroup('gpu', 'ACTIVE'));
    eksMock.on(DeleteNodegroupCommand).resolves({});
    eksMock.on(DeleteClusterCommand).resolves({});
    const p = provider();

    await p.delete(ref);

    expect(inputs(TagResourceCommand)[0]?.tags).toEqual({ 'palette:deleting': T0.toISOString() });
    expect(inputs(DeleteNodegroupCommand).map((i) => i.nodegroupName)).toEqual(['default', 'gpu']);
    expect(inputs(DeleteClusterCommand)).toHaveLength(0);

    // Next poll: node groups gone.
    const tags = { ...cluster('ACTIVE').cluster.tags, 'palette:deleting': T0.toISOString() };
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE', { tags }));
    eksMock.on(ListNodegroupsCommand).resolves({ nodegroups: [] });

    await p.delete(ref);

    expect(inputs(DeleteClusterCommand)).toEqual([{ name: 'acme-prod' }]);
    const names = eksMock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(names.lastIndexOf('DeleteNodegroupCommand')).toBeLessThan(names.indexOf('DeleteClusterCommand'));
  });

  it('treats ResourceInUseException from DeleteCluster as node groups still deleting', async () => {
    const tags = { ...cluster('ACTIVE').cluster.tags, 'palette:deleting': T0.toISOString() };
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE', { tags }));
    eksMock
      .on(DeleteClusterCommand)
      .rejects(new ResourceInUseException({ message: 'Cluster has nodegroups attached', ...meta }));

    await expect(provider().delete(ref)).resolves.toBeUndefined();
  });

  it('is a no-op for a cluster EKS no longer knows', async () => {
    eksMock.on(DescribeClusterCommand).rejects(notFound());

    await expect(provider().delete(ref)).resolves.toBeUndefined();
    expect(inputs(DeleteClusterCommand)).toHaveLength(0);
  });

  it('makes describe report Deleting, keep deleting, and never re-create node pools during deletion', async () => {
    const tags = { ...cluster('ACTIVE').cluster.tags, 'palette:deleting': T0.toISOString() };
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE', { tags }));
    withNodegroups(nodegroup('gpu', 'DELETING'));

    const status = await provider().describe(ref);

    expect(status.phase).toBe('Deleting');
    expect(inputs(CreateNodegroupCommand)).toHaveLength(0);
    expect(inputs(DeleteNodegroupCommand)).toHaveLength(0); // already deleting
    expect(inputs(DeleteClusterCommand)).toHaveLength(0); // still has a node group

    eksMock.on(ListNodegroupsCommand).resolves({ nodegroups: [] });
    eksMock.on(DeleteClusterCommand).resolves({});
    await expect(provider().describe(ref)).resolves.toMatchObject({ phase: 'Deleting' });
    expect(inputs(DeleteClusterCommand)).toEqual([{ name: 'acme-prod' }]);
  });
});

describe('clusterAccess', () => {
  it('points at the cluster endpoint with its CA and a k8s-aws-v1 bearer token', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('ACTIVE'));

    const access = await provider().clusterAccess(ref);

    expect(access.server).toBe('https://ABCDEF0123.gr7.eu-west-1.eks.amazonaws.com');
    expect(access.caData).toBe('LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t');
    const token = access.token ?? '';
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    // Signed with the assumed customer role, not Palette's own credentials.
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^ASIACUSTOMER000001\//);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('token-1');
  });

  it('asks to be retried while the cluster has no endpoint yet', async () => {
    eksMock.on(DescribeClusterCommand).resolves(cluster('CREATING', { endpoint: undefined, certificateAuthority: undefined }));

    await expect(provider().clusterAccess(ref)).rejects.toThrow(TransientProviderError);
  });
});

describe('classifyAwsError', () => {
  const aws = (name: string, status = 400, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });

  it.each([
    'ThrottlingException',
    'TooManyRequestsException',
    'RequestLimitExceeded',
    'ServiceUnavailableException',
    'ServerException',
    'InternalFailure',
    'ResourceInUseException',
  ])('treats %s as transient', (name) => {
    expect(classifyAwsError(aws(name))).toBeInstanceOf(TransientProviderError);
  });

  it('treats any 5xx and any $retryable error as transient', () => {
    expect(classifyAwsError(aws('SomethingOdd', 503))).toBeInstanceOf(TransientProviderError);
    expect(classifyAwsError(aws('SomethingOdd', 400, { $retryable: { throttling: false } }))).toBeInstanceOf(
      TransientProviderError,
    );
  });

  it.each([
    'AccessDeniedException',
    'AccessDenied',
    'InvalidParameterException',
    'InvalidRequestException',
    'UnsupportedAvailabilityZoneException',
    'ResourceLimitExceededException',
    'ValidationException',
  ])('treats %s as permanent and keeps the AWS message', (name) => {
    const error = classifyAwsError(aws(name), 'CreateCluster');
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect(error.message).toContain(`${name} happened`);
    expect(error.message).toContain('CreateCluster');
  });

  it('passes provider errors through unchanged', () => {
    const transient = new TransientProviderError('busy');
    expect(classifyAwsError(transient)).toBe(transient);
  });

  it('treats network failures without an AWS answer as transient', () => {
    expect(classifyAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBeInstanceOf(
      TransientProviderError,
    );
  });
});

describe('node pool tags', () => {
  it('round-trips pools through the palette:nodepools tag', () => {
    const pools = [
      { name: 'default', instanceType: 'm5.large', count: 3 },
      { name: 'gpu', instanceType: 'g5.xlarge', count: 1, min: 0, max: 4 },
    ];
    const tags = encodeNodePoolTags(pools);
    expect(tags).toEqual({ 'palette:nodepools': 'default:m5.large:3/gpu:g5.xlarge:1:0:4' });
    expect(decodeNodePoolTags(tags)).toEqual(pools);
  });

  it('splits many pools over several tags that each fit the 256-character EKS limit', () => {
    const pools = Array.from({ length: 20 }, (_, i) => ({
      name: `pool-with-a-long-name-${i}`,
      instanceType: 'm6i.12xlarge',
      count: 10 + i,
    }));
    const tags = encodeNodePoolTags(pools);
    expect(Object.keys(tags).length).toBeGreaterThan(1);
    for (const value of Object.values(tags)) {
      expect(value.length).toBeLessThanOrEqual(256);
      expect(value).toMatch(/^[A-Za-z0-9 +\-=._:/@]+$/);
    }
    expect(decodeNodePoolTags(tags)).toEqual(pools);
  });

  it('rejects a pool name EKS would not accept as a node group name', () => {
    expect(() => encodeNodePoolTags([{ name: 'bad name', instanceType: 'm5.large', count: 1 }])).toThrow(
      PermanentProviderError,
    );
  });
});
