/**
 * The route table: the single source of truth for the HTTP API. It composes every
 * feature's routes; the CDK stack makes API Gateway routes (and one function per
 * group) from it, the local runtime serves it and /v1/openapi.json is generated from
 * it. Each feature's Lambda handler imports only its own routes.
 */
import type { RouteGroup, RouteSpec } from './route-kit.ts';
import { publicRoutes } from './public-routes.ts';
import { tenancyRoutes } from '../tenancy/routes.ts';
import { cloudAccountRoutes } from '../cloud-accounts/routes.ts';
import { clusterProfileRoutes } from '../cluster-profiles/routes.ts';
import { hostClusterRoutes } from '../host-clusters/routes.ts';
import { clusterGroupRoutes } from '../cluster-groups/routes.ts';
import { operationRoutes } from '../operations/routes.ts';
import { auditRoutes } from '../audit/routes.ts';
import { virtualClusterRoutes } from '../virtual-clusters/routes.ts';
import { quotaRoutes } from '../quotas/routes.ts';
import { appRoutes } from '../apps/routes.ts';
import { hookRoutes, webhookRoutes } from '../webhooks/routes.ts';
import { appProfileRoutes } from '../app-profiles/routes.ts';
import { jobRoutes } from '../jobs/routes.ts';
import { usageRoutes } from '../usage/routes.ts';
import { reportRoutes } from '../reports/routes.ts';
import { agentInventoryRoutes, agentRoutes } from '../agents/routes.ts';
import { workspaceRoutes } from '../workspaces/routes.ts';
import { registryRoutes } from '../registries/routes.ts';
import { backupRoutes } from '../backups/routes.ts';

export type { Method, Permission, ResponseSpec, RouteGroup, RouteSpec } from './route-kit.ts';
export { isMutation, routeKey } from './route-kit.ts';

export const routes = {
  ...publicRoutes,
  ...tenancyRoutes,
  ...cloudAccountRoutes,
  ...clusterProfileRoutes,
  ...hostClusterRoutes,
  ...clusterGroupRoutes,
  ...operationRoutes,
  ...auditRoutes,
  ...virtualClusterRoutes,
  ...quotaRoutes,
  ...appRoutes,
  ...webhookRoutes,
  ...hookRoutes,
  ...appProfileRoutes,
  ...jobRoutes,
  ...usageRoutes,
  ...reportRoutes,
  ...agentRoutes,
  ...agentInventoryRoutes,
  ...workspaceRoutes,
  ...registryRoutes,
  ...backupRoutes,
} satisfies Record<string, RouteSpec>;

export type Routes = typeof routes;
export type OperationId = keyof Routes;

export const routeList: Array<RouteSpec & { operationId: OperationId }> = Object.entries(routes).map(
  ([operationId, spec]) => ({ ...spec, operationId: operationId as OperationId }),
);

export const routeGroups: RouteGroup[] = [...new Set(routeList.map((r) => r.group))];
