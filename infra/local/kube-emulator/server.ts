/**
 * HTTP routing for one API server of the Kubernetes API emulator: kube-apiserver's REST
 * paths onto its emulated cluster, with authentication, impersonation, RBAC
 * authorization (of every request, before anything is read or written), discovery,
 * OpenAPI, CRUD, patch, server-side apply, subresources, server-side printing (Tables)
 * and watch.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { loadYaml } from '@kubernetes/client-node';
import { authenticate, impersonate, requestToken, review } from './auth.ts';
import type { TokenAuthority, UserInfo } from './auth.ts';
import type { ClusterState, FieldValidation, StoreEvent } from './cluster.ts';
import { ApiError, errors } from './errors.ts';
import { clone, getPath, isObject, setPath } from './json.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { groupVersionDocument, openApiHash, openApiV2Document, openApiV3Index } from './openapi.ts';
import { encodeOpenApiV2 } from './openapi-proto.ts';
import { decodeDeleteOptions, decodeTypedRequest, PROTOBUF } from './protobuf.ts';
import type { Definitions } from './openapi.ts';
import { applyJsonPatch, jsonMergePatch, JsonPatchError, strategicMergePatch } from './patch.ts';
import { ANONYMOUS, authorize, requestAttributes, requestForbidden } from './rbac.ts';
import { apiVersions } from './resources.ts';
import type { ResourceType } from './resources.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { negotiate, toTable } from './tables.ts';
import type { IncludeObject } from './tables.ts';

const MAX_BODY_BYTES = 3 * 1024 * 1024;
const HEALTH_PATHS = new Set(['/healthz', '/livez', '/readyz']);
const PATCH_TYPES = new Set(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']);

/** Go versions kube-apiserver releases were built with, for `/version`. */
const GO_VERSIONS: Record<string, string> = { '27': 'go1.20.14', '28': 'go1.22.5', '29': 'go1.22.5', '30': 'go1.22.12', '31': 'go1.23.6', '32': 'go1.23.8', '33': 'go1.24.2', '34': 'go1.24.6' };

export interface RouterContext {
  cluster(): ClusterState | undefined;
  /** host:port advertised in APIVersions. */
  serverAddress(): string;
  /** Open watch responses and their cluster, so that stop()/deleteCluster() can end them. */
  watches: Map<ServerResponse, ClusterState>;
  authority: TokenAuthority;
  definitions: Definitions;
}

interface ResourcePath {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), 'Cache-Control': 'no-cache, private', ...headers });
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

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function parseBody(bytes: Buffer, contentType: string): unknown {
  if (contentType === PROTOBUF) throw errors.unsupportedMediaType(contentType);
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty');
  const yamlLike = contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml';
  try {
    return JSON.parse(text);
  } catch (jsonError) {
    if (!yamlLike) throw errors.badRequest(`error decoding from json: ${jsonError instanceof Error ? jsonError.message : String(jsonError)}`);
  }
  try {
    return loadYaml<unknown>(text);
  } catch (yamlError) {
    throw errors.badRequest(`error decoding from yaml: ${yamlError instanceof Error ? yamlError.message : String(yamlError)}`);
  }
}

/** The body of a review or TokenRequest: JSON, YAML, or the protobuf kubectl 1.32 and later send. */
async function readReviewBody(req: IncomingMessage, kind: string): Promise<unknown> {
  const bytes = await readBody(req);
  if (mediaType(req) !== PROTOBUF) return parseBody(bytes, mediaType(req));
  const decoded = decodeTypedRequest(kind, bytes);
  if (!decoded) throw errors.unsupportedMediaType(PROTOBUF);
  return decoded;
}

/** DeleteOptions from a DELETE body: JSON, YAML, protobuf (typed clients) or none. */
async function readDeleteOptions(req: IncomingMessage): Promise<JsonObject> {
  const bytes = await readBody(req);
  if (bytes.length === 0 || bytes.toString('utf8').trim() === '') return {};
  if (mediaType(req) === PROTOBUF) return decodeDeleteOptions(bytes);
  const parsed = parseBody(bytes, mediaType(req));
  return isObject(parsed) ? parsed : {};
}

