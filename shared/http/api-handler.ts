import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { ApiError, preconditionFailed, validationFailed } from '../errors.ts';
import { isMutation, routeKey, successStatus, type RouteGroup, type RouteList, type RouteSpec } from '../api/route-kit.ts';
import { principalFromClaims, principalFromItems, principalGuards, principalKeys, type Principal } from '../auth/principal.ts';
import { checkPermission, type ProjectAccess } from '../auth/permissions.ts';
import { projectAccess } from '../tenancy/projects.ts';
import { auditPut, recordAudit, type AuditRecord } from '../audit/audit-log.ts';
import { logger, withInvocationLogger } from '../observability/logger.ts';
import { MetricUnit, serviceMetrics } from '../observability/metrics.ts';
import { captureLambdaHandler, tracer } from '../observability/tracer.ts';
import { storeFromEnv, type Store } from '../store/client.ts';
import { keys, SYSTEM_TENANT } from '../store/keys.ts';
import { getItems } from '../store/table.ts';
import { rememberReads, withRequestReads } from '../store/request-reads.ts';
import { isId } from '../ids.ts';
import { projectNameItem, userRoles } from '../tenancy/items.ts';
import { createTx, type Tx } from '../store/tx.ts';
import { createIdempotentRunner, type StoredResult } from './idempotency.ts';
import { fieldErrors, malformedStrings } from './field-errors.ts';
import { problemResponse, toApiError } from './problem.ts';
import { authorizerContextSchema } from './authorizer-context.ts';

export const MAX_BODY_BYTES = 256 * 1024;

type Infer<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteRequest<R extends RouteSpec> {
  params: Infer<R['params']>;
  query: Infer<R['query']>;
  body: Infer<R['body']>;
  /** Set on every non-public route. */
  principal: Principal;
  /** Set on project-scoped routes: the project and the caller's role in it. */
  project: ProjectAccess;
  /** The version from `If-Match`, when the client sent one: a mutation passes it to the condition of its write. */
  ifMatch: number | undefined;
  requestId: string;
  store: Store;
  /** How this request's mutations commit: with the caller's guards and its audit entry. */
  tx: Tx;
  event: APIGatewayProxyEventV2;
  /** The request headers the route declares, parsed. */
  headers: Infer<R['headers']>;
  /** `rawBody` routes: the body's bytes as they came (empty when there is none). */
  rawBody: Buffer;
  /**
   * Who the audit entry names when no API key does (a public route that authenticates
   * otherwise, e.g. a signed webhook delivery).
   */
  auditAs(identity: { tenantId: string | null; actor: string; projectId?: string | null; resourceId?: string }): void;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  /** Sets `ETag: "<version>"`. */
  etag?: number;
  headers?: Record<string, string>;
  /** Raw (non-JSON) body with its content type, e.g. YAML. */
  raw?: { contentType: string; text: string };
  /** The resource the call created or changed, for the audit log. */
  resourceId?: string;
}

export type RouteImpl<R extends RouteSpec> = (request: RouteRequest<R>) => Promise<RouteResult>;
export type RouteImpls<L extends RouteList> = { [K in keyof L]: RouteImpl<L[K]> };

type NamedRoute = RouteSpec & { operationId: string };

interface RequestState {
  startedAt: number;
  route?: NamedRoute;
  principal?: Principal;
  /** Set by auditAs: the identity of a caller without an API key. */
  auditIdentity?: { tenantId: string | null; actor: string };
  projectId?: string | null;
  resourceId?: string | null;
  tx?: Tx;
}

const stateOf = new WeakMap<object, RequestState>();

function requestIdOf(event: APIGatewayProxyEventV2, context: Context): string {
  return event.requestContext?.requestId ?? context.awsRequestId;
}

