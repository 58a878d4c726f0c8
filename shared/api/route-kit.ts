/** The vocabulary of route definitions; each feature's routes.ts uses it. */
import * as z from 'zod';
import { idOf } from './schema-kit.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public` skips the API key; project-scoped permissions take
 * the project from the `{p}` path parameter (a tenant.admin acts as project.admin).
 */
export type Permission =
  | 'public'
  | 'system.admin'
  | 'tenant.admin'
  | 'tenant.member'
  | 'project.viewer'
  | 'project.editor'
  | 'project.admin';

/** Each group is one feature folder of shared/ and becomes one Lambda function (functions/api/<group>.ts). */
export type RouteGroup =
  | 'public'
  | 'tenancy'
  | 'cloud-accounts'
  | 'cluster-profiles'
  | 'host-clusters'
  | 'cluster-groups'
  | 'operations'
  | 'audit'
  | 'virtual-clusters'
  | 'quotas'
  | 'app-profiles'
  | 'apps'
  | 'webhooks'
  | 'hooks'
  | 'agents'
  | 'agent-inventory'
  | 'jobs'
  | 'usage'
  | 'reports'
  | 'workspaces'
  | 'registries'
  | 'backups';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  /** Other representations of the same response, chosen by the request's Accept header. */
  also?: Array<{ contentType: string; schema: z.ZodType }>;
}

export interface RouteSpec {
  method: Method;
  path: string;
  group: RouteGroup;
  permission: Permission;
  summary: string;
  /** The resource type recorded in audit entries and used in error messages. */
  resourceType: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Creating POSTs accept `Idempotency-Key`. */
  idempotent?: boolean;
  /** The platform operator (outside every tenant) may call this tenant-scoped route too. */
  systemAllowed?: boolean;
  /**
   * The handler gets the body's bytes as they came (`rawBody`) and validates `body`
   * itself, e.g. after checking a signature over those bytes.
   */
  rawBody?: boolean;
  /** Request headers the route reads (documented; parsed into `headers`, other headers pass). */
  headers?: z.ZodObject;
  /** The error statuses a public route can answer besides 400 (an authenticated route can answer them all). */
  publicErrors?: number[];
  /**
   * The items the route reads, read ahead with the caller's key and user (and the
   * project of `{p}`) in one BatchGetItem: the handler's own reads of them cost nothing.
   */
  reads?: (scope: ReadScope) => Array<{ pk: string; sk: string }>;
  /**
   * A mutation that reads nothing before its transaction: the key and user are not
   * read first, the transaction's guards check them (a revoked key is still a 401).
   */
  guardsOnly?: boolean;
  /**
   * Why this mutation writes no audit entry: an agent's heartbeat and task reports come
   * every few seconds from every agent; what they change is on the agent and its task.
   */
  unaudited?: string;
  responses: Record<number, ResponseSpec>;
}

/** What a route's `reads` may use: the caller's tenant, the project of `{p}` and the path parameters. */
export interface ReadScope {
  tenantId: string;
  /** The project of `{p}` ('' on routes without one). */
  projectId: string;
  userId: string;
  params: Record<string, string>;
}

type KeyOf = (tenantId: string, projectId: string, id: string) => { pk: string; sk: string };

/** `reads` for a route on one resource of a project, addressed by `{id}`. */
export const readsResource = (keyOf: KeyOf) => (scope: ReadScope) => (scope.params.id ? [keyOf(scope.tenantId, scope.projectId, scope.params.id)] : []);

export type RouteList = Record<string, RouteSpec>;

/** A feature's routes, each stamped with the feature's group. */
export function featureRoutes<const G extends RouteGroup, const R extends Record<string, Omit<RouteSpec, 'group'>>>(
  group: G,
  routes: R,
): { [K in keyof R]: R[K] & { group: G } } {
  return Object.fromEntries(Object.entries(routes).map(([id, spec]) => [id, { ...spec, group }])) as never;
}

export const projectRef = z.string().min(1).max(64).meta({ description: 'project id (`prj_…`) or project name' });
export const projectParams = z.strictObject({ p: projectRef });
export const idParams = (kind: Parameters<typeof idOf>[0]) => z.strictObject({ id: idOf(kind) });
export const projectResourceParams = (kind: Parameters<typeof idOf>[0]) => z.strictObject({ p: projectRef, id: idOf(kind) });

export const ok = (schema: z.ZodType, description = 'OK'): Record<number, ResponseSpec> => ({ 200: { description, schema } });
export const created = (schema: z.ZodType): Record<number, ResponseSpec> => ({ 201: { description: 'Created', schema } });
export const noContent: Record<number, ResponseSpec> = { 204: { description: 'Deleted' } };
export const accepted = (schema: z.ZodType): Record<number, ResponseSpec> => ({
  202: { description: 'Accepted: the work goes on; follow operationId', schema },
});

/** API Gateway's route key, e.g. `GET /v1/projects/{p}`. */
export const routeKey = (route: Pick<RouteSpec, 'method' | 'path'>) => `${route.method} ${route.path}`;

export const isMutation = (method: Method) => method !== 'GET';

/** The status a route answers when it succeeds (the first 2xx it documents). */
export const successStatus = (route: Pick<RouteSpec, 'responses'>) =>
  Number(Object.keys(route.responses).find((status) => Number(status) < 300) ?? 200);
