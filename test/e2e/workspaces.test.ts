/**
 * Workspaces from the outside in: created over HTTP, ending on two sim clusters (read
 * with the clusters' admin kubeconfigs) and in a person's own kubeconfig, used with the
 * real kubectl, which the emulator answers from the RBAC and quota rules Kubernetes has.
 */
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getItem } from '#shared/store/table.ts';
import { keys } from '#shared/store/keys.ts';
import { hostClusterItem, type HostClusterItem } from '#shared/host-clusters/items.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { freshUser, hostKube, namespaceExists } from '../support/app-mode.ts';
import { kubectlSandbox, type Kubectl } from '../kubectl/support.ts';

let rt: TestRuntime;
let api: ApiClient;
const base = '/v1/projects/default';
let clusters: HostClusterItem[];
let kubes: KubeConfig[];
let alice: { id: string; api: ApiClient };
let bob: { id: string; api: ApiClient };
let teamId: string;

const finished = (operationId: string) => until('operation', () => api.get(`/v1/operations/${operationId}`), (r) => r.body.status !== 'Running', 30_000);
const workspacePhase = (id: string, phases: string[]) =>
  until(`workspace in ${phases.join('/')}`, () => api.get(`${base}/workspaces/${id}`), (r) => phases.includes(r.body.status?.phase), 30_000);

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 50 });
  api = rt.admin;
  const account = await api.post(`${base}/cloudaccounts`, { name: 'ws-sim', provider: 'sim', sim: { provisionSeconds: 0 } });
  const profile = await api.post(`${base}/clusterprofiles`, { name: 'ws', version: '1.0.0', cloud: 'sim', type: 'full', layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }] });
  const created = await Promise.all(['ws-east', 'ws-west'].map((name) =>
    api.post(`${base}/clusters`, { name, cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id, nodePools: [{ name: 'w', instanceType: 'sim.large', count: 1 }] })));
  for (const c of created) expect(c.status, c.text).toBe(202);
  await Promise.all(created.map((c) => finished(c.body.operationId)));
  clusters = (await Promise.all(created.map((c) => getItem(rt.store, keys.cluster(rt.seeded.tenantId, c.body.projectId, c.body.id), hostClusterItem)))) as HostClusterItem[];
  for (const c of clusters) expect(c.status.phase).toBe('Running');
  kubes = await Promise.all(clusters.map((c) => hostKube(rt, c)));
  alice = await freshUser(rt, 'alice');
  bob = await freshUser(rt, 'bob');
  const team = await api.post('/v1/teams', { name: 'ws-team', memberIds: [bob.id] });
  teamId = team.body.id;
}, 120_000);
afterAll(async () => {
  await rt?.stop();
});

