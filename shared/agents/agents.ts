/**
 * Agents: edge hosts and data-centre gateways, which reach out to the platform (it
 * cannot reach into their networks). A project admin makes a registration token; an
 * agent trades it for its own key (both stored only as hashes); from then on the agent
 * heartbeats, gets the tasks the platform has for it, and reports each task's phase.
 * The agent item lives under its key's hash, so a heartbeat and a report are each one
 * UpdateItem that authenticates, records and answers at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ApiError, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, getItems, isConditionFailure, nowIso, queryPage, TransactionConflict, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { accountSecretPurpose } from '../cloud-accounts/items.ts';
import { agentPhase, heartbeatSeconds } from './heartbeat.ts';
import {
  agentItem,
  agentRefItem,
  registrationTokenItem,
  registrationTokenLookupItem,
  type AgentItem,
  type AgentKind,
  type Hardware,
  type RegistrationTokenItem,
  type TaskItem,
} from './items.ts';
import { agent as agentShape, registrationToken as registrationTokenShape } from './schemas.ts';

const sha256 = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** A registration token: `prt_` + 32 random bytes. */
const newRegistrationToken = () => `prt_${randomBytes(32).toString('base64url')}`;
/** An agent's key: `pak_` + 32 random bytes. */
const newAgentKey = () => `pak_${randomBytes(32).toString('base64url')}`;

export const toRegistrationToken = (item: RegistrationTokenItem) => pickFields(registrationTokenShape, item);
export const toAgent = (item: AgentItem, now = Date.now()) =>
  pickFields(agentShape, { ...item, status: { phase: agentPhase(item, now), lastSeenAt: item.lastSeenAt } });

/** What a kubeconfig reported by an agent is sealed for: the cluster it reaches. */
export const clusterKubeconfigPurpose = (clusterId: string) => `cluster:${clusterId}`;

// ---------------------------------------------------------------------------------
// Registration tokens
// ---------------------------------------------------------------------------------

