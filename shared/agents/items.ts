import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

export const agentKinds = ['edge', 'gateway'] as const;
export type AgentKind = (typeof agentKinds)[number];

export const taskPhases = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
export type TaskPhase = (typeof taskPhases)[number];

/** A registration token: only its hash is kept (the token itself is shown once). */
export const registrationTokenItem = z.object({
  type: z.literal('registrationtoken'),
  ...resourceBase,
  tenantId: z.string(),
  projectId: z.string(),
  kind: z.enum(agentKinds),
  tokenHash: z.string(),
  expiresAt: z.string().nullable(),
});
export type RegistrationTokenItem = z.infer<typeof registrationTokenItem>;

/** What register reads by the token's hash alone. */
export const registrationTokenLookupItem = z.object({
  type: z.literal('registrationtokenlookup'),
  tenantId: z.string(),
  projectId: z.string(),
  tokenId: z.string(),
  kind: z.enum(agentKinds),
  expiresAt: z.string().nullable(),
});

export const hardwareItem = z.object({
  cpu: z.number(),
  memoryMiB: z.number(),
  storageGiB: z.number(),
  arch: z.enum(['amd64', 'arm64']),
  gpus: z.array(z.object({ model: z.string() })).optional(),
});
export type Hardware = z.infer<typeof hardwareItem>;

/** Work the platform wants of an agent; the agent reports its phase (and a result). */
export const taskItem = z.object({
  id: z.string(),
  kind: z.string(),
  spec: z.record(z.string(), z.unknown()),
  phase: z.enum(taskPhases),
  message: z.string().optional(),
  /** What the agent reported back; a kubeconfig in it is sealed before it is stored. */
  result: z.record(z.string(), z.unknown()).optional(),
  clusterId: z.string(),
  operationId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TaskItem = z.infer<typeof taskItem>;

/**
 * An agent, stored under its key's hash: a heartbeat is one UpdateItem of this item
 * (lastSeenAt in, tasks out) and a task report another. Its tasks live in it, so an
 * agent can reach no one else's.
 */
export const agentItem = z.object({
  type: z.literal('agent'),
  ...resourceBase,
  tenantId: z.string(),
  projectId: z.string(),
  kind: z.enum(agentKinds),
  hardware: hardwareItem.optional(),
  lastSeenAt: z.string(),
  /** What the agent last said of itself in a heartbeat. */
  status: z.record(z.string(), z.unknown()).optional(),
  /** Moves whenever the platform changes this agent's tasks. */
  generation: z.number().int().default(0),
  tasks: z.record(z.string(), taskItem).default({}),
  /** The edge cluster that holds this host (taken in that cluster's create transaction). */
  clusterId: z.string().optional(),
  role: z.enum(['control-plane', 'worker']).optional(),
  keyHash: z.string(),
});
export type AgentItem = z.infer<typeof agentItem>;

/** The pointer from an agent's id to its item. */
export const agentRefItem = z.object({ type: z.literal('agentref'), agentId: z.string(), keyHash: z.string(), kind: z.enum(agentKinds) });
