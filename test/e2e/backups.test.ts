/**
 * Backups through the HTTP API, ending in the virtual clusters: a cluster with an app
 * backed up, deleted, restored into a new one whose objects are read back through the
 * new cluster's own kubeconfig; bad input refused at its field with nothing written; a
 * restore into a group without room refused with nothing written; the run-backups job
 * starting a scheduled backup when it is due and deleting an expired one with its
 * snapshot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#shared/store/keys.ts';
import { decodeSnapshot } from '#shared/backups/snapshot.ts';
import { backupStoreFromEnv } from '#shared/backups/store.ts';
import { startTestRuntime, until, type ApiClient, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, freshUser } from '../support/app-mode.ts';

let rt: TestRuntime;
let dev: { id: string; api: ApiClient };
const project = '/v1/projects/default';
let projectId: string;

let sourceId: string;
let backupId: string;
let restoredId: string;

const SECRET_VALUE = 'not-in-the-file-3b1f';
const manifests = [
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  greeting: hello\n  mode: production\n',
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-token\ntype: Opaque\nstringData:\n  token: ${SECRET_VALUE}\n`,
].join('---\n');

const vcPhase = (id: string, phase: string) =>
  until(`virtual cluster ${phase}`, () => dev.api.get(`${project}/virtualclusters/${id}`), (r) => r.status === 200 && r.body.status.phase === phase, 60_000);
const backupPhase = (vcId: string, id: string, phase: string) =>
  until(`backup ${phase}`, () => dev.api.get(`${project}/virtualclusters/${vcId}/backups/${id}`), (r) => r.status === 200 && r.body.status.phase === phase, 60_000);
const kubeconfigOf = async (id: string) => {
  const config = new KubeConfig();
  config.loadFromString((await dev.api.get(`${project}/virtualclusters/${id}/kubeconfig`)).text);
  return config;
};
const snapshotFile = (vcId: string, id: string) => join(process.env.PALETTE_BACKUP_DIR!, rt.seeded.tenantId, projectId, vcId, `${id}.json.gz`);

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 50 });
  await beehiveHosts(rt);
  dev = await freshUser(rt, 'backups');
  projectId = (await dev.api.get(project)).body.id;
  const created = await dev.api.post(`${project}/virtualclusters`, { name: 'source' });
  expect(created.status, created.text).toBe(202);
  sourceId = created.body.id;
  await vcPhase(sourceId, 'Running');
  const profile = await dev.api.post(`${project}/appprofiles`, {
    name: 'shop',
    version: '1.0.0',
    tiers: [
      { name: 'web', type: 'container', image: 'nginx:1.27', port: 8080, replicas: 2, env: { MODE: 'production' } },
      { name: 'config', type: 'manifest', manifests: [{ name: 'config', content: manifests }] },
    ],
  });
  expect(profile.status, profile.text).toBe(201);
  const app = await dev.api.post(`${project}/apps`, { name: 'shop', appProfileId: profile.body.id, virtualClusterId: sourceId });
  expect(app.status, app.text).toBe(202);
  await until('app Deployed', () => dev.api.get(`${project}/apps/${app.body.id}`), (r) => r.body.status.phase === 'Deployed', 60_000);
}, 180_000);
afterAll(async () => {
  await rt?.stop();
});

describe('backups of a virtual cluster', () => {
  it('backs up a virtual cluster with an app to Completed, its objects counted and its snapshot sealed at rest', async () => {
    const started = await dev.api.post(`${project}/virtualclusters/${sourceId}/backups`, {});
    expect(started.status, started.text).toBe(202);
    expect(started.body).toMatchObject({ virtualClusterId: sourceId, virtualClusterName: 'source', trigger: 'manual', keepDays: 30, status: { phase: 'Running' } });
    expect(started.body.id).toMatch(/^bk_/);
    backupId = started.body.id;
    const done = await backupPhase(sourceId, backupId, 'Completed');
    expect(done.body.status.objects).toBeGreaterThan(0);
    expect(done.body.status.bytes).toBeGreaterThan(0);
    expect(done.body.completedAt).toEqual(expect.any(String));
    const operation = await dev.api.get(`/v1/operations/${started.body.operationId}`);
    expect(operation.body).toMatchObject({ status: 'Succeeded', kind: 'backup.create' });
    const listed = await dev.api.get(`${project}/virtualclusters/${sourceId}/backups`);
    expect(listed.body.items.map((b: { id: string }) => b.id)).toEqual([backupId]);
    expect((await dev.api.get(`${project}/backups`)).body.items.map((b: { id: string }) => b.id)).toContain(backupId);
    // Locally under PALETTE_DATA_DIR/backups, sealed with the local key: the Secret's value is not in the file.
    const file = snapshotFile(sourceId, backupId);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toContain(Buffer.from(SECRET_VALUE).toString('base64'));
    expect(readFileSync(file, 'utf8')).not.toContain(SECRET_VALUE);
    // What it holds: the app's objects as written, nothing a controller or the API server made.
    const snapshot = decodeSnapshot((await backupStoreFromEnv().get(`${rt.seeded.tenantId}/${projectId}/${sourceId}/${backupId}.json.gz`))!);
    const names = snapshot.objects.map((o) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`);
    expect(names).toEqual(expect.arrayContaining(['Namespace default', 'Namespace shop', 'Deployment shop/web', 'Service shop/web', 'ConfigMap shop/settings', 'Secret shop/api-token']));
    expect(names.filter((n) => /^(ReplicaSet|Pod|Event|Endpoints|EndpointSlice) /.test(n) || /kube-root-ca\.crt|ServiceAccount .*\/default$|kube-|^Service default\/kubernetes$/.test(n))).toEqual([]);
    expect(snapshot.objects).toHaveLength(done.body.status.objects);
    for (const object of snapshot.objects) {
      expect(object.status, names.join()).toBeUndefined();
      for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'ownerReferences']) expect(object.metadata?.[field], field).toBeUndefined();
    }
    const service = snapshot.objects.find((o) => o.kind === 'Service')!;
    expect((service.spec as { clusterIP?: string }).clusterIP).toBeUndefined();
  });

  it('refuses keepDays outside 1–365 and a bad cron at their fields, and writes nothing', async () => {
    const before = await rt.snapshot();
    for (const keepDays of [0, 366]) {
      const create = await dev.api.post(`${project}/virtualclusters`, { name: 'bad-keep', backup: { cron: '0 3 * * *', keepDays } });
      expect(create.status, create.text).toBe(400);
      expect(create.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.backup.keepDays']);
      const patch = await dev.api.patch(`${project}/virtualclusters/${sourceId}`, { backup: { cron: '0 3 * * *', keepDays } });
      expect(patch.status, patch.text).toBe(400);
      expect(patch.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.backup.keepDays']);
      const manual = await dev.api.post(`${project}/virtualclusters/${sourceId}/backups`, { keepDays });
      expect(manual.status, manual.text).toBe(400);
      expect(manual.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.keepDays']);
    }
    const cron = await dev.api.post(`${project}/virtualclusters`, { name: 'bad-cron', backup: { cron: '0 25 * * *', keepDays: 7 } });
    expect(cron.status).toBe(400);
    expect(cron.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.backup.cron']);
    const unknown = await dev.api.post(`${project}/virtualclusters`, { name: 'from-nothing', restoreFrom: { backupId: 'bk_01JD0000000000000000000000' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.restoreFrom.backupId']);
    expect(await rt.snapshot()).toEqual(before);
  });

  it('refuses a restore into a cluster group without room with 409, and writes nothing', async () => {
    const admin = rt.admin;
    const account = await admin.post(`${project}/cloudaccounts`, { name: 'bk-small', provider: 'sim', sim: { provisionSeconds: 0 } });
    const profile = await admin.post(`${project}/clusterprofiles`, { name: 'bk-small', version: '1.0.0', cloud: 'sim', type: 'full', layers: [{ type: 'k8s', name: 'kubernetes', version: '1.31' }] });
    const cluster = await admin.post(`${project}/clusters`, {
      name: 'bk-small', cloudAccountId: account.body.id, region: 'sim-local-1', profileId: profile.body.id,
      hostCluster: { enabled: true }, nodePools: [{ name: 'w', instanceType: 'sim.small', count: 1 }],
    });
    expect(cluster.status, cluster.text).toBe(202);
    await until('small host Running', () => admin.get(`${project}/clusters/${cluster.body.id}`), (r) => r.body.status.phase === 'Running', 60_000);
    // One sim.small node: 2 CPU, less than the 4 a virtual cluster needs.
    const group = await admin.post('/v1/clustergroups', { name: 'bk-small', hostClusters: [{ projectId, clusterId: cluster.body.id }] });
    expect(group.status, group.text).toBe(201);

    const before = await rt.snapshot();
    const refused = await dev.api.post(`${project}/virtualclusters`, { name: 'no-room', clusterGroupId: group.body.id, restoreFrom: { backupId } });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.code).toBe('quota_exceeded');
    expect(refused.body.detail).toMatch(/full/);
    expect(await rt.snapshot()).toEqual(before);
  });

  it('restores the backup of a deleted virtual cluster into a new one: Running, with the app\'s objects back', async () => {
    const deleting = await dev.api.delete(`${project}/virtualclusters/${sourceId}`);
    expect(deleting.status).toBe(202);
    await until('source gone', () => dev.api.get(`${project}/virtualclusters/${sourceId}`), (r) => r.status === 404, 60_000);
    // The backup outlives its virtual cluster.
    expect((await dev.api.get(`${project}/virtualclusters/${sourceId}/backups/${backupId}`)).body.status.phase).toBe('Completed');

    const created = await dev.api.post(`${project}/virtualclusters`, { name: 'restored', restoreFrom: { backupId } });
    expect(created.status, created.text).toBe(202);
    expect(created.body).toMatchObject({ restoredFrom: { backupId, virtualClusterId: sourceId }, status: { phase: 'Provisioning' } });
    restoredId = created.body.id;
    await vcPhase(restoredId, 'Running');
    const operation = await dev.api.get(`/v1/operations/${created.body.operationId}`);
    expect(operation.body).toMatchObject({ status: 'Succeeded', kind: 'virtualcluster.restore', progress: { done: 4, total: 4 } });
    expect(operation.body.steps.map((step: { name: string; status: string }) => [step.name, step.status])).toEqual(
      ['provision', 'describe', 'restore', 'finish'].map((name) => [name, 'Succeeded']),
    );

    const config = await kubeconfigOf(restoredId);
    const core = config.makeApiClient(CoreV1Api);
    const apps = config.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    expect(deployment.spec?.replicas).toBe(2);
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.27');
    expect(deployment.metadata?.uid).toBeDefined();
    const service = await core.readNamespacedService({ name: 'web', namespace: 'shop' });
    expect(service.spec?.ports?.[0]?.port).toBe(8080);
    expect(service.spec?.clusterIP).toBeDefined();
    expect((await core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' })).data).toEqual({ greeting: 'hello', mode: 'production' });
    const secret = await core.readNamespacedSecret({ name: 'api-token', namespace: 'shop' });
    expect(Buffer.from(secret.data!.token!, 'base64').toString('utf8')).toBe(SECRET_VALUE);
    // The namespace came back with its labels; its default ServiceAccount is the new cluster's own.
    expect((await core.readNamespace({ name: 'shop' })).metadata?.labels?.['palette.dev/app']).toEqual(expect.any(String));
    await core.readNamespacedServiceAccount({ name: 'default', namespace: 'shop' });
    // The Deployment's pods come from its own controller in the new cluster.
    await until('web pods', async () => (await core.listNamespacedPod({ namespace: 'shop' })).items.length, (n) => n >= 2, 30_000);
  });

  it('makes a backup when its schedule is due, once per cron time, and deletes an expired backup with its snapshot', async () => {
    const scheduled = await dev.api.patch(`${project}/virtualclusters/${restoredId}`, { backup: { cron: '0 * * * *', keepDays: 1 } });
    expect(scheduled.status, scheduled.text).toBe(200);
    expect(scheduled.body.backup).toEqual({ cron: '0 * * * *', keepDays: 1 });
    const key = keys.virtualCluster(rt.seeded.tenantId, projectId, restoredId);

    // Not due: the schedule began now, the cron has not fired since.
    const quiet = await rt.system.post('/v1/system/jobs/run-backups');
    expect(quiet.status, quiet.text).toBe(200);
    expect(quiet.body.summary.started).toEqual([]);

    // The schedule began two hours ago: the last full hour is due.
    const since = new Date(Date.now() - 2 * 3600_000).toISOString();
    await rt.store.doc.send(new UpdateCommand({ TableName: rt.store.tableName, Key: key, UpdateExpression: 'SET backupState = :state', ExpressionAttributeValues: { ':state': { since } } }));
    const due = await rt.system.post('/v1/system/jobs/run-backups');
    expect(due.status, due.text).toBe(200);
    expect(due.body.summary.started).toHaveLength(1);
    const started = due.body.summary.started[0];
    expect(started).toMatchObject({ virtualClusterId: restoredId, scheduledAt: expect.stringMatching(/T\d\d:00:00\.000Z$/) });
    const made = await backupPhase(restoredId, started.backupId, 'Completed');
    expect(made.body).toMatchObject({ trigger: 'schedule', keepDays: 1 });
    expect(made.body.status.objects).toBeGreaterThan(0);
    // Once per cron time.
    const again = await rt.system.post('/v1/system/jobs/run-backups');
    expect(again.body.summary.started).toEqual([]);

    // The manual backup, as if 30 days had passed: the job deletes it and its snapshot.
    expect(existsSync(snapshotFile(sourceId, backupId))).toBe(true);
    const past = new Date(Date.now() - 60_000).toISOString();
    await rt.store.doc.send(
      new UpdateCommand({
        TableName: rt.store.tableName,
        Key: keys.backup(rt.seeded.tenantId, projectId, backupId),
        UpdateExpression: 'SET expiresAt = :at, gsi2sk = :sk',
        ExpressionAttributeValues: { ':at': past, ':sk': `${past}#${rt.seeded.tenantId}#${backupId}` },
      }),
    );
    const expiry = await rt.system.post('/v1/system/jobs/run-backups');
    expect(expiry.status, expiry.text).toBe(200);
    expect(expiry.body.summary.expired).toEqual([backupId]);
    expect((await dev.api.get(`${project}/virtualclusters/${sourceId}/backups/${backupId}`)).status).toBe(404);
    expect(existsSync(snapshotFile(sourceId, backupId))).toBe(false);
    // The scheduled one is not expired yet.
    expect((await dev.api.get(`${project}/virtualclusters/${restoredId}/backups/${started.backupId}`)).status).toBe(200);
    expect(existsSync(snapshotFile(restoredId, started.backupId))).toBe(true);
    const audit = await rt.admin.get('/v1/audit?limit=100');
    expect(audit.body.items.some((e: { action: string; actor: string; resourceId: string }) => e.action === 'backup.expire' && e.actor === 'platform:run-backups' && e.resourceId === backupId)).toBe(true);
  });

  it('deletes a backup and its snapshot', async () => {
    const list = await dev.api.get(`${project}/virtualclusters/${restoredId}/backups`);
    const id = list.body.items[0].id as string;
    const deleted = await dev.api.delete(`${project}/virtualclusters/${restoredId}/backups/${id}`);
    expect(deleted.status, deleted.text).toBe(204);
    expect((await dev.api.get(`${project}/virtualclusters/${restoredId}/backups/${id}`)).status).toBe(404);
    expect(existsSync(snapshotFile(restoredId, id))).toBe(false);
  });
});
