import { randomBytes } from 'node:crypto';
import { KubernetesObjectApi, type V1Deployment, type V1Service, type V1StatefulSet, type V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppTier } from '#shared/app-profiles/items.ts';
import { createAppProfileBody } from '#shared/app-profiles/schemas.ts';
import { checkTierValues, isWorkloadReady, renderTiers, type RenderedTier, type RenderInput } from '#shared/apps/render.ts';
import { applyObjects } from '#shared/kube/apply.ts';
import { kubeClient, type KubeClient, type KubeObject } from '#shared/kube/kube-client.ts';
import { parseKubeconfig } from '#shared/kube/kubeconfig.ts';
import { startKubeEmulator, type KubeEmulator } from '#infra/local/kube-emulator/index.ts';

/** Tiers as a stored profile holds them: through the create schema, defaults applied. */
const tiersOf = (tiers: unknown[]): AppTier[] => createAppProfileBody.parse({ name: 'shop', version: '1.0.0', tiers }).tiers;

const db = { name: 'db', type: 'database', engine: 'postgres', version: '16', storageGiB: 5 };
const web = {
  name: 'web',
  type: 'container',
  image: 'ghcr.io/acme/web:1.4.2',
  port: 8080,
  replicas: 2,
  env: { DATABASE_HOST: '{{tiers.db.HOST}}', DATABASE_PASSWORD: '{{ tiers.db.PASSWORD }}', MODE: 'production' },
};
const base: Omit<RenderInput, 'tiers'> = { appId: 'app_01JD0000000000000000000000', appName: 'shop', namespace: 'app-shop' };
const render = (tiers: unknown[], extra: Partial<RenderInput> = {}) => renderTiers({ ...base, tiers: tiersOf(tiers), ...extra });

const byKind = <T>(tier: RenderedTier, kind: string) => tier.objects.filter((o) => o.kind === kind) as T[];
const one = <T>(tier: RenderedTier, kind: string): T => {
  const found = byKind<T>(tier, kind);
  expect(found, `${tier.name}: one ${kind}`).toHaveLength(1);
  return found[0]!;
};

const palette = (tier: string) => ({
  'app.kubernetes.io/managed-by': 'palette',
  'app.kubernetes.io/name': tier,
  'app.kubernetes.io/instance': 'shop',
  'palette.dev/app': base.appId,
  'palette.dev/tier': tier,
});

