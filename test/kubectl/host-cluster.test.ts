/**
 * kubectl conformance of the Kubernetes API emulator: the real kubectl (the Cloud SDK
 * dispatcher users type, plus its 1.30 and 1.33 clients) against a `sim` host cluster
 * whose kubeconfig the platform API hands out, asserting on kubectl's own output.
 * Commands that touch different objects run concurrently, each in its own namespace.
 */
import { SIM_HOST_LAYERS } from '#infra/local/seed-beehive.ts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestRuntime, until, type TestRuntime } from '../support/local-api.ts';
import { KUBECTL_1_30, KUBECTL_1_33, kubectlSandbox, table } from './support.ts';
import type { Kubectl } from './support.ts';

let rt: TestRuntime;
let kubectl: Kubectl;
const base = '/v1/projects/default';

const deployment = (name: string, namespace: string, image = 'nginx:1.27', replicas = 2): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: app
        image: ${image}
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports: [{port: 80, targetPort: 80}]
`;

/** Runs kubectl and fails with its output when it does not exit 0. */
async function ok(args: string[], options?: Parameters<Kubectl>[1]): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

async function namespace(name: string): Promise<string> {
  await ok(['create', 'namespace', name]);
  return name;
}

beforeAll(async () => {
  rt = await startTestRuntime({ simSpeed: 50 });
  const api = rt.admin;
  const account = await api.post(`${base}/cloudaccounts`, { name: 'sim-kubectl', provider: 'sim', sim: { provisionSeconds: 1 } });
  expect(account.status).toBe(201);
  const profile = await api.post(`${base}/clusterprofiles`, {
    name: 'kubectl-base',
    version: '1.0.0',
    cloud: 'sim',
    type: 'full',
    layers: SIM_HOST_LAYERS,
  });
  expect(profile.status).toBe(201);
  const created = await api.post(`${base}/clusters`, {
    name: 'kubectl-host',
    cloudAccountId: account.body.id,
    region: 'sim-local-1',
    profileId: profile.body.id,
    nodePools: [{ name: 'workers', instanceType: 'sim.large', count: 2, min: 1, max: 5 }],
    hostCluster: { enabled: true },
  });
  expect(created.status).toBe(202);
  await until('the cluster to run', () => api.get(`/v1/operations/${created.body.operationId}`), (r) => r.body.status !== 'Running');
  const kubeconfig = await api.get(`${base}/clusters/${created.body.id}/kubeconfig`);
  expect(kubeconfig.status).toBe(200);
  kubectl = await kubectlSandbox(kubeconfig.text);
  // Fill the discovery cache once, so that the concurrent tests below do not each walk it.
  await ok(['api-resources']);
});

afterAll(async () => {
  await kubectl?.cleanup();
  await rt?.stop();
});

describe('the API server itself', () => {
  test.concurrent('version: full semver from the server, with the clients the dispatcher and older/newer kubectl are', async () => {
    const [dispatched, older, newer, raw] = await Promise.all([
      ok(['version']),
      ok(['version'], { binary: KUBECTL_1_30 }),
      ok(['version'], { binary: KUBECTL_1_33 }),
      ok(['get', '--raw', '/version']),
    ]);
    expect(dispatched).toMatch(/Client Version: v1\.31\.\d+/);
    expect(dispatched).toContain('Server Version: v1.31.0');
    expect(older).toMatch(/Client Version: v1\.30\.\d+[\s\S]*Server Version: v1\.31\.0/);
    expect(newer).toMatch(/Client Version: v1\.33\.\d+[\s\S]*Server Version: v1\.31\.0/);
    expect(JSON.parse(raw)).toMatchObject({ major: '1', minor: '31', gitVersion: 'v1.31.0', platform: 'linux/amd64', compiler: 'gc' });
  });

  test.concurrent('cluster-info, api-resources and api-versions list the served kinds', async () => {
    const [info, resources, versions] = await Promise.all([ok(['cluster-info']), ok(['api-resources']), ok(['api-versions'])]);
    expect(info).toMatch(/Kubernetes control plane.*is running at.*https:\/\/127\.0\.0\.1:\d+/);
    const kinds = table(resources).rows.map((row) => row[row.length - 1]);
    expect(kinds).toEqual(expect.arrayContaining(['Deployment', 'ReplicaSet', 'Event', 'CustomResourceDefinition', 'SelfSubjectAccessReview', 'StatefulSet', 'Pod']));
    expect(versions.split('\n')).toEqual(expect.arrayContaining(['apps/v1', 'events.k8s.io/v1', 'apiextensions.k8s.io/v1', 'authorization.k8s.io/v1', 'v1']));
  });

  test.concurrent('get ns and get nodes -o wide print the server-side columns', async () => {
    const [namespaces, nodes] = await Promise.all([ok(['get', 'ns']), ok(['get', 'nodes', '-o', 'wide'])]);
    expect(table(namespaces).header).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(table(namespaces).rows.map((r) => r[0])).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
    const wide = table(nodes);
    expect(wide.header).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
    expect(wide.rows).toHaveLength(2);
    expect(wide.rows[0]).toEqual(expect.arrayContaining(['Ready', 'v1.31.0']));
  });

  test.concurrent('auth can-i, can-i --list and whoami answer from the review APIs', async () => {
    const [canI, list, whoami] = await Promise.all([ok(['auth', 'can-i', 'create', 'deployments']), ok(['auth', 'can-i', '--list']), ok(['auth', 'whoami'])]);
    expect(canI.trim()).toBe('yes');
    expect(table(list).header).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    expect(list).toContain('*.*');
    expect(whoami).toMatch(/Username\s+kubernetes-admin/);
  });

  test.concurrent('create token issues a ServiceAccount token that the API server accepts', async () => {
    const ns = await namespace('tokens');
    const token = (await ok(['-n', ns, 'create', 'token', 'default'])).trim();
    expect(token.split('.')).toHaveLength(3);
    const who = await ok(['--token', token, 'auth', 'whoami']);
    expect(who).toContain(`system:serviceaccount:${ns}:default`);
    // Nothing binds the default ServiceAccount: the cluster refuses it as a real one does; bound to view, it may list.
    const refused = await kubectl(['--token', token, '-n', ns, 'get', 'pods']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`pods is forbidden: User "system:serviceaccount:${ns}:default" cannot list resource "pods" in API group "" in the namespace "${ns}"`);
    await ok(['-n', ns, 'create', 'rolebinding', 'default-view', '--clusterrole=view', `--serviceaccount=${ns}:default`]);
    const pods = await kubectl(['--token', token, '-n', ns, 'get', 'pods']);
    expect(pods.code, pods.stderr).toBe(0);
    expect(pods.stderr).toContain('No resources found');
    const bogus = await kubectl(['--token', `${token.slice(0, -4)}AAAA`, 'get', 'pods']);
    expect(bogus.code).not.toBe(0);
    expect(bogus.stderr).toMatch(/Unauthorized|must be logged in/);
  });

  test.concurrent('explain reads the served OpenAPI v3 and v2', async () => {
    const [replicas, containers, v2] = await Promise.all([
      ok(['explain', 'deployment.spec.replicas']),
      ok(['explain', 'pods.spec.containers'], { binary: KUBECTL_1_30 }),
      ok(['explain', 'service.spec.type', '--output=plaintext-openapiv2']),
    ]);
    expect(replicas).toMatch(/KIND:\s+Deployment/);
    expect(replicas).toMatch(/FIELD: replicas <integer>/);
    expect(replicas).toContain('Number of desired pods.');
    expect(containers).toMatch(/FIELD: containers <\[\]Container>/);
    expect(containers).toContain('imagePullPolicy');
    expect(v2).toMatch(/FIELD:\s+type <string>/);
  });
});

describe('workloads', () => {
  test.concurrent('apply -f with client-side validation, rollout status and the default and wide columns', async () => {
    const ns = await namespace('apply');
    const manifest = await kubectl.file('apply.yaml', deployment('web', ns));
    expect(await ok(['apply', '-f', manifest])).toBe(`deployment.apps/web created\nservice/web created\n`);
    expect(await ok(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=20s'])).toContain('deployment "web" successfully rolled out');
    const [deployments, wideDeployments, pods, widePods, services, replicaSets] = await Promise.all([
      ok(['-n', ns, 'get', 'deploy']),
      ok(['-n', ns, 'get', 'deploy', '-o', 'wide']),
      ok(['-n', ns, 'get', 'pods']),
      ok(['-n', ns, 'get', 'pods', '-o', 'wide']),
      ok(['-n', ns, 'get', 'svc', '-o', 'wide']),
      ok(['-n', ns, 'get', 'rs']),
    ]);
    expect(table(deployments)).toEqual({ header: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], rows: [['web', '2/2', '2', '2', expect.any(String)]] });
    expect(table(wideDeployments).header).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(table(wideDeployments).rows[0]?.slice(5)).toEqual(['app', 'nginx:1.27', 'app=web']);
    expect(table(pods).header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    expect(table(pods).rows.map((r) => r.slice(1, 4))).toEqual([['1/1', 'Running', '0'], ['1/1', 'Running', '0']]);
    expect(table(widePods).header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    expect(table(widePods).rows[0]?.[5]).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(table(services)).toEqual({ header: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'], rows: [['web', 'ClusterIP', expect.stringMatching(/^10\.96\./), '<none>', '80/TCP', expect.any(String), 'app=web']] });
    const rs = table(replicaSets);
    expect(rs.header).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    expect(rs.rows[0]?.[0]).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.rows[0]?.slice(1, 4)).toEqual(['2', '2', '2']);
    // Pods are owned by the ReplicaSet, which is owned by the Deployment.
    const owners = await ok(['-n', ns, 'get', 'pods', '-o', 'jsonpath={.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.labels.pod-template-hash}']);
    expect(owners).toBe(`ReplicaSet/${rs.rows[0]?.[0]?.slice('web-'.length) ?? ''}`);
  });

  test.concurrent('validation: unknown fields are rejected (Strict) or warned about, wrong types are Invalid', async () => {
    const ns = await namespace('validation');
    const unknown = await kubectl.file('unknown.yaml', deployment('typo', ns).replace('image: nginx:1.27', 'image: nginx:1.27\n        imagePulPolicy: Always'));
    const strict = await kubectl(['apply', '-f', unknown]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('strict decoding error: unknown field "spec.template.spec.containers[0].imagePulPolicy"');
    const warned = await kubectl(['apply', '-f', unknown, '--validate=warn']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('Warning: unknown field "spec.template.spec.containers[0].imagePulPolicy"');
    const typed = await kubectl.file('typed.yaml', deployment('typed', ns).replace('replicas: 2', 'replicas: two'));
    const invalid = await kubectl(['apply', '-f', typed]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('The Deployment "typed" is invalid: spec.replicas: Invalid value: "two": spec.replicas in body must be of type integer: "two"');
    const enumValue = await kubectl(['-n', ns, 'create', 'deployment', 'policy', '--image=nginx', '--dry-run=client', '-o', 'yaml']);
    const badPolicy = await kubectl(['apply', '-f', '-'], { stdin: enumValue.stdout.replace('- image: nginx', '- image: nginx\n        imagePullPolicy: Sometimes') });
    expect(badPolicy.stderr).toContain('Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"');
  });

  test.concurrent('switching from client-side to server-side apply migrates ownership without conflicts', async () => {
    const ns = await namespace('ssa');
    const manifest = await kubectl.file('ssa.yaml', deployment('web', ns));
    await ok(['apply', '-f', manifest]);
    expect(await ok(['apply', '-f', manifest, '--server-side'])).toBe('deployment.apps/web serverside-applied\nservice/web serverside-applied\n');
    const managers = await ok(['-n', ns, 'get', 'deploy', 'web', '--show-managed-fields', '-o', 'jsonpath={range .metadata.managedFields[*]}{.manager}:{.operation} {end}']);
    expect(managers).toContain('kubectl:Apply');
    expect(managers).not.toContain('kubectl-client-side-apply');
    const changed = await kubectl.file('ssa2.yaml', deployment('web', ns, 'nginx:1.28', 3));
    expect(await ok(['apply', '-f', changed, '--server-side'])).toContain('deployment.apps/web serverside-applied');
    expect(await ok(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}'])).toBe('3 nginx:1.28');
    // Another manager setting a field to a different value conflicts; the same value does not.
    const conflict = await kubectl(['apply', '-f', manifest, '--server-side', '--field-manager=other']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('conflict with "kubectl"');
    expect(await ok(['apply', '-f', changed, '--server-side', '--field-manager=other'])).toContain('serverside-applied');
  });

  test.concurrent('rollout history and undo go through ReplicaSet revisions', async () => {
    const ns = await namespace('rollout');
    await ok(['apply', '-f', await kubectl.file('rollout.yaml', deployment('web', ns))]);
    await ok(['-n', ns, 'rollout', 'status', 'deploy/web', '--timeout=20s']);
    await ok(['-n', ns, 'set', 'image', 'deploy/web', 'app=nginx:1.28']);
    await ok(['-n', ns, 'annotate', 'deploy/web', 'kubernetes.io/change-cause=upgrade to 1.28']);
    expect(await ok(['-n', ns, 'rollout', 'status', 'deploy/web', '--timeout=20s'])).toContain('successfully rolled out');
    const history = await ok(['-n', ns, 'rollout', 'history', 'deploy/web']);
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+upgrade to 1.28/);
    expect(await ok(['-n', ns, 'rollout', 'history', 'deploy/web', '--revision=1'])).toContain('Image:\tnginx:1.27');
    expect(await ok(['-n', ns, 'rollout', 'undo', 'deploy/web'])).toContain('deployment.apps/web rolled back');
    await ok(['-n', ns, 'rollout', 'status', 'deploy/web', '--timeout=20s']);
    expect(await ok(['-n', ns, 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).toBe('nginx:1.27 3');
    expect(await ok(['-n', ns, 'rollout', 'history', 'deploy/web'])).toMatch(/\n2\s+upgrade to 1.28\n3\s+<none>/);
    const replicaSets = table(await ok(['-n', ns, 'get', 'rs']));
    expect(replicaSets.rows.map((r) => r.slice(1, 4)).sort()).toEqual([['0', '0', '0'], ['2', '2', '2']]);
  });

  test.concurrent('events for the workload lifecycle, in get events, events.k8s.io, kubectl events and describe', async () => {
    const ns = await namespace('events');
    await ok(['apply', '-f', await kubectl.file('events.yaml', deployment('web', ns, 'nginx:1.27', 1))]);
    await ok(['-n', ns, 'rollout', 'status', 'deploy/web', '--timeout=20s']);
    const events = table(await ok(['-n', ns, 'get', 'events']));
    expect(events.header).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    const reasons = events.rows.map((r) => r[2]);
    expect(reasons).toEqual(expect.arrayContaining(['ScalingReplicaSet', 'SuccessfulCreate', 'Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']));
    const v1 = await ok(['-n', ns, 'get', 'events.v1.events.k8s.io', '-o', 'jsonpath={range .items[*]}{.reason}/{.regarding.kind}/{.reportingController} {end}']);
    expect(v1).toContain('ScalingReplicaSet/Deployment/deployment-controller');
    expect(v1).toContain('Scheduled/Pod/default-scheduler');
    const [describeDeployment, describePod, forDeployment] = await Promise.all([
      ok(['-n', ns, 'describe', 'deploy', 'web']),
      ok(['-n', ns, 'describe', 'pod', '-l', 'app=web']),
      ok(['-n', ns, 'events', '--for', 'deploy/web']),
    ]);
    expect(describeDeployment).toMatch(/NewReplicaSet:\s+web-\w+ \(1\/1 replicas created\)/);
    expect(describeDeployment).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-\w+ from 0 to 1/);
    expect(describePod).toMatch(/Status:\s+Running/);
    expect(describePod).toMatch(/Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned events\/web-\w+-\w+ to /);
    expect(describePod).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container app/);
    expect(forDeployment).toContain('ScalingReplicaSet');
  });

  test.concurrent('logs come from the emulator; exec, attach and port-forward say it runs no containers', async () => {
    const ns = await namespace('streams');
    await ok(['apply', '-f', await kubectl.file('streams.yaml', deployment('web', ns, 'nginx:1.27', 1))]);
    await ok(['-n', ns, 'rollout', 'status', 'deploy/web', '--timeout=20s']);
    const logs = await ok(['-n', ns, 'logs', 'deploy/web']);
    expect(logs).toContain('no container runs in the Kubernetes API emulator');
    expect(logs).toContain('container "app" (image nginx:1.27)');
    const [exec, attach, forward, newerExec] = await Promise.all([
      kubectl(['-n', ns, 'exec', 'deploy/web', '--', 'ls']),
      kubectl(['-n', ns, 'attach', 'deploy/web']),
      kubectl(['-n', ns, 'port-forward', 'deploy/web', '0:80']),
      kubectl(['-n', ns, 'exec', 'deploy/web', '--', 'ls'], { binary: KUBECTL_1_33 }),
    ]);
    expect(exec.code).toBe(1);
    expect(exec.stderr).toMatch(/the Kubernetes API emulator runs no containers, so it cannot exec into pod streams\/web-/);
    expect(attach.stderr).toContain('the Kubernetes API emulator runs no containers, so it cannot attach to pod');
    expect(forward.code).toBe(1);
    expect(forward.stderr).toContain('the Kubernetes API emulator runs no containers, so it cannot forward ports to pod');
    expect(newerExec.stderr).toContain('the Kubernetes API emulator runs no containers');
  });

  test.concurrent('statefulsets, secrets, configmaps and claims print their columns', async () => {
    const ns = await namespace('stateful');
    await ok(['apply', '-f', '-'], {
      stdin: `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, image: postgres:17}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`,
    });
    await ok(['-n', ns, 'create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '--from-literal=password=x']);
    await ok(['-n', ns, 'create', 'configmap', 'settings', '--from-literal=mode=a']);
    await ok(['-n', ns, 'rollout', 'status', 'sts/db', '--timeout=20s']);
    await ok(['-n', ns, 'wait', '--for=jsonpath={.status.phase}=Bound', 'pvc/data-db-0', '--timeout=20s']);
    const [sts, secrets, configmaps, claims] = await Promise.all([
      ok(['-n', ns, 'get', 'sts', '-o', 'wide']),
      ok(['-n', ns, 'get', 'secrets']),
      ok(['-n', ns, 'get', 'cm', 'settings']),
      ok(['-n', ns, 'get', 'pvc']),
    ]);
    expect(table(sts)).toEqual({ header: ['NAME', 'READY', 'AGE', 'CONTAINERS', 'IMAGES'], rows: [['db', '1/1', expect.any(String), 'pg', 'postgres:17']] });
    expect(table(secrets)).toEqual({ header: ['NAME', 'TYPE', 'DATA', 'AGE'], rows: [['creds', 'Opaque', '2', expect.any(String)]] });
    expect(table(configmaps)).toEqual({ header: ['NAME', 'DATA', 'AGE'], rows: [['settings', '1', expect.any(String)]] });
    expect(table(claims).header).toEqual(['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(claims).toMatch(/data-db-0\s+Bound\s+pvc-[0-9a-f-]+\s+1Gi\s+RWO/);
    expect(await ok(['-n', ns, 'rollout', 'history', 'sts/db'])).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>/);
  });
});

describe('commands that keep working', () => {
  test.concurrent('create, scale, label, patch of all three kinds, wait and delete', async () => {
    const ns = await namespace('everyday');
    expect(await ok(['-n', ns, 'create', 'deployment', 'api', '--image=nginx:1.27', '--replicas=1'])).toBe('deployment.apps/api created\n');
    expect(await ok(['-n', ns, 'scale', 'deploy/api', '--replicas=3'])).toBe('deployment.apps/api scaled\n');
    expect(await ok(['-n', ns, 'wait', '--for=jsonpath={.status.readyReplicas}=3', 'deploy/api', '--timeout=20s'])).toContain('condition met');
    expect(await ok(['-n', ns, 'label', 'deploy/api', 'tier=backend'])).toBe('deployment.apps/api labeled\n');
    await ok(['-n', ns, 'patch', 'deploy/api', '--type=merge', '-p', '{"spec":{"replicas":2}}']);
    await ok(['-n', ns, 'patch', 'deploy/api', '--type=json', '-p', '[{"op":"add","path":"/metadata/annotations/owner","value":"team-a"}]']);
    await ok(['-n', ns, 'patch', 'deploy/api', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}']);
    const state = await ok(['-n', ns, 'get', 'deploy', 'api', '-o', 'jsonpath={.spec.replicas} {.metadata.labels.tier} {.metadata.annotations.owner} {.spec.template.spec.containers[*].image}']);
    expect(state).toBe('2 backend team-a nginx:1.28');
    expect(await ok(['-n', ns, 'get', 'deploy', '-l', 'tier=backend', '-o', 'name'])).toBe('deployment.apps/api\n');
    expect(await ok(['-n', ns, 'delete', 'deploy', 'api'])).toBe('deployment.apps "api" deleted\n');
    await ok(['-n', ns, 'wait', '--for=delete', 'pods', '-l', 'app=api', '--timeout=20s']);
  });

  test.concurrent('diff, dry-run=server and replace with a conflict', async () => {
    const ns = await namespace('diffs');
    const manifest = await kubectl.file('diff.yaml', deployment('web', ns));
    await ok(['apply', '-f', manifest]);
    expect((await kubectl(['diff', '-f', manifest])).code).toBe(0);
    const changed = await kubectl(['diff', '-f', await kubectl.file('diff2.yaml', deployment('web', ns, 'nginx:1.29'))]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/-\s+- image: nginx:1.27[\s\S]*\+\s+- image: nginx:1.29|-\s+image: nginx:1.27[\s\S]*\+\s+image: nginx:1.29/);
    expect(await ok(['-n', ns, 'create', 'configmap', 'ghost', '--from-literal=a=b', '--dry-run=server'])).toBe('configmap/ghost created (server dry run)\n');
    expect((await kubectl(['-n', ns, 'get', 'cm', 'ghost'])).code).toBe(1);
    const stale = await ok(['-n', ns, 'get', 'deploy', 'web', '-o', 'yaml']);
    await ok(['-n', ns, 'scale', 'deploy/web', '--replicas=1']);
    const replace = await kubectl(['replace', '-f', '-'], { stdin: stale });
    expect(replace.code).toBe(1);
    expect(replace.stderr).toContain('the object has been modified; please apply your changes to the latest version and try again');
  });

  test.concurrent('get -w streams changes as table rows', async () => {
    const ns = await namespace('watching');
    const watching = kubectl(['-n', ns, 'get', 'configmaps', '-w', '--request-timeout=4s'], { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await ok(['-n', ns, 'create', 'configmap', 'watched', '--from-literal=a=b']);
    const result = await watching;
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(lines.some((line) => /^watched\s+1\s+\S+$/.test(line))).toBe(true);
  });

  test.concurrent('older and newer kubectl apply, get and delete the same way', async () => {
    const ns = await namespace('clients');
    for (const binary of [KUBECTL_1_30, KUBECTL_1_33]) {
      const name = binary === KUBECTL_1_30 ? 'old' : 'new';
      expect(await ok(['apply', '-f', '-'], { binary, stdin: deployment(name, ns, 'nginx:1.27', 1) })).toContain(`deployment.apps/${name} created`);
      expect(table(await ok(['-n', ns, 'get', 'deploy', name], { binary })).header).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      expect(await ok(['-n', ns, 'delete', 'deploy', name], { binary })).toBe(`deployment.apps "${name}" deleted\n`);
    }
  });
});

describe('custom resources', () => {
  test.concurrent('a CustomResourceDefinition serves its kind with discovery, columns, validation, defaults and explain', async () => {
    const ns = await namespace('crds');
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wg]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: .spec.color, priority: 1}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: What the widget should be.
            required: [size]
            properties:
              size: {type: integer, minimum: 1, description: How big.}
              color: {type: string, enum: [red, blue], default: red}
`;
    expect(await ok(['apply', '-f', '-'], { stdin: crd })).toBe('customresourcedefinition.apiextensions.k8s.io/widgets.example.com created\n');
    await ok(['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=20s']);
    expect(await ok(['-n', ns, 'apply', '-f', '-'], { stdin: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n' })).toBe('widget.example.com/w1 created\n');
    const [columns, wide, resources, explained] = await Promise.all([
      ok(['-n', ns, 'get', 'widgets']),
      ok(['-n', ns, 'get', 'wg', '-o', 'wide']),
      ok(['api-resources', '--api-group=example.com']),
      ok(['explain', 'widgets.spec']),
    ]);
    expect(table(columns)).toEqual({ header: ['NAME', 'SIZE', 'AGE'], rows: [['w1', '3', expect.any(String)]] });
    expect(table(wide)).toEqual({ header: ['NAME', 'SIZE', 'COLOR', 'AGE'], rows: [['w1', '3', 'red', expect.any(String)]] });
    expect(resources).toMatch(/widgets\s+wg\s+example\.com\/v1\s+true\s+Widget/);
    expect(explained).toContain('What the widget should be.');
    expect(explained).toMatch(/size\s+<integer> -required-/);
    const invalid = await kubectl(['-n', ns, 'apply', '-f', '-'], { stdin: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 0}\n' });
    expect(invalid.stderr).toContain('The Widget "w2" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1');
    expect(await ok(['delete', 'crd', 'widgets.example.com'])).toBe('customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted\n');
    const gone = await kubectl(['-n', ns, 'get', 'widgets.example.com']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`the server doesn't have a resource type "widgets"`);
  });
});
