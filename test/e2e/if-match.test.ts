/**
 * If-Match on every route of the route table: a change of an existing resource with a
 * stale version is 412 and changes nothing; a read with a stale version is 412; a
 * create (there is no version to match) with any If-Match is 412 and creates nothing.
 * Every route must be classified here, so a new route cannot skip the check unnoticed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeList, type OperationId } from '#shared/api/route-table.ts';
import { beehiveHosts } from '../support/app-mode.ts';
import { startTestRuntime, until, type ApiClient, type ApiResponse, type TestRuntime } from '../support/local-api.ts';

let rt: TestRuntime;
let api: ApiClient;
const base = '/v1/projects/default';
const STALE = '"999"';

interface Fixture {
  userId: string;
  keyId: string;
  teamId: string;
  projectId: string;
  memberId: string;
  accountId: string;
  profileId: string;
  nextProfileId: string;
  clusterId: string;
  groupId: string;
  operationId: string;
  appProfileId: string;
  virtualClusterId: string;
  appId: string;
  webhookId: string;
  workspaceId: string;
  registryId: string;
  backupId: string;
}
let f: Fixture;

const finished = (operationId: string) => until('operation', () => api.get(`/v1/operations/${operationId}`), (r) => r.body.status !== 'Running');

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 50 });
  api = rt.admin;
  const user = await api.post('/v1/users', { email: 'ifmatch@demo.local', name: 'If Match' });
  const key = await api.post(`/v1/users/${user.body.id}/apikeys`, { name: 'k' });
  const team = await api.post('/v1/teams', { name: 't', memberIds: [] });
  const project = await api.post('/v1/projects', { name: 'if-match' });
  const member = await api.post('/v1/users', { email: 'member@demo.local', name: 'Member' });
  await api.put(`/v1/projects/${project.body.id}/members/${member.body.id}`, { role: 'project.viewer' });
  const account = await api.post(`${base}/cloudaccounts`, { name: 'ifm', provider: 'sim', sim: { provisionSeconds: 0 } });
  const layers = [{ type: 'k8s', name: 'kubernetes', version: '1.31' }];
  const profile = await api.post(`${base}/clusterprofiles`, { name: 'ifm', version: '1.0.0', cloud: 'sim', type: 'full', layers });
  const next = await api.post(`${base}/clusterprofiles`, { name: 'ifm', version: '1.1.0', cloud: 'sim', type: 'full', layers });
  const cluster = await api.post(`${base}/clusters`, {
    name: 'ifm', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id,
    hostCluster: { enabled: true }, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1, max: 3 }],
  });
  await finished(cluster.body.operationId);
  const group = await api.post('/v1/clustergroups', { name: 'ifm', hostClusters: [{ projectId: 'default', clusterId: cluster.body.id }] });
  const appProfile = await api.post(`${base}/appprofiles`, { name: 'ifm', version: '1.0.0', tiers: [{ name: 'web', type: 'container', image: 'nginx:1.27' }] });
  await beehiveHosts(rt);
  const virtualCluster = await api.post(`${base}/virtualclusters`, { name: 'ifm' });
  await finished(virtualCluster.body.operationId);
  const app = await api.post(`${base}/apps`, { name: 'ifm', appProfileId: appProfile.body.id, virtualClusterId: virtualCluster.body.id });
  await finished(app.body.operationId);
  for (const response of [virtualCluster, app]) expect(response.status, response.text).toBe(202);
  const webhook = await api.post(`${base}/webhooks`, { name: 'ifm', appId: app.body.id });
  expect(webhook.status, webhook.text).toBe(201);
  const workspace = await api.post(`${base}/workspaces`, { name: 'ifm', clusterIds: [cluster.body.id], namespaces: [{ name: 'ifm' }] });
  expect(workspace.status, workspace.text).toBe(202);
  await finished(workspace.body.operationId);
  const registry = await api.post('/v1/registries', { name: 'ifm', type: 'helm', url: rt.chartRegistry!.url });
  expect(registry.status, registry.text).toBe(201);
  const backup = await api.post(`${base}/virtualclusters/${virtualCluster.body.id}/backups`, {});
  expect(backup.status, backup.text).toBe(202);
  await finished(backup.body.operationId);
  f = {
    userId: user.body.id, keyId: key.body.id, teamId: team.body.id, projectId: project.body.id, memberId: member.body.id,
    accountId: account.body.id, profileId: profile.body.id, nextProfileId: next.body.id, clusterId: cluster.body.id,
    groupId: group.body.id, operationId: cluster.body.operationId, appProfileId: appProfile.body.id,
    virtualClusterId: virtualCluster.body.id, appId: app.body.id, webhookId: webhook.body.id,
    workspaceId: workspace.body.id, registryId: registry.body.id, backupId: backup.body.id,
  };
  for (const response of [user, key, team, project, member, account, profile, next, group, appProfile]) expect(response.status, response.text).toBe(201);
});
afterAll(async () => {
  await rt?.stop();
});

type Request = { client?: ApiClient; method: string; path: string; body?: unknown };
/** A route's If-Match case: what to send, and for changes, how to read the version back. */
type Case =
  | { kind: 'create'; request: () => Request }
  | { kind: 'read'; request: () => Request }
  | { kind: 'change'; request: () => Request; version: () => Promise<ApiResponse> }
  | { kind: 'exempt'; why: string };