/** `If-Match: "3"` (or W/"3") → 3; `*` → undefined; anything else matches no version. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match) throw new ApiError('precondition_failed', `If-Match ${header} matches no version of this resource`);
  return Number(match[1]);
}

function parsed<S extends z.ZodType | undefined>(result: z.ZodSafeParseResult<unknown>, root: string): Infer<S> {
  if (!result.success) throw validationFailed(`the request ${root} is invalid`, fieldErrors(result.error.issues, root));
  return result.data as Infer<S>;
}

function parsePart<S extends z.ZodType | undefined>(schema: S, value: unknown, root: string): Infer<S> {
  return schema ? parsed<S>(schema.safeParse(value), root) : (undefined as Infer<S>);
}

/** Async, unlike the other parts: a body's refinements may load what they check with (a profile's regexes load RE2). */
async function parseBody<S extends z.ZodType | undefined>(schema: S, value: unknown): Promise<Infer<S>> {
  return schema ? parsed<S>(await schema.safeParseAsync(value), 'body') : (undefined as Infer<S>);
}

function toResponse(result: StoredResult, requestId: string): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = { 'x-request-id': requestId, ...result.headers };
  if (result.body === undefined) return { statusCode: result.statusCode, headers };
  if (typeof result.body === 'string' && headers['content-type'] && !headers['content-type'].includes('json')) {
    return { statusCode: result.statusCode, headers, body: result.body };
  }
  return { statusCode: result.statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(result.body) };
}

function toStored(result: RouteResult): StoredResult {
  const headers: Record<string, string> = { ...result.headers };
  if (result.etag !== undefined) headers.etag = `"${result.etag}"`;
  if (result.raw) {
    headers['content-type'] = result.raw.contentType;
    return { statusCode: result.status, headers, body: result.raw.text };
  }
  return { statusCode: result.status, headers, body: result.body };
}

/** What an audit entry of this request says, given its outcome. */
function auditRecordOf(event: APIGatewayProxyEventV2, context: Context, state: RequestState | undefined, statusCode: number, resourceId?: string): AuditRecord {
  const path = event.pathParameters ?? {};
  const route = state?.route;
  return {
    tenantId: state?.principal?.tenantId ?? state?.auditIdentity?.tenantId ?? null,
    actor: state?.principal?.userId ?? state?.auditIdentity?.actor ?? 'anonymous',
    action: route?.operationId ?? `${event.requestContext?.http?.method} ${event.rawPath}`,
    resourceType: route?.resourceType ?? 'unknown',
    resourceId: resourceId ?? state?.resourceId ?? path.id ?? path.userId ?? state?.projectId ?? null,
    projectId: state?.projectId ?? null,
    statusCode,
    requestId: requestIdOf(event, context),
  };
}

/**
 * The Lambda handler of one feature's routes: API Gateway (or the local runtime) picks
 * the route and passes its key; this re-checks the caller, authorizes against the
 * route's permission, validates params/query/body with the route's zod schemas, runs
 * the implementation (idempotently when asked), audits mutations and answers
 * problem+json on any failure.
 */
