/**
 * RBAC in the Kubernetes API emulator, through @kubernetes/client-node with ServiceAccount
 * tokens, the way the platform's workspaces use it: per-user ServiceAccounts in
 * `palette-system` bound to the ClusterRoles `edit` and `view` in team namespaces. What
 * is allowed and refused, and the 403 messages, are kube-apiserver's; so are the
 * aggregated roles, the escalation checks, the access reviews and impersonation.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TokenAuthority } from '#infra/local/kube-emulator/auth.ts';
import { startKubeEmulator } from '#infra/local/kube-emulator/index.ts';
import type { EmulatedCluster, KubeEmulator } from '#infra/local/kube-emulator/index.ts';

const ALICE = 'system:serviceaccount:palette-system:alice';
const ALICE_GROUPS = '["system:serviceaccounts" "system:serviceaccounts:palette-system" "system:authenticated"]';

let dataDir: string;
let emulator: KubeEmulator;
let cluster: EmulatedCluster;
let admin: KubeConfig;
let aliceToken: string;
let bobToken: string;

interface StatusBody {
  kind?: string;
  reason?: string;
  code?: number;
  message?: string;
  details?: { name?: string; group?: string; kind?: string };
}

/** Runs `call`, expecting a client-node ApiException carrying a Kubernetes Status. */
async function refusal(call: () => Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  try {
    await call();
  } catch (error) {
    const { code, body } = error as { code?: number; body?: unknown };
    if (typeof code !== 'number') throw error;
    return { code, status: (typeof body === 'string' && body.startsWith('{') ? JSON.parse(body) : body ?? {}) as StatusBody };
  }
  throw new Error('expected the call to be refused');
}

/** A plain HTTPS request to the cluster as `token` (none: anonymous). */
function raw(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<{ code: number; body: StatusBody & Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      `${cluster.server}${path}`,
      { method, ca: emulator.caPem, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ code: response.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : { text } });
        });
      },
    );
    request.on('error', reject);
    request.end(body ? JSON.stringify(body) : undefined);
  });
}

const as = (token: string): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig().replace(cluster.token, token));
  return kc;
};

async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const deployment = (name: string): V1Deployment => ({
  metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
});

const bind = (namespace: string, name: string, role: string, account: string) =>
  admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
    namespace,
    body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: [{ kind: 'ServiceAccount', name: account, namespace: 'palette-system' }] },
  });

async function tokenFor(account: string): Promise<string> {
  const issued = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({ name: account, namespace: 'palette-system', body: { spec: { expirationSeconds: 3600 } } });
  return issued.status?.token ?? '';
}

const accessReview = (token: string, resourceAttributes: Record<string, string>) =>
  raw('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', token, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kube-emulator-rbac-'));
  emulator = await startKubeEmulator({ dataDir, readyDelayMs: 50 });
  cluster = emulator.createCluster('rbac-1', { kubernetesVersion: 'v1.31' });
  admin = cluster.kubeConfigObject();
  const core = admin.makeApiClient(CoreV1Api);
  for (const name of ['palette-system', 'team-a', 'team-b']) await core.createNamespace({ body: { metadata: { name } } });
  for (const name of ['alice', 'bob']) await core.createNamespacedServiceAccount({ namespace: 'palette-system', body: { metadata: { name } } });
  await bind('team-a', 'edit-alice', 'edit', 'alice');
  await bind('team-a', 'view-bob', 'view', 'bob');
  await bind('team-b', 'admin-bob', 'admin', 'bob');
  aliceToken = await tokenFor('alice');
  bobToken = await tokenFor('bob');
});

