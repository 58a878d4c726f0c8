/** Agents (API.md "Agents: edge hosts and data-centre gateways"). */
import * as z from 'zod';
import { displayName, idOf, resourceFields, timestamp } from '../api/schema-kit.ts';
import { agentKinds } from './items.ts';

export const agentKind = z.enum(agentKinds);

export const createRegistrationTokenBody = z
  .strictObject({
    name: displayName,
    kind: agentKind,
    expiresAt: z.iso.datetime({ offset: true }).optional().refine((at) => at === undefined || Date.parse(at) > Date.now(), 'must be in the future'),
  })
  .meta({ id: 'CreateRegistrationToken' });

export const registrationToken = z
  .object({ id: idOf('registrationToken'), name: z.string(), kind: agentKind, projectId: idOf('project'), expiresAt: timestamp.nullable(), ...resourceFields })
  .meta({ id: 'RegistrationToken' });

export const createdRegistrationToken = registrationToken
  .extend({ token: z.string().meta({ description: 'shown only in this response; agents register with it' }) })
  .meta({ id: 'CreatedRegistrationToken' });

export const hardware = z
  .strictObject({
    cpu: z.number().int().min(1).max(1024),
    memoryMiB: z.number().int().min(256).max(16 * 1024 * 1024),
    storageGiB: z.number().int().min(1).max(1024 * 1024),
    arch: z.enum(['amd64', 'arm64']),
    gpus: z.array(z.strictObject({ model: z.string().min(1).max(64) })).max(16).optional(),
  })
  .meta({ id: 'AgentHardware' });

export const registerBody = z.strictObject({ name: displayName, kind: agentKind, hardware: hardware.optional() }).meta({ id: 'RegisterAgent' });

export const registered = z
  .object({ id: idOf('agent'), agentKey: z.string().meta({ description: "the agent's own credential, shown once" }), heartbeatSeconds: z.number().int() })
  .meta({ id: 'RegisteredAgent' });

export const heartbeatBody = z
  .strictObject({ status: z.record(z.string(), z.unknown()).optional().refine((s) => !s || JSON.stringify(s).length <= 4096, 'at most 4 KiB') })
  .meta({ id: 'AgentHeartbeat' });

export const agentTask = z.object({ id: idOf('task'), kind: z.string(), spec: z.record(z.string(), z.unknown()) }).meta({ id: 'AgentTask' });

export const heartbeatAnswer = z
  .object({ generation: z.number().int(), tasks: z.array(agentTask), heartbeatSeconds: z.number().int() })
  .meta({ id: 'AgentHeartbeatAnswer' });

export const taskReportBody = z
  .strictObject({
    phase: z.enum(['Running', 'Succeeded', 'Failed']),
    message: z.string().max(2000).optional(),
    result: z.record(z.string(), z.unknown()).optional().refine((r) => !r || JSON.stringify(r).length <= 64 * 1024, 'at most 64 KiB'),
  })
  .meta({ id: 'AgentTaskReport' });

export const taskReported = z.object({ id: idOf('task'), phase: z.string() }).meta({ id: 'AgentTaskReported' });

export const agent = z
  .object({
    id: idOf('agent'),
    name: z.string(),
    kind: agentKind,
    projectId: idOf('project'),
    hardware: hardware.optional(),
    status: z.object({ phase: z.enum(['Ready', 'Unreachable', 'InUse']), lastSeenAt: timestamp }),
    clusterId: z.string().optional(),
    ...resourceFields,
  })
  .meta({ id: 'Agent' });
