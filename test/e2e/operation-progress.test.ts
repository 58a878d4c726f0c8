/**
 * Operation progress from the outside: a host-cluster create on the simulated cloud,
 * read over HTTP while it runs, lists its workflow's steps from the first response and
 * moves each one Pending → Running → Succeeded in order; a create that fails shows the
 * failed step with its message and the later ones Skipped. GET /v1/operations lists
 * what the caller may see, newest first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
let api: ApiClient;
const base = '/v1/projects/default';

interface Step { name: string; status: string; startedAt?: string; endedAt?: string; message?: string }

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  api = rt.admin;
});
afterAll(async () => {
  await rt?.stop();
});

let profileId: string;

const createCluster = async (name: string, cloudAccountId: string) => {
  const created = await api.post(`${base}/clusters`, {
    name, cloudAccountId, region: 'sim-local-1', profileId,
    nodePools: [{ name: 'workers', instanceType: 'sim.large', count: 1 }],
  });
  expect(created.status).toBe(202);
  return created.body as { id: string; operationId: string };
};

/** Reads the operation until it ends, keeping every distinct view of its steps. */
async function watch(operationId: string) {
  const views: Step[][] = [];
  const last = await until(
    'operation ends',
    async () => {
      const op = await api.get(`/v1/operations/${operationId}`);
      expect(op.status).toBe(200);
      const steps = op.body.steps as Step[];
      if (JSON.stringify(steps.map((s) => s.status)) !== JSON.stringify(views.at(-1)?.map((s) => s.status))) views.push(steps);
      return op;
    },
    (op) => op.body.status !== 'Running',
    30_000,
  );
  return { views, last: last.body };
}

const rank: Record<string, number> = { Pending: 0, Running: 1, Succeeded: 2, Failed: 2, Skipped: 2 };

