/**
 * kubectl against an emulated vcluster: the control plane StatefulSet and its
 * LoadBalancer Service and passthrough Ingress are applied to an emulated host cluster
 * with kubectl, the kubeconfig is built from the `vc-<name>` Secret with the published
 * addresses, and kubectl then works inside the virtual cluster.
 */
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startKubeEmulator } from '../../infra/local/kube-emulator/index.ts';
import type { KubeEmulator } from '../../infra/local/kube-emulator/index.ts';
import { KUBECTL_1_33, kubectlSandbox, table } from './support.ts';
import type { Kubectl } from './support.ts';

let emulator: KubeEmulator;
let hostKubectl: Kubectl;
let viaLoadBalancer: Kubectl;
let viaIngress: Kubectl;

const controlPlane = `apiVersion: v1
kind: Namespace
metadata: {name: vc-kubectl}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: tenant
  namespace: vc-kubectl
  labels: {app: vcluster, release: tenant}
spec:
  serviceName: tenant-headless
  replicas: 1
  selector: {matchLabels: {app: vcluster, release: tenant}}
  template:
    metadata: {labels: {app: vcluster, release: tenant}}
    spec:
      containers: [{name: syncer, image: ghcr.io/loft-sh/vcluster-pro:0.20.0}]
---
apiVersion: v1
kind: Service
metadata: {name: tenant, namespace: vc-kubectl}
spec:
  type: LoadBalancer
  selector: {app: vcluster, release: tenant}
  ports: [{name: https, port: 443, targetPort: 8443}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: tenant
  namespace: vc-kubectl
  annotations: {nginx.ingress.kubernetes.io/ssl-passthrough: "true"}
spec:
  ingressClassName: nginx
  rules:
  - host: tenant.vc.example.test
    http:
      paths:
      - {path: /, pathType: ImplementationSpecific, backend: {service: {name: tenant, port: {number: 443}}}}
`;

async function ok(kubectl: Kubectl, args: string[], options?: Parameters<Kubectl>[1]): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

