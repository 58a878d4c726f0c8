import { tableDefinition, type IndexName } from './table-definition.ts';

/**
 * Every key of the single table is built here, and every list is one of `lists`, so
 * the access patterns can be read in one place:
 *
 *   pk                      sk                        item
 *   TENANT#<t>              #TENANT                   tenant
 *   TENANTNAME#<name>       #UNIQUE                   tenant name reservation
 *   TENANT#<t>              USER#<u>                  user            (system admin: tenant "system")
 *   TENANT#<t>              EMAIL#<email>             user email reservation
 *   APIKEY#<sha256>         #APIKEY                   key lookup by secret hash (authorizer)
 *   TENANT#<t>              APIKEY#<k>                key record (lists, delete by id)
 *   TENANT#<t>              TEAM#<id>                 team
 *   TENANT#<t>              PROJECT#<p>               project
 *   TENANT#<t>              PROJECTNAME#<name>        project name reservation
 *   TENANT#<t>              MEMBER#<p>#<u>            project membership
 *   TENANT#<t>              OPERATION#<op>            operation
 *   TENANT#<t>              CLOUDACCOUNT#<p>#<ca>     cloud account (a project's accounts: begins_with CLOUDACCOUNT#<p>#)
 *   TENANT#<t>              CLOUDACCOUNTNAME#<p>#<name>
 *                                                     cloud account name reservation
 *   TENANT#<t>              CLUSTERPROFILE#<p>#<cp>   cluster profile version (GET by id: GetItem;
 *                                                     list: begins_with CLUSTERPROFILE#<p>#, creation order)
 *   TENANT#<t>              CLUSTERPROFILENAME#<p>#<enc name>#<version>
 *                                                     (name, version) reservation → profile id. ?name= is a
 *                                                     Query on begins_with CLUSTERPROFILENAME#<p>#<enc name>#
 *                                                     then a BatchGetItem of the profiles (both consistent).
 *                                                     <enc name> = encodeURIComponent(name), so no '#' in it.
 *   TENANT#<t>              CLUSTER#<p>#<cl>          host cluster (a project's clusters: begins_with CLUSTER#<p>#)
 *   TENANT#<t>              CLUSTERNAME#<p>#<name>    host cluster name reservation
 *   TENANT#<t>              CLUSTERGROUP#<cg>         cluster group ("system" tenant: beehive)
 *   TENANT#<t>              CLUSTERGROUPNAME#<name>   cluster group name reservation (lower case)
 *   TENANT#<t>              VCLUSTER#<p>#<vc>         virtual cluster (a project's: begins_with VCLUSTER#<p>#)
 *   TENANT#<t>              VCLUSTERNAME#<p>#<name>   virtual cluster name reservation
 *   TENANT#<t>              QUOTA#<group>             per-user quota limits of the tenant in a group (beehive)
 *   TENANT#<t>              QUOTAUSAGE#<group>#<u>    a user's usage counter in a group
 *   TENANT#<t>              APPPROFILE#<p>#<ap>       app profile version
 *   TENANT#<t>              APPPROFILENAME#<p>#<enc name>#<version>
 *                                                     (name, version) reservation → profile id
 *   TENANT#<t>              APPPROFILEFAMILY#<p>#<enc name>
 *                                                     a profile name's tier types and latest version
 *   TENANT#<t>              APP#<p>#<app>             app
 *   TENANT#<t>              APPNAME#<p>#<name>        app name reservation
 *   TENANT#<t>              WEBHOOK#<p>#<wh>          webhook (lists)
 *   WEBHOOK#<wh>            #WEBHOOK                  webhook lookup by id (the public receiver)
 *   WEBHOOKDELIVERY#<wh>    <delivery id>             a delivery already taken (24 h TTL)
 *   TENANT#<t>              METER#<kind>#<id>         a resource's allocation history (usage meter), kept past the resource
 *   TENANT#<t>              REPORT#<start>#<kind>     a scheduled cost report (id rpt_<kind>_<yyyymmdd>)
 *   USAGE#<t>#<p>           <kind>#H#<hour>#<id>      a resource's usage in one hour (kind: cluster, virtualcluster, app)
 *   USAGE#<t>#<p>           <kind>#D#<day>#<id>       a resource's usage in one day
 *   USAGE#<t>               project#H#<hour>#<p>      a project's usage in one hour (and project#D#<day>#<p>)
 *   USAGE#<t>               tenant#H#<hour>           the tenant's usage in one hour (and tenant#D#<day>)
 *   JOB#<name>              #STATE                    a scheduled job's last run, lease and continuation
 *   JOB#<name>              <part>                    a job's working records (rollup windows, cursors, partial sums; TTL)
 *   AUDIT#<t>               <at>#<id>                 audit entry
 *   TENANT#<t>              REGTOKEN#<p>#<rt>         registration token (lists, revoke by id)
 *   REGTOKEN#<sha256>       #REGTOKEN                 token lookup by secret hash (register)
 *   AGENTKEY#<sha256>       #AGENT                    an agent, found by its key's hash: heartbeat and task
 *                                                     reports are one UpdateItem of this item (its tasks live in it)
 *   TENANT#<t>              AGENT#<p>#<ag>            an agent's pointer to its item (GET/DELETE by id, clusters' hosts)
 *   TENANT#<t>              WORKSPACE#<p>#<ws>        workspace (a project's: begins_with WORKSPACE#<p>#)
 *   TENANT#<t>              WORKSPACENAME#<p>#<name>  workspace name reservation
 *   TENANT#<t>              REGISTRY#<rg>             Helm or OCI registry (the tenant's: begins_with REGISTRY#)
 *   TENANT#<t>              REGISTRYNAME#<name>       registry name reservation
 *   TENANT#<t>              BACKUP#<p>#<bk>           a virtual cluster's backup (kept past the virtual cluster;
 *                                                     a project's: begins_with BACKUP#<p>#)
 *   IDEMPOTENCY#<t>         api#<hash>                idempotency record (Powertools)
 *
 *   gsi2: OPERATIONS#Running#<0-7> / <startedAt>#<op>   running operations, sharded (repair)
 *         KIND#<kind>#<0-7> / <t>#<id>                    every virtual cluster, host cluster, app, workspace,
 *                                                         sharded (the scheduled jobs' work lists)
 *         METER#<kind>#<0-7> / <firstAt>#<t>#<id>         every usage meter, by first allocation (rollup-usage)
 *         BACKUPS#<0-7> / <expiresAt>#<t>#<bk>             every backup, by when it expires (run-backups deletes
 *                                                         the expired ones: a range up to now)
 *
 *   gsi1: TENANTS / <t>                 tenants in creation order
 *         USERPROJECTS#<t>#<u> / <p>    a user's project memberships
 *         USERKEYS#<t>#<u> / <k>        a user's API keys
 *         USERVCLUSTERS#<t>#<u> / <vc>  a user's virtual clusters (quota recount)
 *         VCLUSTERAPPS#<t>#<vc> / <app> the apps of a virtual cluster
 *         OPERATIONSOF#<t>#<id> / <op>  a resource's operations (?resourceId=; op ids sort by time)
 *         VCLUSTERBACKUPS#<t>#<vc> / <bk>  the backups of a virtual cluster (also once it is gone)
 */
