import { createApiHandler } from '#shared/http/api-handler.ts';
import { hookRoutes } from '#shared/webhooks/routes.ts';
import { receiveDelivery } from '#shared/webhooks/webhooks.ts';

export const handler = createApiHandler(hookRoutes, {
  'hook.deliver': async ({ tx, params, headers, rawBody, requestId, auditAs }) => {
    const { status, operationId } = await receiveDelivery(tx, { webhookId: params.webhookId, body: rawBody, headers, requestId }, auditAs);
    return { status, body: { operationId } };
  },
});
