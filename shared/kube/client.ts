/**
 * The Kubernetes client side of a ClusterAccess, for workflow steps only: the API
 * functions never load @kubernetes/client-node.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterAccess } from './kubeconfig.ts';

export function clientConfig(access: ClusterAccess): KubeConfig {
  const config = new KubeConfig();
  const user = `${access.name}-user`;
  config.loadFromOptions({
    clusters: [{
      name: access.name,
      server: access.server,
      skipTLSVerify: access.insecureSkipTlsVerify ?? false,
      ...(access.caData ? { caData: access.caData } : {}),
      ...(access.tlsServerName ? { tlsServerName: access.tlsServerName } : {}),
    }],
    users: [{
      name: user,
      ...(access.token ? { token: access.token } : {}),
      ...(access.clientCertificateData ? { certData: access.clientCertificateData } : {}),
      ...(access.clientKeyData ? { keyData: access.clientKeyData } : {}),
    }],
    contexts: [{ name: access.name, cluster: access.name, user, ...(access.namespace ? { namespace: access.namespace } : {}) }],
    currentContext: access.name,
  });
  return config;
}