function resolveResourcePath(cluster: ClusterState, segments: string[], group: string, version: string): ResourcePath {
  const isNamespacedType = (plural: string | undefined): boolean => plural !== undefined && cluster.types.byPlural(group, version, plural)?.namespaced === true;
  let namespace: string | undefined;
  let rest = segments;
  if (segments[0] === 'namespaces' && segments.length >= 3 && isNamespacedType(segments[2])) {
    namespace = segments[1];
    rest = segments.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) throw errors.pathNotFound();
  const [plural = '', name, subresource] = rest;
  const type = cluster.types.byPlural(group, version, plural);
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

function fieldValidationParam(params: URLSearchParams): FieldValidation {
  const value = params.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value !== 'Ignore' && value !== 'Warn' && value !== 'Strict') {
    throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn" or "Strict", got "${value}"`);
  }
  return value;
}

function includeObjectParam(params: URLSearchParams): IncludeObject {
  const value = params.get('includeObject') ?? 'Metadata';
  if (value !== 'None' && value !== 'Metadata' && value !== 'Object') throw errors.badRequest(`unrecognized includeObject value: "${value}"`);
  return value;
}

const warningHeaders = (warnings: string[]): Record<string, string[]> =>
  warnings.length > 0 ? { Warning: [...new Set(warnings)].map((w) => `299 - ${JSON.stringify(w)}`) } : {};

/** Reads a `.spec.replicas`-style path as CRD scale subresources name them. */
const dotted = (path: string): string[] => path.replace(/^\./, '').split('.').filter(Boolean);

function scaleOf(type: ResourceType, object: KubeObject): JsonObject {
  const paths = type.custom?.scale ?? { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: undefined };
  const specReplicas = getPath(object, dotted(paths.specReplicasPath));
  const statusReplicas = getPath(object, dotted(paths.statusReplicasPath));
  let selector = '';
  if (type.custom) selector = paths.labelSelectorPath ? String(getPath(object, dotted(paths.labelSelectorPath)) ?? '') : '';
  else {
    const spec = isObject(object.spec) ? object.spec : {};
    const matchLabels = isObject(spec.selector) && isObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
    selector = Object.entries(matchLabels)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(',');
  }
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
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status: { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0, selector },
  };
}

function versionInfo(cluster: ClusterState): JsonObject {
  const [major = '1', minor = '0'] = cluster.kubernetesVersion.replace(/^v/, '').split('.');
  const compatibility = Number(minor) >= 33 ? { emulationMajor: major, emulationMinor: minor, minCompatibilityMajor: major, minCompatibilityMinor: String(Number(minor) - 1) } : {};
  return {
    major,
    minor,
    ...compatibility,
    gitVersion: cluster.kubernetesVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: cluster.createdAt,
    goVersion: GO_VERSIONS[minor] ?? 'go1.24.2',
    compiler: 'gc',
    platform: 'linux/amd64',
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

/** Streaming requests (exec, attach, port-forward) arrive as HTTP upgrades; no container can answer them. */
export function createUpgradeHandler(context: RouterContext): (req: IncomingMessage, socket: Duplex) => void {
  return (req, socket) => {
    const cluster = context.cluster();
    if (!cluster) {
      socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'https://kube-emulator.invalid');
    let status: ApiError;
    try {
      // Streaming connections need `create` on the subresource, whether SPDY (POST) or WebSocket (GET), as from 1.31.
      authorizeRequest(context, cluster, req, url, 'POST');
      status = streamingRefusal(url.pathname) ?? errors.pathNotFound();
    } catch (error) {
      status = error instanceof ApiError ? error : errors.internal(String(error));
    }
    const payload = JSON.stringify(status.status);
    const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };
    socket.end(`HTTP/1.1 ${status.code} ${reasons[status.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`);
  };
}

function streamingRefusal(path: string): ApiError | undefined {
  const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/.exec(path);
  if (!match) return undefined;
  const [, namespace, pod, verb] = match;
  const what = verb === 'exec' ? 'exec into' : verb === 'attach' ? 'attach to' : 'forward ports to';
  return errors.badRequest(`the Kubernetes API emulator runs no containers, so it cannot ${what} pod ${namespace ?? ''}/${pod ?? ''}`);
}

function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim() ?? '';
}

