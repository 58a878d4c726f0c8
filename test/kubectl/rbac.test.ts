/**
 * The real kubectl as a workspace member: a kubeconfig holding the token of a
 * ServiceAccount in `palette-system` (TokenRequest), bound to `edit` in `team-a` only.
 * kubectl's own output for what RBAC allows, what it refuses (`Error from server
 * (Forbidden)`), `auth can-i` and `auth can-i --list`. The cluster reports v1.31, so the
 * dispatcher picks a kubectl that sends the reviews as JSON; kubectl 1.33 sends them, and
 * TokenRequest, as protobuf.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startKubeEmulator } from '#infra/local/kube-emulator/index.ts';
import type { KubeEmulator } from '#infra/local/kube-emulator/index.ts';
import { KUBECTL_1_30, KUBECTL_1_33, kubectlSandbox, table } from './support.ts';
import type { Kubectl } from './support.ts';

const ALICE = 'system:serviceaccount:palette-system:alice';

let emulator: KubeEmulator;
let admin: Kubectl;
let alice: Kubectl;

const setup = `apiVersion: v1
kind: Namespace
metadata: {name: palette-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-b}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: alice, namespace: palette-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: palette-workspace-edit, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: ServiceAccount, name: alice, namespace: palette-system}]
`;

const deployment = (namespace: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${namespace}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: nginx:1.27}]
`;

async function ok(kubectl: Kubectl, args: string[], options?: Parameters<Kubectl>[1]): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  emulator = await startKubeEmulator({ readyDelayMs: 100 });
  const cluster = emulator.createCluster('workspaces', { kubernetesVersion: 'v1.31' });
  admin = await kubectlSandbox(cluster.kubeconfig());
  await ok(admin, ['apply', '-f', '-'], { stdin: setup });
  const token = (await ok(admin, ['-n', 'palette-system', 'create', 'token', 'alice', '--duration=1h'])).trim();
  alice = await kubectlSandbox(cluster.kubeconfig({ namespace: 'team-a' }).replace(cluster.token, token));
});

afterAll(async () => {
  await alice?.cleanup();
  await admin?.cleanup();
  await emulator?.stop();
});

describe('kubectl with a ServiceAccount token bound to edit in one namespace', () => {
  test('apply of a Deployment in that namespace succeeds, and get shows it', async () => {
    expect(await ok(alice, ['apply', '-f', '-'], { stdin: deployment('team-a') })).toContain('deployment.apps/web created');
    expect(table(await ok(alice, ['get', 'deployments'])).rows.map((row) => row[0])).toEqual(['web']);
    expect(await ok(alice, ['auth', 'whoami'])).toMatch(new RegExp(`Username\\s+${ALICE}`));
  });

  test('reads and writes elsewhere print kube-apiserver\'s Forbidden and exit 1', async () => {
    const system = await alice(['get', 'pods', '-n', 'kube-system']);
    expect(system.code).toBe(1);
    expect(system.stderr.trim()).toBe(`Error from server (Forbidden): pods is forbidden: User "${ALICE}" cannot list resource "pods" in API group "" in the namespace "kube-system"`);
    const other = await alice(['apply', '-f', '-'], { stdin: deployment('team-b') });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`deployments.apps "web" is forbidden: User "${ALICE}" cannot get resource "deployments" in API group "apps" in the namespace "team-b"`);
    const namespaces = await alice(['get', 'namespaces']);
    expect(namespaces.stderr.trim()).toBe(`Error from server (Forbidden): namespaces is forbidden: User "${ALICE}" cannot list resource "namespaces" in API group "" at the cluster scope`);
  });

  test('auth can-i says yes where the binding is and no elsewhere, with exit code 1', async () => {
    const yes = await alice(['auth', 'can-i', 'create', 'deployments', '-n', 'team-a']);
    expect([yes.stdout.trim(), yes.code]).toEqual(['yes', 0]);
    const no = await alice(['auth', 'can-i', 'create', 'deployments', '-n', 'team-b']);
    expect([no.stdout.trim(), no.code]).toEqual(['no', 1]);
    const older = await alice(['auth', 'can-i', 'delete', 'pods', '-n', 'team-a'], { binary: KUBECTL_1_30 });
    expect(older.stdout.trim()).toBe('yes');
    expect((await alice(['auth', 'can-i', 'create', 'rolebindings', '-n', 'team-a'])).stdout.trim()).toBe('no');
    // The admin may ask on anyone's behalf.
    const asAlice = await admin(['auth', 'can-i', 'list', 'secrets', '-n', 'team-b', `--as=${ALICE}`]);
    expect([asAlice.stdout.trim(), asAlice.code]).toEqual(['no', 1]);
  });

  test('auth can-i --list lists the rules that apply in the namespace', async () => {
    const inA = table(await ok(alice, ['auth', 'can-i', '--list', '-n', 'team-a']));
    expect(inA.header).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    const deployments = inA.rows.find((row) => row[0] === 'deployments.apps');
    expect(deployments?.[3]).toMatch(/^\[create delete deletecollection patch update get list watch\]$/);
    expect(inA.rows.some((row) => row[0] === 'selfsubjectaccessreviews.authorization.k8s.io')).toBe(true);
    // Non-resource rows have no resource, so their first column is the URL.
    expect(inA.rows).toContainEqual(['[/api/*]', '[]', '[get]']);
    const inB = table(await ok(alice, ['auth', 'can-i', '--list', '-n', 'team-b']));
    expect(inB.rows.some((row) => row[0] === 'deployments.apps')).toBe(false);
  });

  test('kubectl 1.33 sends can-i, can-i --list, whoami and create token as protobuf, and gets the same answers', async () => {
    const newer = { binary: KUBECTL_1_33 };
    const yes = await alice(['auth', 'can-i', 'create', 'deployments', '-n', 'team-a'], newer);
    expect([yes.stdout.trim(), yes.code]).toEqual(['yes', 0]);
    const no = await alice(['auth', 'can-i', 'create', 'deployments', '-n', 'team-b'], newer);
    expect([no.stdout.trim(), no.code]).toEqual(['no', 1]);
    expect(table(await ok(alice, ['auth', 'can-i', '--list', '-n', 'team-a'], newer)).rows.some((row) => row[0] === 'deployments.apps')).toBe(true);
    expect(await ok(alice, ['auth', 'whoami'], newer)).toMatch(new RegExp(`Username\\s+${ALICE}`));
    const token = (await ok(admin, ['-n', 'palette-system', 'create', 'token', 'alice', '--duration=20m', '--audience=palette'], newer)).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud: string[]; exp: number; iat: number; sub: string };
    expect(claims).toMatchObject({ aud: ['palette'], sub: ALICE });
    expect(claims.exp - claims.iat).toBe(1200);
    // Alice's token does not extend to minting tokens in palette-system.
    const mint = await alice(['-n', 'palette-system', 'create', 'token', 'alice'], newer);
    expect(mint.stderr.trim()).toBe(`error: failed to create token: serviceaccounts "alice" is forbidden: User "${ALICE}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "palette-system"`);
  });
});