const deployment = (name: string, namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: web, image: nginx:1.27 }] }
`;

describe('a workspace over two clusters', () => {
  let id: string;
  let kubectl: Kubectl;

  beforeAll(async () => {
    const created = await api.post(`${base}/workspaces`, {
      name: 'shop-team',
      clusterIds: clusters.map((c) => c.id),
      namespaces: [{ name: 'team-a', resources: { cpu: 2, memoryMiB: 2048, storageGiB: 10 } }, { name: 'team-b' }],
      roleBindings: [
        { namespace: 'team-a', role: 'edit', subjects: [{ kind: 'user', id: alice.id }] },
        { namespace: 'team-b', role: 'view', subjects: [{ kind: 'user', id: alice.id }, { kind: 'team', id: teamId }] },
      ],
    });
    expect(created.status, created.text).toBe(202);
    expect(created.body.status.phase).toBe('Applying');
    id = created.body.id;
    const ready = await workspacePhase(id, ['Ready', 'Degraded', 'Error']);
    expect(ready.body.status, JSON.stringify(ready.body.status)).toMatchObject({ phase: 'Ready' });
    expect(ready.body.status.clusters.map((c: { phase: string }) => c.phase)).toEqual(['Ready', 'Ready']);
    const config = await alice.api.get(`${base}/workspaces/${id}/kubeconfig?clusterId=${clusters[0]!.id}`);
    expect(config.status, config.text).toBe(200);
    kubectl = await kubectlSandbox(config.text);
  }, 60_000);
  afterAll(async () => {
    await kubectl?.cleanup();
  });

  it('puts each namespace, its quota and its role bindings on both clusters, labelled as the workspace\'s', async () => {
    for (const kube of kubes) {
      const core = kube.makeApiClient(CoreV1Api);
      const rbac = kube.makeApiClient(RbacAuthorizationV1Api);
      const teamA = await core.readNamespace({ name: 'team-a' });
      expect(teamA.metadata?.labels?.['palette.dev/workspace']).toBe(id);
      const quota = await core.readNamespacedResourceQuota({ name: 'palette-workspace', namespace: 'team-a' });
      expect(quota.spec?.hard).toEqual({ 'requests.cpu': '2', 'requests.memory': '2048Mi', 'requests.storage': '10Gi' });
      const edit = await rbac.readNamespacedRoleBinding({ name: 'palette-workspace-edit', namespace: 'team-a' });
      expect(edit.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'edit' });
      expect(edit.subjects?.map((s) => `${s.kind}/${s.namespace}/${s.name}`)).toEqual([`ServiceAccount/palette-system/${alice.id.toLowerCase().replace('_', '-')}`]);
      // A team is bound through its members.
      const view = await rbac.readNamespacedRoleBinding({ name: 'palette-workspace-view', namespace: 'team-b' });
      expect(view.subjects?.map((s) => s.name).sort()).toEqual([alice.id, bob.id].map((u) => u.toLowerCase().replace('_', '-')).sort());
    }
  });

  it('gives alice, through her own kubeconfig and the real kubectl, edit in team-a, view in team-b and nothing in kube-system', async () => {
    const applied = await kubectl(['apply', '-f', '-'], { stdin: deployment('web', 'team-a') });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('deployment.apps/web created');
    const listed = await kubectl(['get', 'deployments', '-n', 'team-b']);
    expect(listed.code, listed.stderr).toBe(0);
    const refusedB = await kubectl(['apply', '-f', '-'], { stdin: deployment('web', 'team-b') });
    expect(refusedB.code).not.toBe(0);
    expect(refusedB.stderr).toMatch(/forbidden: User "system:serviceaccount:palette-system:usr-[0-9a-z]+" cannot (get|create|patch) resource "deployments" in API group "apps" in the namespace "team-b"/);
    const refusedSystem = await kubectl(['get', 'pods', '-n', 'kube-system']);
    expect(refusedSystem.code).not.toBe(0);
    expect(refusedSystem.stderr).toContain('Error from server (Forbidden)');
    expect(refusedSystem.stderr).toContain('cannot list resource "pods" in API group "" in the namespace "kube-system"');
  });

  it('has kubectl auth can-i agree with what the requests got', async () => {
    const yes = await kubectl(['auth', 'can-i', 'create', 'deployments', '-n', 'team-a']);
    expect(yes.stdout.trim(), yes.stderr).toBe('yes');
    const no = await kubectl(['auth', 'can-i', 'create', 'deployments', '-n', 'team-b']);
    expect(no.stdout.trim()).toBe('no');
    expect(no.code).toBe(1);
    const view = await kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team-b']);
    expect(view.stdout.trim()).toBe('yes');
    const system = await kubectl(['auth', 'can-i', 'get', 'secrets', '-n', 'kube-system']);
    expect(system.stdout.trim()).toBe('no');
  });

  it('refuses a pod over the namespace\'s quota with Kubernetes\' message', async () => {
    const pod = `apiVersion: v1