afterAll(async () => {
  await emulator?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('RBAC for ServiceAccount tokens', () => {
  test('a ServiceAccount bound to edit creates a Deployment in its namespace and is refused elsewhere with kube-apiserver\'s message', async () => {
    const apps = as(aliceToken).makeApiClient(AppsV1Api);
    const created = await apps.createNamespacedDeployment({ namespace: 'team-a', body: deployment('web') });
    expect(created.metadata?.namespace).toBe('team-a');

    const elsewhere = await refusal(() => apps.createNamespacedDeployment({ namespace: 'team-b', body: deployment('web') }));
    expect(elsewhere.code).toBe(403);
    expect(elsewhere.status).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: `deployments.apps is forbidden: User "${ALICE}" cannot create resource "deployments" in API group "apps" in the namespace "team-b"`,
      details: { group: 'apps', kind: 'deployments' },
    });
    const system = await refusal(() => as(aliceToken).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'kube-system' }));
    expect(system.status.message).toBe(`pods is forbidden: User "${ALICE}" cannot list resource "pods" in API group "" in the namespace "kube-system"`);
    expect(system.status.details).toEqual({ kind: 'pods' });
    const named = await refusal(() => as(aliceToken).makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'kube-root-ca.crt', namespace: 'team-b' }));
    expect(named.status.message).toBe(`configmaps "kube-root-ca.crt" is forbidden: User "${ALICE}" cannot get resource "configmaps" in API group "" in the namespace "team-b"`);
    expect(named.status.details).toEqual({ name: 'kube-root-ca.crt', kind: 'configmaps' });
    // Subresources are resources of their own to RBAC: edit may scale, view may read logs, nobody here may write status.
    const scaled = await raw('PATCH', '/apis/apps/v1/namespaces/team-a/deployments/web/scale', aliceToken, { spec: { replicas: 2 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(scaled.body).toMatchObject({ kind: 'Scale', spec: { replicas: 2 } });
    const status = await raw('PATCH', '/apis/apps/v1/namespaces/team-a/deployments/web/status', aliceToken, { status: {} }, { 'Content-Type': 'application/merge-patch+json' });
    expect(status.body.message).toBe(`deployments.apps "web" is forbidden: User "${ALICE}" cannot patch resource "deployments/status" in API group "apps" in the namespace "team-a"`);
  });

  test('a list across namespaces needs a cluster-wide grant, while reading its own namespace does not', async () => {
    const core = as(aliceToken).makeApiClient(CoreV1Api);
    const namespaces = await refusal(() => core.listNamespace());
    expect(namespaces.status.message).toBe(`namespaces is forbidden: User "${ALICE}" cannot list resource "namespaces" in API group "" at the cluster scope`);
    const allPods = await refusal(() => core.listPodForAllNamespaces());
    expect(allPods.status.message).toBe(`pods is forbidden: User "${ALICE}" cannot list resource "pods" in API group "" at the cluster scope`);
    expect((await core.readNamespace({ name: 'team-a' })).metadata?.name).toBe('team-a');
    expect((await refusal(() => core.readNamespace({ name: 'team-b' }))).status.message).toBe(
      `namespaces "team-b" is forbidden: User "${ALICE}" cannot get resource "namespaces" in API group "" in the namespace "team-b"`,
    );
    await admin.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: { metadata: { name: 'alice-views-all' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'palette-system' }] },
    });
    expect((await core.listNamespace()).items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['team-a', 'team-b', 'kube-system']));
    await admin.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: 'alice-views-all' });
    expect((await refusal(() => core.listNamespace())).code).toBe(403);
  });

  test('view reads workloads but writes nothing and reads no Secrets; watches and tables are authorized before they start', async () => {
    const apps = as(bobToken).makeApiClient(AppsV1Api);
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'team-a' })).metadata?.name).toBe('web');
    const write = await refusal(() => apps.createNamespacedDeployment({ namespace: 'team-a', body: deployment('nope') }));
    expect(write.status.message).toBe(`deployments.apps is forbidden: User "system:serviceaccount:palette-system:bob" cannot create resource "deployments" in API group "apps" in the namespace "team-a"`);
    const secrets = await refusal(() => as(bobToken).makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'team-a' }));
    expect(secrets.code).toBe(403);
    const watch = await raw('GET', '/api/v1/namespaces/team-b/pods?watch=true', aliceToken);
    expect(watch.code).toBe(403);
    expect(watch.body.message).toBe(`pods is forbidden: User "${ALICE}" cannot watch resource "pods" in API group "" in the namespace "team-b"`);
    const tableHeaders = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' };
    expect((await raw('GET', '/api/v1/namespaces/team-b/pods', aliceToken, undefined, tableHeaders)).code).toBe(403);
    const table = await raw('GET', '/api/v1/namespaces/team-a/pods', bobToken, undefined, tableHeaders);
    expect(table.body.kind).toBe('Table');
    // A field selector on the name makes a list a request for one object, which resourceNames can allow.
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRole({
      namespace: 'team-b',
      body: { metadata: { name: 'one-configmap' }, rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['kube-root-ca.crt'], verbs: ['get', 'list', 'watch'] }] },
    });
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: 'team-b',
      body: { metadata: { name: 'one-configmap' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'one-configmap' }, subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'palette-system' }] },
    });
    expect((await raw('GET', '/api/v1/namespaces/team-b/configmaps?fieldSelector=metadata.name%3Dkube-root-ca.crt', aliceToken)).code).toBe(200);
    expect((await raw('GET', '/api/v1/namespaces/team-b/configmaps', aliceToken)).code).toBe(403);
  });

  test('discovery, OpenAPI and /version answer every authenticated user; anonymous users get /version and health only', async () => {
    for (const path of ['/api', '/api/v1', '/apis', '/apis/apps/v1', '/openapi/v2', '/openapi/v3', '/version']) expect((await raw('GET', path, aliceToken)).code, path).toBe(200);
    expect((await raw('GET', '/version', undefined)).code).toBe(200);
    expect((await raw('GET', '/readyz', undefined)).code).toBe(200);
    const anonymous = await raw('GET', '/api', undefined);
    expect(anonymous.code).toBe(403);
    expect(anonymous.body.message).toBe('forbidden: User "system:anonymous" cannot get path "/api"');
    expect((await raw('GET', '/api/v1/namespaces', undefined)).body.message).toBe('namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope');
  });
});

