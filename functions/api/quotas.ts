import { createApiHandler } from '#shared/http/api-handler.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { quotaRoutes } from '#shared/quotas/routes.ts';
import { putQuotaLimits, quotaStateOf, QUOTA_GROUP, toQuota } from '#shared/quotas/quotas.ts';

export const handler = createApiHandler(quotaRoutes, {
  'quota.get': async ({ store, principal }) => {
    const state = await quotaStateOf(store, requireTenant(principal), principal.userId);
    return { status: 200, body: toQuota(state), etag: state.item?.version ?? 1 };
  },
  'quota.put': async ({ tx, store, principal, body, ifMatch }) => {
    const tenantId = requireTenant(principal);
    const item = await putQuotaLimits(tx, tenantId, body, ifMatch);
    const state = await quotaStateOf(store, tenantId, principal.userId);
    return { status: 200, body: toQuota({ ...state, limits: item.limits, item }), etag: item.version, resourceId: QUOTA_GROUP };
  },
});
