/**
 * HTTP routing for the Kubernetes API emulator: maps kube-apiserver REST paths under
 * `/clusters/<name>` onto the matching emulated cluster, handling authentication,
 * discovery, CRUD, patch, server-side apply, subresources and watch.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadYaml } from '@kubernetes/client-node';
import type { ClusterState, StoreEvent } from './cluster.ts';
import { ApiError, errors } from './errors.ts';
import { clone, isObject } from './json.ts';
import { applyJsonPatch, jsonMergePatch, JsonPatchError } from './patch.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, findResourceByPlural, RESOURCE_TYPES } from './resources.ts';
import type { ResourceType } from './resources.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const PATCH_TYPES = new Set([
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
]);

export interface RouterContext {
  getCluster(name: string): ClusterState | undefined;
  /** host:port advertised in APIVersions. */
  serverAddress(): string;
  /** Open watch responses and their cluster, so that stop()/deleteCluster() can end them. */
  watches: Map<ServerResponse, ClusterState>;
}

interface ResourcePath {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-cache, private',
  });
  res.end(payload);
}

function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof ApiError) {
    sendJson(res, error.code, error.status);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  sendJson(res, 500, errors.internal(message).status);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function parseBody(text: string, contentType: string): unknown {
  if (text.trim() === '') throw errors.badRequest('the request body is empty');
  const yamlLike = contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml';
  try {
    return JSON.parse(text);
  } catch (jsonError) {
    if (!yamlLike) {
      throw errors.badRequest(`error decoding from json: ${jsonError instanceof Error ? jsonError.message : String(jsonError)}`);
    }
  }
  try {
    return loadYaml<unknown>(text);
  } catch (yamlError) {
    throw errors.badRequest(`error decoding from yaml: ${yamlError instanceof Error ? yamlError.message : String(yamlError)}`);
  }
}

function tokenMatches(expected: string, header: string | undefined): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = Buffer.from(match?.[1]?.trim() ?? '');
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function resolveResourcePath(segments: string[], group: string, version: string): ResourcePath {
  const isNamespacedType = (plural: string | undefined): boolean =>
    plural !== undefined && RESOURCE_TYPES.some((r) => r.group === group && r.version === version && r.plural === plural && r.namespaced);
  let namespace: string | undefined;
  let rest = segments;
  if (segments[0] === 'namespaces' && segments.length >= 3 && isNamespacedType(segments[2])) {
    namespace = segments[1];
    rest = segments.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) throw errors.pathNotFound();
  const [plural = '', name, subresource] = rest;
  const type = findResourceByPlural(group, version, plural);
  if (!type) throw errors.pathNotFound();
  if (subresource !== undefined && !type.subresources.includes(subresource)) throw errors.pathNotFound();
  if (type.namespaced && namespace === undefined && name !== undefined) throw errors.pathNotFound();
  return {
    type,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

function booleanParam(params: URLSearchParams, name: string): boolean | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  return value === 'true' || value === '1' || value === '';
}

function dryRunParam(params: URLSearchParams): boolean {
  const values = params.getAll('dryRun');
  for (const value of values) if (value !== 'All') throw errors.badRequest(`unsupported dryRun value "${value}"`);
  return values.length > 0;
}

function scaleOf(object: KubeObject): JsonObject {
  const spec = isObject(object.spec) ? object.spec : {};
  const status = isObject(object.status) ? object.status : {};
  const matchLabels = isObject(spec.selector) && isObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      selector: Object.entries(matchLabels)
        .map(([key, value]) => `${key}=${String(value)}`)
        .join(','),
    },
  };
}

export function createRouter(context: RouterContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(context, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, error);
      else res.end();
    });
  };
}