describe('applies', () => {
  test('a server-side apply that creates needs create as well as patch', async () => {
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRole({
      namespace: 'team-b',
      body: { metadata: { name: 'configmap-patcher' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'] }] },
    });
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: 'team-b',
      body: { metadata: { name: 'configmap-patcher' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-patcher' }, subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'palette-system' }] },
    });
    const apply = (name: string) =>
      raw('PATCH', `/api/v1/namespaces/team-b/configmaps/${name}?fieldManager=alice`, aliceToken, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { by: 'alice' } } }, { 'Content-Type': 'application/apply-patch+yaml' });
    const created = await apply('new-settings');
    expect(created.code).toBe(403);
    // kube-apiserver words it with the authorizer's reason, which RBAC leaves empty.
    expect(created.body.message).toBe('configmaps "new-settings" is forbidden: ');
    expect((await apply('kube-root-ca.crt')).code).toBe(200);
  });
});

describe('the bootstrap roles', () => {
  test('admin, edit and view are aggregated from the system:aggregate-to-* roles, and a labelled ClusterRole extends them at once', async () => {
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const view = await rbac.readClusterRole({ name: 'view' });
    expect(view.aggregationRule?.clusterRoleSelectors).toEqual([{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }]);
    expect(view.rules).toEqual((await rbac.readClusterRole({ name: 'system:aggregate-to-view' })).rules);
    const edit = await rbac.readClusterRole({ name: 'edit' });
    expect(edit.rules).toEqual(expect.arrayContaining([{ apiGroups: ['apps'], resources: expect.arrayContaining(['deployments', 'deployments/scale']), verbs: ['create', 'delete', 'deletecollection', 'patch', 'update'] }]));
    expect(edit.rules?.length).toBe(((await rbac.readClusterRole({ name: 'system:aggregate-to-edit' })).rules?.length ?? 0) + (view.rules?.length ?? 0));

    const widgets = { apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] };
    await rbac.createClusterRole({ body: { metadata: { name: 'widgets-view', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }, rules: [widgets] } });
    for (const role of ['view', 'edit', 'admin']) await until(`${role} to carry the widgets rule`, () => rbac.readClusterRole({ name: role }), (r) => (r.rules ?? []).some((rule) => rule.apiGroups?.[0] === 'example.com'));
    const allowed = await accessReview(bobToken, { namespace: 'team-a', verb: 'list', group: 'example.com', resource: 'widgets' });
    expect(allowed.body.status).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "view-bob/team-a" of ClusterRole "view" to ServiceAccount "bob/palette-system"' });

    await rbac.deleteClusterRole({ name: 'widgets-view' });
    await until('view to lose it', () => rbac.readClusterRole({ name: 'view' }), (r) => !(r.rules ?? []).some((rule) => rule.apiGroups?.[0] === 'example.com'));
    expect((await accessReview(bobToken, { namespace: 'team-a', verb: 'list', group: 'example.com', resource: 'widgets' })).body.status).toEqual({ allowed: false });
  });

  test('a cluster saved before the bootstrap policy gets it on start, its old roles reshaped', async () => {
    const savedDir = await mkdtemp(join(tmpdir(), 'kube-emulator-rbac-saved-'));
    try {
      const before = await startKubeEmulator({ dataDir: savedDir, readyDelayMs: 50 });
      before.createCluster('saved');
      await before.stop();
      // What an emulator without RBAC saved: admin with plain rules, no discovery bindings.
      const file = join(savedDir, 'saved.json');
      const snapshot = JSON.parse(await readFile(file, 'utf8')) as { objects: Array<{ kind: string; metadata: { name: string }; rules?: unknown; aggregationRule?: unknown }> };
      snapshot.objects = snapshot.objects.filter((o) => !(o.kind === 'ClusterRoleBinding' && o.metadata.name === 'system:basic-user'));
      const old = snapshot.objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'admin');
      if (!old) throw new Error('no admin role saved');
      delete old.aggregationRule;
      old.rules = [{ apiGroups: ['', 'apps'], resources: ['*'], verbs: ['*'] }];
      await writeFile(file, JSON.stringify(snapshot));

      const after = await startKubeEmulator({ dataDir: savedDir, readyDelayMs: 50 });
      try {
        const rbac = after.kubeConfigObject('saved').makeApiClient(RbacAuthorizationV1Api);
        const adminRole = await rbac.readClusterRole({ name: 'admin' });
        expect(adminRole.aggregationRule?.clusterRoleSelectors).toEqual([{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' } }]);
        expect(adminRole.rules).not.toContainEqual({ apiGroups: ['', 'apps'], resources: ['*'], verbs: ['*'] });
        expect(adminRole.rules).toContainEqual({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] });
        expect((await rbac.readClusterRoleBinding({ name: 'system:basic-user' })).subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }]);
      } finally {
        await after.stop();
      }
    } finally {
      await rm(savedDir, { recursive: true, force: true });
    }
  });

  test('a binding to a missing role grants nothing and says why', async () => {
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: 'team-b',
      body: { metadata: { name: 'dangling' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'not-there' }, subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'palette-system' }] },
    });
    const refused = await refusal(() => as(aliceToken).makeApiClient(CoreV1Api).listNamespacedService({ namespace: 'team-b' }));
    expect(refused.status.message).toBe(
      `services is forbidden: User "${ALICE}" cannot list resource "services" in API group "" in the namespace "team-b": RBAC: clusterrole.rbac.authorization.k8s.io "not-there" not found`,
    );
  });
});

