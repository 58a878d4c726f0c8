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
  | 'hooks';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
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
  responses: Record<number, ResponseSpec>;
}

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
