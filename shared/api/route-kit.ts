/** The vocabulary of route definitions; the route files under routes/ use it. */
import { idOf, z } from './schema-kit.ts';

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

/** Each group becomes one Lambda function on AWS. */
export type RouteGroup = 'public' | 'tenancy' | 'projects' | 'platform' | 'clusters' | 'catalog';

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
  responses: Record<number, ResponseSpec>;
}

export const projectRef = z
  .string()
  .min(1)
  .max(64)
  .openapi({ description: 'project id (`prj_…`) or project name' });
export const projectParams = z.strictObject({ p: projectRef });
export const idParams = (kind: Parameters<typeof idOf>[0]) => z.strictObject({ id: idOf(kind) });

export const ok = (schema: z.ZodType, description = 'OK'): Record<number, ResponseSpec> => ({ 200: { description, schema } });
export const created = (schema: z.ZodType): Record<number, ResponseSpec> => ({ 201: { description: 'Created', schema } });
export const noContent: Record<number, ResponseSpec> = { 204: { description: 'Deleted' } };

export function route<const S extends RouteSpec>(spec: S): S {
  return spec;
}

export const accepted = (schema: z.ZodType): Record<number, ResponseSpec> => ({
  202: { description: 'Accepted: the work goes on; follow operationId', schema },
});