export const SYSTEM_TENANT = 'system';

/** The partition owner of a principal: tenant users live in their tenant, the system admin in `system`. */
export const tenantOrSystem = (tenantId: string | null) => tenantId ?? SYSTEM_TENANT;

const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
const userKeysPk = (tenantId: string, userId: string) => `USERKEYS#${tenantId}#${userId}`;
const userProjectsPk = (tenantId: string, userId: string) => `USERPROJECTS#${tenantId}#${userId}`;
const profileName = (name: string) => encodeURIComponent(name);
const operationsOfResourcePk = (tenantId: string, resourceId: string) => `OPERATIONSOF#${tenantId}#${resourceId}`;
const userVirtualClustersPk = (tenantId: string, userId: string) => `USERVCLUSTERS#${tenantId}#${userId}`;
const virtualClusterAppsPk = (tenantId: string, virtualClusterId: string) => `VCLUSTERAPPS#${tenantId}#${virtualClusterId}`;
const virtualClusterBackupsPk = (tenantId: string, virtualClusterId: string) => `VCLUSTERBACKUPS#${tenantId}#${virtualClusterId}`;
/** Backups spread over this many gsi2 partitions by id, each ordered by expiry. */
export const BACKUP_SHARDS = 8;

/** The kinds the scheduled jobs walk, each over KIND_SHARDS gsi2 partitions. */
export type ResourceKind = 'virtualcluster' | 'cluster' | 'app';
/** The kinds on a work list: the metered ones, and workspaces (re-applied where they drifted). */
export type WorkListKind = ResourceKind | 'workspace';
export const KIND_SHARDS = 8;

