/**
 * The scheduled job repair-operations against the local Step Functions endpoint (the
 * Step Functions API, the same definitions): a workflow stopped mid-way leaves its
 * operation Running and its resource in progress until the job fails them, giving back
 * what the resource reserved; a runtime killed mid-workflow leaves an execution Step
 * Functions no longer knows, which the job restarts; and an execution that overran
 * its bound is stopped and failed.
 */
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startLocalRuntime, type LocalRuntime } from '#infra/local/runtime.ts';
import { operationItem } from '#shared/operations/items.ts';
import { recoveries } from '#shared/operations/recoveries.ts';
import { executionArnOf, repairOperation } from '#shared/operations/repair.ts';
import { keys } from '#shared/store/keys.ts';
import { getItem } from '#shared/store/table.ts';
import { stateMachineArnVariable } from '#workflows/names.ts';
import { apiClient, startTestRuntime, until, type TestRuntime } from '../support/local-api.ts';
import { allocationsMatch, beehiveHosts, freshUser } from '../support/app-mode.ts';

let rt: TestRuntime;
const base = '/v1/projects/default';

beforeAll(async () => {
  rt = await startTestRuntime();
  await beehiveHosts(rt);
});
afterAll(async () => {
  await rt?.stop();
});

const sfn = (endpoint: string) => new SFNClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const executionOf = (workflow: string, operationId: string) => executionArnOf(process.env[stateMachineArnVariable(workflow)]!, operationId);

describe('a workflow stopped mid-way', () => {
  it('leaves an operation that repair-operations fails, taking the virtual cluster out of Provisioning and giving back its quota and host allocation', async () => {
    const dev = await freshUser(rt, 'stopped');
    const created = await dev.api.post(`${base}/virtualclusters`, { name: 'cut-short' });
    expect(created.status, created.text).toBe(202);
    const { operationId } = created.body;
    const executionArn = executionOf('virtual-cluster-create', operationId);
    await sfn(rt.stepFunctionsEndpoint).send(new StopExecutionCommand({ executionArn }));
    expect((await sfn(rt.stepFunctionsEndpoint).send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
    expect((await dev.api.get(`/v1/operations/${operationId}`)).body.status).toBe('Running');
    expect((await dev.api.get(`${base}/virtualclusters/${created.body.id}`)).body.status.phase).toBe('Provisioning');
    expect((await dev.api.get('/v1/quotas')).body.used.virtualClusters).toBe(1);

    const repair = await rt.system.post('/v1/system/jobs/repair-operations');
    expect(repair.status, repair.text).toBe(200);
    expect(repair.body.summary.failed).toEqual([
      expect.objectContaining({ operationId, kind: 'virtualcluster.create', resourceId: created.body.id, action: 'failed', reason: expect.stringContaining('stopped before it finished') }),
    ]);

    const operation = await dev.api.get(`/v1/operations/${operationId}`);
    expect(operation.body).toMatchObject({ status: 'Failed', error: { code: 'OperationInterrupted', message: expect.stringContaining('virtual-cluster-create workflow was stopped') } });
    const vc = await dev.api.get(`${base}/virtualclusters/${created.body.id}`);
    expect(vc.body.status).toEqual({ phase: 'Error', message: expect.stringContaining('was stopped before it finished') });
    // The reservation is given back, exactly once: the user's quota and the host's counters.
    expect((await dev.api.get('/v1/quotas')).body.used).toEqual({ virtualClusters: 0, cpu: 0, memoryMiB: 0, storageGiB: 0 });
    await allocationsMatch(rt, await beehiveHosts(rt));
    const tenantId = (await rt.admin.get('/v1/me')).body.tenant.id as string;
    const projectId = (await rt.admin.get(base)).body.id as string;
    const row = await rt.store.doc.send(new GetCommand({ TableName: rt.store.tableName, Key: keys.virtualCluster(tenantId, projectId, created.body.id), ConsistentRead: true }));
    expect(row.Item?.reservation).toBeUndefined();

    // Nothing is left for a second run to do.
    const again = await rt.system.post('/v1/system/jobs/repair-operations');
    expect(again.body.summary).toMatchObject({ failed: [], restarted: [], stopped: [] });
    // An Error left by a create is deleted like any other.
    const deleted = await dev.api.delete(`${base}/virtualclusters/${created.body.id}`);
    expect(deleted.status, deleted.text).toBe(202);
  });
});

describe('a workflow that overran its bound', () => {
  it('is stopped and failed, with the host cluster out of Provisioning and the reason in its message', async () => {
    const account = await rt.admin.post(`${base}/cloudaccounts`, { name: 'glacial', provider: 'sim', sim: { provisionSeconds: 600 } });
    const profile = await rt.admin.post(`${base}/clusterprofiles`, { name: 'bound', version: '1.0.0', cloud: 'sim', type: 'infra', layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }] });
    const cluster = await rt.admin.post(`${base}/clusters`, {
      name: 'overrun', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }],
    });
    expect(cluster.status, cluster.text).toBe(202);
    const tenantId = (await rt.admin.get('/v1/me')).body.tenant.id as string;
    const operation = (await getItem(rt.store, keys.operation(tenantId, cluster.body.operationId), operationItem))!;
    const executionArn = executionOf('host-cluster-create', operation.id);

    // Within its bound it is left to run.
    expect(await repairOperation(rt.store, recoveries, operation, new Date())).toEqual({ action: 'running' });
    // Hours later it is still provisioning: past maxPolls × pollSeconds and the steps' allowance.
    const later = new Date(Date.now() + 3 * 3600_000);
    const result = await repairOperation(rt.store, recoveries, operation, later);
    expect(result).toEqual({ action: 'stopped', reason: expect.stringMatching(/ran for more than \d+ s, its bound, and was stopped by the platform/) });
    expect((await sfn(rt.stepFunctionsEndpoint).send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
    const failed = await rt.admin.get(`/v1/operations/${operation.id}`);
    expect(failed.body).toMatchObject({ status: 'Failed', error: { code: 'OperationInterrupted' } });
    const after = await rt.admin.get(`${base}/clusters/${cluster.body.id}`);
    expect(after.body.status).toEqual({ phase: 'Error', message: expect.stringContaining('its bound') });
  });
});

