/**
 * vSphere clusters through a data-centre gateway: the simulated gateway is a real agent
 * of the protocol over HTTP, playing the vCenter behind it (infra/local/sim-agents.ts).
 * The test enters at the API and ends at the gateway's tasks, the emulator cluster it
 * made (read with kubectl through the kubeconfig the API hands out) and the table.
 */
process.env.PALETTE_AGENT_HEARTBEAT_SECONDS = '1';

import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_VCENTER } from '#infra/local/runtime.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';

const run = promisify(execFile);
let rt: TestRuntime;
let api: ApiClient;
const base = '/v1/projects/default';

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20, simGateway: true });
  api = rt.admin;
});
afterAll(async () => {
  await rt?.stop();
});

describe('vSphere clusters through the simulated gateway', () => {
  let accountId: string;
  let profileId: string;
  let clusterId: string;

  beforeAll(async () => {
    const accounts = await api.get(`${base}/cloudaccounts`);
    const lab = accounts.body.items.find((a: { name: string }) => a.name === 'lab');
    accountId = lab.id;
    const profile = await api.post(`${base}/clusterprofiles`, {
      name: 'vsphere-base', version: '1.0.0', cloud: 'vsphere', type: 'full',
      layers: [{ type: 'os', name: 'ubuntu', version: '22.04' }, { type: 'k8s', name: 'kubernetes', version: '1.31' }],
    });
    expect(profile.status).toBe(201);
    profileId = profile.body.id;
  });

  it('lists the gateway, and the lab account it serves without its password', async () => {
    const gateways = await api.get(`${base}/gateways`);
    expect(gateways.body.items).toEqual([expect.objectContaining({ name: 'lab-gateway', kind: 'gateway', status: expect.objectContaining({ phase: 'Ready' }) })]);
    const account = await api.get(`${base}/cloudaccounts/${accountId}`);
    expect(account.body).toMatchObject({ provider: 'vsphere', secretSet: true, vsphere: { gatewayId: gateways.body.items[0].id, vcenter: LAB_VCENTER.vcenter, username: LAB_VCENTER.username } });
    expect(JSON.stringify(account.body)).not.toContain(LAB_VCENTER.password);
    const validated = await api.post(`${base}/cloudaccounts/${accountId}/validate`);
    expect(validated.body).toEqual({ valid: true, message: expect.stringMatching(/gateway lab-gateway is connected/) });
    const bad = await api.post(`${base}/cloudaccounts`, { name: 'nowhere', provider: 'vsphere', vsphere: { ...LAB_VCENTER, gatewayId: 'ag_01JD0000000000000000000000' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.vsphere.gatewayId']);
  });

  it('creates a cluster through the gateway: Running, with a kubeconfig that works in kubectl', async () => {
    const created = await api.post(`${base}/clusters`, {
      name: 'dc-apps', cloudAccountId: accountId, region: 'dc-1', profileId, vsphere: { folder: 'palette', resourcePool: 'gold' },
      nodePools: [{ name: 'workers', instanceType: 'vsphere.medium', count: 2 }],
    });
    expect(created.status).toBe(202);
    clusterId = created.body.id;
    const op = await until('vsphere create', () => api.get(`/v1/operations/${created.body.operationId}`), (r) => r.body.status !== 'Running', 30_000);
    expect(op.body.status).toBe('Succeeded');
    const cluster = await api.get(`${base}/clusters/${clusterId}`);
    expect(cluster.body).toMatchObject({ provider: 'vsphere', status: { phase: 'Running' }, vsphere: { folder: 'palette', resourcePool: 'gold' }, capacity: { cpu: 8, memoryMiB: 32768 } });
    const kubeconfig = await api.get(`${base}/clusters/${clusterId}/kubeconfig`);
    expect(kubeconfig.status).toBe(200);
    const dir = await mkdtemp(join(tmpdir(), 'vsphere-kubeconfig-'));
    await writeFile(join(dir, 'config'), kubeconfig.text);
    const { stdout } = await run('kubectl', ['--kubeconfig', join(dir, 'config'), 'get', 'nodes', '-o', 'name']);
    expect(stdout.trim().split('\n')).toHaveLength(2);
  });

  it('scales through a gateway task, then deletes the cluster and its VMs', async () => {
    const scaled = await api.patch(`${base}/clusters/${clusterId}/nodepools/workers`, { count: 3 });
    expect(scaled.status).toBe(202);
    expect((await until('scale', () => api.get(`/v1/operations/${scaled.body.operationId}`), (r) => r.body.status !== 'Running', 30_000)).body.status).toBe('Succeeded');
    expect((await api.get(`${base}/clusters/${clusterId}`)).body.nodePools[0].count).toBe(3);
    const deleted = await api.delete(`${base}/clusters/${clusterId}`);
    expect(deleted.status).toBe(202);
    await until('vsphere delete', () => api.get(`${base}/clusters/${clusterId}`), (r) => r.status === 404, 30_000);
  });

  it('ends a create in Error within its bound when the gateway goes quiet, saying so, and deletes once it is back', async () => {
    const gateway = rt.gateway!;
    gateway.setPaused('lab-gateway', true);
    let created;
    try {
      created = await api.post(`${base}/clusters`, {
        name: 'dc-stalled', cloudAccountId: accountId, region: 'dc-1', profileId,
        nodePools: [{ name: 'workers', instanceType: 'vsphere.small', count: 1 }],
      });
      expect(created.status).toBe(202);
      const op = await until('the stalled create ends', () => api.get(`/v1/operations/${created!.body.operationId}`), (r) => r.body.status !== 'Running', 30_000);
      expect(op.body.status).toBe('Failed');
      const failed = await api.get(`${base}/clusters/${created.body.id}`);
      expect(failed.body.status.phase).toBe('Error');
      expect(failed.body.status.message).toMatch(/gateway lab-gateway is unreachable/);
    } finally {
      gateway.setPaused('lab-gateway', false);
    }
    const deleting = await api.delete(`${base}/clusters/${created.body.id}`);
    expect(deleting.status).toBe(202);
    await until('the stalled cluster gone', () => api.get(`${base}/clusters/${created.body.id}`), (r) => r.status === 404, 30_000);
  });

  it('keeps the vCenter password out of the table', async () => {
    const all = JSON.stringify((await rt.store.doc.send(new ScanCommand({ TableName: rt.store.tableName, ConsistentRead: true }))).Items);
    expect(all).not.toContain(LAB_VCENTER.password);
  });
});