export function createApiHandler<const L extends RouteList>(routes: L, impls: RouteImpls<L>) {
  const named: NamedRoute[] = Object.entries(routes).map(([operationId, spec]) => ({ ...spec, operationId }));
  const groups = new Set(named.map((r) => r.group));
  if (groups.size !== 1) throw new Error(`one handler serves one route group, not ${[...groups].join(', ')}`);
  const group = [...groups][0] as RouteGroup;
  const byKey = new Map(named.map((r) => [routeKey(r), r]));
  const implOf = impls as unknown as Record<string, RouteImpl<RouteSpec>>;
  for (const route of named) {
    if (!implOf[route.operationId]) throw new Error(`route ${route.operationId} has no implementation in group ${group}`);
  }
  /** One Powertools persistence layer per store and tenant; a warm Lambda sees few. */
  const idempotentRunners = new WeakMap<Store, Map<string, ReturnType<typeof createIdempotentRunner>>>();

  const dispatch = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const state = stateOf.get(event)!;
    const route = state.route!;
    const requestId = requestIdOf(event, context);
    const params = parsePart(route.params, event.pathParameters ?? {}, 'path');
    const query = parsePart(route.query, event.queryStringParameters ?? {}, 'query');

    let project: ProjectAccess | undefined;
    if (route.permission !== 'public') {
      const principal = state.principal!;
      const ref = (params as { p?: string } | undefined)?.p;
      if (ref !== undefined && principal.tenantId) {
        project = (await projectAccess(storeFromEnv(), principal, ref)) ?? undefined;
        state.projectId = project?.project.id ?? null;
      }
      checkPermission(principal, route.permission, { systemAllowed: route.systemAllowed, projectAccess: project ?? null });
      // Routes under /v1/projects/{p} with a tenant-level permission still need the project to exist.
      if (ref !== undefined && !project) throw new ApiError('not_found', `project ${ref} was not found`);
    }
    const headers = parsePart(route.headers, event.headers ?? {}, 'header');
    const body = route.rawBody ? undefined : await parseBody(route.body, route.body ? (event.body ?? undefined) : undefined);
    if (!route.body && event.body !== undefined && event.body !== null && event.body !== '') {
      throw validationFailed('this route takes no request body', [{ path: 'body', message: 'unexpected body' }]);
    }
    // The store and the transaction are made when first used: the public routes that
    // touch no data (health, the OpenAPI document) run without any table at all.
    const txOf = (store: Store) =>
      (state.tx ??= createTx(store, {
        guards: state.principal ? principalGuards(state.principal) : [],
        audit: (resourceId, detail) => auditPut({ ...auditRecordOf(event, context, state, successStatus(route), resourceId), ...(detail ? { detail } : {}) }),
      }));
    const ifMatchHeader = event.headers?.['if-match'];
    const ifMatch = parseIfMatch(ifMatchHeader);
    if (ifMatchHeader !== undefined && route.idempotent) {
      // A create has no current version for If-Match to name (RFC 9110: the precondition fails).
      throw new ApiError('precondition_failed', 'this request creates a resource: there is no version for If-Match to match; send it without If-Match');
    }
    const request: RouteRequest<RouteSpec> = {
      params,
      query,
      body,
      principal: state.principal!,
      project: project!,
      ifMatch,
      requestId,
      get store() {
        return storeFromEnv();
      },
      get tx() {
        return txOf(storeFromEnv());
      },
      event,
      headers,
      // Only raw-body routes keep the body unparsed.
      rawBody: route.rawBody && typeof event.body === 'string' ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0),
      auditAs: (identity) => {
        state.auditIdentity = { tenantId: identity.tenantId, actor: identity.actor };
        if (identity.projectId !== undefined) state.projectId = identity.projectId;
        if (identity.resourceId !== undefined) state.resourceId = identity.resourceId;
      },
    };
    const work = async () => {
      const result = await implOf[route.operationId]!(request);
      // A read has no side effect, so its precondition can be checked against what it read.
      if (!isMutation(route.method) && ifMatch !== undefined && result.etag !== undefined && result.etag !== ifMatch) {
        throw preconditionFailed(result.etag);
      }
      state.resourceId = result.resourceId ?? state.resourceId;
      return toStored(result);
    };
    const idempotencyKey = route.idempotent ? event.headers?.['idempotency-key'] : undefined;
    if (idempotencyKey === undefined) return toResponse(await work(), requestId);
    if (!/^[\x21-\x7e]{1,255}$/.test(idempotencyKey)) {
      throw validationFailed('Idempotency-Key must be 1–255 visible ASCII characters', [{ path: 'header.Idempotency-Key', message: 'invalid header' }]);
    }
    const tenant = state.principal?.tenantId ?? SYSTEM_TENANT;
    const store = storeFromEnv();
    let runners = idempotentRunners.get(store);
    if (!runners) idempotentRunners.set(store, (runners = new Map()));
    let idempotent = runners.get(tenant);
    if (!idempotent) {
      if (runners.size >= 1000) runners.clear();
      runners.set(tenant, (idempotent = createIdempotentRunner(store, tenant)));
    }
    const scope = `${tenant}|${state.principal?.userId}|${route.operationId}|${JSON.stringify(params ?? {})}`;
    const stored = await idempotent({ scope, key: idempotencyKey, body: body ?? null }, context, work);
    return toResponse(stored, requestId);
  };

  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    // Responses can carry secrets (a new API key): traces record that they happened, not what they said.
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(httpHeaderNormalizer())
    .use(recordOutcome(`palette-${group}`))
    .use(problemResponses())
    .use(resolveRoute(byKey))
    .use(authenticate())
    .use(limitBodySize())
    .use(parseJsonBody())
    .handler(dispatch);
  return withInvocationLogger(`palette-${group}`, (event: APIGatewayProxyEventV2, context: Context) => withRequestReads(() => handler(event, context)));
}

