/**
 * The Kubernetes API calls the workflow steps make, as plain HTTPS: server-side apply,
 * merge patch, get, list, create, delete, delete a collection, and the discovery that
 * maps a kind to its resource path. One keep-alive agent per cluster access, so a step
 * that makes a dozen calls makes one TLS handshake.
 *
 * Why not @kubernetes/client-node here: it opens a new connection (and TLS handshake)
 * for every request and weighs ~1.5 MiB in a step Lambda's bundle; the steps use seven
 * verbs. The tests still drive the emulator through client-node and kubectl, so the
 * API surface the steps rely on is checked by clients this code did not write.
 */
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:https';
import type { ClusterAccess } from './kubeconfig.ts';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** A refusal of the API server, with its HTTP status and the Status object's reason. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export interface KubeClient {
  /** Server-side apply as `fieldManager` (forced: the platform owns the fields it applies). */
  apply(object: KubeObject, fieldManager: string): Promise<KubeObject>;
  /** A JSON merge patch (`null` removes a field). */
  mergePatch(ref: ObjectRef, patch: Record<string, unknown>, fieldManager: string): Promise<KubeObject>;
  /** The object, or undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<KubeObject[]>;
  /** Creates the object; false when it already exists (left as it is). */
  create(object: KubeObject): Promise<boolean>;
  /** Deletes the object; false when it did not exist. */
  delete(ref: ObjectRef): Promise<boolean>;
  deleteCollection(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<void>;
  /** A short-lived token of a ServiceAccount (the TokenRequest API, as `kubectl create token`). */
  requestToken(namespace: string, serviceAccount: string, expirationSeconds: number): Promise<{ token: string; expirationTimestamp: string }>;
  /** Whether the kind is namespaced; undefined when the cluster does not serve it. */
  isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined>;
  /** Every kind the cluster serves at its group's preferred version (discovery, subresources left out). */
  serverResources(): Promise<ServedKind[]>;
}