describe('a postgres tier and a container tier that uses its outputs', () => {
  const [database, container] = render([db, web]);

  it('renders the database as a StatefulSet on the pinned image, with its password from the generated Secret', () => {
    expect(database!.objects.map((o) => o.kind)).toEqual(['StatefulSet', 'Service']);
    const statefulSet = one<V1StatefulSet>(database!, 'StatefulSet');
    expect(statefulSet.metadata).toEqual({ name: 'db', namespace: 'app-shop', labels: palette('db') });
    expect(statefulSet.spec!.replicas).toBe(1);
    expect(statefulSet.spec!.template.metadata!.labels).toEqual(palette('db'));
    const pod = statefulSet.spec!.template.spec!.containers[0]!;
    expect(pod.image).toBe('postgres:16');
    expect(pod.ports).toEqual([{ containerPort: 5432, protocol: 'TCP' }]);
    expect(pod.env).toEqual([
      { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
      { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
    ]);
    expect(pod.volumeMounts).toEqual([{ name: 'data', mountPath: '/var/lib/postgresql/data' }]);
    expect(statefulSet.spec!.volumeClaimTemplates).toEqual([
      { metadata: { name: 'data', labels: palette('db') }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } },
    ]);
    const service = one<V1Service>(database!, 'Service');
    expect(service.spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 5432, targetPort: 5432 }] });
    expect(service.spec!.selector).toEqual(statefulSet.spec!.selector!.matchLabels);

    expect(database!.generatedSecrets).toEqual([{ name: 'db-credentials', namespace: 'app-shop', keys: ['password'], labels: palette('db') }]);
    expect(database!.workloads).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', namespace: 'app-shop' }]);
    expect(database!.outputs).toEqual({ HOST: 'db.app-shop.svc.cluster.local', PORT: '5432', USERNAME: 'postgres' });
  });

  it('renders the container as a Deployment with the resolved host and a secretKeyRef for the password, and a Service', () => {
    expect(container!.objects.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
    const deployment = one<V1Deployment>(container!, 'Deployment');
    expect(deployment.metadata).toEqual({ name: 'web', namespace: 'app-shop', labels: palette('web') });
    expect(deployment.spec!.replicas).toBe(2);
    expect(deployment.spec!.template.metadata!.labels).toEqual(palette('web'));
    const pod = deployment.spec!.template.spec!.containers[0]!;
    expect(pod).toMatchObject({ name: 'web', image: 'ghcr.io/acme/web:1.4.2', ports: [{ containerPort: 8080, protocol: 'TCP' }] });
    expect(pod.env).toEqual([
      { name: 'DATABASE_HOST', value: 'db.app-shop.svc.cluster.local' },
      { name: 'DATABASE_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
      { name: 'MODE', value: 'production' },
    ]);
    expect(pod.resources).toBeUndefined();
    expect(one<V1Service>(container!, 'Service').spec).toMatchObject({ ports: [{ port: 8080, targetPort: 8080 }], selector: deployment.spec!.selector!.matchLabels });
    expect(container!.generatedSecrets).toEqual([]);
    expect(container!.workloads).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'app-shop' }]);
    expect(container!.outputs).toEqual({ HOST: 'web.app-shop.svc.cluster.local', PORT: '8080' });
  });

  it('puts no password text anywhere: no template is left and the password is only ever a secretKeyRef', () => {
    const text = JSON.stringify([database, container].flatMap((t) => t!.objects));
    expect(text).not.toContain('{{');
    expect(text).not.toContain('PASSWORD}}');
    const passwordEnv = [database, container].flatMap((t) => t!.objects).flatMap((o) => {
      const spec = (o as V1Deployment).spec;
      return spec?.template?.spec?.containers.flatMap((c) => c.env ?? []).filter((e) => /PASSWORD/.test(e.name)) ?? [];
    });
    expect(passwordEnv.length).toBeGreaterThan(0);
    for (const env of passwordEnv) {
      expect(env.value, env.name).toBeUndefined();
      expect(env.valueFrom?.secretKeyRef).toEqual({ name: 'db-credentials', key: 'password' });
    }
  });

  it('renders objects that hold to the Kubernetes schemas', () => {
    for (const object of [database, container].flatMap((t) => t!.objects)) {
      const Model = { Deployment, StatefulSet, Service, PersistentVolumeClaim }[object.kind as 'Deployment'];
      expect(() => new Model(object as never).validate(), object.kind).not.toThrow();
    }
  });
});