/**
 * Who a request is and whether RBAC lets it: an unknown token is 401, no token is
 * `system:anonymous`, impersonation headers are honoured when allowed, and a request
 * the authorizer does not allow is the 403 kube-apiserver sends.
 */
function authorizeRequest(context: RouterContext, cluster: ClusterState, req: IncomingMessage, url: URL, method = req.method ?? 'GET'): UserInfo {
  const token = bearerToken(req);
  let user = ANONYMOUS;
  if (token !== undefined) {
    const authenticated = authenticate(cluster, context.authority, token);
    if (!authenticated) throw errors.unauthorized();
    user = authenticated;
  }
  user = impersonate(cluster, user, req.headers) ?? user;
  const attributes = requestAttributes(user, method, url.pathname, url.searchParams);
  const decision = authorize(cluster, attributes);
  if (!decision.allowed) throw requestForbidden(attributes, decision.reason);
  return user;
}

async function handle(context: RouterContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const cluster = context.cluster();
  if (!cluster) {
    // A deleted or paused cluster behaves like an unreachable API server.
    req.socket.destroy();
    return;
  }
  const url = new URL(req.url ?? '/', 'https://kube-emulator.invalid');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  const user = authorizeRequest(context, cluster, req, url);

  if (path === '/version') {
    if (method !== 'GET') throw errors.methodNotAllowed();
    return sendJson(res, 200, versionInfo(cluster));
  }
  if (HEALTH_PATHS.has(path)) {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return;
  }
  const documentContext = { defs: context.definitions, registry: cluster.types, kubernetesVersion: cluster.kubernetesVersion };
  if (path === '/openapi/v2') {
    const document = openApiV2Document(documentContext);
    if (!(req.headers.accept ?? '').includes('protobuf')) return sendJson(res, 200, document);
    const encoded = encodeOpenApiV2(document);
    res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': encoded.length, 'Cache-Control': 'no-cache, private' });
    res.end(encoded);
    return;
  }
  if (path === '/openapi/v3') return sendJson(res, 200, openApiV3Index(documentContext));
  if (path.startsWith('/openapi/v3/')) {
    const gv = path.slice('/openapi/v3/'.length).split('/');
    const [group, version] = gv[0] === 'api' ? ['', gv[1] ?? ''] : [gv[1] ?? '', gv[2] ?? ''];
    const document = gv[0] === 'api' || gv[0] === 'apis' ? groupVersionDocument(documentContext, group, version) : undefined;
    if (!document) throw errors.pathNotFound();
    const etag = `"${openApiHash(document)}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    return sendJson(res, 200, document, { ETag: etag, ...(url.searchParams.has('hash') ? { 'Cache-Control': 'public, immutable' } : {}) });
  }

  const segments = path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
  let resourcePath: ResourcePath;
  if (segments[0] === 'api') {
    if (segments.length === 1) return sendJson(res, 200, apiVersions(context.serverAddress()));
    if (segments[1] !== 'v1') throw errors.pathNotFound();
    if (segments.length === 2) return sendJson(res, 200, cluster.types.apiResourceList('', 'v1'));
    resourcePath = resolveResourcePath(cluster, segments.slice(2), '', 'v1');
  } else if (segments[0] === 'apis') {
    if (segments.length === 1) return sendJson(res, 200, cluster.types.apiGroupList());
    const group = segments[1] ?? '';
    if (segments.length === 2) {
      const body = cluster.types.apiGroup(group);
      if (!body) throw errors.pathNotFound();
      return sendJson(res, 200, body);
    }
    const version = segments[2] ?? '';
    if (segments.length === 3) {
      const body = cluster.types.apiResourceList(group, version);
      if (!body) throw errors.pathNotFound();
      return sendJson(res, 200, body);
    }
    resourcePath = resolveResourcePath(cluster, segments.slice(3), group, version);
  } else {
    throw errors.pathNotFound();
  }
  await handleResource(context, cluster, resourcePath, method, url.searchParams, req, res, user);
}

interface Representation {
  kind: 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList' | 'object';
  includeObject: IncludeObject;
}

/** Sends one object or a list in the representation the client asked for. */
function sendRead(res: ServerResponse, type: ResourceType, representation: Representation, body: KubeObject | JsonObject, isList: boolean, stored: KubeObject[]): void {
  if (representation.kind === 'object') return sendJson(res, 200, body);
  const listMeta = isList ? (isObject(body.metadata) ? body.metadata : {}) : { resourceVersion: (body as KubeObject).metadata.resourceVersion };
  if (representation.kind === 'Table') {
    return sendJson(res, 200, toTable(type, stored, listMeta, { includeObject: representation.includeObject }, (o) => presented(type, o)));
  }
  const partial = (o: KubeObject): JsonObject => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata });
  if (isList) return sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: stored.map(partial) });
  return sendJson(res, 200, partial(stored[0] as KubeObject));
}

/** An object as a client of `type` sees it (events.k8s.io Events are converted). */
function presented(type: ResourceType, object: KubeObject): KubeObject {
  if (type.view) return type.view.toView(object);
  return object.apiVersion === type.apiVersion ? object : { ...object, apiVersion: type.apiVersion };
}

async function handleResource(
  context: RouterContext,
  cluster: ClusterState,
  target: ResourcePath,
  method: string,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  user: UserInfo,
): Promise<void> {
  const { type: requested, namespace, name, subresource } = target;
  // A view (events.k8s.io/v1 Event) reads and writes the objects of its storage kind.
  const type = requested.view?.storage ?? requested;
  const view = requested.view;
  const userAgent = req.headers['user-agent'];
  const fieldManager = params.get('fieldManager') ?? undefined;
  const warnings: string[] = [];
  const writeOptions = {
    ...(fieldManager ? { fieldManager } : {}),
    ...(userAgent ? { userAgent } : {}),
    ...(subresource ? { subresource } : {}),
    fieldValidation: fieldValidationParam(params),
    warnings,
    user,
  };
  const representation: Representation = { kind: negotiate(req.headers.accept), includeObject: includeObjectParam(params) };
  const toStored = (body: unknown): unknown => (view && isObject(body) ? view.fromView({ metadata: {}, ...body, apiVersion: 'events.k8s.io/v1', kind: 'Event' } as KubeObject) : body);
  const reply = (code: number, object: KubeObject): void => sendJson(res, code, presented(requested, object), warningHeaders(warnings));

  if (!requested.stored) {
    if (method !== 'POST' || name !== undefined) throw errors.methodNotAllowed();
    const body = await readReviewBody(req, requested.kind);
    return sendJson(res, 201, review(cluster, context.authority, requested, body, user, namespace));
  }

  if (name === undefined) {
    if (method === 'GET') {
      const labelSelector = parseLabelSelector(params.get('labelSelector'));
      const fieldSelector = parseFieldSelector(params.get('fieldSelector'), type.kind);
      if (booleanParam(params, 'watch')) {
        startWatch(context, cluster, requested, namespace, params, req, res, representation);
        return;
      }
      const limit = params.get('limit');
      const continueToken = params.get('continue');
      const listed = cluster.list(type, namespace, { labelSelector, fieldSelector, ...(limit ? { limit: Number(limit) } : {}), ...(continueToken ? { continueToken } : {}) });
      const items = (listed.items as JsonObject[]).map((item) => ({ apiVersion: type.apiVersion, kind: type.kind, ...item }) as KubeObject);
      const body = view
        ? { ...listed, kind: requested.listKind, apiVersion: requested.apiVersion, items: items.map((o) => stripTypeMeta(view.toView(o))) }
        : listed;
      return sendRead(res, requested, representation, body, true, items);
    }
    if (type.namespaced && namespace === undefined) throw errors.methodNotAllowed();
    if (method === 'POST') {
      const contentType = mediaType(req);
      if (contentType && contentType !== 'application/json' && contentType !== 'application/yaml') throw errors.unsupportedMediaType(contentType);
      const body = toStored(parseBody(await readBody(req), contentType));
      const created = cluster.create(type, namespace, body, { ...writeOptions, dryRun: dryRunParam(params) });
      return reply(201, created);
    }
    if (method === 'DELETE') {
      const deleteOptions = await readDeleteOptions(req);
      const dryRun = dryRunParam(params) || (Array.isArray(deleteOptions.dryRun) && deleteOptions.dryRun.includes('All'));
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

  switch (subresource) {
    case 'scale':
      return handleScale(cluster, type, namespace, name, method, params, req, res, writeOptions);
    case 'finalize': {
      if (method !== 'PUT') throw errors.methodNotAllowed();
      const body = parseBody(await readBody(req), mediaType(req));
      const current = cluster.get(type, namespace, name);
      const spec = isObject(body) && isObject(body.spec) ? body.spec : {};
      const next = clone(current);
      next.spec = { ...(isObject(current.spec) ? current.spec : {}), finalizers: Array.isArray(spec.finalizers) ? spec.finalizers : [] };
      return reply(200, cluster.update(type, namespace, name, next, { ...writeOptions, subresource: undefined }));
    }
    case 'log':
      if (method !== 'GET') throw errors.methodNotAllowed();
      return sendLogs(cluster, type, namespace ?? '', name, params, res);
    case 'exec':
    case 'attach':
    case 'portforward': {
      cluster.get(type, namespace, name);
      throw streamingRefusal(`/api/v1/namespaces/${namespace ?? ''}/pods/${name}/${subresource}`) ?? errors.pathNotFound();
    }
    case 'token': {
      if (method !== 'POST') throw errors.methodNotAllowed();
      const body = await readReviewBody(req, 'TokenRequest');
      return sendJson(res, 201, requestToken(cluster, context.authority, namespace ?? '', name, body));
    }
    default:
      break;
  }

  switch (method) {
    case 'GET': {
      const object = cluster.get(type, namespace, name);
      return sendRead(res, requested, representation, presented(requested, object), false, [object]);
    }
    case 'PUT': {
      const contentType = mediaType(req);
      if (contentType && contentType !== 'application/json' && contentType !== 'application/yaml') throw errors.unsupportedMediaType(contentType);
      const body = toStored(parseBody(await readBody(req), contentType));
      return reply(200, cluster.update(type, namespace, name, body, { ...writeOptions, dryRun: dryRunParam(params) }));
    }
    case 'PATCH': {
      const contentType = mediaType(req);
      if (!PATCH_TYPES.has(contentType)) throw errors.unsupportedMediaType(contentType);
      const body = parseBody(await readBody(req), contentType);
      const force = booleanParam(params, 'force');
      const options = { ...writeOptions, dryRun: dryRunParam(params), ...(force !== undefined ? { force } : {}) };
      if (view) {
        // Patches apply to the view's shape, then the result is stored.
        const current = view.toView(cluster.get(type, namespace, name));
        const patched = patchView(current, contentType, body);
        return reply(200, cluster.update(type, namespace, name, view.fromView(patched), options));
      }
      const result = cluster.patch(type, namespace, name, contentType, body, options);
      return reply(result.created ? 201 : 200, result.object);
    }
    case 'DELETE': {
      const options = await readDeleteOptions(req);
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

function stripTypeMeta(object: KubeObject): JsonObject {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = object;
  return rest;
}

function patchView(current: KubeObject, contentType: string, body: unknown): KubeObject {
  try {
    switch (contentType) {
      case 'application/json-patch+json':
        return applyJsonPatch(current, body) as KubeObject;
      case 'application/merge-patch+json':
        return jsonMergePatch(current, body) as KubeObject;
      case 'application/strategic-merge-patch+json':
        return strategicMergePatch(current, body) as KubeObject;
      default:
        throw errors.unsupportedMediaType(contentType);
    }
  } catch (error) {
    if (error instanceof JsonPatchError) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${error.message}`);
    throw error;
  }
}