/** Picks the route by API Gateway's route key (set by the local runtime the same way). */
function resolveRoute(byKey: Map<string, NamedRoute>): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: (request) => {
      const route = byKey.get(request.event.routeKey);
      stateOf.set(request.event, { startedAt: stateOf.get(request.event)?.startedAt ?? Date.now(), route });
      if (!route) throw new ApiError('not_found', `no route ${request.event.routeKey}`);
      const requestId = requestIdOf(request.event, request.context);
      logger.appendKeys({ route: route.operationId, requestId });
      tracer.putAnnotation('route', route.operationId);
      tracer.putAnnotation('requestId', requestId);
    },
  };
}

/**
 * Re-checks what the authorizer said (API Gateway may have cached it for minutes) in
 * the request's one read: the caller's key and user, the project of `{p}` (with the
 * caller's membership) and the items the route declares, in one BatchGetItem, so a
 * revoked key or a deleted user fails at once and the handler's reads of those items
 * cost no further round trip. A mutation that reads nothing first (`guardsOnly`) reads
 * nothing here either: its transaction's guards check the same claims.
 */
function authenticate(): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: async (request) => {
      const state = stateOf.get(request.event)!;
      const route = state.route;
      if (!route || route.permission === 'public') return;
      const authorizer = (request.event.requestContext as { authorizer?: { lambda?: unknown } }).authorizer?.lambda;
      const claimed = authorizerContextSchema.safeParse(authorizer ?? {});
      if (!claimed.success || !claimed.data.keyHash || !claimed.data.userId) {
        throw new ApiError('unauthorized', 'a valid API key is required: Authorization: Bearer <key>');
      }
      const claims = { keyHash: claimed.data.keyHash, userId: claimed.data.userId, tenantId: claimed.data.tenantId || null };
      const role = userRoles.find((r) => r === claimed.data.role);
      let principal: Principal | undefined;
      if (route.guardsOnly && isMutation(route.method) && role) {
        principal = principalFromClaims({ ...claims, role });
      } else {
        principal = await readAhead(storeFromEnv(), route, request.event, claims, role);
      }
      if (!principal) throw new ApiError('unauthorized', 'the API key is unknown, revoked or expired');
      state.principal = principal;
      logger.appendKeys({ tenantId: principal.tenantId ?? 'system', userId: principal.userId });
      tracer.putAnnotation('tenantId', principal.tenantId ?? 'system');
    },
  };
}

/** The BatchGetItem of a request (two when `{p}` is a project name, which must be resolved first). */
async function readAhead(
  store: Store,
  route: NamedRoute,
  event: APIGatewayProxyEventV2,
  claims: { keyHash: string; userId: string; tenantId: string | null },
  role: string | undefined,
): Promise<Principal | undefined> {
  const parsed = route.params?.safeParse(event.pathParameters ?? {});
  // Parameters the route would refuse are refused later with their field; nothing is read for them.
  const params = (parsed?.success ? parsed.data : {}) as Record<string, string>;
  const tenantId = claims.tenantId;
  const scoped = (projectId: string) => [
    keys.project(tenantId!, projectId),
    ...(role === 'tenant.admin' ? [] : [keys.member(tenantId!, projectId, claims.userId)]),
    ...(route.reads?.({ tenantId: tenantId!, projectId, userId: claims.userId, params }) ?? []),
  ];
  const ref = tenantId && parsed?.success ? params.p : undefined;
  const ahead =
    ref === undefined
      ? tenantId && parsed?.success !== false
        ? (route.reads?.({ tenantId, projectId: '', userId: claims.userId, params }) ?? [])
        : []
      : isId('project', ref)
        ? scoped(ref)
        : [keys.projectName(tenantId!, ref)];
  const first = principalKeys(claims);
  const items = await getItems(store, [...first, ...ahead]);
  rememberReads(ahead, items.slice(first.length));
  const principal = principalFromItems(claims.keyHash, items[0], items[1]);
  if (principal && ref !== undefined && !isId('project', ref)) {
    const byName = items[first.length] ? projectNameItem.safeParse(items[first.length]) : undefined;
    if (byName?.success) {
      const then = scoped(byName.data.projectId);
      rememberReads(then, await getItems(store, then));
    }
  }
  return principal;
}