describe('privilege escalation', () => {
  test('edit cannot touch RBAC at all; with rights to write bindings it still cannot bind admin, but can bind what it holds', async () => {
    const rbac = as(aliceToken).makeApiClient(RbacAuthorizationV1Api);
    const binding = (name: string, role: string) => ({
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: 'bob', namespace: 'palette-system' }],
    });
    const plain = await refusal(() => rbac.createNamespacedRoleBinding({ namespace: 'team-a', body: binding('bob-admin', 'admin') }));
    expect(plain.status.message).toBe(`rolebindings.rbac.authorization.k8s.io is forbidden: User "${ALICE}" cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "team-a"`);

    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRole({
      namespace: 'team-a',
      body: { metadata: { name: 'binding-writer' }, rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'], verbs: ['create'] }] },
    });
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: 'team-a',
      body: { metadata: { name: 'binding-writer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'binding-writer' }, subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'palette-system' }] },
    });
    const escalating = await refusal(() => rbac.createNamespacedRoleBinding({ namespace: 'team-a', body: binding('bob-admin', 'admin') }));
    expect(escalating.code).toBe(403);
    expect(escalating.status.details).toEqual({ name: 'bob-admin', group: 'rbac.authorization.k8s.io', kind: 'rolebindings' });
    const [first, ...missing] = (escalating.status.message ?? '').split('\n');
    expect(first).toBe(`rolebindings.rbac.authorization.k8s.io "bob-admin" is forbidden: user "${ALICE}" (groups=${ALICE_GROUPS}) is attempting to grant RBAC permissions not currently held:`);
    expect(missing).toEqual(
      expect.arrayContaining([
        '{APIGroups:["authorization.k8s.io"], Resources:["localsubjectaccessreviews"], Verbs:["create"]}',
        '{APIGroups:["rbac.authorization.k8s.io"], Resources:["rolebindings"], Verbs:["delete" "deletecollection" "get" "list" "patch" "update" "watch"]}',
      ]),
    );
    // edit is hers, so she may hand it on; so may she a Role whose rules she holds, but not one beyond them.
    expect((await rbac.createNamespacedRoleBinding({ namespace: 'team-a', body: binding('bob-edit', 'edit') })).metadata?.name).toBe('bob-edit');
    await rbac.createNamespacedRole({ namespace: 'team-a', body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] } });
    const nodes = await refusal(() => rbac.createNamespacedRole({ namespace: 'team-a', body: { metadata: { name: 'node-reader' }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }] } }));
    expect(nodes.status.message).toBe(
      `roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "${ALICE}" (groups=${ALICE_GROUPS}) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["list"]}`,
    );
    // `bind` on the role lets her bind it without holding it.
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRole({
      namespace: 'team-a',
      body: { metadata: { name: 'admin-binder' }, rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['admin'], verbs: ['bind'] }] },
    });
    await admin.makeApiClient(RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: 'team-a',
      body: { metadata: { name: 'admin-binder' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'admin-binder' }, subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'palette-system' }] },
    });
    expect((await rbac.createNamespacedRoleBinding({ namespace: 'team-a', body: binding('bob-admin', 'admin') })).roleRef.name).toBe('admin');
  });

  test('an admin of a namespace hands out edit there, as a workspace owner would', async () => {
    const rbac = as(bobToken).makeApiClient(RbacAuthorizationV1Api);
    const created = await rbac.createNamespacedRoleBinding({
      namespace: 'team-b',
      body: { metadata: { name: 'alice-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: 'alice', namespace: 'palette-system' }] },
    });
    expect(created.metadata?.namespace).toBe('team-b');
    expect((await as(aliceToken).makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: 'team-b', body: deployment('api') })).metadata?.name).toBe('api');
    const clusterWide = await refusal(() =>
      rbac.createClusterRoleBinding({ body: { metadata: { name: 'bob-everywhere' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: 'bob' }] } }),
    );
    expect(clusterWide.status.message).toBe(
      'clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "system:serviceaccount:palette-system:bob" cannot create resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope',
    );
    await rbac.deleteNamespacedRoleBinding({ name: 'alice-edit', namespace: 'team-b' });
  });
});

