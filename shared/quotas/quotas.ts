/**
 * Per-user quotas in beehive. The tenant's limits are one item (absent: API.md's
 * defaults); each user's use is a counter item changed only by atomic ADD in the same
 * transaction as the virtual cluster that reserves or releases it, each ADD under a
 * condition that the limit still holds, so no number of concurrent creates or resizes
 * can pass a limit or make a counter drift.
 */
import { ApiError, assertIfMatch } from '../errors.ts';
import type { Store } from '../store/client.ts';
import { keys } from '../store/keys.ts';
import { getItem, getItems, nowIso, TransactionConflict, updateItem, versionConflict, type TransactItem } from '../store/table.ts';
import type { Tx } from '../store/tx.ts';
import { DEFAULT_QUOTA, quotaDimensions, quotaLimitsItem, quotaUsageItem, type QuotaAmounts, type QuotaLimitsItem, type QuotaUsage } from './items.ts';

/** Quotas apply in the shared system group; a tenant's own groups are bounded by their hosts alone. */
export const QUOTA_GROUP = 'beehive';

export interface QuotaState {
  limits: QuotaAmounts;
  /** The limits item as read (undefined while the defaults apply), so a reservation can require it unchanged. */
  item?: QuotaLimitsItem;
  used: QuotaUsage;
}

export async function quotaStateOf(store: Store, tenantId: string, userId: string): Promise<QuotaState> {
  const [limitsRaw, usageRaw] = await getItems(store, [keys.quotaLimits(tenantId, QUOTA_GROUP), keys.quotaUsage(tenantId, QUOTA_GROUP, userId)]);
  const item = limitsRaw ? quotaLimitsItem.parse(limitsRaw) : undefined;
  return { limits: item?.limits ?? DEFAULT_QUOTA, ...(item ? { item } : {}), used: quotaUsageItem.parse(usageRaw ?? {}) };
}

export const toQuota = (state: QuotaState) => ({
  clusterGroupId: QUOTA_GROUP as 'beehive',
  limits: state.limits,
  used: state.used,
  version: state.item?.version ?? 1,
  updatedAt: state.item?.updatedAt ?? null,
});

const over = (dimension: string, limit: number, used: number, wanted: number) =>
  `${dimension}: ${used} used + ${wanted} wanted would pass the limit of ${limit}`;

/**
 * The transaction items that move a user's use by `delta` (a reservation: positive;
 * a release: negative), and for growth require that the limits are the ones read and
 * that every grown counter stays within them. Refuses at once what cannot fit.
 */
export function reserveQuota(tenantId: string, userId: string, state: QuotaState, delta: QuotaAmounts): TransactItem[] {
  const growing = quotaDimensions.filter((d) => delta[d] > 0);
  const problems = growing.filter((d) => state.used[d] + delta[d] > state.limits[d]).map((d) => over(d, state.limits[d], state.used[d], delta[d]));
  const impossible = growing.filter((d) => delta[d] > state.limits[d]);
  if (problems.length || impossible.length) {
    throw new ApiError('quota_exceeded', `your quota in ${QUOTA_GROUP} does not allow this: ${problems.join('; ')}`);
  }
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses = growing.map((d, i) => {
    names[`#q${i}`] = d;
    values[`:q${i}`] = state.limits[d] - delta[d];
    return `(attribute_not_exists(#q${i}) OR #q${i} <= :q${i})`;
  });
  const usageKey = keys.quotaUsage(tenantId, QUOTA_GROUP, userId);
  const add = Object.fromEntries(quotaDimensions.filter((d) => delta[d] !== 0).map((d) => [d, delta[d]]));
  if (Object.keys(add).length === 0) return [];
  const items: TransactItem[] = [
    {
      Update: {
        Key: usageKey,
        // Created by the first reservation: an UpdateItem, not updateItem(), which requires the item.
        UpdateExpression: `SET #type = :type ADD ${Object.keys(add).map((d, i) => `#a${i} :a${i}`).join(', ')}`,
        ...(clauses.length ? { ConditionExpression: clauses.join(' AND ') } : {}),
        ExpressionAttributeNames: { ...names, '#type': 'type', ...Object.fromEntries(Object.keys(add).map((d, i) => [`#a${i}`, d])) },
        ExpressionAttributeValues: { ...values, ':type': 'quotausage', ...Object.fromEntries(Object.values(add).map((v, i) => [`:a${i}`, v])) },
      },
    },
  ];
  if (growing.length) {
    // The limits the conditions were computed from must still be the tenant's.
    items.push({
      ConditionCheck: {
        Key: keys.quotaLimits(tenantId, QUOTA_GROUP),
        ...(state.item
          ? { ConditionExpression: '#version = :v', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':v': state.item.version } }
          : { ConditionExpression: 'attribute_not_exists(pk)' }),
      },
    });
  }
  return items;
}

/** The release of a reservation: counters move back, with no condition (a release always fits). */
export function releaseQuota(tenantId: string, userId: string, amounts: QuotaAmounts): TransactItem {
  return updateItem(keys.quotaUsage(tenantId, QUOTA_GROUP, userId), {
    add: Object.fromEntries(quotaDimensions.map((d) => [d, -amounts[d]])),
    touch: false,
  });
}

/**
 * Sets the tenant's per-user limits. A limit below what a user already holds refuses
 * that user's next create or resize; nothing running is destroyed.
 */
export async function putQuotaLimits(tx: Tx, tenantId: string, limits: QuotaAmounts, ifMatch?: number): Promise<QuotaLimitsItem> {
  const key = keys.quotaLimits(tenantId, QUOTA_GROUP);
  const current = await getItem(tx.store, key, quotaLimitsItem);
  assertIfMatch({ version: current?.version ?? 1 }, ifMatch);
  const now = nowIso();
  const next: QuotaLimitsItem = current
    ? { ...current, limits, updatedAt: now, version: current.version + 1 }
    : { type: 'quota', groupId: QUOTA_GROUP, limits, createdAt: now, updatedAt: now, version: 2 };
  try {
    await tx.commit(
      [
        current
          ? updateItem(key, { set: { limits }, expectedVersion: current.version, now })
          : // The defaults are version 1, so the first limits written are version 2.
            { Put: { Item: { ...key, ...next }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
      { resourceId: QUOTA_GROUP },
    );
  } catch (error) {
    if (error instanceof TransactionConflict) throw await versionConflict(tx.store, key, 'the quota', ifMatch);
    throw error;
  }
  return next;
}