async function poll(kubectl: Kubectl, args: string[], done: (stdout: string) => boolean): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = await kubectl(args);
    if (result.code === 0 && done(result.stdout)) return result.stdout;
    if (Date.now() > deadline) throw new Error(`kubectl ${args.join(' ')} never gave the expected output:\n${result.stdout}\n${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `server` and optional TLS server name put into the Secret's kubeconfig. */
function pointAt(config: string, server: string, tlsServerName?: string): string {
  const parsed = loadYaml<{ clusters: Array<{ cluster: Record<string, string> }> }>(config);
  const cluster = parsed.clusters[0]?.cluster ?? {};
  cluster.server = server;
  if (tlsServerName) cluster['tls-server-name'] = tlsServerName;
  return dumpYaml(parsed);
}

beforeAll(async () => {
  emulator = await startKubeEmulator({ readyDelayMs: 100 });
  hostKubectl = await kubectlSandbox(emulator.createCluster('vc-host', { kubernetesVersion: 'v1.31.4' }).kubeconfig());
  await ok(hostKubectl, ['apply', '-f', '-'], { stdin: controlPlane });
  const encoded = await poll(hostKubectl, ['-n', 'vc-kubectl', 'get', 'secret', 'vc-tenant', '-o', 'jsonpath={.data.config}'], (out) => out.length > 0);
  const config = Buffer.from(encoded, 'base64').toString('utf8');
  expect(config).toContain('server: https://localhost:8443');
  const lb = (await poll(hostKubectl, ['-n', 'vc-kubectl', 'get', 'svc', 'tenant', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip} {.status.loadBalancer.ingress[0].ports[0].port}'], (out) => /^127\./.test(out))).trim().split(' ');
  viaLoadBalancer = await kubectlSandbox(pointAt(config, `https://${lb[0] ?? ''}:${lb[1] ?? '443'}`));
  const ingress = (await poll(hostKubectl, ['-n', 'vc-kubectl', 'get', 'ingress', 'tenant', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip} {.status.loadBalancer.ingress[0].ports[0].port}'], (out) => /^127\./.test(out))).trim().split(' ');
  viaIngress = await kubectlSandbox(pointAt(config, `https://${ingress[0] ?? ''}:${ingress[1] ?? '443'}`, 'tenant.vc.example.test'));
});

afterAll(async () => {
  await Promise.all([hostKubectl?.cleanup(), viaLoadBalancer?.cleanup(), viaIngress?.cleanup()]);
  await emulator?.stop();
});

describe('kubectl inside a virtual cluster', () => {
  test('get ns, apply -f a Deployment, get deploy -o json and delete, through the LoadBalancer address', async () => {
    const namespaces = table(await ok(viaLoadBalancer, ['get', 'ns']));
    expect(namespaces.header).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(namespaces.rows.map((r) => r[0])).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect(await ok(viaLoadBalancer, ['apply', '-f', '-'], { stdin: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: shop}}\n  template:\n    metadata: {labels: {app: shop}}\n    spec: {containers: [{name: web, image: "nginx:1.27", resources: {requests: {cpu: 100m}}}]}\n' })).toBe('deployment.apps/shop created\n');
    await ok(viaLoadBalancer, ['rollout', 'status', 'deploy/shop', '--timeout=20s']);
    const deployment = JSON.parse(await ok(viaLoadBalancer, ['get', 'deploy', 'shop', '-o', 'json'])) as { kind: string; status: { readyReplicas: number }; spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    expect(deployment.kind).toBe('Deployment');
    expect(deployment.status.readyReplicas).toBe(2);
    expect(deployment.spec.template.spec.containers[0]?.image).toBe('nginx:1.27');
    // The syncer put its pods into the host namespace.
    const synced = table(await poll(hostKubectl, ['-n', 'vc-kubectl', 'get', 'pods', '-l', 'vcluster.loft.sh/managed-by=tenant'], (out) => out.split('\n').filter(Boolean).length === 3));
    expect(synced.rows.map((r) => r[0]).every((name) => /^shop-\w+-\w+-x-default-x-tenant$/.test(name ?? ''))).toBe(true);
    expect(await ok(viaLoadBalancer, ['delete', 'deploy', 'shop'])).toBe('deployment.apps "shop" deleted\n');
    await poll(hostKubectl, ['-n', 'vc-kubectl', 'get', 'pods', '-l', 'vcluster.loft.sh/managed-by=tenant', '-o', 'name'], (out) => out.trim() === '');
  });

  test('the ingress address with tls-server-name reaches the same virtual cluster, with a newer kubectl too', async () => {
    await ok(viaIngress, ['create', 'namespace', 'via-ingress']);
    expect(table(await ok(viaLoadBalancer, ['get', 'ns', 'via-ingress'])).rows[0]?.[0]).toBe('via-ingress');
    expect(await ok(viaIngress, ['apply', '-f', '-'], { binary: KUBECTL_1_33, stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: via-ingress}\ndata: {mode: a}\n' })).toBe('configmap/settings created\n');
    expect(await ok(viaIngress, ['-n', 'via-ingress', 'get', 'cm', 'settings', '-o', 'jsonpath={.data.mode}'], { binary: KUBECTL_1_33 })).toBe('a');
    // The host cluster knows nothing of it.
    expect((await hostKubectl(['get', 'ns', 'via-ingress'])).code).toBe(1);
  });

  test('scaled to zero the virtual API server refuses connections; scaled back it answers again', async () => {
    await ok(viaLoadBalancer, ['create', 'configmap', 'before-pause', '--from-literal=a=b']);
    await ok(hostKubectl, ['-n', 'vc-kubectl', 'scale', 'sts', 'tenant', '--replicas=0']);
    const deadline = Date.now() + 10_000;
    let paused = await viaLoadBalancer(['get', 'ns', '--request-timeout=3s']);
    while (paused.code === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      paused = await viaLoadBalancer(['get', 'ns', '--request-timeout=3s']);
    }
    expect(paused.code).toBe(1);
    expect(paused.stderr).toMatch(/was refused|connection refused|connection reset|EOF/);
    await ok(hostKubectl, ['-n', 'vc-kubectl', 'scale', 'sts', 'tenant', '--replicas=1']);
    expect(await poll(viaLoadBalancer, ['get', 'cm', 'before-pause', '-o', 'jsonpath={.data.a}'], (out) => out === 'b')).toBe('b');
  });
});