function limitBodySize(): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    before: (request) => {
      const { body, isBase64Encoded } = request.event;
      if (!body) return;
      const bytes = isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
      if (bytes > MAX_BODY_BYTES) {
        throw new ApiError('payload_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes; this one has ${bytes}`);
      }
    },
  };
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * The body as JSON, through middy's parser: bodies say they are JSON (or say nothing),
 * are valid UTF-8 and hold only well-formed strings, or the request is refused before
 * anything runs (415, or 400 at the offending field).
 */
function parseJsonBody(): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  const parser = httpJsonBodyParser({ disableContentTypeCheck: true });
  return {
    before: (request) => {
      const event = request.event;
      if (event.body === undefined || event.body === null || event.body === '') return;
      // A raw-body route reads (and checks) its bytes itself.
      if (stateOf.get(event)?.route?.rawBody) return;
      const contentType = event.headers?.['content-type'];
      const mediaType = contentType?.split(';')[0]?.trim() ?? '';
      if (contentType !== undefined && !JSON_MEDIA_TYPE.test(mediaType)) {
        throw new ApiError('unsupported_media_type', `request bodies are JSON: send Content-Type: application/json, not ${mediaType || 'an empty type'}`);
      }
      if (event.isBase64Encoded) {
        // API Gateway (and the local gateway) pass bytes that are not text as base64.
        try {
          event.body = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(event.body, 'base64'));
        } catch {
          throw validationFailed('the request body is not valid UTF-8', [{ path: 'body', message: 'not valid UTF-8' }]);
        }
        event.isBase64Encoded = false;
      }
      (parser.before as (r: typeof request) => void)(request);
      const malformed = malformedStrings(event.body);
      if (malformed.length) throw validationFailed('the request body holds text that is not valid Unicode', malformed);
    },
  };
}

function problemResponses(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: (request) => {
      const apiError = toApiError(request.error);
      const requestId = requestIdOf(request.event, request.context);
      if (apiError.status >= 500) logger.error('request failed', { error: request.error as Error });
      else logger.info('request refused', { code: apiError.code, detail: apiError.message });
      request.response = problemResponse(apiError, requestId);
    },
  };
}

/**
 * After every request: one log line and request metrics per route; and for a mutation
 * whose transaction did not already carry its audit entry (refused, or accepted without
 * a write, such as an idempotent replay), an entry written on its own.
 */
function recordOutcome(serviceName: string): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const record = async (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>) => {
    const state = stateOf.get(request.event);
    const method = request.event.requestContext?.http?.method as RouteSpec['method'] | undefined;
    const statusCode = request.response?.statusCode ?? 500;
    const route = state?.route;
    const latencyMs = state ? Date.now() - state.startedAt : undefined;
    // Agents heartbeat every few seconds: their routine calls are debug lines, their failures are not.
    const level = route?.unaudited && statusCode < 400 ? 'debug' : 'info';
    logger[level]('request', { method, path: request.event.rawPath, status: statusCode, latencyMs });
    // Added and published in this one synchronous turn (see serviceMetrics).
    const metrics = serviceMetrics(serviceName);
    metrics.addDimension('route', route?.operationId ?? 'unmatched');
    metrics.addMetric('Requests', MetricUnit.Count, 1);
    metrics.addMetric(statusCode >= 500 ? 'ServerErrors' : statusCode >= 400 ? 'ClientErrors' : 'Successes', MetricUnit.Count, 1);
    if (latencyMs !== undefined) metrics.addMetric('Latency', MetricUnit.Milliseconds, latencyMs);
    metrics.publishStoredMetrics();
    if (!method || !isMutation(method) || route?.unaudited) return;
    // An accepted change already recorded itself; a failure after it is recorded too.
    if (state?.tx?.audited && statusCode < 500) return;
    try {
      await recordAudit(storeFromEnv(), auditRecordOf(request.event, request.context, state, statusCode));
    } catch (error) {
      // The response is already decided; a lost audit entry must at least be loud.
      logger.error('audit write failed', { error: error as Error });
    }
  };
  return {
    before: (request) => {
      stateOf.set(request.event, { startedAt: Date.now() });
    },
    after: record,
    onError: record,
  };
}