describe('operation progress', () => {
  let accountId: string;
  let failingAccountId: string;

  beforeAll(async () => {
    accountId = (await api.post(`${base}/cloudaccounts`, { name: 'sim-steps', provider: 'sim', sim: { provisionSeconds: 60 } })).body.id;
    const profile = await api.post(`${base}/clusterprofiles`, {
      name: 'sim-steps', version: '1.0.0', cloud: 'sim', type: 'full',
      layers: [
        { type: 'os', name: 'ubuntu', version: '22.04' },
        { type: 'k8s', name: 'kubernetes', version: '1.31' },
        { type: 'cni', name: 'calico', version: '3.28.0' },
      ],
    });
    expect(profile.status).toBe(201);
    profileId = profile.body.id;
    failingAccountId = (await api.post(`${base}/cloudaccounts`, { name: 'sim-steps-broken', provider: 'sim', sim: { provisionSeconds: 20, failProvisioning: true } })).body.id;
  });

  it('a host-cluster create lists its steps from the start and moves each Pending → Running → Succeeded in order', async () => {
    const cluster = await createCluster('steps-1', accountId);
    const first = await api.get(`/v1/operations/${cluster.operationId}`);
    expect(first.body.steps.map((s: Step) => s.name)).toEqual(['provision', 'describe', 'applyAddons', 'checkAddons', 'finish']);
    expect(first.body.progress.total).toBe(5);

    const { views, last } = await watch(cluster.operationId);
    expect(last.status).toBe('Succeeded');
    expect(last.progress).toEqual({ done: 5, total: 5 });
    for (const view of views) {
      // At any moment: the done steps, then at most one running, then the pending ones.
      const statuses = view.map((s) => s.status).join(' ');
      expect(statuses).toMatch(/^(Succeeded ?)*(Running ?)?(Pending ?)*$/);
    }
    // No step ever went back, and the cloud's poll was seen running with its message.
    for (let i = 1; i < views.length; i++) {
      views[i]!.forEach((step, n) => expect(rank[step.status]!).toBeGreaterThanOrEqual(rank[views[i - 1]![n]!.status]!));
    }
    const runningDescribe = views.find((v) => v[1]!.status === 'Running');
    expect(runningDescribe, 'the describe poll was seen running').toBeDefined();
    // Each step starts when the one before it ended, and none ends before it starts.
    const steps = last.steps as Step[];
    steps.forEach((step, n) => {
      expect(step.status).toBe('Succeeded');
      expect(Date.parse(step.endedAt!)).toBeGreaterThanOrEqual(Date.parse(step.startedAt!));
      if (n > 0) expect(step.startedAt).toBe(steps[n - 1]!.endedAt);
    });
    expect(steps[0]!.startedAt).toBe(last.startedAt);
    expect(steps.at(-1)!.endedAt).toBe(last.endedAt);
  });

  it('a failed create shows the failed step with its message and the later steps Skipped', async () => {
    const cluster = await createCluster('steps-broken', failingAccountId);
    const { last } = await watch(cluster.operationId);
    expect(last.status).toBe('Failed');
    expect(last.steps.map((s: Step) => [s.name, s.status])).toEqual([
      ['provision', 'Succeeded'], ['describe', 'Failed'], ['applyAddons', 'Skipped'], ['checkAddons', 'Skipped'], ['finish', 'Skipped'],
    ]);
    expect(last.steps[1].message).toBe(last.error.message);
    expect(last.progress).toEqual({ done: 1, total: 5 });
  });

  it("lists a resource's operations newest first, filters by status, and hides other projects' from a member", async () => {
    const cluster = await createCluster('steps-listed', accountId);
    await until('create ends', () => api.get(`/v1/operations/${cluster.operationId}`), (r) => r.body.status !== 'Running', 30_000);
    const scale = await api.patch(`${base}/clusters/${cluster.id}/nodepools/workers`, { count: 2 });
    expect(scale.status).toBe(202);

    const ofCluster = await api.get(`/v1/operations?resourceId=${cluster.id}`);
    expect(ofCluster.status).toBe(200);
    expect(ofCluster.body.items.map((o: { id: string }) => o.id)).toEqual([scale.body.operationId, cluster.operationId]);
    expect(ofCluster.body.items[0]).toMatchObject({ kind: 'cluster.scale', steps: expect.any(Array), progress: { total: 3 } });

    const succeeded = await api.get(`/v1/operations?resourceId=${cluster.id}&status=Succeeded`);
    expect(succeeded.body.items.map((o: { id: string }) => o.id)).toEqual([cluster.operationId]);

    const paged = await api.get('/v1/operations?limit=1');
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.nextCursor).toEqual(expect.any(String));
    const next = await api.get(`/v1/operations?limit=1&cursor=${encodeURIComponent(paged.body.nextCursor)}`);
    expect(next.body.items[0].id < paged.body.items[0].id).toBe(true);

    // A member of another project sees none of the default project's operations.
    const project = await api.post('/v1/projects', { name: 'elsewhere' });
    const user = await api.post('/v1/users', { email: 'ops-viewer@demo.local', name: 'Ops Viewer' });
    await api.put(`/v1/projects/${project.body.id}/members/${user.body.id}`, { role: 'project.viewer' });
    const member = rt.as((await api.post(`/v1/users/${user.body.id}/apikeys`, { name: 'k' })).body.key);
    const visible = await member.get('/v1/operations?limit=100');
    expect(visible.status).toBe(200);
    const defaultProject = (await api.get(base)).body.id;
    expect(visible.body.items.filter((o: { projectId: string | null }) => o.projectId !== null)).toEqual([]);
    expect(ofCluster.body.items.every((o: { projectId: string }) => o.projectId === defaultProject)).toBe(true);
    expect((await member.get(`/v1/operations?resourceId=${cluster.id}`)).body.items).toEqual([]);

    expect((await api.get('/v1/operations?status=Sideways')).status).toBe(400);
  });
});
