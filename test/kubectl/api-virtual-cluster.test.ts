/**
 * kubectl, a client this project did not write, with the kubeconfig the API hands out
 * for a virtual cluster in beehive: through the published (Ingress) address, with the
 * virtual cluster's own credential.
 */
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, until, type TestRuntime } from '../support/local-api.ts';
import { beehiveHosts, freshUser } from '../support/app-mode.ts';
import { kubectlSandbox, table, type Kubectl } from './support.ts';

let rt: TestRuntime;
let kubectl: Kubectl;
let kubeconfig: string;
const base = '/v1/projects/default/virtualclusters';

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 20 });
  await beehiveHosts(rt);
  const dev = await freshUser(rt, 'kubectl');
  const created = await dev.api.post(base, { name: 'kubectl-vc' });
  expect(created.status).toBe(202);
  await until('Running', () => dev.api.get(`${base}/${created.body.id}`), (r) => r.body.status.phase === 'Running', 30_000);
  const response = await dev.api.get(`${base}/${created.body.id}/kubeconfig`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/yaml/);
  kubeconfig = response.text;
  kubectl = await kubectlSandbox(kubeconfig);
}, 90_000);
afterAll(async () => {
  await kubectl?.cleanup();
  await rt?.stop();
});

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 80}]}]
`;

describe('kubectl with a virtual cluster\'s kubeconfig from the API', () => {
  it('points at the published address by name, with a token of its own', () => {
    const config = load(kubeconfig) as { clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }> };
    const cluster = config.clusters[0]!.cluster;
    expect(cluster.server).toMatch(/^https:\/\/127\.(?!0\.0\.1\b)/);
    expect(cluster['tls-server-name']).toMatch(/^kubectl-vc-[a-z0-9]{6}\.beehive-\d\.vcluster\.palette\.internal$/);
    expect(cluster['certificate-authority-data']).toBeTruthy();
    expect(config.users[0]!.user.token).toBeTruthy();
  });

  it('lists the virtual cluster\'s namespaces (its own, not the host\'s)', async () => {
    const result = await kubectl(['get', 'ns']);
    expect(result.stderr).toBe('');
    const names = table(result.stdout).rows.map((row) => row[0]);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system']));
    expect(names.some((n) => n?.startsWith('vc-'))).toBe(false);
  });

  it('applies a Deployment, reads it back as JSON, and deletes it', async () => {
    const file = await kubectl.file('web.yaml', deployment);
    const applied = await kubectl(['apply', '-f', file]);
    expect(applied.stderr).toBe('');
    expect(applied.stdout.trim()).toBe('deployment.apps/web created');
    const read = await kubectl(['get', 'deploy', 'web', '-n', 'default', '-o', 'json']);
    const object = JSON.parse(read.stdout) as { spec: { replicas: number }; metadata: { annotations: Record<string, string> } };
    expect(object.spec.replicas).toBe(2);
    // Client-side apply leaves what it applied on the object, as with a real API server.
    expect(JSON.parse(object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']!).spec.replicas).toBe(2);
    const deleted = await kubectl(['delete', '-f', file]);
    expect(deleted.stdout.trim()).toBe('deployment.apps "web" deleted');
    const after = await kubectl(['get', 'deploy', 'web', '-n', 'default']);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toMatch(/NotFound|not found/);
  });
});