export const keys = {
  tenant: (tenantId: string) => ({ pk: tenantPk(tenantId), sk: '#TENANT' }),
  tenantName: (name: string) => ({ pk: `TENANTNAME#${name.toLowerCase()}`, sk: '#UNIQUE' }),
  tenantsIndex: (tenantId: string) => ({ gsi1pk: 'TENANTS', gsi1sk: tenantId }),

  user: (tenantId: string, userId: string) => ({ pk: tenantPk(tenantId), sk: `USER#${userId}` }),
  userEmail: (tenantId: string, email: string) => ({ pk: tenantPk(tenantId), sk: `EMAIL#${email.toLowerCase()}` }),

  apiKeyByHash: (hash: string) => ({ pk: `APIKEY#${hash}`, sk: '#APIKEY' }),
  registrationToken: (tenantId: string, projectId: string, tokenId: string) => ({ pk: tenantPk(tenantId), sk: `REGTOKEN#${projectId}#${tokenId}` }),
  registrationTokenByHash: (hash: string) => ({ pk: `REGTOKEN#${hash}`, sk: '#REGTOKEN' }),
  agentByKeyHash: (hash: string) => ({ pk: `AGENTKEY#${hash}`, sk: '#AGENT' }),
  agentRef: (tenantId: string, projectId: string, agentId: string) => ({ pk: tenantPk(tenantId), sk: `AGENT#${projectId}#${agentId}` }),
  apiKey: (tenantId: string, keyId: string) => ({ pk: tenantPk(tenantId), sk: `APIKEY#${keyId}` }),
  userKeysIndex: (tenantId: string, userId: string, keyId: string) => ({ gsi1pk: userKeysPk(tenantId, userId), gsi1sk: keyId }),

  team: (tenantId: string, teamId: string) => ({ pk: tenantPk(tenantId), sk: `TEAM#${teamId}` }),

  project: (tenantId: string, projectId: string) => ({ pk: tenantPk(tenantId), sk: `PROJECT#${projectId}` }),
  projectName: (tenantId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `PROJECTNAME#${name}` }),

  member: (tenantId: string, projectId: string, userId: string) => ({ pk: tenantPk(tenantId), sk: `MEMBER#${projectId}#${userId}` }),
  userProjectsIndex: (tenantId: string, userId: string, projectId: string) => ({
    gsi1pk: userProjectsPk(tenantId, userId),
    gsi1sk: projectId,
  }),

  operation: (tenantId: string, operationId: string) => ({ pk: tenantPk(tenantId), sk: `OPERATION#${operationId}` }),
  runningOperationsIndex: (operationId: string, startedAt: string) => ({
    gsi2pk: `OPERATIONS#Running#${shardOf(operationId, RUNNING_OPERATION_SHARDS)}`,
    gsi2sk: `${startedAt}#${operationId}`,
  }),

  cloudAccount: (tenantId: string, projectId: string, accountId: string) => ({
    pk: tenantPk(tenantId),
    sk: `CLOUDACCOUNT#${projectId}#${accountId}`,
  }),
  cloudAccountName: (tenantId: string, projectId: string, name: string) => ({
    pk: tenantPk(tenantId),
    sk: `CLOUDACCOUNTNAME#${projectId}#${name}`,
  }),
  clusterProfile: (tenantId: string, projectId: string, profileId: string) => ({
    pk: tenantPk(tenantId),
    sk: `CLUSTERPROFILE#${projectId}#${profileId}`,
  }),
  clusterProfileName: (tenantId: string, projectId: string, name: string, version: string) => ({
    pk: tenantPk(tenantId),
    sk: `CLUSTERPROFILENAME#${projectId}#${profileName(name)}#${version}`,
  }),

  cluster: (tenantId: string, projectId: string, clusterId: string) => ({ pk: tenantPk(tenantId), sk: `CLUSTER#${projectId}#${clusterId}` }),
  clusterName: (tenantId: string, projectId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `CLUSTERNAME#${projectId}#${name}` }),
  clusterGroup: (tenantId: string, groupId: string) => ({ pk: tenantPk(tenantId), sk: `CLUSTERGROUP#${groupId}` }),
  clusterGroupName: (tenantId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `CLUSTERGROUPNAME#${name.toLowerCase()}` }),

  virtualCluster: (tenantId: string, projectId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `VCLUSTER#${projectId}#${id}` }),
  virtualClusterName: (tenantId: string, projectId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `VCLUSTERNAME#${projectId}#${name}` }),
  operationsOfResourceIndex: (tenantId: string, resourceId: string, operationId: string) => ({ gsi1pk: operationsOfResourcePk(tenantId, resourceId), gsi1sk: operationId }),
  virtualClustersOfOwnerIndex: (tenantId: string, userId: string, id: string) => ({ gsi1pk: userVirtualClustersPk(tenantId, userId), gsi1sk: id }),
  quotaLimits: (tenantId: string, groupId: string) => ({ pk: tenantPk(tenantId), sk: `QUOTA#${groupId}` }),
  quotaUsage: (tenantId: string, groupId: string, userId: string) => ({ pk: tenantPk(tenantId), sk: `QUOTAUSAGE#${groupId}#${userId}` }),

  appProfile: (tenantId: string, projectId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `APPPROFILE#${projectId}#${id}` }),
  appProfileName: (tenantId: string, projectId: string, name: string, version: string) => ({
    pk: tenantPk(tenantId),
    sk: `APPPROFILENAME#${projectId}#${profileName(name)}#${version}`,
  }),
  appProfileFamily: (tenantId: string, projectId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `APPPROFILEFAMILY#${projectId}#${profileName(name)}` }),
  app: (tenantId: string, projectId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `APP#${projectId}#${id}` }),
  appName: (tenantId: string, projectId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `APPNAME#${projectId}#${name}` }),
  appsOfVirtualClusterIndex: (tenantId: string, virtualClusterId: string, appId: string) => ({ gsi1pk: virtualClusterAppsPk(tenantId, virtualClusterId), gsi1sk: appId }),

  workspace: (tenantId: string, projectId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `WORKSPACE#${projectId}#${id}` }),
  workspaceName: (tenantId: string, projectId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `WORKSPACENAME#${projectId}#${name}` }),
  registry: (tenantId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `REGISTRY#${id}` }),
  registryName: (tenantId: string, name: string) => ({ pk: tenantPk(tenantId), sk: `REGISTRYNAME#${name.toLowerCase()}` }),

  backup: (tenantId: string, projectId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `BACKUP#${projectId}#${id}` }),
  backupsOfVirtualClusterIndex: (tenantId: string, virtualClusterId: string, backupId: string) => ({ gsi1pk: virtualClusterBackupsPk(tenantId, virtualClusterId), gsi1sk: backupId }),
  /** Puts a backup on the expiry list (gsi2), which run-backups reads up to now. */
  backupExpiryIndex: (tenantId: string, backupId: string, expiresAt: string) => ({ gsi2pk: `BACKUPS#${shardOf(backupId, BACKUP_SHARDS)}`, gsi2sk: `${expiresAt}#${tenantId}#${backupId}` }),

  webhook: (tenantId: string, projectId: string, id: string) => ({ pk: tenantPk(tenantId), sk: `WEBHOOK#${projectId}#${id}` }),
  webhookLookup: (id: string) => ({ pk: `WEBHOOK#${id}`, sk: '#WEBHOOK' }),
  webhookDelivery: (id: string, deliveryId: string) => ({ pk: `WEBHOOKDELIVERY#${id}`, sk: deliveryId }),

  /** Puts an item on its kind's work list (gsi2), so scheduled jobs find every one without a Scan. */
  kindIndex: (kind: WorkListKind, tenantId: string, id: string) => ({ gsi2pk: `KIND#${kind}#${shardOf(id, KIND_SHARDS)}`, gsi2sk: `${tenantId}#${id}` }),

  idempotencyPartition: (tenantId: string) => `IDEMPOTENCY#${tenantId}`,

  /** A resource's allocation history; on its kind's meter list so the rollup finds it after the resource is gone. */
  meter: (tenantId: string, kind: ResourceKind, id: string) => ({ pk: tenantPk(tenantId), sk: `METER#${kind}#${id}` }),
  meterIndex: (kind: ResourceKind, tenantId: string, id: string, firstAt: string) => ({ gsi2pk: `METER#${kind}#${shardOf(id, KIND_SHARDS)}`, gsi2sk: `${firstAt}#${tenantId}#${id}` }),
  usageOfResource: (tenantId: string, projectId: string, kind: ResourceKind, grain: 'H' | 'D', period: string, id: string) => ({
    pk: `USAGE#${tenantId}#${projectId}`,
    sk: `${kind}#${grain}#${period}#${id}`,
  }),
  usageOfProject: (tenantId: string, grain: 'H' | 'D', period: string, projectId: string) => ({ pk: `USAGE#${tenantId}`, sk: `project#${grain}#${period}#${projectId}` }),
  usageOfTenant: (tenantId: string, grain: 'H' | 'D', period: string) => ({ pk: `USAGE#${tenantId}`, sk: `tenant#${grain}#${period}` }),
  report: (tenantId: string, start: string, kind: string) => ({ pk: tenantPk(tenantId), sk: `REPORT#${start}#${kind}` }),
  jobState: (job: string) => ({ pk: `JOB#${job}`, sk: '#STATE' }),
  jobPart: (job: string, part: string) => ({ pk: `JOB#${job}`, sk: part }),

  audit: (tenantId: string, at: string, auditId: string) => ({ pk: `AUDIT#${tenantId}`, sk: `${at}#${auditId}` }),
} as const;

