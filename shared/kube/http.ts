import { request } from 'node:https';
import type { ClusterAccess } from './kubeconfig.ts';

const fromBase64 = (data: string | undefined) => (data ? Buffer.from(data, 'base64') : undefined);

/**
 * One GET against a cluster's API server with the access a kubeconfig grants (its CA,
 * server name, token or client certificate), for the few reads that need no client.
 */
export function kubeGet(access: ClusterAccess, path: string, timeoutMs = 10_000): Promise<{ status: number; body: unknown }> {
  const url = new URL(`${access.server.replace(/\/$/, '')}${path}`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: fromBase64(access.caData),
        cert: fromBase64(access.clientCertificateData),
        key: fromBase64(access.clientKeyData),
        servername: access.tlsServerName,
        rejectUnauthorized: !access.insecureSkipTlsVerify,
        headers: { accept: 'application/json', ...(access.token ? { authorization: `Bearer ${access.token}` } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${access.server} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
