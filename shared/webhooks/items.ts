import * as z from 'zod';
import { resourceBase } from '../store/items.ts';

/** A webhook as its project lists it; the secret is not here. */
export const webhookItem = z.object({
  type: z.literal('webhook'),
  ...resourceBase,
  tenantId: z.string(),
  projectId: z.string(),
  appId: z.string(),
  lastDeliveryAt: z.string().optional(),
});
export type WebhookItem = z.infer<typeof webhookItem>;

/** What the public receiver reads by webhook id alone: where it points and its sealed signing secret. */
export const webhookLookupItem = z.object({
  type: z.literal('webhooklookup'),
  id: z.string(),
  tenantId: z.string(),
  projectId: z.string(),
  appId: z.string(),
  sealedSecret: z.string(),
});
export type WebhookLookupItem = z.infer<typeof webhookLookupItem>;

/** A delivery taken: its id is not taken again for 24 hours; it names the operation it started. */
export const webhookDeliveryItem = z.object({
  type: z.literal('webhookdelivery'),
  webhookId: z.string(),
  deliveryId: z.string(),
  operationId: z.string(),
  receivedAt: z.string(),
  ttl: z.number().int(),
});