async function handleScale(
  cluster: ClusterState,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  method: string,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  writeOptions: { subresource?: string; fieldManager?: string; userAgent?: string; user?: UserInfo },
): Promise<void> {
  if (method === 'GET') return sendJson(res, 200, scaleOf(type, cluster.get(type, namespace, name)));
  if (method !== 'PUT' && method !== 'PATCH') throw errors.methodNotAllowed();
  const contentType = mediaType(req);
  const body = parseBody(await readBody(req), contentType);
  const current = cluster.get(type, namespace, name);
  let scale: unknown;
  if (method === 'PUT') scale = body;
  else if (!PATCH_TYPES.has(contentType) || contentType === 'application/apply-patch+yaml') throw errors.unsupportedMediaType(contentType);
  else {
    try {
      scale = contentType === 'application/json-patch+json' ? applyJsonPatch(scaleOf(type, current), body) : jsonMergePatch(scaleOf(type, current), body);
    } catch (error) {
      if (error instanceof JsonPatchError) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${error.message}`);
      throw error;
    }
  }
  const scaleSpec = isObject(scale) && isObject(scale.spec) ? scale.spec : {};
  const scaleMeta = isObject(scale) && isObject(scale.metadata) ? scale.metadata : {};
  if (typeof scaleSpec.replicas !== 'number') {
    throw errors.invalid({ group: 'autoscaling', plural: 'scales', kind: 'Scale' }, name, [{ field: 'spec.replicas', message: 'Required value', reason: 'FieldValueRequired' }]);
  }
  const specPath = dotted(type.custom?.scale?.specReplicasPath ?? '.spec.replicas');
  const patch: JsonObject = {};
  setPath(patch, specPath, scaleSpec.replicas);
  if (typeof scaleMeta.resourceVersion === 'string' && scaleMeta.resourceVersion) patch.metadata = { resourceVersion: scaleMeta.resourceVersion };
  const { subresource: _subresource, ...mainOptions } = writeOptions;
  const updated = cluster.patch(type, namespace, name, 'application/merge-patch+json', patch, { ...mainOptions, dryRun: dryRunParam(params) });
  return sendJson(res, 200, scaleOf(type, updated.object));
}

function sendLogs(cluster: ClusterState, type: ResourceType, namespace: string, name: string, params: URLSearchParams, res: ServerResponse): void {
  const pod = cluster.get(type, namespace, name);
  const spec = isObject(pod.spec) ? pod.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isObject) : [];
  const names = containers.map((c) => String(c.name));
  let container = params.get('container') ?? undefined;
  if (container === undefined) {
    if (names.length !== 1) throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    container = names[0] ?? '';
  }
  const found = containers.find((c) => c.name === container);
  if (!found) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  const status = isObject(pod.status) ? pod.status : {};
  if (status.phase !== 'Running') throw errors.badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  const started = String(status.startTime ?? pod.metadata.creationTimestamp ?? '');
  const lines = [
    `kube-emulator: no container runs in the Kubernetes API emulator, so container "${container}" (image ${String(found.image)}) of pod ${namespace}/${name} has no output.`,
    `kube-emulator: the pod was reported Running at ${started}; exec, attach and port-forward are refused for the same reason.`,
  ];
  const tail = params.get('tailLines');
  const shown = tail !== null && Number(tail) >= 0 ? lines.slice(Math.max(0, lines.length - Number(tail))) : lines;
  const timestamps = booleanParam(params, 'timestamps') === true;
  const text = shown.map((line) => (timestamps ? `${new Date(Date.parse(started) || Date.now()).toISOString().replace('Z', '000000Z')} ${line}` : line)).join('\n');
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.end(text.length > 0 ? `${text}\n` : '');
}

function startWatch(
  context: RouterContext,
  cluster: ClusterState,
  requested: ResourceType,
  namespace: string | undefined,
  params: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
  representation: Representation,
): void {
  const type = requested.view?.storage ?? requested;
  const labelSelector = parseLabelSelector(params.get('labelSelector'));
  const fieldSelector = parseFieldSelector(params.get('fieldSelector'), type.kind);
  const inScope = (object: KubeObject): boolean =>
    object.kind === type.kind &&
    (object.apiVersion.includes('/') ? object.apiVersion.slice(0, object.apiVersion.indexOf('/')) : '') === type.group &&
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
  let headersSent = false;
  const encode = (object: KubeObject): unknown => {
    if (representation.kind === 'Table') {
      const table = toTable(requested, [object], { resourceVersion: object.metadata.resourceVersion }, { includeObject: representation.includeObject, noHeaders: headersSent }, (o) => presented(requested, o));
      headersSent = true;
      return table;
    }
    if (representation.kind === 'PartialObjectMetadata' || representation.kind === 'PartialObjectMetadataList') {
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
    }
    return presented(requested, object);
  };
  const write = (eventType: string, object: KubeObject): void => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type: eventType, object: encode(object) })}\n`);
  };

  if (replay === undefined) {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type: 'ERROR', object: errors.gone(`too old resource version: ${requestedVersion ?? ''} (${cluster.currentResourceVersion()})`).status })}\n`);
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
