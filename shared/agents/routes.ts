import * as z from 'zod';
import { idOf, listOf, listQuery } from '../api/schema-kit.ts';
import { created, featureRoutes, noContent, ok, projectParams, projectResourceParams } from '../api/route-kit.ts';
import * as a from './schemas.ts';

/** Every agent route authenticates with a bearer credential of its own (a registration token, an agent key), never an API key. */
const agentAuth = z.object({ authorization: z.string().max(600).optional().meta({ description: '`Bearer <registration token>` to register, `Bearer <agent key>` after' }) });

/**
 * The agent protocol is its own route group: no API key reaches it (an API key is not
 * an agent key), and its function may touch agent items only.
 */
export const agentRoutes = featureRoutes('agents', {
  'agent.register': {
    method: 'POST', path: '/v1/agents/register', permission: 'public', resourceType: 'agent', headers: agentAuth,
    summary: "Trade a registration token for the agent's own key (shown once), recording its hardware", body: a.registerBody,
    publicErrors: [401, 403], responses: created(a.registered),
  },
  'agent.heartbeat': {
    method: 'POST', path: '/v1/agents/heartbeat', permission: 'public', resourceType: 'agent', headers: agentAuth, body: a.heartbeatBody,
    unaudited: 'every agent heartbeats every few seconds; lastSeenAt on the agent is the record',
    summary: 'The agent is alive; the answer is what the platform wants of it now', publicErrors: [401], responses: ok(a.heartbeatAnswer),
  },
  'agent.task.report': {
    method: 'POST', path: '/v1/agents/tasks/{id}', permission: 'public', resourceType: 'task', headers: agentAuth,
    params: z.strictObject({ id: idOf('task') }), body: a.taskReportBody,
    unaudited: 'a task report is recorded on the task, which the workflow that made it reads',
    summary: "Report the phase (and result) of one of the agent's own tasks", publicErrors: [401, 404, 409], responses: ok(a.taskReported),
  },
});

export const agentInventoryRoutes = featureRoutes('agent-inventory', {
  'registrationtoken.create': {
    method: 'POST', path: '/v1/projects/{p}/registrationtokens', permission: 'project.admin', resourceType: 'registrationtoken',
    summary: 'Make a token agents register with (shown only in this response)', params: projectParams, body: a.createRegistrationTokenBody,
    idempotent: true, responses: created(a.createdRegistrationToken),
  },
  'registrationtoken.list': {
    method: 'GET', path: '/v1/projects/{p}/registrationtokens', permission: 'project.admin', resourceType: 'registrationtoken',
    summary: 'List registration tokens (without the tokens)', params: projectParams, query: listQuery, responses: ok(listOf(a.registrationToken, 'RegistrationTokenList')),
  },
  'registrationtoken.get': {
    method: 'GET', path: '/v1/projects/{p}/registrationtokens/{id}', permission: 'project.admin', resourceType: 'registrationtoken',
    summary: 'Get a registration token (without the token)', params: projectResourceParams('registrationToken'), responses: ok(a.registrationToken),
  },
  'registrationtoken.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/registrationtokens/{id}', permission: 'project.admin', resourceType: 'registrationtoken',
    summary: 'Revoke a registration token', params: projectResourceParams('registrationToken'), responses: noContent,
  },
  'edgehost.list': {
    method: 'GET', path: '/v1/projects/{p}/edgehosts', permission: 'project.viewer', resourceType: 'edgehost',
    summary: "The project's registered edge hosts", params: projectParams, query: listQuery, responses: ok(listOf(a.agent, 'EdgeHostList')),
  },
  'edgehost.get': {
    method: 'GET', path: '/v1/projects/{p}/edgehosts/{id}', permission: 'project.viewer', resourceType: 'edgehost',
    summary: 'An edge host', params: projectResourceParams('agent'), responses: ok(a.agent),
  },
  'edgehost.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/edgehosts/{id}', permission: 'project.editor', resourceType: 'edgehost',
    summary: 'Remove an edge host and revoke its key (not while a cluster uses it)', params: projectResourceParams('agent'), responses: noContent,
  },
  'gateway.list': {
    method: 'GET', path: '/v1/projects/{p}/gateways', permission: 'project.viewer', resourceType: 'gateway',
    summary: "The project's registered data-centre gateways", params: projectParams, query: listQuery, responses: ok(listOf(a.agent, 'GatewayList')),
  },
  'gateway.get': {
    method: 'GET', path: '/v1/projects/{p}/gateways/{id}', permission: 'project.viewer', resourceType: 'gateway',
    summary: 'A gateway', params: projectResourceParams('agent'), responses: ok(a.agent),
  },
  'gateway.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/gateways/{id}', permission: 'project.editor', resourceType: 'gateway',
    summary: 'Remove a gateway and revoke its key (not while a cloud account or cluster uses it)', params: projectResourceParams('agent'), responses: noContent,
  },
});