describe('env templating', () => {
  it('carries a password inside a longer value through a variable placed before it, upper-cased with _ for -', () => {
    const [, app] = render([
      { ...db, name: 'orders-db' },
      { name: 'app', type: 'container', image: 'app', env: { URL: 'postgres://{{tiers.orders-db.USERNAME}}:{{tiers.orders-db.PASSWORD}}@{{tiers.orders-db.HOST}}:{{tiers.orders-db.PORT}}/orders', AAA: 'first' } },
    ]);
    const env = one<V1Deployment>(app!, 'Deployment').spec!.template.spec!.containers[0]!.env;
    expect(env).toEqual([
      { name: 'PALETTE_ORDERS_DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'orders-db-credentials', key: 'password' } } },
      { name: 'AAA', value: 'first' },
      { name: 'URL', value: 'postgres://postgres:$(PALETTE_ORDERS_DB_PASSWORD)@orders-db.app-shop.svc.cluster.local:5432/orders' },
    ]);
  });

  it('declares a password carrier once however often it is used, and one per database', () => {
    const [, , app] = render([
      db,
      { ...db, name: 'cache', engine: 'redis', version: '7.2' },
      { name: 'app', type: 'container', image: 'app', env: { A: 'x{{tiers.db.PASSWORD}}', B: '{{tiers.db.PASSWORD}}{{tiers.db.PASSWORD}}', C: 'redis://:{{tiers.cache.PASSWORD}}@h' } },
    ]);
    const env = one<V1Deployment>(app!, 'Deployment').spec!.template.spec!.containers[0]!.env!;
    expect(env.map((e) => e.name)).toEqual(['PALETTE_CACHE_PASSWORD', 'PALETTE_DB_PASSWORD', 'A', 'B', 'C']);
    expect(env.find((e) => e.name === 'B')!.value).toBe('$(PALETTE_DB_PASSWORD)$(PALETTE_DB_PASSWORD)');
  });

  it('uses a container tier\'s HOST and PORT in later tiers', () => {
    const [, worker] = render([{ ...web, env: {} }, { name: 'worker', type: 'container', image: 'w', env: { API: 'http://{{tiers.web.HOST}}:{{ tiers.web.PORT }}/v1' } }]);
    expect(one<V1Deployment>(worker!, 'Deployment').spec!.template.spec!.containers[0]!.env).toEqual([{ name: 'API', value: 'http://web.app-shop.svc.cluster.local:8080/v1' }]);
    expect(worker!.objects.map((o) => o.kind)).toEqual(['Deployment']);
    expect(worker!.outputs).toEqual({});
  });

  it('refuses to render a reference the profile rules would have refused', () => {
    const tiers = tiersOf([{ name: 'app', type: 'container', image: 'app' }]);
    (tiers[0] as { env?: Record<string, string> }).env = { X: '{{tiers.db.HOST}}' };
    expect(() => renderTiers({ ...base, tiers })).toThrow(/names no tier/);
  });
});

describe('container tiers', () => {
  it('turns resources into equal requests and limits in Kubernetes quantities', () => {
    const quantities = (cpu: number, memoryMiB: number) => {
      const [tier] = render([{ name: 'app', type: 'container', image: 'app', resources: { cpu, memoryMiB } }]);
      return one<V1Deployment>(tier!, 'Deployment').spec!.template.spec!.containers[0]!.resources;
    };
    expect(quantities(0.25, 512)).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '250m', memory: '512Mi' } });
    expect(quantities(2, 4096)).toEqual({ requests: { cpu: '2', memory: '4096Mi' }, limits: { cpu: '2', memory: '4096Mi' } });
    expect(quantities(1.5, 16)!.limits!.cpu).toBe('1500m');
    expect(quantities(0.001, 16)!.limits!.cpu).toBe('1m');
  });

  it('gives a tier with GPUs an nvidia.com/gpu limit and the toleration of the GPU nodes, and others neither', () => {
    const [gpu, plain] = render([
      { name: 'trainer', type: 'container', image: 'trainer', resources: { cpu: 2, memoryMiB: 4096, gpu: 1 } },
      { name: 'web', type: 'container', image: 'web', resources: { cpu: 1, memoryMiB: 512 } },
    ]);
    const spec = one<V1Deployment>(gpu!, 'Deployment').spec!.template.spec!;
    expect(spec.containers[0]!.resources).toEqual({
      requests: { cpu: '2', memory: '4096Mi', 'nvidia.com/gpu': '1' },
      limits: { cpu: '2', memory: '4096Mi', 'nvidia.com/gpu': '1' },
    });
    expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    const plainSpec = one<V1Deployment>(plain!, 'Deployment').spec!.template.spec!;
    expect(plainSpec.tolerations).toBeUndefined();
    expect(plainSpec.containers[0]!.resources!.limits).not.toHaveProperty('nvidia.com/gpu');
  });

  it('claims a volume as <tier>-data, mounts it and replaces pods instead of rolling them', () => {
    const [tier] = render([{ name: 'files', type: 'container', image: 'files', command: ['serve'], args: ['--root', '/srv'], volume: { sizeGiB: 3, mountPath: '/srv' } }]);
    expect(tier!.objects.map((o) => o.kind)).toEqual(['PersistentVolumeClaim', 'Deployment']);
    const claim = one<V1PersistentVolumeClaim>(tier!, 'PersistentVolumeClaim');
    expect(claim).toEqual({
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'files-data', namespace: 'app-shop', labels: palette('files') },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '3Gi' } } },
    });
    const deployment = one<V1Deployment>(tier!, 'Deployment');
    expect(deployment.spec!.strategy).toEqual({ type: 'Recreate' });
    expect(deployment.spec!.replicas).toBe(1);
    const pod = deployment.spec!.template.spec!;
    expect(pod.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'files-data' } }]);
    expect(pod.containers[0]).toMatchObject({ command: ['serve'], args: ['--root', '/srv'], volumeMounts: [{ name: 'data', mountPath: '/srv' }] });
    for (const object of tier!.objects) {
      const Model = { Deployment, PersistentVolumeClaim }[object.kind as 'Deployment'];
      expect(() => new Model(object as never).validate(), object.kind).not.toThrow();
    }
  });

  it('applies values: image, replicas, resources and env merged over the tier\'s', () => {
    const values = { web: { image: 'ghcr.io/acme/web:2.0.0', replicas: 5, env: { MODE: 'debug', EXTRA: 'x{{tiers.db.PORT}}' }, resources: { cpu: 0.5, memoryMiB: 256 } } };
    const [, tier] = render([db, web], { values });
    const pod = one<V1Deployment>(tier!, 'Deployment');
    expect(pod.spec!.replicas).toBe(5);
    const container = pod.spec!.template.spec!.containers[0]!;
    expect(container.image).toBe('ghcr.io/acme/web:2.0.0');
    expect(container.resources!.limits).toEqual({ cpu: '500m', memory: '256Mi' });
    expect(container.env!.map((e) => [e.name, e.value ?? 'secret'])).toEqual([
      ['DATABASE_HOST', 'db.app-shop.svc.cluster.local'],
      ['DATABASE_PASSWORD', 'secret'],
      ['EXTRA', 'x5432'],
      ['MODE', 'debug'],
    ]);
  });

  it('makes the app name a valid label value when it is not one', () => {
    const [tier] = render([{ name: 'app', type: 'container', image: 'app' }], { appName: 'My Shop (EU)!' });
    expect(tier!.objects[0]!.metadata!.labels!['app.kubernetes.io/instance']).toBe('My-Shop--EU');
  });
});

