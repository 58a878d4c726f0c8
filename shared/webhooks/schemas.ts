/** Webhooks (API.md "Webhooks"): signed deliveries that redeploy or upgrade an app. */
import * as z from 'zod';
import { displayName, idOf, resourceFields } from '../api/schema-kit.ts';
import { appValues } from '../apps/tier-values.ts';

export const createWebhookBody = z.strictObject({ name: displayName, appId: idOf('app') }).meta({ id: 'CreateWebhook' });

export const webhook = z
  .object({
    id: idOf('webhook'),
    name: z.string(),
    projectId: idOf('project'),
    appId: idOf('app'),
    url: z.string().meta({ description: 'where deliveries are POSTed (no API key: they are signed)' }),
    lastDeliveryAt: z.string().optional(),
    ...resourceFields,
  })
  .meta({ id: 'Webhook' });

export const createdWebhook = webhook
  .extend({
    secret: z.string().meta({ description: 'the HMAC-SHA256 signing secret: shown only here, stored encrypted' }),
  })
  .meta({ id: 'CreatedWebhook' });

export const deliveryBody = z
  .strictObject({
    appProfileId: idOf('appProfile').optional().meta({ description: 'upgrade to this version of the app\'s profile; absent: redeploy the version it has' }),
    values: appValues.optional(),
  })
  .meta({ id: 'WebhookDelivery', description: 'a GitHub delivery (X-GitHub-Event set) may carry GitHub\'s own payload: it redeploys' });

export const deliveryHeaders = z.object({
  'x-hub-signature-256': z.string().max(256).optional().meta({ description: '`sha256=<hex HMAC-SHA256 of the raw body with the secret>`' }),
  'x-delivery-id': z.string().max(200).optional().meta({ description: 'the delivery\'s id: a repeat within 24 h is answered with the first operation' }),
  'x-github-delivery': z.string().max(200).optional().meta({ description: 'accepted instead of X-Delivery-Id' }),
  'x-github-event': z.string().max(100).optional().meta({ description: 'set by GitHub: its payload is not ours, the delivery redeploys' }),
});

export const deliveryAccepted = z.object({ operationId: idOf('operation') }).meta({ id: 'DeliveryAccepted' });
