import { tableDefinition } from './table-definition.ts';

/**
 * Every key of the single table is built here, so the access patterns can be read
 * in one place:
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
 *   TENANT#<t>              CLUSTERGROUPNAME#<name>   cluster group name reservation
 *   AUDIT#<t>               <at>#<id>                 audit entry
 *   IDEMPOTENCY#<t>         api#<hash>                idempotency record (Powertools)
 *
 *   gsi2: OPERATIONS#Running#<0-7> / <startedAt>#<op>   running operations, sharded (repair)
 *
 *   gsi1: TENANTS / <t>                 tenants in creation order
 *         USERPROJECTS#<t>#<u> / <p>    a user's project memberships
 *         USERKEYS#<t>#<u> / <k>        a user's API keys
 */
export const SYSTEM_TENANT = 'system';

export const keys = {
  tenant: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: '#TENANT' }),
  tenantName: (name: string) => ({ pk: `TENANTNAME#${name.toLowerCase()}`, sk: '#UNIQUE' }),
  tenantsIndex: (tenantId: string) => ({ gsi1pk: 'TENANTS', gsi1sk: tenantId }),

  user: (tenantId: string, userId: string) => ({ pk: `TENANT#${tenantId}`, sk: `USER#${userId}` }),
  userEmail: (tenantId: string, email: string) => ({ pk: `TENANT#${tenantId}`, sk: `EMAIL#${email.toLowerCase()}` }),

  apiKeyByHash: (hash: string) => ({ pk: `APIKEY#${hash}`, sk: '#APIKEY' }),
  apiKey: (tenantId: string, keyId: string) => ({ pk: `TENANT#${tenantId}`, sk: `APIKEY#${keyId}` }),
  userKeysIndex: (tenantId: string, userId: string, keyId: string) => ({
    gsi1pk: `USERKEYS#${tenantId}#${userId}`,
    gsi1sk: keyId,
  }),

  team: (tenantId: string, teamId: string) => ({ pk: `TENANT#${tenantId}`, sk: `TEAM#${teamId}` }),

  project: (tenantId: string, projectId: string) => ({ pk: `TENANT#${tenantId}`, sk: `PROJECT#${projectId}` }),
  projectName: (tenantId: string, name: string) => ({ pk: `TENANT#${tenantId}`, sk: `PROJECTNAME#${name}` }),

  member: (tenantId: string, projectId: string, userId: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `MEMBER#${projectId}#${userId}`,
  }),
  userProjectsIndex: (tenantId: string, userId: string, projectId: string) => ({
    gsi1pk: `USERPROJECTS#${tenantId}#${userId}`,
    gsi1sk: projectId,
  }),

  operation: (tenantId: string, operationId: string) => ({ pk: `TENANT#${tenantId}`, sk: `OPERATION#${operationId}` }),

  cloudAccount: (tenantId: string, projectId: string, accountId: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `CLOUDACCOUNT#${projectId}#${accountId}`,
  }),
  cloudAccountName: (tenantId: string, projectId: string, name: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `CLOUDACCOUNTNAME#${projectId}#${name}`,
  }),
  clusterProfile: (tenantId: string, projectId: string, profileId: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `CLUSTERPROFILE#${projectId}#${profileId}`,
  }),
  clusterProfileName: (tenantId: string, projectId: string, name: string, version: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `CLUSTERPROFILENAME#${projectId}#${encodeURIComponent(name)}#${version}`,
  }),

  cluster: (tenantId: string, projectId: string, clusterId: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `CLUSTER#${projectId}#${clusterId}`,
  }),
  clusterName: (tenantId: string, projectId: string, name: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `CLUSTERNAME#${projectId}#${name}`,
  }),
  clusterGroup: (tenantId: string, groupId: string) => ({ pk: `TENANT#${tenantId}`, sk: `CLUSTERGROUP#${groupId}` }),
  clusterGroupName: (tenantId: string, name: string) => ({ pk: `TENANT#${tenantId}`, sk: `CLUSTERGROUPNAME#${name}` }),

  idempotencyPartition: (tenantId: string) => `IDEMPOTENCY#${tenantId}`,

  runningOperationsShard: (shard: number) => `OPERATIONS#Running#${shard}`,
  runningOperationsIndex: (operationId: string, startedAt: string) => ({
    gsi2pk: `OPERATIONS#Running#${shardOf(operationId)}`,
    gsi2sk: `${startedAt}#${operationId}`,
  }),

  audit: (tenantId: string, at: string, auditId: string) => ({ pk: `AUDIT#${tenantId}`, sk: `${at}#${auditId}` }),
  auditPartition: (tenantId: string) => `AUDIT#${tenantId}`,

  tenantPartition: (tenantId: string) => `TENANT#${tenantId}`,
} as const;

export const skPrefix = {
  user: 'USER#',
  apiKey: 'APIKEY#',
  team: 'TEAM#',
  project: 'PROJECT#',
  member: (projectId: string) => `MEMBER#${projectId}#`,
  cloudAccount: (projectId: string) => `CLOUDACCOUNT#${projectId}#`,
  clusterProfile: (projectId: string) => `CLUSTERPROFILE#${projectId}#`,
  clusterProfileName: (projectId: string, name: string) => `CLUSTERPROFILENAME#${projectId}#${encodeURIComponent(name)}#`,
  cluster: (projectId: string) => `CLUSTER#${projectId}#`,
  clusterGroup: 'CLUSTERGROUP#',
} as const;

/** Running operations spread over this many gsi2 partitions, so no key runs hot. */
export const RUNNING_OPERATION_SHARDS = 8;

function shardOf(id: string): number {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % RUNNING_OPERATION_SHARDS;
}

/** Attribute names of the table's keys, for libraries that need them spelled out. */
export const tableDefinitionKeys = {
  partition: tableDefinition.partitionKey.name,
  sort: tableDefinition.sortKey.name,
  ttl: tableDefinition.timeToLiveAttribute,
} as const;