describe('the other engines', () => {
  const engine = (name: string, version: string) => {
    const [tier] = render([{ ...db, engine: name, version }]);
    const container = one<V1StatefulSet>(tier!, 'StatefulSet').spec!.template.spec!.containers[0]!;
    return { tier: tier!, container, service: one<V1Service>(tier!, 'Service') };
  };

  it('runs mysql as root on 3306 with MYSQL_ROOT_PASSWORD and /var/lib/mysql', () => {
    const { tier, container, service } = engine('mysql', '8.4');
    expect(container.image).toBe('mysql:8.4');
    expect(container.env).toEqual([{ name: 'MYSQL_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }]);
    expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/var/lib/mysql' }]);
    expect(service.spec!.ports![0]!.port).toBe(3306);
    expect(tier.outputs).toEqual({ HOST: 'db.app-shop.svc.cluster.local', PORT: '3306', USERNAME: 'root' });
  });

  it('runs redis as default on 6379 with --requirepass from the Secret and /data', () => {
    const { tier, container, service } = engine('redis', '7.2.5');
    expect(container.image).toBe('redis:7.2.5');
    expect(container.env).toEqual([{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } }]);
    expect(container.args!.slice(0, 2)).toEqual(['--requirepass', '$(REDIS_PASSWORD)']);
    expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
    expect(service.spec!.ports![0]!.port).toBe(6379);
    expect(tier.outputs).toEqual({ HOST: 'db.app-shop.svc.cluster.local', PORT: '6379', USERNAME: 'default' });
  });

  it('runs mongodb from the mongo image as root on 27017 with /data/db', () => {
    const { tier, container, service } = engine('mongodb', '7.0');
    expect(container.image).toBe('mongo:7.0');
    expect(container.env).toEqual([
      { name: 'MONGO_INITDB_ROOT_USERNAME', value: 'root' },
      { name: 'MONGO_INITDB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } } },
    ]);
    expect(container.volumeMounts).toEqual([{ name: 'data', mountPath: '/data/db' }]);
    expect(service.spec!.ports![0]!.port).toBe(27017);
    expect(tier.outputs).toEqual({ HOST: 'db.app-shop.svc.cluster.local', PORT: '27017', USERNAME: 'root' });
  });
});

describe('manifest tiers', () => {
  const manifests = [
    {
      name: 'config',
      content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\n    team: shop\ndata:\n  mode: fast\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: other\n  namespace: elsewhere\n---\n',
    },
    {
      name: 'jobs',
      content: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: sidecar\nspec:\n  selector:\n    matchLabels: {run: sidecar}\n  template:\n    metadata:\n      labels: {run: sidecar}\n    spec:\n      containers: [{name: s, image: busybox}]\n',
    },
  ];
  const [tier] = render([{ name: 'extras', type: 'manifest', manifests }]);

  it('parses every document of every manifest, in order, and labels them and their pod templates', () => {
    expect(tier!.objects.map((o) => `${o.kind}/${o.metadata!.name}`)).toEqual(['ConfigMap/settings', 'Secret/other', 'Deployment/sidecar']);
    expect(tier!.objects[0]!.metadata!.labels).toEqual({ team: 'shop', ...palette('extras') });
    expect(tier!.objects[0]).toMatchObject({ data: { mode: 'fast' } });
    const sidecar = tier!.objects[2] as V1Deployment;
    expect(sidecar.spec!.template.metadata!.labels).toEqual({ run: 'sidecar', ...palette('extras') });
    expect(sidecar.spec!.selector).toEqual({ matchLabels: { run: 'sidecar' } });
  });

  it('leaves the namespace as written, so the applier defaults the ones that name none', () => {
    expect(tier!.objects.map((o) => o.metadata!.namespace)).toEqual([undefined, 'elsewhere', undefined]);
  });

  it('waits for the Deployments and StatefulSets it holds and has no outputs or secrets', () => {
    expect(tier!.workloads).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'sidecar', namespace: 'app-shop' }]);
    expect(tier!.outputs).toEqual({});
    expect(tier!.generatedSecrets).toEqual([]);
  });

  it('renders fresh objects each time, so labelling one render does not touch another', () => {
    const [again] = render([{ name: 'extras', type: 'manifest', manifests }]);
    again!.objects[0]!.metadata!.labels!.team = 'changed';
    expect(tier!.objects[0]!.metadata!.labels!.team).toBe('shop');
  });
});