async function handle(context: RouterContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://kube-emulator.invalid');
  const match = /^\/clusters\/([^/]+)(\/.*)?$/.exec(url.pathname);
  if (!match) {
    if (url.pathname === '/healthz' || url.pathname === '/livez' || url.pathname === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    sendJson(res, 404, errors.pathNotFound().status);
    return;
  }
  const clusterName = decodeURIComponent(match[1] ?? '');
  const path = match[2] ?? '/';
  const cluster = context.getCluster(clusterName);
  if (!cluster) {
    // A deleted/unknown cluster behaves like an unreachable API server.
    req.socket.destroy();
    return;
  }
  const authorization = req.headers.authorization;
  if (authorization !== undefined && !tokenMatches(cluster.token, authorization)) throw errors.unauthorized();
  if (authorization === undefined && !PUBLIC_PATHS.has(path)) {
    throw errors.forbidden(`forbidden: User "system:anonymous" cannot ${req.method?.toLowerCase() ?? 'get'} path "${path}"`);
  }

  const method = req.method ?? 'GET';
  const segments = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));

  // Non-resource endpoints
  if (path === '/version') {
    if (method !== 'GET') throw errors.methodNotAllowed();
    const [major = '1', minor = '0'] = cluster.kubernetesVersion.replace(/^v/, '').split('.');
    sendJson(res, 200, {
      major,
      minor,
      emulationMajor: major,
      emulationMinor: minor,
      gitVersion: cluster.kubernetesVersion,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: cluster.createdAt,
      goVersion: 'go1.24.0',
      compiler: 'gc',
      platform: 'linux/amd64',
    });
    return;
  }
  if (PUBLIC_PATHS.has(path)) {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return;
  }

  let resourcePath: ResourcePath;
  if (segments[0] === 'api') {
    if (segments.length === 1) return sendJson(res, 200, apiVersions(context.serverAddress()));
    if (segments[1] !== 'v1') throw errors.pathNotFound();
    if (segments.length === 2) return sendJson(res, 200, apiResourceList('', 'v1'));
    resourcePath = resolveResourcePath(segments.slice(2), '', 'v1');
  } else if (segments[0] === 'apis') {
    if (segments.length === 1) return sendJson(res, 200, apiGroupList());
    const group = segments[1] ?? '';
    if (segments.length === 2) {
      const body = apiGroup(group);
      if (!body) throw errors.pathNotFound();
      return sendJson(res, 200, body);
    }
    const version = segments[2] ?? '';
    if (segments.length === 3) {
      const body = apiResourceList(group, version);
      if (!body) throw errors.pathNotFound();
      return sendJson(res, 200, body);
    }
    resourcePath = resolveResourcePath(segments.slice(3), group, version);
  } else {
    throw errors.pathNotFound();
  }

  await handleResource(context, cluster, resourcePath, method, url.searchParams, req, res);
}