kind: Pod
metadata: { name: big, namespace: team-a }
spec: { containers: [{ name: big, image: nginx:1.27, resources: { requests: { cpu: "3" } } }] }
`;
    const refused = await kubectl(['apply', '-f', '-'], { stdin: pod });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/pods "big" is forbidden: exceeded quota: palette-workspace, requested: requests.cpu=3, used: requests.cpu=[0-9.m]+, limited: requests.cpu=2/);
  });

  it('hands a kubeconfig only to someone the bindings name, and only for the workspace\'s clusters', async () => {
    const carol = await freshUser(rt, 'carol');
    const none = await carol.api.get(`${base}/workspaces/${id}/kubeconfig?clusterId=${clusters[0]!.id}`);
    expect(none.status).toBe(403);
    const other = await alice.api.get(`${base}/workspaces/${id}/kubeconfig?clusterId=cl_01JD0000000000000000000000`);
    expect(other.status).toBe(400);
    expect(other.body.errors[0].path).toBe('query.clusterId');
  });

  it('removes a namespace taken out of the workspace from both clusters, and nothing else', async () => {
    // A namespace the workspace never made, on the first cluster: it must survive.
    await kubes[0]!.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'not-the-workspaces' } } });
    const before = await api.get(`${base}/workspaces/${id}`);
    const patched = await api.patch(`${base}/workspaces/${id}`, {
      namespaces: [{ name: 'team-a', resources: { cpu: 2, memoryMiB: 2048, storageGiB: 10 } }],
      roleBindings: [{ namespace: 'team-a', role: 'edit', subjects: [{ kind: 'user', id: alice.id }] }],
    }, { 'if-match': `"${before.body.version}"` });
    expect(patched.status, patched.text).toBe(202);
    expect((await workspacePhase(id, ['Ready', 'Degraded', 'Error'])).body.status.phase).toBe('Ready');
    for (const kube of kubes) {
      await until('team-b gone', () => namespaceExists(kube, 'team-b'), (exists) => !exists, 15_000);
      expect(await namespaceExists(kube, 'team-a')).toBe(true);
      for (const kept of ['default', 'kube-system']) expect(await namespaceExists(kube, kept)).toBe(true);
    }
    expect(await namespaceExists(kubes[0]!, 'not-the-workspaces')).toBe(true);
    // bob was bound only in team-b: his ServiceAccount went with it; alice's stays.
    const accounts = await kubes[0]!.makeApiClient(CoreV1Api).listNamespacedServiceAccount({ namespace: 'palette-system' });
    const names = accounts.items.map((a) => a.metadata?.name);
    expect(names).toContain(alice.id.toLowerCase().replace('_', '-'));
    expect(names).not.toContain(bob.id.toLowerCase().replace('_', '-'));
  });

  it('goes Degraded with the message of a cluster that is down, the other still applied, and Ready once it is back', async () => {
    const down = clusters[1]!;
    await fetch(`${rt.simEndpoint}/clusters/${down.providerName}/fault`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'host unreachable' }) });
    try {
      const patched = await api.patch(`${base}/workspaces/${id}`, { namespaces: [{ name: 'team-a', resources: { cpu: 2, memoryMiB: 2048, storageGiB: 10 } }, { name: 'team-c' }] });
      expect(patched.status, patched.text).toBe(202);
      const degraded = await workspacePhase(id, ['Ready', 'Degraded', 'Error']);
      expect(degraded.body.status.phase).toBe('Degraded');
      expect(degraded.body.status.message).toContain('ws-west');
      expect(degraded.body.status.clusters.find((c: { clusterId: string }) => c.clusterId === down.id).phase).toBe('Error');
      expect(await namespaceExists(kubes[0]!, 'team-c')).toBe(true);
    } finally {
      await fetch(`${rt.simEndpoint}/clusters/${down.providerName}/fault`, { method: 'DELETE' });
    }
    const job = await rt.system.post('/v1/system/jobs/reconcile-workspaces');
    expect(job.status, job.text).toBe(200);
    expect(job.body.summary.reconciled).toEqual(expect.arrayContaining([expect.objectContaining({ workspaceId: id, phase: { before: 'Degraded', after: 'Ready' } })]));
    expect((await api.get(`${base}/workspaces/${id}`)).body.status.phase).toBe('Ready');
    expect(await namespaceExists(kubes[1]!, 'team-c')).toBe(true);
  });

  it('puts back a role binding deleted by hand when the job runs', async () => {
    await kubes[0]!.makeApiClient(RbacAuthorizationV1Api).deleteNamespacedRoleBinding({ name: 'palette-workspace-edit', namespace: 'team-a' });
    const job = await rt.system.post('/v1/system/jobs/reconcile-workspaces');
    expect(job.body.summary.reconciled).toEqual(expect.arrayContaining([expect.objectContaining({ workspaceId: id, repaired: [{ clusterId: clusters[0]!.id, changed: 1 }] })]));
    const edit = await kubes[0]!.makeApiClient(RbacAuthorizationV1Api).readNamespacedRoleBinding({ name: 'palette-workspace-edit', namespace: 'team-a' });
    expect(edit.subjects).toHaveLength(1);
  });

  it('deletes the workspace: what it created goes from both clusters, and nothing else', async () => {
    const deleted = await api.delete(`${base}/workspaces/${id}`);
    expect(deleted.status, deleted.text).toBe(202);
    expect(deleted.body.status.phase).toBe('Deleting');
    await until('workspace gone', () => api.get(`${base}/workspaces/${id}`), (r) => r.status === 404, 30_000);
    for (const kube of kubes) {
      for (const gone of ['team-a', 'team-c']) await until(`${gone} gone`, () => namespaceExists(kube, gone), (exists) => !exists, 15_000);
      const accounts = await kube.makeApiClient(CoreV1Api).listNamespacedServiceAccount({ namespace: 'palette-system' });
      expect(accounts.items.filter((a) => a.metadata?.labels?.['palette.dev/user'])).toEqual([]);
    }
    expect(await namespaceExists(kubes[0]!, 'not-the-workspaces')).toBe(true);
  });
});

describe('workspace input', () => {
  it('refuses namespace names that are not DNS labels, and reserved ones, at their field', async () => {
    const bad = await api.post(`${base}/workspaces`, { name: 'bad', clusterIds: [clusters[0]!.id], namespaces: [{ name: 'Team_A' }, { name: 'kube-extra' }, { name: 'a'.repeat(64) }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.namespaces.0.name', 'body.namespaces.1.name', 'body.namespaces.2.name']);
  });

  it('refuses a binding for a namespace the workspace does not have', async () => {
    const bad = await api.post(`${base}/workspaces`, { name: 'bad', clusterIds: [clusters[0]!.id], namespaces: [{ name: 'team-a' }], roleBindings: [{ namespace: 'team-z', role: 'edit', subjects: [{ kind: 'user', id: alice.id }] }] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('body.roleBindings.0.namespace');
  });

  it('does not find a user of another tenant, or a cluster of another project, and writes nothing', async () => {
    const other = await rt.system.post('/v1/tenants', { name: `other-${Date.now()}`, adminEmail: `admin-${Date.now()}@other.example` });
    expect(other.status).toBe(201);
    const before = await rt.snapshot();
    const foreign = await api.post(`${base}/workspaces`, {
      name: 'foreign', clusterIds: [clusters[0]!.id], namespaces: [{ name: 'team-a' }],
      roleBindings: [{ namespace: 'team-a', role: 'view', subjects: [{ kind: 'user', id: other.body.admin.user.id }] }],
    });
    expect(foreign.status).toBe(404);
    const project = await api.post('/v1/projects', { name: `ws-other-${Date.now()}` });
    const elsewhere = await api.post(`/v1/projects/${project.body.id}/workspaces`, { name: 'elsewhere', clusterIds: [clusters[0]!.id], namespaces: [{ name: 'team-a' }] });
    expect(elsewhere.status).toBe(404);
    const after = (await rt.snapshot()).filter((item) => !item.includes('PROJECT') && !item.includes(project.body.id));
    expect(after).toEqual(before.filter((item) => !item.includes('PROJECT')));
  });

  it('lets only a project admin create a workspace', async () => {
    const refused = await alice.api.post(`${base}/workspaces`, { name: 'mine', clusterIds: [clusters[0]!.id], namespaces: [{ name: 'mine' }] });
    expect(refused.status).toBe(403);
  });
});