describe('a runtime killed mid-workflow', () => {
  const adminKey = `plt_repair-admin-${randomBytes(12).toString('hex')}`;
  const systemKey = `plt_repair-system-${randomBytes(12).toString('hex')}`;
  const tableName = `test-repair-${randomBytes(6).toString('hex')}`;
  let runtime: LocalRuntime | undefined;
  const grace = process.env.PALETTE_REPAIR_GRACE_SECONDS;

  afterAll(async () => {
    await runtime?.stop();
    if (grace === undefined) delete process.env.PALETTE_REPAIR_GRACE_SECONDS;
    else process.env.PALETTE_REPAIR_GRACE_SECONDS = grace;
  });

  it('leaves an execution Step Functions no longer knows, which repair-operations restarts until the host cluster is Running', { timeout: 60_000 }, async () => {
    const options = { dynamoEndpoint: inject('dynamoEndpoint'), tableName, adminKey, systemKey, seedBeehive: false };
    runtime = await startLocalRuntime(options);
    let api = apiClient(runtime.url, adminKey);
    const account = await api.post(`${base}/cloudaccounts`, { name: 'slow', provider: 'sim', sim: { provisionSeconds: 2 } });
    const profile = await api.post(`${base}/clusterprofiles`, { name: 'p', version: '1.0.0', cloud: 'sim', type: 'infra', layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }] });
    const cluster = await api.post(`${base}/clusters`, {
      name: 'interrupted', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }],
    });
    expect(cluster.body.status.phase).toBe('Provisioning');
    await runtime.stop();

    // The next runtime does not resume at start, so the repair job is what finds the operation.
    process.env.PALETTE_REPAIR_GRACE_SECONDS = '0';
    runtime = await startLocalRuntime({ ...options, resumeOperations: false });
    api = apiClient(runtime.url, adminKey);
    expect((await api.get(`/v1/operations/${cluster.body.operationId}`)).body.status).toBe('Running');
    const repair = await apiClient(runtime.url, systemKey).post('/v1/system/jobs/repair-operations');
    expect(repair.status, repair.text).toBe(200);
    expect(repair.body.summary.restarted).toEqual([expect.objectContaining({ operationId: cluster.body.operationId, kind: 'cluster.create', action: 'restarted' })]);
    const op = await until('the restarted workflow', () => api.get(`/v1/operations/${cluster.body.operationId}`), (r) => r.body.status !== 'Running', 30_000);
    expect(op.body.status).toBe('Succeeded');
    expect((await api.get(`${base}/clusters/${cluster.body.id}`)).body.status.phase).toBe('Running');
  });
});
