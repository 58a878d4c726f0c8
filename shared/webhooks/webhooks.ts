/**
 * Webhooks: a signed POST from CI redeploys or upgrades an app. The signing secret is
 * shown once and kept sealed (shared/secrets); the public receiver finds a webhook by
 * id alone (its lookup item), checks the HMAC-SHA256 of the raw bytes in constant time,
 * and takes each delivery id once for 24 hours, in the same transaction as the deploy
 * it starts, so a repeated delivery can only ever name the first one's operation.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiError, assertIfMatch, notFound, validationFailed } from '../errors.ts';
import { fieldErrors } from '../http/field-errors.ts';
import { newId } from '../ids.ts';
import { logger } from '../observability/logger.ts';
import type { Store } from '../store/client.ts';
import { keys, lists } from '../store/keys.ts';
import { pickFields } from '../store/items.ts';
import { getItem, nowIso, queryPage, TransactionConflict, update, updateItem, versionConflict, versionIs } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { secretBoxFromEnv } from '../secrets/secret-box.ts';
import { deployApp, getApp } from '../apps/apps.ts';
import { webhookDeliveryItem, webhookItem, webhookLookupItem, type WebhookItem } from './items.ts';
import { deliveryBody, webhook as webhookShape } from './schemas.ts';

const secretPurpose = (webhookId: string) => `webhook:${webhookId}`;
const urlOf = (baseUrl: string, id: string) => `${baseUrl.replace(/\/$/, '')}/v1/hooks/${id}`;

export const toWebhook = (item: WebhookItem, baseUrl: string) => pickFields(webhookShape, { ...item, url: urlOf(baseUrl, item.id) });

/** Where clients reached the API (API Gateway's domain and scheme), for the URL a webhook is called at. */
export const baseUrlOf = (event: { headers?: Record<string, string | undefined>; requestContext?: { domainName?: string } }) =>
  `${event.headers?.['x-forwarded-proto'] ?? 'https'}://${event.requestContext?.domainName ?? event.headers?.host ?? 'localhost'}`;

export async function createWebhook(tx: Tx, scope: { tenantId: string; projectId: string }, input: { name: string; appId: string }) {
  const app = await getApp(tx.store, scope.tenantId, scope.projectId, input.appId).catch(() => undefined);
  if (!app) throw validationFailed(`no app ${input.appId} in this project`, [{ path: 'body.appId', message: 'unknown app' }]);
  const id = newId('webhook');
  const secret = `whsec_${randomBytes(32).toString('hex')}`;
  const now = nowIso();
  const item: WebhookItem = { type: 'webhook', id, name: input.name, tenantId: scope.tenantId, projectId: scope.projectId, appId: app.id, createdAt: now, updatedAt: now, version: 1 };
  const lookup = {
    type: 'webhooklookup' as const,
    id,
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    appId: app.id,
    sealedSecret: await secretBoxFromEnv().seal(secret, secretPurpose(id)),
  };
  await tx.commit(
    [
      { Put: { Item: { ...keys.webhook(scope.tenantId, scope.projectId, id), ...item }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { Item: { ...keys.webhookLookup(id), ...lookup }, ConditionExpression: 'attribute_not_exists(pk)' } },
      // The app must still exist as the webhook is written.
      { ConditionCheck: { Key: keys.app(scope.tenantId, scope.projectId, app.id), ConditionExpression: 'attribute_exists(pk)' } },
    ],
    { resourceId: id },
  );
  return { item, secret };
}

export function listWebhooks(store: Store, tenantId: string, projectId: string, page: { limit: number; cursor?: string }) {
  return queryPage(store, { ...lists.webhooks(tenantId, projectId), ...page }, webhookItem);
}

export async function getWebhook(store: Store, tenantId: string, projectId: string, id: string) {
  const item = await getItem(store, keys.webhook(tenantId, projectId, id), webhookItem);
  if (!item) throw notFound(`webhook ${id}`);
  return item;
}

export async function deleteWebhook(tx: Tx, tenantId: string, projectId: string, id: string, ifMatch?: number) {
  const key = keys.webhook(tenantId, projectId, id);
  const item = await getWebhook(tx.store, tenantId, projectId, id);
  assertIfMatch(item, ifMatch);
  try {
    await tx.commit([{ Delete: { Key: key, ...versionIs(item.version) } }, { Delete: { Key: keys.webhookLookup(id) } }], { resourceId: id });
  } catch (error) {
    if (error instanceof TransactionConflict) throw await versionConflict(tx.store, key, `webhook ${id}`, ifMatch);
    throw error;
  }
}

// ---------------------------------------------------------------------------------
// The public receiver
// ---------------------------------------------------------------------------------

/** How long a delivery id is remembered. */
export const DELIVERY_WINDOW_SECONDS = 24 * 60 * 60;

/**
 * A stand-in secret, sealed and opened like a real one: a delivery to an unknown id
 * does the same reads, the same open and the same HMAC as one to a real webhook
 * before it is answered, so its timing says nothing about which ids exist.
 */
let decoy: Promise<string> | undefined;
const decoySealed = () => (decoy ??= secretBoxFromEnv().seal(`whsec_${randomBytes(32).toString('hex')}`, secretPurpose('decoy')));

/** `sha256=<hex>` against the HMAC of the bytes, in constant time for any input. */
export function signatureMatches(secret: string, body: Buffer, header: string | undefined): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, 'utf8');
  const given = Buffer.from(header ?? '', 'utf8');
  // timingSafeEqual needs equal lengths; a wrong length is compared with itself and fails.
  const same = timingSafeEqual(given.length === expected.length ? given : expected, expected);
  return same && given.length === expected.length;
}