describe('the tier hash', () => {
  const hashes = (tiers: unknown[], extra: Partial<RenderInput> = {}) => render(tiers, extra).map((t) => t.hash);

  it('is the same for the same input, however the env was ordered', () => {
    const first = hashes([db, web]);
    expect(first[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(hashes([db, web])).toEqual(first);
    const reordered = { ...web, env: Object.fromEntries(Object.entries(web.env).reverse()) };
    expect(hashes([db, reordered])).toEqual(first);
  });

  it('changes with any field that changes what is applied, and only for the tier it changes', () => {
    const [dbHash, webHash] = hashes([db, web]);
    expect(hashes([db, { ...web, image: 'ghcr.io/acme/web:1.4.3' }])).toEqual([dbHash, expect.not.stringMatching(webHash!)]);
    expect(hashes([db, { ...web, replicas: 3 }])[1]).not.toBe(webHash);
    expect(hashes([db, { ...web, env: { ...web.env, MODE: 'staging' } }])[1]).not.toBe(webHash);
    expect(hashes([{ ...db, version: '17' }, web])[0]).not.toBe(dbHash);
    expect(hashes([db, web], { values: { web: { replicas: 4 } } })).toEqual([dbHash, expect.not.stringMatching(webHash!)]);
    // The database's host moves with the namespace, and so does every tier that uses it.
    const moved = hashes([db, web], { namespace: 'app-shop-2' });
    expect(moved[0]).not.toBe(dbHash);
    expect(moved[1]).not.toBe(webHash);
  });
});

describe('checkTierValues', () => {
  const tiers = tiersOf([db, web, { name: 'extras', type: 'manifest', manifests: [{ name: 'm', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\n' }] }]);
  const paths = (values: unknown) => checkTierValues(tiers, values).map((p) => p.path).sort();

  it('takes image, replicas, env and resources of container tiers', () => {
    expect(paths(undefined)).toEqual([]);
    expect(paths({ web: { image: 'web:2', replicas: 10, env: { X: '{{tiers.db.HOST}}' }, resources: { cpu: 1, memoryMiB: 128 } } })).toEqual([]);
  });

  it('reports unknown tiers, unknown fields and fields of tiers that take none at body.values.<tier>.<field>', () => {
    expect(paths({ cache: { replicas: 2 } })).toEqual(['body.values.cache']);
    expect(paths({ web: { port: 80 } })).toEqual(['body.values.web.port']);
    expect(paths({ db: { image: 'postgres:17' }, extras: { replicas: 1 } })).toEqual(['body.values.db.image', 'body.values.extras.replicas']);
    expect(checkTierValues(tiers, { db: { image: 'x' } })[0]!.message).toBe('database tiers take no values');
  });

  it('checks each field as the profile does, and env references against earlier tiers', () => {
    expect(paths({ web: { replicas: 11, image: 'a b', resources: { cpu: 0 }, env: { 'A-B': 'x' } } })).toEqual([
      'body.values.web.env.A-B',
      'body.values.web.image',
      'body.values.web.replicas',
      'body.values.web.resources.cpu',
      'body.values.web.resources.memoryMiB',
    ]);
    expect(paths({ web: { env: { SELF: '{{tiers.web.HOST}}', MISSING: '{{tiers.db.TOKEN}}' } } })).toEqual(['body.values.web.env.MISSING', 'body.values.web.env.SELF']);
    expect(paths('not an object')).toEqual(['body.values']);
    expect(checkTierValues(tiers, { web: { replicas: 0 } }, 'body.deliveryValues').map((p) => p.path)).toEqual(['body.deliveryValues.web.replicas']);
  });
});

describe('isWorkloadReady', () => {
  const deployment = (spec: object, status: object | undefined, generation = 2) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', generation }, spec, status });
  const statefulSet = (spec: object, status: object | undefined, generation = 1) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's', generation }, spec, status });

  it('reads a Deployment as ready once its controller saw the generation and every replica is updated and available', () => {
    expect(isWorkloadReady(deployment({ replicas: 2 }, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }))).toBe(true);
    expect(isWorkloadReady(deployment({ replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }))).toBe(false);
    expect(isWorkloadReady(deployment({ replicas: 2 }, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 1 }))).toBe(false);
    // Pods of the previous template still available, the new ones not yet.
    expect(isWorkloadReady(deployment({ replicas: 2 }, { observedGeneration: 2, replicas: 4, updatedReplicas: 2, availableReplicas: 2 }))).toBe(false);
    expect(isWorkloadReady(deployment({ replicas: 2 }, { observedGeneration: 2, replicas: 2, availableReplicas: 2 }))).toBe(false);
  });

  it('reads missing counters as 0 and a missing spec.replicas as 1', () => {
    expect(isWorkloadReady(deployment({}, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }))).toBe(true);
    expect(isWorkloadReady(deployment({}, { observedGeneration: 2 }))).toBe(false);
    expect(isWorkloadReady(deployment({ replicas: 0 }, { observedGeneration: 2 }))).toBe(true);
    expect(isWorkloadReady(deployment({ replicas: 1 }, undefined))).toBe(false);
  });

  it('reads a StatefulSet as ready once every replica is updated and ready', () => {
    expect(isWorkloadReady(statefulSet({ replicas: 1 }, { observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 }))).toBe(true);
    expect(isWorkloadReady(statefulSet({ replicas: 1 }, { observedGeneration: 1, replicas: 1, availableReplicas: 1, updatedReplicas: 1 }))).toBe(false);
    expect(isWorkloadReady(statefulSet({ replicas: 1 }, { observedGeneration: 0, readyReplicas: 1, updatedReplicas: 1 }))).toBe(false);
    expect(isWorkloadReady(statefulSet({ replicas: 1 }, { observedGeneration: 1, readyReplicas: 1 }))).toBe(false);
    expect(isWorkloadReady(statefulSet({ replicas: 3, updateStrategy: { type: 'OnDelete' } }, { observedGeneration: 1, readyReplicas: 3 }))).toBe(true);
    expect(isWorkloadReady(statefulSet({ replicas: 3, updateStrategy: { rollingUpdate: { partition: 2 } } }, { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1 }))).toBe(true);
  });

  it('is false for anything that is not a Deployment or StatefulSet', () => {
    for (const value of [undefined, null, 'Deployment', [], { kind: 'DaemonSet', status: { numberReady: 1 } }, { kind: 'Deployment', status: 'ok' }]) {
      expect(isWorkloadReady(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('the rendered tiers on the Kubernetes API emulator', () => {
  let emulator: KubeEmulator;
  /** The steps' own client, for applying; client-node's, for reading back. */
  let steps: KubeClient;
  let client: KubernetesObjectApi;
  beforeAll(async () => {
    emulator = await startKubeEmulator({ readyDelayMs: 50 });
    client = KubernetesObjectApi.makeApiClient(emulator.createCluster('render-1').kubeConfigObject());
    steps = kubeClient(parseKubeconfig(emulator.kubeconfig('render-1')));
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  const readyWithin = async (tier: RenderedTier, namespace: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const read = await Promise.all(tier.workloads.map((w) => client.read({ apiVersion: w.apiVersion, kind: w.kind, metadata: { name: w.name, namespace } })));
      if (read.every(isWorkloadReady)) return read;
      if (Date.now() > deadline) throw new Error(`${tier.name} not ready: ${JSON.stringify(read.map((r) => (r as { status?: unknown }).status))}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  /** What the apps feature does per tier: create the generated Secrets once, apply the objects in the app's namespace, wait until ready. */
  const deploy = async (tiers: RenderedTier[], namespace: string) => {
    for (const tier of tiers) {
      for (const secret of tier.generatedSecrets) {
        const data = Object.fromEntries(secret.keys.map((k) => [k, randomBytes(18).toString('base64url')]));
        await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.name, namespace: secret.namespace, labels: secret.labels }, stringData: data } as never);
      }
      await applyObjects(steps, tier.objects.map((o) => ({ ...o, metadata: { namespace, ...o.metadata } })) as KubeObject[]);
      await readyWithin(tier, namespace);
    }
  };

  it('applies every tier with server-side apply and each becomes ready', async () => {
    const namespace = 'app-shop';
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const manifest = { name: 'extras', type: 'manifest', manifests: [{ name: 'm', content: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n' }] };
    const tiers = render([db, { ...db, name: 'cache', engine: 'redis', version: '7.2' }, { ...web, volume: { sizeGiB: 1, mountPath: '/cache' }, resources: { cpu: 0.5, memoryMiB: 256 } }, manifest]);
    await deploy(tiers, namespace);
    const settings = await client.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace } });
    expect(settings.metadata!.labels).toEqual(palette('extras'));
    const service = await client.read({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace } }) as V1Service;
    expect(service.spec!.clusterIP).toBeTruthy();
  });

  it('reads an upgraded Deployment as ready only once no pod of the old template is left', async () => {
    const namespace = 'app-upgrade';
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const tier = { name: 'web', type: 'container', image: 'web:1', replicas: 3, port: 80 };
    const [first] = render([tier], { namespace });
    await deploy([first!], namespace);
    const [second] = render([{ ...tier, image: 'web:2' }], { namespace });
    await applyObjects(steps, second!.objects as KubeObject[]);
    await readyWithin(second!, namespace);
    const pods = await client.list('v1', 'Pod', namespace, undefined, undefined, undefined, undefined, 'palette.dev/tier=web');
    const images = pods.items.map((p) => (p as { spec?: { containers: Array<{ image?: string }> } }).spec!.containers[0]!.image);
    expect(images).toEqual(['web:2', 'web:2', 'web:2']);
  });
});
