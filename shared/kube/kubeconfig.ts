/**
 * Kubeconfigs as plain data. The API hands them out as YAML and reads imported ones,
 * and neither needs a Kubernetes client (which stays in the workflow steps, see
 * kube-client.ts): a kubeconfig is YAML.
 */
import { dump, load } from './yaml.ts';
import * as z from 'zod';

/** Everything needed to reach one cluster's API server as one user. */
export interface ClusterAccess {
  /** The context, cluster and user name in the rendered kubeconfig. */
  name: string;
  server: string;
  /** PEM of the CA, base64 (`certificate-authority-data`). */
  caData?: string;
  /** For servers reached by IP behind a name (an Ingress host routed by SNI). */
  tlsServerName?: string;
  insecureSkipTlsVerify?: boolean;
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  namespace?: string;
}

const clusterEntry = z.object({
  server: z.string().min(1),
  'certificate-authority-data': z.string().optional(),
  'tls-server-name': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
});
const userEntry = z
  .object({ token: z.string().optional(), 'client-certificate-data': z.string().optional(), 'client-key-data': z.string().optional() })
  .loose();
const contextEntry = z.object({ cluster: z.string(), user: z.string(), namespace: z.string().optional() });

const kubeconfigDocument = z.object({
  clusters: z.array(z.object({ name: z.string(), cluster: clusterEntry })),
  users: z.array(z.object({ name: z.string(), user: userEntry })),
  contexts: z.array(z.object({ name: z.string(), context: contextEntry })),
  'current-context': z.string().min(1),
});

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

/** The current context of a kubeconfig, as kubectl would use it; anything unusable is a KubeconfigError. */
export function parseKubeconfig(yaml: string): ClusterAccess {
  let document: unknown;
  try {
    document = load(yaml);
  } catch (error) {
    throw new KubeconfigError(`the kubeconfig is not valid YAML: ${(error as Error).message}`);
  }
  const parsed = kubeconfigDocument.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KubeconfigError(`the kubeconfig cannot be read: ${issue.path.join('.') || 'document'}: ${issue.message}`);
  }
  const config = parsed.data;
  const context = config.contexts.find((c) => c.name === config['current-context'])?.context;
  if (!context) throw new KubeconfigError(`the kubeconfig's current context ${config['current-context']} does not exist`);
  const cluster = config.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(`the kubeconfig names no cluster ${context.cluster}`);
  const user: Record<string, unknown> = config.users.find((u) => u.name === context.user)?.user ?? {};
  return {
    name: config['current-context'],
    server: cluster.server,
    ...(cluster['certificate-authority-data'] ? { caData: cluster['certificate-authority-data'] } : {}),
    ...(cluster['tls-server-name'] ? { tlsServerName: cluster['tls-server-name'] } : {}),
    ...(cluster['insecure-skip-tls-verify'] ? { insecureSkipTlsVerify: true } : {}),
    ...(typeof user.token === 'string' ? { token: user.token } : {}),
    ...(typeof user['client-certificate-data'] === 'string' ? { clientCertificateData: user['client-certificate-data'] } : {}),
    ...(typeof user['client-key-data'] === 'string' ? { clientKeyData: user['client-key-data'] } : {}),
    ...(context.namespace ? { namespace: context.namespace } : {}),
  };
}

/** A kubeconfig file with one cluster, one user and one context, as kubectl reads it. */
export function kubeconfigYaml(access: ClusterAccess): string {
  const user = `${access.name}-user`;
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{
      name: access.name,
      cluster: {
        server: access.server,
        ...(access.caData ? { 'certificate-authority-data': access.caData } : {}),
        ...(access.tlsServerName ? { 'tls-server-name': access.tlsServerName } : {}),
        ...(access.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
      },
    }],
    users: [{
      name: user,
      user: {
        ...(access.token ? { token: access.token } : {}),
        ...(access.clientCertificateData ? { 'client-certificate-data': access.clientCertificateData } : {}),
        ...(access.clientKeyData ? { 'client-key-data': access.clientKeyData } : {}),
      },
    }],
    contexts: [{ name: access.name, context: { cluster: access.name, user, ...(access.namespace ? { namespace: access.namespace } : {}) } }],
    'current-context': access.name,
    preferences: {},
  }, { noRefs: true, lineWidth: -1 });
}
