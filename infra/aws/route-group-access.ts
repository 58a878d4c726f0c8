/**
 * What each route group's function may do besides writing its own logs and traces.
 * Every group is listed, so a new group does not compile until someone decides.
 */
import type { RouteGroup } from '#shared/api/route-table.ts';
import type { WorkflowFamily } from '#workflows/names.ts';
import type { TableAccess } from './function-defaults.ts';
import type { SecretsAccess } from './secrets-key.ts';
import type { BackupAccess } from './backup-storage.ts';

export interface RouteGroupAccess {
  /** Groups with a mutating route write (their changes and the audit entries); the others only read. */
  table: TableAccess;
  /**
   * The families whose workflows the group starts: it gets their STATE_MACHINE_*
   * variables and states:StartExecution on their state machines, and on no others.
   */
  startsWorkflowsOf: readonly WorkflowFamily[];
  /** The sealed secrets it seals or opens (KMS, by encryption-context purpose); none if absent. */
  secrets?: SecretsAccess;
  /** It runs scheduled jobs on demand by invoking the scheduled function (lambda:InvokeFunction on it alone). */
  invokesScheduledJobs?: boolean;
  /** It calls AKS or GKE through their provider functions (lambda:InvokeFunction on those alone). */
  invokesProviders?: boolean;
  /** The only partition keys it may touch (dynamodb:LeadingKeys patterns); every other item is denied to it. */
  leadingKeys?: readonly string[];
  /** What it does with backup snapshots in the backup bucket (backup-storage.ts); nothing if absent. */
  backups?: readonly BackupAccess[];
}

export const routeGroupAccess: Record<RouteGroup, RouteGroupAccess> = {
  // /healthz and the OpenAPI document are built in the function from code alone.
  public: { table: 'none', startsWorkflowsOf: [] },
  tenancy: { table: 'read-write', startsWorkflowsOf: [] },
  // Seals a new account's secret; validate tries the credential (AKS and GKE through their provider functions).
  'cloud-accounts': { table: 'read-write', startsWorkflowsOf: [], secrets: { seal: ['cloudaccount:*'] }, invokesProviders: true },
  // A version with helm layers is checked against its registries: their credentials are opened to ask them.
  'cluster-profiles': { table: 'read-write', startsWorkflowsOf: [], secrets: { open: ['registry:*'] } },
  // The kubeconfig of an AKS or GKE cluster comes from its provider function.
  'host-clusters': { table: 'read-write', startsWorkflowsOf: ['host-cluster'], invokesProviders: true, secrets: { open: ['cluster:*'] } },
  'cluster-groups': { table: 'read-write', startsWorkflowsOf: [] },
  operations: { table: 'read', startsWorkflowsOf: [] },
  audit: { table: 'read', startsWorkflowsOf: [] },
  // Opens a virtual cluster's credential to hand out its kubeconfig.
  'virtual-clusters': { table: 'read-write', startsWorkflowsOf: ['virtual-cluster'], secrets: { open: ['virtualcluster:*'] } },
  quotas: { table: 'read-write', startsWorkflowsOf: [] },
  // Likewise for helm tiers.
  'app-profiles': { table: 'read-write', startsWorkflowsOf: [], secrets: { open: ['registry:*'] } },
  apps: { table: 'read-write', startsWorkflowsOf: ['app'] },
  // Seals each new webhook's signing secret.
  webhooks: { table: 'read-write', startsWorkflowsOf: [], secrets: { seal: ['webhook:*'] } },
  // The public webhook receiver: it opens the secret to check a delivery's signature and starts the app's deploy.
  hooks: { table: 'read-write', startsWorkflowsOf: ['app'], secrets: { open: ['webhook:*'] } },
  // Runs a job by invoking the scheduled function, which holds the job's own grants; writes only its audit entry.
  jobs: { table: 'read-write', startsWorkflowsOf: [], invokesScheduledJobs: true },
  usage: { table: 'read', startsWorkflowsOf: [] },
  // A workspace kubeconfig is a token its cluster issues: the group reaches the cluster as its admin (AKS and GKE
  // through their provider functions; edge and vSphere clusters with the kubeconfig their agent reported).
  // Seals a new registry's credential, and opens it to ask the registry for its charts.
  registries: { table: 'read-write', startsWorkflowsOf: [], secrets: { seal: ['registry:*'], open: ['registry:*'] } },
  workspaces: { table: 'read-write', startsWorkflowsOf: ['workspace'], invokesProviders: true, secrets: { open: ['cluster:*'] } },
  reports: { table: 'read', startsWorkflowsOf: [] },
  // The agent protocol: agent items and their tasks only; seals the kubeconfig an agent reports, and opens
  // a vSphere account's password only into the heartbeat answer of the gateway whose task carries it.
  // Its items: agents by key hash, token lookups, an agent's pointer and its project check, the registration's audit entry.
  agents: {
    table: 'read-write',
    startsWorkflowsOf: [],
    secrets: { seal: ['cluster:*'], open: ['cloudaccount:*'] },
    leadingKeys: ['AGENTKEY#*', 'REGTOKEN#*', 'TENANT#*', 'AUDIT#*'],
  },
  'agent-inventory': { table: 'read-write', startsWorkflowsOf: [] },
  // Starts backups; a DELETE removes the snapshot from the bucket before the record. (A restore is a virtual-cluster
  // create: that group only reads the backup's record, the virtual-cluster steps read the snapshot.)
  backups: { table: 'read-write', startsWorkflowsOf: ['backup'], backups: ['delete'] },
};
