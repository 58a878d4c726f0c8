/**
 * The route table: the single source of truth for the HTTP API. The CDK stack makes
 * API Gateway routes from it, the local runtime serves it, the Lambda handlers
 * dispatch on it and /v1/openapi.json is generated from it. Each area's routes live
 * in routes/<area>.ts.
 */
import type { Method, RouteGroup, RouteSpec } from './route-kit.ts';
import { publicRoutes } from './routes/public.ts';
import { tenancyRoutes } from './routes/tenancy.ts';
import { platformRoutes } from './routes/platform.ts';
import { clusterRoutes } from './routes/clusters.ts';
import { catalogRoutes } from './routes/catalog.ts';

export type { Method, Permission, ResponseSpec, RouteGroup, RouteSpec } from './route-kit.ts';

export const routes = {
  ...publicRoutes,
  ...tenancyRoutes,
  ...platformRoutes,
  ...clusterRoutes,
  ...catalogRoutes,
} satisfies Record<string, RouteSpec>;


export type Routes = typeof routes;
export type OperationId = keyof Routes;

export const routeList: Array<RouteSpec & { operationId: OperationId }> = Object.entries(routes).map(
  ([operationId, spec]) => ({ ...spec, operationId: operationId as OperationId }),
);

export const routeGroups: RouteGroup[] = [...new Set(routeList.map((r) => r.group))];

/** API Gateway's route key, e.g. `GET /v1/projects/{p}`. */
export const routeKey = (route: Pick<RouteSpec, 'method' | 'path'>) => `${route.method} ${route.path}`;

export const isMutation = (method: Method) => method !== 'GET';