/** A Query: a partition (of the table or an index) and optionally a sort-key range. */
export interface ListSpec {
  index?: IndexName;
  partition: { attribute: string; value: string };
  skBeginsWith?: { attribute: string; value: string };
  skBetween?: { attribute: string; from: string; to: string };
}

const inTenant = (tenantId: string, skPrefix: string): ListSpec => ({
  partition: { attribute: 'pk', value: tenantPk(tenantId) },
  skBeginsWith: { attribute: 'sk', value: skPrefix },
});

/** Every list the platform reads, as the Query that reads it. */
export const lists = {
  tenants: (): ListSpec => ({ index: 'gsi1', partition: { attribute: 'gsi1pk', value: 'TENANTS' } }),
  users: (tenantId: string) => inTenant(tenantId, 'USER#'),
  apiKeys: (tenantId: string) => inTenant(tenantId, 'APIKEY#'),
  apiKeysOfUser: (tenantId: string, userId: string): ListSpec => ({ index: 'gsi1', partition: { attribute: 'gsi1pk', value: userKeysPk(tenantId, userId) } }),
  teams: (tenantId: string) => inTenant(tenantId, 'TEAM#'),
  projects: (tenantId: string) => inTenant(tenantId, 'PROJECT#'),
  members: (tenantId: string, projectId: string) => inTenant(tenantId, `MEMBER#${projectId}#`),
  membershipsOfUser: (tenantId: string, userId: string): ListSpec => ({
    index: 'gsi1',
    partition: { attribute: 'gsi1pk', value: userProjectsPk(tenantId, userId) },
  }),
  cloudAccounts: (tenantId: string, projectId: string) => inTenant(tenantId, `CLOUDACCOUNT#${projectId}#`),
  cloudAccountNames: (tenantId: string, projectId: string) => inTenant(tenantId, `CLOUDACCOUNTNAME#${projectId}#`),
  clusterProfiles: (tenantId: string, projectId: string) => inTenant(tenantId, `CLUSTERPROFILE#${projectId}#`),
  clusterProfileNames: (tenantId: string, projectId: string) => inTenant(tenantId, `CLUSTERPROFILENAME#${projectId}#`),
  /** The versions of one profile (its reservations), ordered by version string. */
  clusterProfileVersions: (tenantId: string, projectId: string, name: string) =>
    inTenant(tenantId, `CLUSTERPROFILENAME#${projectId}#${profileName(name)}#`),
  clusters: (tenantId: string, projectId: string) => inTenant(tenantId, `CLUSTER#${projectId}#`),
  clusterGroups: (tenantId: string) => inTenant(tenantId, 'CLUSTERGROUP#'),
  virtualClusters: (tenantId: string, projectId: string) => inTenant(tenantId, `VCLUSTER#${projectId}#`),
  operations: (tenantId: string) => inTenant(tenantId, 'OPERATION#'),
  registrationTokens: (tenantId: string, projectId: string) => inTenant(tenantId, `REGTOKEN#${projectId}#`),
  agentsOfProject: (tenantId: string, projectId: string) => inTenant(tenantId, `AGENT#${projectId}#`),
  operationsOfResource: (tenantId: string, resourceId: string): ListSpec => ({ index: 'gsi1', partition: { attribute: 'gsi1pk', value: operationsOfResourcePk(tenantId, resourceId) } }),
  virtualClustersOfOwner: (tenantId: string, userId: string): ListSpec => ({ index: 'gsi1', partition: { attribute: 'gsi1pk', value: userVirtualClustersPk(tenantId, userId) } }),
  appProfiles: (tenantId: string, projectId: string) => inTenant(tenantId, `APPPROFILE#${projectId}#`),
  appProfileNames: (tenantId: string, projectId: string) => inTenant(tenantId, `APPPROFILENAME#${projectId}#`),
  /** The versions of one app profile (its reservations), ordered by version string. */
  appProfileVersions: (tenantId: string, projectId: string, name: string) => inTenant(tenantId, `APPPROFILENAME#${projectId}#${profileName(name)}#`),
  appProfileFamilies: (tenantId: string, projectId: string) => inTenant(tenantId, `APPPROFILEFAMILY#${projectId}#`),
  apps: (tenantId: string, projectId: string) => inTenant(tenantId, `APP#${projectId}#`),
  appsOfVirtualCluster: (tenantId: string, virtualClusterId: string): ListSpec => ({
    index: 'gsi1',
    partition: { attribute: 'gsi1pk', value: virtualClusterAppsPk(tenantId, virtualClusterId) },
  }),
  webhooks: (tenantId: string, projectId: string) => inTenant(tenantId, `WEBHOOK#${projectId}#`),
  workspaces: (tenantId: string, projectId: string) => inTenant(tenantId, `WORKSPACE#${projectId}#`),
  registries: (tenantId: string) => inTenant(tenantId, 'REGISTRY#'),
  backups: (tenantId: string, projectId: string) => inTenant(tenantId, `BACKUP#${projectId}#`),
  backupsOfVirtualCluster: (tenantId: string, virtualClusterId: string): ListSpec => ({
    index: 'gsi1',
    partition: { attribute: 'gsi1pk', value: virtualClusterBackupsPk(tenantId, virtualClusterId) },
  }),
  /** One shard of the backups that expired before `before`, oldest first. */
  expiredBackups: (shard: number, before: string): ListSpec => ({
    index: 'gsi2',
    partition: { attribute: 'gsi2pk', value: `BACKUPS#${shard}` },
    skBetween: { attribute: 'gsi2sk', from: '0', to: before },
  }),
  /** One shard of a kind's work list, across tenants. */
  ofKind: (kind: WorkListKind, shard: number): ListSpec => ({ index: 'gsi2', partition: { attribute: 'gsi2pk', value: `KIND#${kind}#${shard}` } }),
  /** One shard of a kind's usage meters that began before `before`, in order of their first allocation. */
  metersOfKind: (kind: ResourceKind, shard: number, before: string): ListSpec => ({
    index: 'gsi2',
    partition: { attribute: 'gsi2pk', value: `METER#${kind}#${shard}` },
    skBetween: { attribute: 'gsi2sk', from: '0', to: before },
  }),
  /** A project's records of one kind and grain between two periods (inclusive). */
  usageOfResources: (tenantId: string, projectId: string, kind: ResourceKind, grain: 'H' | 'D', from: string, to: string): ListSpec => ({
    partition: { attribute: 'pk', value: `USAGE#${tenantId}#${projectId}` },
    skBetween: { attribute: 'sk', from: `${kind}#${grain}#${from}`, to: `${kind}#${grain}#${to}#~` },
  }),
  /** The tenant's project (or tenant) records of one grain between two periods (inclusive). */
  usageOfTenant: (tenantId: string, level: 'project' | 'tenant', grain: 'H' | 'D', from: string, to: string): ListSpec => ({
    partition: { attribute: 'pk', value: `USAGE#${tenantId}` },
    skBetween: { attribute: 'sk', from: `${level}#${grain}#${from}`, to: `${level}#${grain}#${to}~` },
  }),
  reports: (tenantId: string) => inTenant(tenantId, 'REPORT#'),
  quotaUsages: (tenantId: string, groupId: string) => inTenant(tenantId, `QUOTAUSAGE#${groupId}#`),
  virtualClustersOfTenant: (tenantId: string) => inTenant(tenantId, 'VCLUSTER#'),
  jobParts: (job: string, prefix: string): ListSpec => ({ partition: { attribute: 'pk', value: `JOB#${job}` }, skBeginsWith: { attribute: 'sk', value: prefix } }),
  runningOperations: (shard: number, startedBefore: string): ListSpec => ({
    index: 'gsi2',
    partition: { attribute: 'gsi2pk', value: `OPERATIONS#Running#${shard}` },
    skBetween: { attribute: 'gsi2sk', from: '0', to: startedBefore },
  }),
  audit: (tenantId: string, from: string, to: string): ListSpec => ({
    partition: { attribute: 'pk', value: `AUDIT#${tenantId}` },
    skBetween: { attribute: 'sk', from, to },
  }),
} as const;

