/**
 * What each route group's function may do besides writing its own logs and traces.
 * Every group is listed, so a new group does not compile until someone decides.
 */
import type { RouteGroup } from '#shared/api/route-table.ts';
import type { WorkflowFamily } from '#workflows/names.ts';
import type { TableAccess } from './function-defaults.ts';

export interface RouteGroupAccess {
  /** Groups with a mutating route write (their changes and the audit entries); the others only read. */
  table: TableAccess;
  /**
   * The families whose workflows the group starts: it gets their STATE_MACHINE_*
   * variables and states:StartExecution on their state machines, and on no others.
   */
  startsWorkflowsOf: readonly WorkflowFamily[];
}

export const routeGroupAccess: Record<RouteGroup, RouteGroupAccess> = {
  // /healthz and the OpenAPI document are built in the function from code alone.
  public: { table: 'none', startsWorkflowsOf: [] },
  tenancy: { table: 'read-write', startsWorkflowsOf: [] },
  'cloud-accounts': { table: 'read-write', startsWorkflowsOf: [] },
  'cluster-profiles': { table: 'read-write', startsWorkflowsOf: [] },
  'host-clusters': { table: 'read-write', startsWorkflowsOf: ['host-cluster'] },
  'cluster-groups': { table: 'read-write', startsWorkflowsOf: [] },
  operations: { table: 'read', startsWorkflowsOf: [] },
  audit: { table: 'read', startsWorkflowsOf: [] },
};
