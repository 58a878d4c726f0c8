import { ApiError } from '#shared/errors.ts';
import { bearerToken } from '#shared/auth/api-keys.ts';
import { createApiHandler } from '#shared/http/api-handler.ts';
import { agentRoutes } from '#shared/agents/routes.ts';
import { heartbeat, registerAgent, reportTask } from '#shared/agents/agents.ts';
import { heartbeatSeconds } from '#shared/agents/heartbeat.ts';

const credential = (header: string | undefined, what: string) => {
  const token = bearerToken(header);
  if (!token) throw new ApiError('unauthorized', `Authorization: Bearer <${what}> is required`);
  return token;
};

export const handler = createApiHandler(agentRoutes, {
  'agent.register': async ({ tx, headers, body, auditAs }) => {
    const { agent, agentKey } = await registerAgent(tx, credential(headers.authorization, 'registration token'), body, auditAs);
    return { status: 201, body: { id: agent.id, agentKey, heartbeatSeconds: heartbeatSeconds() }, resourceId: agent.id };
  },
  'agent.heartbeat': async ({ store, headers, body }) => ({ status: 200, body: (await heartbeat(store, credential(headers.authorization, 'agent key'), body.status)).answer }),
  'agent.task.report': async ({ store, headers, params, body }) => ({
    status: 200,
    body: await reportTask(store, credential(headers.authorization, 'agent key'), params.id, body),
  }),
});
