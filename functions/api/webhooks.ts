import { createApiHandler } from '#shared/http/api-handler.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { webhookRoutes } from '#shared/webhooks/routes.ts';
import { baseUrlOf, createWebhook, deleteWebhook, getWebhook, listWebhooks, toWebhook } from '#shared/webhooks/webhooks.ts';

export const handler = createApiHandler(webhookRoutes, {
  'webhook.create': async ({ tx, principal, project, body, event }) => {
    const { item, secret } = await createWebhook(tx, { tenantId: requireTenant(principal), projectId: project.project.id }, body);
    return { status: 201, body: { ...toWebhook(item, baseUrlOf(event)), secret }, etag: item.version, resourceId: item.id };
  },
  'webhook.list': async ({ store, principal, project, query, event }) => {
    const page = await listWebhooks(store, requireTenant(principal), project.project.id, query);
    return { status: 200, body: { items: page.items.map((w) => toWebhook(w, baseUrlOf(event))), nextCursor: page.nextCursor } };
  },
  'webhook.get': async ({ store, principal, project, params, event }) => {
    const item = await getWebhook(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, body: toWebhook(item, baseUrlOf(event)), etag: item.version };
  },
  'webhook.delete': async ({ tx, principal, project, params, ifMatch }) => {
    await deleteWebhook(tx, requireTenant(principal), project.project.id, params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },
});