async function handleResource(
  context: RouterContext,
  cluster: ClusterState,
  target: ResourcePath,
  method: string,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { type, namespace, name, subresource } = target;
  const userAgent = req.headers['user-agent'];
  const fieldManager = params.get('fieldManager') ?? undefined;
  const writeOptions = {
    ...(fieldManager ? { fieldManager } : {}),
    ...(userAgent ? { userAgent } : {}),
    ...(subresource ? { subresource } : {}),
  };

  // Collection
  if (name === undefined) {
    if (method === 'GET') {
      const labelSelector = parseLabelSelector(params.get('labelSelector'));
      const fieldSelector = parseFieldSelector(params.get('fieldSelector'), type.kind);
      if (booleanParam(params, 'watch')) {
        startWatch(context, cluster, type, namespace, params, req, res);
        return;
      }
      const limit = params.get('limit');
      const continueToken = params.get('continue');
      return sendJson(
        res,
        200,
        cluster.list(type, namespace, {
          labelSelector,
          fieldSelector,
          ...(limit ? { limit: Number(limit) } : {}),
          ...(continueToken ? { continueToken } : {}),
        }),
      );
    }
    if (type.namespaced && namespace === undefined) throw errors.methodNotAllowed();
    if (method === 'POST') {
      const contentType = mediaType(req);
      if (contentType && contentType !== 'application/json' && contentType !== 'application/yaml') {
        throw errors.unsupportedMediaType(contentType);
      }
      const body = parseBody(await readBody(req), contentType);
      const created = cluster.create(type, namespace, body, { ...writeOptions, dryRun: dryRunParam(params) });
      return sendJson(res, 201, created);
    }
    if (method === 'DELETE') {
      const bodyText = await readBody(req);
      const deleteOptions = bodyText.trim() ? parseBody(bodyText, mediaType(req)) : {};
      const dryRun = dryRunParam(params) || (isObject(deleteOptions) && Array.isArray(deleteOptions.dryRun) && deleteOptions.dryRun.includes('All'));
      return sendJson(
        res,
        200,
        cluster.deleteCollection(type, namespace, {
          labelSelector: parseLabelSelector(params.get('labelSelector')),
          fieldSelector: parseFieldSelector(params.get('fieldSelector'), type.kind),
          dryRun,
        }),
      );
    }
    throw errors.methodNotAllowed();
  }

  // Scale subresource
  if (subresource === 'scale') {
    if (method === 'GET') return sendJson(res, 200, scaleOf(cluster.get(type, namespace, name)));
    if (method !== 'PUT' && method !== 'PATCH') throw errors.methodNotAllowed();
    const contentType = mediaType(req);
    const body = parseBody(await readBody(req), contentType);
    const current = cluster.get(type, namespace, name);
    let scale: unknown;
    if (method === 'PUT') scale = body;
    else if (!PATCH_TYPES.has(contentType) || contentType === 'application/apply-patch+yaml') {
      throw errors.unsupportedMediaType(contentType);
    } else {
      try {
        scale = contentType === 'application/json-patch+json' ? applyJsonPatch(scaleOf(current), body) : jsonMergePatch(scaleOf(current), body);
      } catch (error) {
        if (error instanceof JsonPatchError) {
          throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${error.message}`);
        }
        throw error;
      }
    }
    const scaleSpec = isObject(scale) && isObject(scale.spec) ? scale.spec : {};
    const scaleMeta = isObject(scale) && isObject(scale.metadata) ? scale.metadata : {};
    if (typeof scaleSpec.replicas !== 'number') {
      throw errors.invalid({ group: 'autoscaling', plural: 'scales', kind: 'Scale' }, name, [{ field: 'spec.replicas', message: 'Required value', reason: 'FieldValueRequired' }]);
    }
    const patch: JsonObject = { spec: { replicas: scaleSpec.replicas } };
    if (typeof scaleMeta.resourceVersion === 'string' && scaleMeta.resourceVersion) {
      patch.metadata = { resourceVersion: scaleMeta.resourceVersion };
    }
    const { subresource: _subresource, ...mainOptions } = writeOptions;
    const updated = cluster.patch(type, namespace, name, 'application/merge-patch+json', patch, {
      ...mainOptions,
      dryRun: dryRunParam(params),
    });
    return sendJson(res, 200, scaleOf(updated.object));
  }

  if (subresource === 'finalize') {
    if (method !== 'PUT') throw errors.methodNotAllowed();
    const body = parseBody(await readBody(req), mediaType(req));
    const current = cluster.get(type, namespace, name);
    const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
    const next = clone(current);
    next.spec = { ...(isObject(current.spec) ? current.spec : {}), finalizers: Array.isArray(spec.finalizers) ? spec.finalizers : [] };
    return sendJson(res, 200, cluster.update(type, namespace, name, next, { ...writeOptions, subresource: undefined }));
  }

  switch (method) {
    case 'GET':
      return sendJson(res, 200, cluster.get(type, namespace, name));
    case 'PUT': {
      const contentType = mediaType(req);
      if (contentType && contentType !== 'application/json' && contentType !== 'application/yaml') {
        throw errors.unsupportedMediaType(contentType);
      }
      const body = parseBody(await readBody(req), contentType);
      return sendJson(res, 200, cluster.update(type, namespace, name, body, { ...writeOptions, dryRun: dryRunParam(params) }));
    }
    case 'PATCH': {
      const contentType = mediaType(req);
      if (!PATCH_TYPES.has(contentType)) throw errors.unsupportedMediaType(contentType);
      const body = parseBody(await readBody(req), contentType);
      const force = booleanParam(params, 'force');
      const result = cluster.patch(type, namespace, name, contentType, body, {
        ...writeOptions,
        dryRun: dryRunParam(params),
        ...(force !== undefined ? { force } : {}),
      });
      return sendJson(res, result.created ? 201 : 200, result.object);
    }
    case 'DELETE': {
      const bodyText = await readBody(req);
      const deleteOptions = bodyText.trim() ? parseBody(bodyText, mediaType(req)) : {};
      const options = isObject(deleteOptions) ? deleteOptions : {};
      const preconditions = isObject(options.preconditions) ? options.preconditions : undefined;
      const dryRun = dryRunParam(params) || (Array.isArray(options.dryRun) && options.dryRun.includes('All'));
      const result = cluster.delete(type, namespace, name, {
        dryRun,
        ...(preconditions
          ? {
              preconditions: {
                ...(typeof preconditions.uid === 'string' ? { uid: preconditions.uid } : {}),
                ...(typeof preconditions.resourceVersion === 'string' ? { resourceVersion: preconditions.resourceVersion } : {}),
              },
            }
          : {}),
      });
      return sendJson(res, result.code, result.body);
    }
    default:
      throw errors.methodNotAllowed();
  }
}

function startWatch(
  context: RouterContext,
  cluster: ClusterState,
  type: ResourceType,
  namespace: string | undefined,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const labelSelector = parseLabelSelector(params.get('labelSelector'));
  const fieldSelector = parseFieldSelector(params.get('fieldSelector'), type.kind);
  const inScope = (object: KubeObject): boolean =>
    object.kind === type.kind &&
    object.apiVersion === type.apiVersion &&
    (namespace === undefined || object.metadata.namespace === namespace);
  const matches = (object: KubeObject | undefined): boolean =>
    object !== undefined && inScope(object) && matchesLabels(labelSelector, object.metadata.labels) && matchesFields(fieldSelector, object);

  const requestedVersion = params.get('resourceVersion');
  let replay: StoreEvent[] | undefined = [];
  if (requestedVersion && requestedVersion !== '0') {
    const parsed = Number(requestedVersion);
    if (!Number.isInteger(parsed)) throw errors.badRequest(`invalid resource version "${requestedVersion}"`);
    replay = cluster.eventsSince(parsed);
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  context.watches.set(res, cluster);
  const write = (eventType: string, object: unknown): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type: eventType, object })}\n`);
  };

  if (replay === undefined) {
    write('ERROR', errors.gone(`too old resource version: ${requestedVersion ?? ''} (${cluster.currentResourceVersion()})`).status);
    context.watches.delete(res);
    res.end();
    return;
  }

  const deliver = (event: StoreEvent): void => {
    const now = matches(event.object);
    const before = matches(event.previous);
    if (event.type === 'ADDED' && now) write('ADDED', event.object);
    else if (event.type === 'MODIFIED') {
      if (now && before) write('MODIFIED', event.object);
      else if (now) write('ADDED', event.object);
      else if (before) write('DELETED', event.object);
    } else if (event.type === 'DELETED' && (before || now)) write('DELETED', event.object);
  };

  if (!requestedVersion || requestedVersion === '0') {
    for (const object of cluster.peekAll(type, namespace)) if (matches(object)) write('ADDED', object);
  } else {
    for (const event of replay) deliver(event);
  }
  const unsubscribe = cluster.subscribe(deliver);
  const timeoutSeconds = Number(params.get('timeoutSeconds') ?? '1800');
  const timer = setTimeout(() => finish(), Math.max(1, timeoutSeconds) * 1000);
  timer.unref?.();
  const finish = (): void => {
    clearTimeout(timer);
    unsubscribe();
    context.watches.delete(res);
    if (!res.writableEnded) res.end();
  };
  req.on('close', finish);
  res.on('close', finish);
}