describe('the access reviews', () => {
  test('SelfSubjectAccessReview and SelfSubjectRulesReview agree with what requests get', async () => {
    const yes = await accessReview(aliceToken, { namespace: 'team-a', verb: 'create', group: 'apps', resource: 'deployments' });
    expect(yes.code).toBe(201);
    expect(yes.body.status).toEqual({ allowed: true, reason: 'RBAC: allowed by RoleBinding "edit-alice/team-a" of ClusterRole "edit" to ServiceAccount "alice/palette-system"' });
    expect((await accessReview(aliceToken, { namespace: 'kube-system', verb: 'list', resource: 'pods' })).body.status).toEqual({ allowed: false });
    const basic = await raw('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', aliceToken, { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: { nonResourceAttributes: { verb: 'get', path: '/apis/apps' } } });
    expect(basic.body.status).toEqual({ allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"' });

    const rules = async (namespace: string) =>
      (await raw('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', aliceToken, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } })).body.status as {
        resourceRules: Array<{ verbs: string[]; apiGroups: string[]; resources: string[] }>;
        nonResourceRules: Array<{ verbs: string[]; nonResourceURLs: string[] }>;
        incomplete: boolean;
      };
    const inA = await rules('team-a');
    expect(inA.incomplete).toBe(false);
    expect(inA.resourceRules).toContainEqual(expect.objectContaining({ apiGroups: ['apps'], resources: expect.arrayContaining(['deployments']), verbs: expect.arrayContaining(['create']) }));
    expect(inA.resourceRules).toContainEqual({ verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] });
    expect(inA.nonResourceRules).toContainEqual(expect.objectContaining({ verbs: ['get'], nonResourceURLs: expect.arrayContaining(['/api', '/apis/*', '/version']) }));
    const inSystem = await rules('kube-system');
    expect(inSystem.resourceRules.some((r) => r.apiGroups.includes('apps'))).toBe(false);
  });

  test('SubjectAccessReview asks about someone else, and takes a permission to create', async () => {
    const review = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: ALICE, groups: ['system:serviceaccounts', 'system:authenticated'], resourceAttributes: { namespace: 'team-a', verb: 'delete', resource: 'pods' } } };
    const answer = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({ body: review });
    expect(answer.status).toMatchObject({ allowed: true, reason: 'RBAC: allowed by RoleBinding "edit-alice/team-a" of ClusterRole "edit" to ServiceAccount "alice/palette-system"' });
    const masters = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({ body: { ...review, spec: { user: 'someone', groups: ['system:masters'], resourceAttributes: { verb: 'delete', resource: 'nodes' } } } });
    expect(masters.status?.allowed).toBe(true);
    const byAlice = await raw('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', aliceToken, review);
    expect(byAlice.body.message).toBe(`subjectaccessreviews.authorization.k8s.io is forbidden: User "${ALICE}" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope`);
    // admin (bob in team-b) may ask locally; edit may not.
    const local = { apiVersion: 'authorization.k8s.io/v1', kind: 'LocalSubjectAccessReview', spec: { user: ALICE, resourceAttributes: { namespace: 'team-b', verb: 'get', resource: 'secrets' } } };
    const asked = await raw('POST', '/apis/authorization.k8s.io/v1/namespaces/team-b/localsubjectaccessreviews', bobToken, local);
    expect(asked.code).toBe(201);
    expect((asked.body.status as { allowed: boolean }).allowed).toBe(false);
    expect((await raw('POST', '/apis/authorization.k8s.io/v1/namespaces/team-a/localsubjectaccessreviews', aliceToken, { ...local, spec: { ...local.spec, resourceAttributes: { ...local.spec.resourceAttributes, namespace: 'team-a' } } })).code).toBe(403);
    const tokenReview = await raw('POST', '/apis/authentication.k8s.io/v1/tokenreviews', aliceToken, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: bobToken } });
    expect(tokenReview.code).toBe(403);
  });
});