export interface Delivery {
  webhookId: string;
  body: Buffer;
  headers: { 'x-hub-signature-256'?: string; 'x-delivery-id'?: string; 'x-github-delivery'?: string; 'x-github-event'?: string };
  requestId: string;
}

/** Who the audit log names for a delivery, once it is known which webhook it was for. */
export type DeliveryAudit = (identity: { tenantId: string | null; actor: string; projectId?: string | null; resourceId?: string }) => void;

class RepeatedDelivery extends Error {
  constructor(readonly operationId: string) {
    super('repeated delivery');
  }
}

async function previousDelivery(store: Store, webhookId: string, deliveryId: string) {
  const item = await getItem(store, keys.webhookDelivery(webhookId, deliveryId), webhookDeliveryItem);
  // DynamoDB removes expired items late (TTL); an expired one is not a repeat.
  return item && item.ttl > Date.now() / 1000 ? item : undefined;
}

/**
 * Checks and takes one delivery: 401 for a missing or wrong signature, 404 for an
 * unknown webhook (after the same work), 400 for a missing delivery id or a body that
 * is not ours, 200 with the first operation for a repeated delivery id, else the
 * app's next deploy (202).
 */
export async function receiveDelivery(tx: Tx, delivery: Delivery, audit: DeliveryAudit): Promise<{ status: 200 | 202; operationId: string }> {
  const { store } = tx;
  const actor = `webhook:${delivery.webhookId}`;
  const lookup = await getItem(store, keys.webhookLookup(delivery.webhookId), webhookLookupItem);
  const box = secretBoxFromEnv();
  const secret = lookup ? await box.open(lookup.sealedSecret, secretPurpose(lookup.id)) : await box.open(await decoySealed(), secretPurpose('decoy'));
  const signed = signatureMatches(secret, delivery.body, delivery.headers['x-hub-signature-256']);
  audit({ tenantId: lookup?.tenantId ?? null, actor, projectId: lookup?.projectId ?? null, resourceId: lookup?.appId ?? delivery.webhookId });
  if (!lookup) throw notFound(`webhook ${delivery.webhookId}`);
  if (!signed) {
    logger.warn('webhook delivery refused: bad or missing signature', { webhookId: delivery.webhookId });
    throw new ApiError('unauthorized', 'the delivery is not signed with this webhook\'s secret: X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>');
  }
  const deliveryId = delivery.headers['x-delivery-id'] ?? delivery.headers['x-github-delivery'];
  if (!deliveryId) throw validationFailed('a delivery needs an id', [{ path: 'header.x-delivery-id', message: 'X-Delivery-Id (or X-GitHub-Delivery) is required' }]);

  // GitHub's payloads are GitHub's: a signed GitHub delivery redeploys what the app has.
  let request: { appProfileId?: string; values?: Record<string, never> } = {};
  if (!delivery.headers['x-github-event'] && delivery.body.length > 0) {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(delivery.body));
    } catch {
      throw validationFailed('the delivery body is not JSON', [{ path: 'body', message: 'not valid JSON' }]);
    }
    const parsed = deliveryBody.safeParse(json);
    if (!parsed.success) throw validationFailed('the delivery body is invalid', fieldErrors(parsed.error.issues, 'body'));
    request = parsed.data as typeof request;
  }

  const seen = await previousDelivery(store, lookup.id, deliveryId);
  if (seen) return { status: 200, operationId: seen.operationId };
  const app = await getApp(store, lookup.tenantId, lookup.projectId, lookup.appId).catch(() => undefined);
  if (!app) throw notFound(`the app of webhook ${lookup.id}`);
  const now = Math.floor(Date.now() / 1000);
  const deliveryKey = keys.webhookDelivery(lookup.id, deliveryId);
  try {
    const { operation } = await deployApp(tx, app, request, {
      requestId: delivery.requestId,
      extraItems: (operationId) => [
        {
          Put: {
            Item: {
              ...deliveryKey,
              type: 'webhookdelivery',
              webhookId: lookup.id,
              deliveryId,
              operationId,
              receivedAt: nowIso(),
              ttl: now + DELIVERY_WINDOW_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':now': now },
          },
        },
      ],
      // The same delivery arriving twice at once: the one that lost names the winner's operation.
      onConflict: async () => {
        const first = await previousDelivery(store, lookup.id, deliveryId);
        return first ? new RepeatedDelivery(first.operationId) : undefined;
      },
    });
    await update(store, updateItem(keys.webhook(lookup.tenantId, lookup.projectId, lookup.id), { set: { lastDeliveryAt: nowIso() }, touch: false })).catch(() => undefined);
    return { status: 202, operationId: operation.id };
  } catch (error) {
    if (error instanceof RepeatedDelivery) return { status: 200, operationId: error.operationId };
    if (error instanceof ApiError && error.code === 'invalid_state') {
      // The first of two identical deliveries may have started the deploy a moment ago.
      const first = await previousDelivery(store, lookup.id, deliveryId);
      if (first) return { status: 200, operationId: first.operationId };
    }
    throw error;
  }
}