const cases: Record<OperationId, Case> = {
  'health.get': { kind: 'exempt', why: 'public, no resource' },
  'agent.register': { kind: 'exempt', why: 'an agent protocol call, no versioned resource' },
  'agent.heartbeat': { kind: 'exempt', why: 'an agent protocol call, no versioned resource' },
  'agent.task.report': { kind: 'exempt', why: 'an agent protocol call on its own task' },
  'registrationtoken.create': { kind: 'exempt', why: 'a token is made and revoked, never changed' },
  'registrationtoken.list': { kind: 'exempt', why: 'a list has no version' },
  'registrationtoken.get': { kind: 'exempt', why: 'a token is made and revoked, never changed' },
  'registrationtoken.delete': { kind: 'exempt', why: 'a token is made and revoked, never changed' },
  'edgehost.list': { kind: 'exempt', why: 'a list has no version' },
  'edgehost.get': { kind: 'exempt', why: 'its status changes with every heartbeat' },
  'edgehost.delete': { kind: 'exempt', why: 'its status changes with every heartbeat' },
  'gateway.list': { kind: 'exempt', why: 'a list has no version' },
  'gateway.get': { kind: 'exempt', why: 'its status changes with every heartbeat' },
  'gateway.delete': { kind: 'exempt', why: 'its status changes with every heartbeat' },
  'openapi.get': { kind: 'exempt', why: 'public, no resource' },
  'tenant.create': { kind: 'create', request: () => ({ client: rt.system, method: 'POST', path: '/v1/tenants', body: { name: 'ifm', adminEmail: 'a@ifm.example' } }) },
  'tenant.list': { kind: 'exempt', why: 'a list has no version' },
  'me.get': { kind: 'exempt', why: 'a view of the caller, no ETag' },
  'me.preferences.get': { kind: 'exempt', why: 'the caller\'s own settings, no version' },
  'me.preferences.put': { kind: 'exempt', why: 'the caller\'s own settings, replaced whole: no version to match' },
  'cloudaccount.validate': { kind: 'exempt', why: 'an action on the cloud, it changes no version' },
  'instancetype.list': { kind: 'exempt', why: 'a catalog, no resource' },
  'user.create': { kind: 'create', request: () => ({ method: 'POST', path: '/v1/users', body: { email: 'x@demo.local', name: 'X' } }) },
  'user.list': { kind: 'exempt', why: 'a list has no version' },
  'user.get': { kind: 'read', request: () => ({ method: 'GET', path: `/v1/users/${f.userId}` }) },
  'user.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `/v1/users/${f.userId}` }), version: () => api.get(`/v1/users/${f.userId}`) },
  'apikey.create': { kind: 'create', request: () => ({ method: 'POST', path: `/v1/users/${f.userId}/apikeys`, body: { name: 'x' } }) },
  'apikey.list': { kind: 'exempt', why: 'a list has no version' },
  'apikey.delete': {
    kind: 'change',
    request: () => ({ method: 'DELETE', path: `/v1/apikeys/${f.keyId}` }),
    version: async () => {
      const keys = await api.get('/v1/apikeys?limit=100');
      const key = keys.body.items.find((k: { id: string }) => k.id === f.keyId);
      return { ...keys, status: key ? 200 : 404, body: key };
    },
  },
  'team.create': { kind: 'create', request: () => ({ method: 'POST', path: '/v1/teams', body: { name: 'x', memberIds: [] } }) },
  'team.list': { kind: 'exempt', why: 'a list has no version' },
  'team.get': { kind: 'read', request: () => ({ method: 'GET', path: `/v1/teams/${f.teamId}` }) },
  'team.replace': { kind: 'change', request: () => ({ method: 'PUT', path: `/v1/teams/${f.teamId}`, body: { name: 'y', memberIds: [] } }), version: () => api.get(`/v1/teams/${f.teamId}`) },
  'team.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `/v1/teams/${f.teamId}` }), version: () => api.get(`/v1/teams/${f.teamId}`) },
  'project.create': { kind: 'create', request: () => ({ method: 'POST', path: '/v1/projects', body: { name: 'x' } }) },
  'project.list': { kind: 'exempt', why: 'a list has no version' },
  'project.get': { kind: 'read', request: () => ({ method: 'GET', path: `/v1/projects/${f.projectId}` }) },
  'project.update': { kind: 'change', request: () => ({ method: 'PATCH', path: `/v1/projects/${f.projectId}`, body: { description: 'y' } }), version: () => api.get(`/v1/projects/${f.projectId}`) },
  'project.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `/v1/projects/${f.projectId}` }), version: () => api.get(`/v1/projects/${f.projectId}`) },
  'member.list': { kind: 'exempt', why: 'a list has no version' },
  'member.put': {
    kind: 'change',
    request: () => ({ method: 'PUT', path: `/v1/projects/${f.projectId}/members/${f.memberId}`, body: { role: 'project.editor' } }),
    version: async () => {
      const members = await api.get(`/v1/projects/${f.projectId}/members`);
      return { ...members, body: members.body.items.find((m: { userId: string }) => m.userId === f.memberId) };
    },
  },
  'member.delete': {
    kind: 'change',
    request: () => ({ method: 'DELETE', path: `/v1/projects/${f.projectId}/members/${f.memberId}` }),
    version: async () => {
      const members = await api.get(`/v1/projects/${f.projectId}/members`);
      return { ...members, body: members.body.items.find((m: { userId: string }) => m.userId === f.memberId) };
    },
  },
  'cloudaccount.create': { kind: 'create', request: () => ({ method: 'POST', path: `${base}/cloudaccounts`, body: { name: 'x', provider: 'sim' } }) },
  'cloudaccount.list': { kind: 'exempt', why: 'a list has no version' },
  'cloudaccount.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/cloudaccounts/${f.accountId}` }) },
  'cloudaccount.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `${base}/cloudaccounts/${f.accountId}` }), version: () => api.get(`${base}/cloudaccounts/${f.accountId}`) },
  'clusterprofile.create': {
    kind: 'create',
    request: () => ({ method: 'POST', path: `${base}/clusterprofiles`, body: { name: 'x', version: '1.0.0', cloud: 'sim', type: 'full', layers: [{ type: 'k8s', name: 'k', version: '1.31' }] } }),
  },
  'clusterprofile.list': { kind: 'exempt', why: 'a list has no version' },
  'clusterprofile.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/clusterprofiles/${f.profileId}` }) },
  'clusterprofile.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `${base}/clusterprofiles/${f.nextProfileId}` }), version: () => api.get(`${base}/clusterprofiles/${f.nextProfileId}`) },
  'cluster.create': {
    kind: 'create',
    request: () => ({
      method: 'POST', path: `${base}/clusters`,
      body: { name: 'x', cloudAccountId: f.accountId, region: 'sim-local-1', profileId: f.profileId, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }] },
    }),
  },
  'cluster.import': { kind: 'create', request: () => ({ method: 'POST', path: `${base}/clusters/import`, body: { name: 'x', kubeconfig: 'apiVersion: v1' } }) },
  'cluster.list': { kind: 'exempt', why: 'a list has no version' },
  'cluster.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/clusters/${f.clusterId}` }) },
  'cluster.scale': { kind: 'change', request: () => ({ method: 'PATCH', path: `${base}/clusters/${f.clusterId}/nodepools/w`, body: { count: 2 } }), version: () => api.get(`${base}/clusters/${f.clusterId}`) },
  'cluster.upgrade': { kind: 'change', request: () => ({ method: 'POST', path: `${base}/clusters/${f.clusterId}/upgrade`, body: { profileId: f.nextProfileId } }), version: () => api.get(`${base}/clusters/${f.clusterId}`) },
  'cluster.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `${base}/clusters/${f.clusterId}` }), version: () => api.get(`${base}/clusters/${f.clusterId}`) },
  'cluster.kubeconfig': { kind: 'exempt', why: 'a kubeconfig is not a versioned resource (no ETag)' },
  'clustergroup.create': { kind: 'create', request: () => ({ method: 'POST', path: '/v1/clustergroups', body: { name: 'x', hostClusters: [] } }) },
  'clustergroup.list': { kind: 'exempt', why: 'a list has no version' },
  'clustergroup.get': { kind: 'read', request: () => ({ method: 'GET', path: `/v1/clustergroups/${f.groupId}` }) },
  'clustergroup.update': { kind: 'change', request: () => ({ method: 'PATCH', path: `/v1/clustergroups/${f.groupId}`, body: { name: 'y' } }), version: () => api.get(`/v1/clustergroups/${f.groupId}`) },
  'clustergroup.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `/v1/clustergroups/${f.groupId}` }), version: () => api.get(`/v1/clustergroups/${f.groupId}`) },
  'operation.list': { kind: 'exempt', why: 'a list has no version' },
  'operation.get': { kind: 'read', request: () => ({ method: 'GET', path: `/v1/operations/${f.operationId}` }) },
  'audit.list': { kind: 'exempt', why: 'a list has no version' },
  'appprofile.create': {
    kind: 'create',
    request: () => ({ method: 'POST', path: `${base}/appprofiles`, body: { name: 'x', version: '1.0.0', tiers: [{ name: 'web', type: 'container', image: 'nginx:1.27' }] } }),
  },
  'appprofile.list': { kind: 'exempt', why: 'a list has no version' },
  'appprofile.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/appprofiles/${f.appProfileId}` }) },
  'appprofile.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `${base}/appprofiles/${f.appProfileId}` }), version: () => api.get(`${base}/appprofiles/${f.appProfileId}`) },
  'virtualcluster.create': { kind: 'create', request: () => ({ method: 'POST', path: `${base}/virtualclusters`, body: { name: 'x' } }) },
  'virtualcluster.list': { kind: 'exempt', why: 'a list has no version' },
  'virtualcluster.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/virtualclusters/${f.virtualClusterId}` }) },
  'virtualcluster.resize': {
    kind: 'change',
    request: () => ({ method: 'PATCH', path: `${base}/virtualclusters/${f.virtualClusterId}`, body: { resources: { cpu: 6 } } }),
    version: () => api.get(`${base}/virtualclusters/${f.virtualClusterId}`),
  },
  'virtualcluster.pause': { kind: 'change', request: () => ({ method: 'POST', path: `${base}/virtualclusters/${f.virtualClusterId}/pause` }), version: () => api.get(`${base}/virtualclusters/${f.virtualClusterId}`) },
  'virtualcluster.resume': { kind: 'change', request: () => ({ method: 'POST', path: `${base}/virtualclusters/${f.virtualClusterId}/resume` }), version: () => api.get(`${base}/virtualclusters/${f.virtualClusterId}`) },
  'virtualcluster.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `${base}/virtualclusters/${f.virtualClusterId}` }), version: () => api.get(`${base}/virtualclusters/${f.virtualClusterId}`) },
  'virtualcluster.kubeconfig': { kind: 'exempt', why: 'a kubeconfig is not a versioned resource (no ETag)' },
  'quota.get': { kind: 'read', request: () => ({ method: 'GET', path: '/v1/quotas' }) },
  'quota.put': { kind: 'change', request: () => ({ method: 'PUT', path: '/v1/quotas', body: { virtualClusters: 3, cpu: 12, memoryMiB: 16384, storageGiB: 20 } }), version: () => api.get('/v1/quotas') },
  'app.create': { kind: 'create', request: () => ({ method: 'POST', path: `${base}/apps`, body: { name: 'x', appProfileId: f.appProfileId, virtualClusterId: f.virtualClusterId } }) },
  'app.list': { kind: 'exempt', why: 'a list has no version' },
  'app.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/apps/${f.appId}` }) },
  'app.upgrade': { kind: 'change', request: () => ({ method: 'POST', path: `${base}/apps/${f.appId}/upgrade`, body: { appProfileId: f.appProfileId } }), version: () => api.get(`${base}/apps/${f.appId}`) },
  'webhook.create': { kind: 'create', request: () => ({ method: 'POST', path: `${base}/webhooks`, body: { name: 'x', appId: f.appId } }) },
  'webhook.list': { kind: 'exempt', why: 'a list has no version' },
  'webhook.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/webhooks/${f.webhookId}` }) },
  'webhook.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `${base}/webhooks/${f.webhookId}` }), version: () => api.get(`${base}/webhooks/${f.webhookId}`) },
  'hook.deliver': { kind: 'exempt', why: 'public: authenticated by its signature, no version to match' },
  'app.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `${base}/apps/${f.appId}` }), version: () => api.get(`${base}/apps/${f.appId}`) },
  // A job run has no version to match, like a create: any If-Match is refused before the job runs.
  'job.run': { kind: 'create', request: () => ({ client: rt.system, method: 'POST', path: '/v1/system/jobs/enforce-quotas' }) },
  'usage.project': { kind: 'exempt', why: 'usage is computed over a window, not a versioned resource (no ETag)' },
  'usage.tenant': { kind: 'exempt', why: 'usage is computed over a window, not a versioned resource (no ETag)' },
  'report.list': { kind: 'exempt', why: 'a list has no version' },
  'report.get': { kind: 'exempt', why: 'a report is made once and never changes: it has no version (no ETag)' },
  'workspace.create': { kind: 'create', request: () => ({ method: 'POST', path: `${base}/workspaces`, body: { name: 'x', clusterIds: [f.clusterId], namespaces: [{ name: 'x' }] } }) },
  'workspace.list': { kind: 'exempt', why: 'a list has no version' },
  'workspace.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/workspaces/${f.workspaceId}` }) },
  'workspace.update': { kind: 'change', request: () => ({ method: 'PATCH', path: `${base}/workspaces/${f.workspaceId}`, body: { namespaces: [{ name: 'other' }] } }), version: () => api.get(`${base}/workspaces/${f.workspaceId}`) },
  'workspace.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `${base}/workspaces/${f.workspaceId}` }), version: () => api.get(`${base}/workspaces/${f.workspaceId}`) },
  'workspace.kubeconfig': { kind: 'exempt', why: 'a fresh token each time, no version' },
  'registry.create': { kind: 'create', request: () => ({ method: 'POST', path: '/v1/registries', body: { name: 'x', type: 'helm', url: rt.chartRegistry!.url } }) },
  'registry.list': { kind: 'exempt', why: 'a list has no version' },
  'registry.get': { kind: 'read', request: () => ({ method: 'GET', path: `/v1/registries/${f.registryId}` }) },
  'registry.delete': { kind: 'change', request: () => ({ method: 'DELETE', path: `/v1/registries/${f.registryId}` }), version: () => api.get(`/v1/registries/${f.registryId}`) },
  'registry.charts': { kind: 'exempt', why: 'read live from the registry, no version' },
  'backup.create': { kind: 'create', request: () => ({ method: 'POST', path: `${base}/virtualclusters/${f.virtualClusterId}/backups`, body: {} }) },
  'backup.list': { kind: 'exempt', why: 'a list has no version' },
  'backup.listProject': { kind: 'exempt', why: 'a list has no version' },
  'backup.get': { kind: 'read', request: () => ({ method: 'GET', path: `${base}/virtualclusters/${f.virtualClusterId}/backups/${f.backupId}` }) },
  'backup.delete': {
    kind: 'change',
    request: () => ({ method: 'DELETE', path: `${base}/virtualclusters/${f.virtualClusterId}/backups/${f.backupId}` }),
    version: () => api.get(`${base}/virtualclusters/${f.virtualClusterId}/backups/${f.backupId}`),
  },
};