/** What a project owns in its tenant's partition besides its clusters (and their apps); deleted with it. */
export const projectOwnedLists = (tenantId: string, projectId: string): ListSpec[] => [
  lists.members(tenantId, projectId),
  lists.cloudAccounts(tenantId, projectId),
  lists.cloudAccountNames(tenantId, projectId),
  lists.clusterProfiles(tenantId, projectId),
  lists.clusterProfileNames(tenantId, projectId),
  lists.appProfiles(tenantId, projectId),
  lists.appProfileNames(tenantId, projectId),
  lists.appProfileFamilies(tenantId, projectId),
  lists.webhooks(tenantId, projectId),
  // Not its backups: each stays with its snapshot until it expires, when run-backups deletes both.
];

/** Items outside the tenant's partition that belong to one of a project's items (deleted with it). */
export function outsideItemsOf(item: { pk: string; sk: string }): Array<{ pk: string; sk: string }> {
  if (item.sk.startsWith('WEBHOOK#')) return [keys.webhookLookup(item.sk.split('#').at(-1)!)];
  return [];
}

/** Running operations spread over this many gsi2 partitions, so no key runs hot. */
export const RUNNING_OPERATION_SHARDS = 8;

function shardOf(id: string, shards: number): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % shards;
}

/** Attribute names of the table's keys, for libraries that need them spelled out. */
export const tableDefinitionKeys = {
  partition: tableDefinition.partitionKey.name,
  sort: tableDefinition.sortKey.name,
  ttl: tableDefinition.timeToLiveAttribute,
} as const;
