/**
 * On a machine that cannot reach AWS (this one), an EKS create must end, not hang:
 * the cluster goes to Error with a message that says AWS could not be reached, within
 * the workflow's retry bound, and the operation is Failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, until, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
const base = '/v1/projects/default';
const saved = { ...process.env };

beforeAll(async () => {
  // No credentials and no instance metadata: the SDK has nothing to sign with.
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  rt = await startTestRuntime({ simSpeed: 1000 });
});
afterAll(async () => {
  await rt?.stop();
  process.env = saved;
});

async function createEksCluster(name: string) {
  const account = await rt.admin.post(`${base}/cloudaccounts`, {
    name, provider: 'aws', aws: { roleArn: 'arn:aws:iam::210987654321:role/PaletteAccess', externalId: 'ext-8c1f' },
  });
  const profile = await rt.admin.post(`${base}/clusterprofiles`, {
    name, version: '1.0.0', cloud: 'eks', type: 'full', layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }],
  });
  const created = await rt.admin.post(`${base}/clusters`, {
    name, cloudAccountId: account.body.id, region: 'eu-west-1', profileId: profile.body.id,
    network: { subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f9e8d7c6b5a40312'] },
    nodePools: [{ name: 'general', instanceType: 'm6i.large', count: 1 }],
  });
  expect(created.status).toBe(202);
  return created.body as { id: string; operationId: string };
}

describe('an EKS create without AWS', () => {
  it('ends in Error saying AWS could not be reached when the platform has no credentials', async () => {
    const cluster = await createEksCluster('no-credentials');
    const op = await until('the create to end', () => rt.admin.get(`/v1/operations/${cluster.operationId}`), (r) => r.body.status !== 'Running', 30_000);
    expect(op.body.status).toBe('Failed');
    expect(op.body.error.message).toMatch(/AWS could not be reached/);
    const failed = await rt.admin.get(`${base}/clusters/${cluster.id}`);
    expect(failed.body.status).toEqual({ phase: 'Error', message: expect.stringMatching(/AWS could not be reached/) });
    // The create never reached AWS, so there is nothing there to remove: the delete does not call it, and the record goes.
    const deleting = await rt.admin.delete(`${base}/clusters/${cluster.id}`);
    expect(deleting.status).toBe(202);
    const deleted = await until('the delete to end', () => rt.admin.get(`/v1/operations/${deleting.body.operationId}`), (r) => r.body.status !== 'Running', 30_000);
    expect(deleted.body.status).toBe('Succeeded');
    expect((await rt.admin.get(`${base}/clusters/${cluster.id}`)).status).toBe(404);
    const audit = await rt.admin.get('/v1/audit?action=cluster.delete&limit=100');
    expect(audit.body.items.find((e: { resourceId: string }) => e.resourceId === cluster.id)?.detail).toMatch(/never reached the cloud/);
  });

  it('ends in Error saying AWS could not be reached when AWS does not answer, after its retries', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    try {
      const cluster = await createEksCluster('no-network');
      const op = await until('the create to end', () => rt.admin.get(`/v1/operations/${cluster.operationId}`), (r) => r.body.status !== 'Running', 60_000);
      expect(op.body.status).toBe('Failed');
      expect(op.body.error.message).toMatch(/AWS could not be reached/);
      expect((await rt.admin.get(`${base}/clusters/${cluster.id}`)).body.status.phase).toBe('Error');
    } finally {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  }, 90_000);
});
