import * as z from 'zod';
import { keys } from '../store/keys.ts';
import { idOf, listOf, listQuery } from '../api/schema-kit.ts';
import { created, featureRoutes, noContent, ok, projectParams, projectResourceParams, readsResource } from '../api/route-kit.ts';
import { createdWebhook, createWebhookBody, deliveryAccepted, deliveryBody, deliveryHeaders, webhook } from './schemas.ts';

export const webhookRoutes = featureRoutes('webhooks', {
  'webhook.create': {
    method: 'POST', path: '/v1/projects/{p}/webhooks', permission: 'project.editor', resourceType: 'webhook',
    summary: 'Create a webhook that redeploys or upgrades an app; its signing secret is shown only in this response',
    params: projectParams, body: createWebhookBody, idempotent: true, responses: created(createdWebhook),
  },
  'webhook.list': {
    method: 'GET', path: '/v1/projects/{p}/webhooks', permission: 'project.viewer', resourceType: 'webhook',
    summary: 'List webhooks (without their secrets)', params: projectParams, query: listQuery,
    responses: ok(listOf(webhook, 'WebhookList')),
  },
  'webhook.get': {
    method: 'GET', path: '/v1/projects/{p}/webhooks/{id}', permission: 'project.viewer', resourceType: 'webhook',
    reads: readsResource(keys.webhook), summary: 'Get a webhook (without its secret)', params: projectResourceParams('webhook'), responses: ok(webhook),
  },
  'webhook.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/webhooks/{id}', permission: 'project.editor', resourceType: 'webhook',
    reads: readsResource(keys.webhook), summary: 'Delete a webhook: its deliveries are refused from now on', params: projectResourceParams('webhook'), responses: noContent,
  },
});

/** The public receiver is its own route group: it runs without an API key and opens only webhook secrets. */
export const hookRoutes = featureRoutes('hooks', {
  'hook.deliver': {
    method: 'POST', path: '/v1/hooks/{webhookId}', permission: 'public', resourceType: 'webhook',
    summary: 'Deliver a signed webhook: redeploys or upgrades the app (X-Hub-Signature-256 over the raw body)',
    params: z.strictObject({ webhookId: idOf('webhook') }), headers: deliveryHeaders, body: deliveryBody, rawBody: true,
    publicErrors: [401, 404, 409, 413, 415],
    responses: {
      202: { description: 'Accepted: the deploy runs; follow operationId', schema: deliveryAccepted },
      200: { description: 'A repeated delivery id: the first delivery\'s operation, nothing new started', schema: deliveryAccepted },
    },
  },
});