/** A kind as discovery lists it. */
export interface ServedKind {
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

const fromBase64 = (data: string | undefined) => (data ? Buffer.from(data, 'base64') : undefined);
const REQUEST_TIMEOUT_MS = 20_000;

interface Discovered {
  plural: string;
  namespaced: boolean;
}

function createClient(access: ClusterAccess): KubeClient {
  const server = new URL(access.server);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 16,
    ca: fromBase64(access.caData),
    cert: fromBase64(access.clientCertificateData),
    key: fromBase64(access.clientKeyData),
    ...(access.tlsServerName ? { servername: access.tlsServerName } : {}),
    rejectUnauthorized: !access.insecureSkipTlsVerify,
  });
  const headers = (contentType?: string) => ({
    accept: 'application/json',
    ...(contentType ? { 'content-type': contentType } : {}),
    ...(access.token ? { authorization: `Bearer ${access.token}` } : {}),
  });

  /** What the API server answered: JSON (an object, or a Status on failure), else the text. */
  type Answer = { status: number; body: (KubeObject & { message?: string; reason?: string }) | undefined };
  const call = (method: string, path: string, body?: unknown, contentType?: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        {
          protocol: server.protocol,
          hostname: server.hostname,
          port: server.port || 443,
          path: `${server.pathname.replace(/\/$/, '')}${path}`,
          method,
          agent,
          headers: { ...headers(contentType), ...(payload ? { 'content-length': payload.length } : {}) },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Answer['body'];
            try {
              parsed = text ? (JSON.parse(text) as Answer['body']) : undefined;
            } catch {
              parsed = { message: text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from ${access.server} within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });

  /** The API server's refusal as an error: its status, the Status object's reason and message. */
  const refusal = (what: string, response: Answer) =>
    new KubeApiError(response.status, response.body?.reason, `${what}: HTTP ${response.status}: ${response.body?.message ?? ''}`);
  const ok = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const response = await call(method, path, body, contentType);
    if (response.status >= 400) throw refusal(`${method} ${path}`, response);
    return response.body ?? {};
  };

  const discovery = new Map<string, Promise<Map<string, Discovered>>>();
  const resourcesOf = (apiVersion: string) => {
    let found = discovery.get(apiVersion);
    if (!found) {
      found = ok('GET', apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`).then((list) => {
        const byKind = new Map<string, Discovered>();
        for (const r of (list as { resources?: Array<{ name: string; kind: string; namespaced: boolean }> }).resources ?? []) {
          if (!r.name.includes('/')) byKind.set(r.kind, { plural: r.name, namespaced: r.namespaced });
        }
        return byKind;
      });
      // A failed discovery is not remembered: the next call asks again.
      found.catch(() => discovery.delete(apiVersion));
      discovery.set(apiVersion, found);
    }
    return found;
  };
  const resourceOf = async (apiVersion: string, kind: string) => {
    let resource: Discovered | undefined;
    try {
      resource = (await resourcesOf(apiVersion)).get(kind);
    } catch (error) {
      if (!(error instanceof KubeApiError && error.status === 404)) throw error;
    }
    if (!resource) throw new KubeApiError(404, 'NotFound', `the cluster serves no ${kind} in ${apiVersion}`);
    return resource;
  };
  /** A kind's collection; for a namespaced kind without a namespace, across all namespaces (lists only). */
  const collectionPath = async (apiVersion: string, kind: string, namespace: string | undefined) => {
    const { plural, namespaced } = await resourceOf(apiVersion, kind);
    const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
    if (!namespaced || !namespace) return `${base}/${plural}`;
    return `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  };
  const objectPath = async (ref: ObjectRef) => {
    if (!ref.namespace && (await resourceOf(ref.apiVersion, ref.kind)).namespaced) throw new KubeApiError(400, 'BadRequest', `${ref.kind} is namespaced: give a namespace`);
    return `${await collectionPath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  };
  const refOf = (object: KubeObject): ObjectRef => ({
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    name: object.metadata?.name ?? '',
    ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
  });
  const selector = (labelSelector?: string) => (labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '');

  return {
    apply: async (object, fieldManager) =>
      ok('PATCH', `${await objectPath(refOf(object))}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`, object, 'application/apply-patch+yaml'),
    mergePatch: async (ref, patch, fieldManager) =>
      ok('PATCH', `${await objectPath(ref)}?fieldManager=${encodeURIComponent(fieldManager)}`, patch, 'application/merge-patch+json'),
    get: async (ref) => {
      const response = await call('GET', await objectPath(ref));
      if (response.status === 404) return undefined;
      if (response.status >= 400) throw refusal(`GET ${ref.kind} ${ref.name}`, response);
      return response.body;
    },
    list: async (apiVersion, kind, namespace, labelSelector) =>
      ((await ok('GET', `${await collectionPath(apiVersion, kind, namespace)}${selector(labelSelector)}`)) as { items?: KubeObject[] }).items ?? [],
    create: async (object) => {
      const ref = refOf(object);
      const response = await call('POST', await collectionPath(ref.apiVersion, ref.kind, ref.namespace), object, 'application/json');
      if (response.status === 409) return false;
      if (response.status >= 400) throw refusal(`creating ${ref.kind} ${ref.name}`, response);
      return true;
    },
    delete: async (ref) => {
      const response = await call('DELETE', await objectPath(ref));
      if (response.status === 404) return false;
      if (response.status >= 400) throw refusal(`deleting ${ref.kind} ${ref.name}`, response);
      return true;
    },
    deleteCollection: async (apiVersion, kind, namespace, labelSelector) => {
      await ok('DELETE', `${await collectionPath(apiVersion, kind, namespace)}${selector(labelSelector)}`);
    },
    requestToken: async (namespace, serviceAccount, expirationSeconds) => {
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`;
      const answer = (await ok('POST', path, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } }, 'application/json')) as {
        status?: { token?: string; expirationTimestamp?: string };
      };
      if (!answer.status?.token) throw new KubeApiError(500, undefined, `the API server issued no token for ServiceAccount ${namespace}/${serviceAccount}`);
      return { token: answer.status.token, expirationTimestamp: answer.status.expirationTimestamp ?? '' };
    },
    serverResources: async () => {
      const groups = (await ok('GET', '/apis')) as { groups?: Array<{ preferredVersion?: { groupVersion?: string } }> };
      const versions = ['v1', ...(groups.groups ?? []).flatMap((g) => (g.preferredVersion?.groupVersion ? [g.preferredVersion.groupVersion] : []))];
      const lists = await Promise.all(
        versions.map(async (apiVersion) => {
          const list = (await ok('GET', apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`)) as {
            resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
          };
          return (list.resources ?? []).filter((r) => !r.name.includes('/')).map((r) => ({ apiVersion, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs ?? [] }));
        }),
      );
      return lists.flat();
    },
    isNamespaced: async (apiVersion, kind) => {
      try {
        return (await resourceOf(apiVersion, kind)).namespaced;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
  };
}

/** Clients by access: a warm step Lambda reuses its connections to the clusters it works on. */
const clients = new Map<string, KubeClient>();
const MAX_CLIENTS = 64;

export function kubeClient(access: ClusterAccess): KubeClient {
  const key = createHash('sha256')
    .update(JSON.stringify([access.server, access.caData, access.tlsServerName, access.token, access.clientCertificateData, access.insecureSkipTlsVerify]))
    .digest('hex');
  let client = clients.get(key);
  if (!client) {
    if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value!);
    client = createClient(access);
    clients.set(key, client);
  }
  return client;
}