export async function createRegistrationToken(tx: Tx, tenantId: string, projectId: string, input: { name: string; kind: AgentKind; expiresAt?: string | undefined }) {
  const token = newRegistrationToken();
  const now = nowIso();
  const item: RegistrationTokenItem = {
    type: 'registrationtoken',
    id: newId('registrationToken'),
    name: input.name,
    tenantId,
    projectId,
    kind: input.kind,
    tokenHash: sha256(token),
    expiresAt: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  try {
    await tx.commit(
      [
        { Put: { Item: { ...keys.registrationToken(tenantId, projectId, item.id), ...item }, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            Item: {
              ...keys.registrationTokenByHash(item.tokenHash),
              type: 'registrationtokenlookup', tenantId, projectId, tokenId: item.id, kind: item.kind, expiresAt: item.expiresAt,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { ConditionCheck: { Key: keys.project(tenantId, projectId), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleting)' } },
      ],
      { resourceId: item.id },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) throw new ApiError('invalid_state', 'the project is being deleted');
    throw error;
  }
  return { item, token };
}

export function listRegistrationTokens(store: Store, tenantId: string, projectId: string, page: { limit: number; cursor?: string | undefined }) {
  return queryPage(store, { ...lists.registrationTokens(tenantId, projectId), limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) }, registrationTokenItem);
}

export async function getRegistrationToken(store: Store, tenantId: string, projectId: string, id: string) {
  const item = await getItem(store, keys.registrationToken(tenantId, projectId, id), registrationTokenItem);
  if (!item) throw notFound(`registration token ${id}`);
  return item;
}

/** Revokes a token: agents can no longer register with it (those registered keep their keys). */
export async function revokeRegistrationToken(tx: Tx, tenantId: string, projectId: string, id: string) {
  const item = await getRegistrationToken(tx.store, tenantId, projectId, id);
  await tx.commit(
    [
      { Delete: { Key: keys.registrationToken(tenantId, projectId, id), ConditionExpression: 'attribute_exists(pk)' } },
      { Delete: { Key: keys.registrationTokenByHash(item.tokenHash) } },
    ],
    { resourceId: id },
  ).catch((error: unknown) => {
    if (error instanceof TransactionConflict) throw notFound(`registration token ${id}`);
    throw error;
  });
}

// ---------------------------------------------------------------------------------
// Register, heartbeat, report
// ---------------------------------------------------------------------------------

const refused = () => new ApiError('unauthorized', 'the registration token is unknown, revoked or expired');

/** Trades a registration token for the agent's own key; the agent, its pointer and the audit entry are one transaction. */
export async function registerAgent(
  tx: Tx,
  token: string,
  input: { name: string; kind: AgentKind; hardware?: Hardware | undefined },
  auditAs: (identity: { tenantId: string | null; actor: string; projectId?: string | null; resourceId?: string }) => void,
) {
  const tokenHash = sha256(token);
  const lookup = await getItem(tx.store, keys.registrationTokenByHash(tokenHash), registrationTokenLookupItem);
  if (!lookup || (lookup.expiresAt && Date.parse(lookup.expiresAt) <= Date.now())) throw refused();
  if (lookup.kind !== input.kind) throw new ApiError('forbidden', `this token registers ${lookup.kind} agents, not ${input.kind}`);
  const agentKey = newAgentKey();
  const keyHash = sha256(agentKey);
  const now = nowIso();
  const agent: AgentItem = {
    type: 'agent',
    id: newId('agent'),
    name: input.name,
    tenantId: lookup.tenantId,
    projectId: lookup.projectId,
    kind: input.kind,
    ...(input.hardware ? { hardware: input.hardware } : {}),
    lastSeenAt: now,
    generation: 0,
    tasks: {},
    keyHash,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  auditAs({ tenantId: lookup.tenantId, actor: `agent:${agent.id}`, projectId: lookup.projectId, resourceId: agent.id });
  await tx
    .commit(
      [
        {
          Put: {
            // In no index: a heartbeat then rewrites this one item (1 write unit), nothing else.
            Item: { ...keys.agentByKeyHash(keyHash), ...agent },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Put: { Item: { ...keys.agentRef(lookup.tenantId, lookup.projectId, agent.id), type: 'agentref', agentId: agent.id, keyHash, kind: agent.kind } } },
        // The token must still be there (not revoked meanwhile), and its project too.
        { ConditionCheck: { Key: keys.registrationTokenByHash(tokenHash), ConditionExpression: 'attribute_exists(pk)' } },
        { ConditionCheck: { Key: keys.project(lookup.tenantId, lookup.projectId), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deleting)' } },
      ],
      { resourceId: agent.id },
    )
    .catch((error: unknown) => {
      if (error instanceof TransactionConflict) throw refused();
      throw error;
    });
  return { agent, agentKey };
}

const unknownAgent = () => new ApiError('unauthorized', 'the agent key is unknown or the agent was removed');

/** The tasks an agent still has to work on. */
const openTasks = (agent: Pick<AgentItem, 'tasks'>) =>
  Object.values(agent.tasks)
    .filter((t) => t.phase === 'Pending' || t.phase === 'Running')
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))
    .map(({ id, kind, spec }) => ({ id, kind, spec }));

/**
 * A gateway's task carries its account's vCenter password sealed; only the answer to
 * that gateway's own heartbeat holds it opened (never the table, never the workflow).
 */
async function withOpenedSecret(task: { id: string; kind: string; spec: Record<string, unknown> }) {
  const { sealedPassword, ...spec } = task.spec;
  if (typeof sealedPassword !== 'string' || typeof spec.accountId !== 'string') return task;
  return { ...task, spec: { ...spec, password: await secretBoxFromEnv().open(sealedPassword, accountSecretPurpose(spec.accountId)) } };
}

/**
 * One UpdateItem: the key is checked by the item existing under its hash, lastSeenAt
 * moves, and the new item (its tasks) comes back in the same round trip.
 */
export async function heartbeat(store: Store, agentKey: string, status: Record<string, unknown> | undefined) {
  const keyHash = sha256(agentKey);
  let attributes: Record<string, unknown> | undefined;
  try {
    const out = await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: keys.agentByKeyHash(keyHash),
        UpdateExpression: status ? 'SET lastSeenAt = :now, #status = :status' : 'SET lastSeenAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ...(status ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
        ExpressionAttributeValues: { ':now': nowIso(), ...(status ? { ':status': status } : {}) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    attributes = out.Attributes;
  } catch (error) {
    if (isConditionFailure(error)) throw unknownAgent();
    throw error;
  }
  const agent = agentItem.parse(attributes);
  return { agent, answer: { generation: agent.generation, tasks: await Promise.all(openTasks(agent).map(withOpenedSecret)), heartbeatSeconds: heartbeatSeconds() } };
}

/**
 * An agent reports a task of its own: one UpdateItem of its item, conditioned on the
 * task being there and still open (a finished task stays finished). A kubeconfig in
 * the result is sealed for its cluster first.
 */
export async function reportTask(store: Store, agentKey: string, taskId: string, report: { phase: 'Running' | 'Succeeded' | 'Failed'; message?: string | undefined; result?: Record<string, unknown> | undefined }) {
  const keyHash = sha256(agentKey);
  let result = report.result;
  if (result && typeof result.kubeconfig === 'string') {
    // Which cluster the task is for decides the purpose: read it (the agent's own item) first.
    const agent = await getItem(store, keys.agentByKeyHash(keyHash), agentItem);
    if (!agent) throw unknownAgent();
    const task = agent.tasks[taskId];
    if (!task) throw notFound(`task ${taskId}`);
    const { kubeconfig, ...rest } = result;
    result = { ...rest, sealedKubeconfig: await secretBoxFromEnv().seal(kubeconfig, clusterKubeconfigPurpose(task.clusterId)) };
  }
  const now = nowIso();
  const sets = ['tasks.#task.phase = :phase', 'tasks.#task.updatedAt = :now', 'lastSeenAt = :now'];
  const values: Record<string, unknown> = { ':phase': report.phase, ':now': now, ':pending': 'Pending', ':running': 'Running', ':same': report.phase };
  if (report.message !== undefined) {
    sets.push('tasks.#task.message = :message');
    values[':message'] = report.message;
  }
  if (result !== undefined) {
    sets.push('tasks.#task.#result = :result');
    values[':result'] = result;
  }
  try {
    await store.doc.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: keys.agentByKeyHash(keyHash),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk) AND attribute_exists(tasks.#task) AND (tasks.#task.phase IN (:pending, :running) OR tasks.#task.phase = :same)',
        ExpressionAttributeNames: { '#task': taskId, ...(result !== undefined ? { '#result': 'result' } : {}) },
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const agent = await getItem(store, keys.agentByKeyHash(keyHash), agentItem);
    if (!agent) throw unknownAgent();
    if (!agent.tasks[taskId]) throw notFound(`task ${taskId}`);
    throw new ApiError('invalid_state', `task ${taskId} already ended ${agent.tasks[taskId]!.phase}`);
  }
  return { id: taskId, phase: report.phase };
}

// ---------------------------------------------------------------------------------
// Inventory: a project's edge hosts and gateways
// ---------------------------------------------------------------------------------

/** A project's agents of one kind: a page of their pointers, then their items in one BatchGetItem. */
export async function listAgents(store: Store, tenantId: string, projectId: string, kind: AgentKind, page: { limit: number; cursor?: string | undefined }) {
  const refs = await queryPage(
    store,
    {
      ...lists.agentsOfProject(tenantId, projectId),
      limit: page.limit,
      ...(page.cursor ? { cursor: page.cursor } : {}),
      filter: { expression: '#kind = :kind', names: { '#kind': 'kind' }, values: { ':kind': kind } },
    },
    agentRefItem,
  );
  const items = await getItems(store, refs.items.map((ref) => keys.agentByKeyHash(ref.keyHash)));
  return { items: items.filter((item) => item !== undefined).map((item) => agentItem.parse(item)), nextCursor: refs.nextCursor };
}

/** The agents of these ids (in their order; undefined where there is none). */
export async function agentsById(store: Store, tenantId: string, projectId: string, ids: string[]): Promise<Array<AgentItem | undefined>> {
  const refs = await Promise.all(ids.map((id) => getItem(store, keys.agentRef(tenantId, projectId, id), agentRefItem)));
  return Promise.all(refs.map((ref) => (ref ? getItem(store, keys.agentByKeyHash(ref.keyHash), agentItem) : undefined)));
}

export async function getAgent(store: Store, tenantId: string, projectId: string, id: string, kind: AgentKind) {
  const [agent] = await agentsById(store, tenantId, projectId, [id]);
  if (!agent || agent.kind !== kind) throw notFound(`${kind === 'edge' ? 'edge host' : 'gateway'} ${id}`);
  return agent;
}

/** Removes an agent and revokes its key, refused while a cluster uses it. */
export async function deleteAgent(tx: Tx, tenantId: string, projectId: string, id: string, kind: AgentKind) {
  const agent = await getAgent(tx.store, tenantId, projectId, id, kind);
  const inUse = () => new ApiError('invalid_state', `${agent.name} is used by cluster ${agent.clusterId ?? 'a cloud account'}; delete that first`);
  if (agent.clusterId) throw inUse();
  const items: TransactItem[] = [
    { Delete: { Key: keys.agentByKeyHash(agent.keyHash), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(clusterId) AND attribute_not_exists(accounts)' } },
    { Delete: { Key: keys.agentRef(tenantId, projectId, id) } },
  ];
  await tx.commit(items, { resourceId: id }).catch((error: unknown) => {
    if (error instanceof TransactionConflict) throw inUse();
    throw error;
  });
}

// ---------------------------------------------------------------------------------
// Tasks, from the workflows' side
// ---------------------------------------------------------------------------------

/** A task's id: one per (operation, agent, kind), so a retried step adds the same task again, not another. */
export const taskIdFor = (operationId: string, agentId: string, kind: string) =>
  `tk_${createHash('sha256').update(`${operationId}|${agentId}|${kind}`).digest('hex').slice(0, 26).toUpperCase()}`;

/** Adds a task to an agent (once: a second add of the same id changes nothing) and moves its generation. */
export function addTaskItem(keyHash: string, task: Omit<TaskItem, 'phase' | 'createdAt' | 'updatedAt'>): TransactItem {
  const now = nowIso();
  return {
    Update: {
      Key: keys.agentByKeyHash(keyHash),
      UpdateExpression: 'SET tasks.#task = if_not_exists(tasks.#task, :task) ADD generation :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#task': task.id },
      ExpressionAttributeValues: { ':task': { ...task, phase: 'Pending', createdAt: now, updatedAt: now }, ':one': 1 },
    },
  };
}

/** Drops a cluster's finished tasks from an agent, and with `release` its hold on the agent. */
export function clearTasksItem(keyHash: string, taskIds: string[], release?: { clusterId: string }): TransactItem {
  const names: Record<string, string> = {};
  const removes = taskIds.map((id, i) => {
    names[`#t${i}`] = id;
    return `tasks.#t${i}`;
  });
  if (release) removes.push('clusterId', '#role');
  if (release) names['#role'] = 'role';
  return {
    Update: {
      Key: keys.agentByKeyHash(keyHash),
      UpdateExpression: `REMOVE ${removes.join(', ')}`,
      // Never create the item: an agent can only go while no cluster holds it.
      ConditionExpression: release ? 'attribute_exists(pk) AND (attribute_not_exists(clusterId) OR clusterId = :cluster)' : 'attribute_exists(pk)',
      ...(release ? { ExpressionAttributeValues: { ':cluster': release.clusterId } } : {}),
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    },
  };
}

/** The latest task an agent has for a cluster (of these kinds: any when none given). */
export function latestTask(agent: AgentItem | undefined, clusterId: string, ...kinds: string[]): TaskItem | undefined {
  if (!agent) return undefined;
  return Object.values(agent.tasks)
    .filter((t) => t.clusterId === clusterId && (kinds.length === 0 || kinds.includes(t.kind)))
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0))[0];
}