describe('who the request is', () => {
  test('the admin token is unaffected: everything is allowed, and its reviews say so', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    expect((await core.listNamespace()).items.length).toBeGreaterThanOrEqual(7);
    await core.createNamespacedConfigMap({ namespace: 'kube-system', body: { metadata: { name: 'admin-was-here' } } });
    const review = await raw('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', cluster.token, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: '*', group: '*', resource: '*' } } });
    expect(review.body.status).toEqual({ allowed: true });
  });

  test('impersonation is allowed to whoever may impersonate, and the impersonated user is authorized', async () => {
    const asAlice = { 'Impersonate-User': ALICE };
    expect((await raw('GET', '/apis/apps/v1/namespaces/team-a/deployments', cluster.token, undefined, asAlice)).code).toBe(200);
    const elsewhere = await raw('GET', '/apis/apps/v1/namespaces/team-b/secrets', cluster.token, undefined, asAlice);
    expect(elsewhere.code).toBe(403);
    const whoami = await raw('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', cluster.token, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, asAlice);
    expect(whoami.body.status).toEqual({ userInfo: { username: ALICE, groups: ['system:serviceaccounts', 'system:serviceaccounts:palette-system', 'system:authenticated'] } });
    const byAlice = await raw('GET', '/api/v1/namespaces/team-a/pods', aliceToken, undefined, { 'Impersonate-User': 'jane' });
    expect(byAlice.body.message).toBe(`users "jane" is forbidden: User "${ALICE}" cannot impersonate resource "users" in API group "" at the cluster scope`);
  });

  test('an expired token, or one whose ServiceAccount is gone, is 401', async () => {
    const core = admin.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'palette-system', body: { metadata: { name: 'carol' } } });
    await bind('team-a', 'edit-carol', 'edit', 'carol');
    const carol = await core.readNamespacedServiceAccount({ name: 'carol', namespace: 'palette-system' });
    const token = await tokenFor('carol');
    expect((await raw('GET', '/api/v1/namespaces/team-a/pods', token)).code).toBe(200);
    // The same signer as TokenRequest, an hour in the past.
    const authority = new TokenAuthority(await readFile(join(dataDir, 'ca.key'), 'utf8'));
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = authority.issue({
      aud: ['https://kubernetes.default.svc.cluster.local'],
      exp: past + 600,
      iat: past,
      nbf: past,
      iss: 'https://kubernetes.default.svc.cluster.local',
      sub: 'system:serviceaccount:palette-system:carol',
      'kubernetes.io': { namespace: 'palette-system', serviceaccount: { name: 'carol', uid: carol.metadata?.uid } },
    });
    expect(await raw('GET', '/api/v1/namespaces/team-a/pods', expired)).toMatchObject({ code: 401, body: { reason: 'Unauthorized', message: 'Unauthorized' } });
    await core.deleteNamespacedServiceAccount({ name: 'carol', namespace: 'palette-system' });
    expect((await raw('GET', '/api/v1/namespaces/team-a/pods', token)).code).toBe(401);
    // A new ServiceAccount of the same name is someone else: the old token stays refused.
    await core.createNamespacedServiceAccount({ namespace: 'palette-system', body: { metadata: { name: 'carol' } } });
    expect((await raw('GET', '/api/v1/namespaces/team-a/pods', token)).code).toBe(401);
  });
});
