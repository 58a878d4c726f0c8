import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { cloudAccountRoutes } from '#shared/cloud-accounts/routes.ts';
import { createCloudAccount, deleteCloudAccount, getCloudAccount, listCloudAccounts, toCloudAccount, validateCloudAccount } from '#shared/cloud-accounts/cloud-accounts.ts';

export const handler = createApiHandler(cloudAccountRoutes, {
  'cloudaccount.create': async ({ tx, principal, project, body }) => {
    const account = await createCloudAccount(tx, requireTenant(principal), project.project.id, body);
    return { status: 201, body: toCloudAccount(account), etag: account.version, resourceId: account.id };
  },
  'cloudaccount.validate': async ({ store, principal, project, params }) => ({
    status: 200,
    body: await validateCloudAccount(store, requireTenant(principal), project.project.id, params.id),
  }),
  'cloudaccount.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listCloudAccounts(store, requireTenant(principal), project.project.id, query), toCloudAccount),
  }),
  'cloudaccount.get': async ({ store, principal, project, params }) => {
    const account = await getCloudAccount(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, body: toCloudAccount(account), etag: account.version };
  },
  'cloudaccount.delete': async ({ tx, principal, project, params, ifMatch }) => {
    await deleteCloudAccount(tx, requireTenant(principal), project.project.id, params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },
});