/** A resource's version (profiles call it `revision`: their `version` is their semver; an app's `revision` is its deployment number). */
const versionOf = (body: { version: unknown; revision?: number }) => (typeof body.version === 'number' ? body.version : body.revision);

const send = (request: Request, ifMatch: string) =>
  (request.client ?? api).request(request.method, request.path, { ...(request.body !== undefined ? { body: request.body } : {}), headers: { 'if-match': ifMatch } });

describe('If-Match on every route', () => {
  it('has a case for every route of the route table', () => {
    expect(Object.keys(cases).sort()).toEqual(routeList.map((r) => r.operationId).sort());
  });

  it('refuses a stale version of every change with 412, and the resource is left as it was', async () => {
    for (const [operationId, c] of Object.entries(cases)) {
      if (c.kind !== 'change') continue;
      const before = await c.version();
      expect(before.status, operationId).toBe(200);
      const refused = await send(c.request(), STALE);
      expect(refused.status, `${operationId}: ${refused.text}`).toBe(412);
      expect(refused.body.code, operationId).toBe('precondition_failed');
      expect(refused.body.detail, operationId).toContain(`current version is ${versionOf(before.body)}`);
      const after = await c.version();
      expect(after.status, operationId).toBe(200);
      expect(versionOf(after.body), operationId).toBe(versionOf(before.body));
    }
  });

  it('refuses a stale version of every read with 412 and serves the current one', async () => {
    for (const [operationId, c] of Object.entries(cases)) {
      if (c.kind !== 'read') continue;
      const current = await send(c.request(), '*');
      expect(current.status, operationId).toBe(200);
      const etag = current.headers.get('etag');
      expect(etag, operationId).toMatch(/^"\d+"$/);
      expect((await send(c.request(), etag!)).status, operationId).toBe(200);
      const refused = await send(c.request(), STALE);
      expect(refused.status, operationId).toBe(412);
    }
  });

  it('refuses any If-Match on a create with 412 and creates nothing', async () => {
    const before = await rt.snapshot();
    for (const [operationId, c] of Object.entries(cases)) {
      if (c.kind !== 'create') continue;
      const refused = await send(c.request(), '"1"');
      expect(refused.status, `${operationId}: ${refused.text}`).toBe(412);
    }
    expect(await rt.snapshot()).toEqual(before);
  });
});
