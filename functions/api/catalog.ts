import { ApiError } from '../../shared/errors.ts';
import { clusterUsing } from '../../shared/clusters/host-clusters.ts';
import { createApiHandler } from '../../shared/http/api-handler.ts';
import { mapPage } from '../../shared/store/pagination.ts';
import { requireTenant } from '../../shared/auth/permissions.ts';
import {
  createCloudAccount,
  deleteCloudAccount,
  getCloudAccount,
  listCloudAccounts,
  toCloudAccount,
} from '../../shared/catalog/cloud-accounts.ts';
import {
  createClusterProfile,
  deleteClusterProfile,
  getClusterProfile,
  listClusterProfiles,
  toClusterProfile,
} from '../../shared/catalog/cluster-profiles.ts';

export const handler = createApiHandler('catalog', {
  'cloudaccount.create': async ({ store, principal, project, body }) => {
    const account = await createCloudAccount(store, requireTenant(principal), project.project.id, body);
    return { status: 201, body: toCloudAccount(account), etag: account.version, resourceId: account.id };
  },
  'cloudaccount.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listCloudAccounts(store, requireTenant(principal), project.project.id, query), toCloudAccount),
  }),
  'cloudaccount.get': async ({ store, principal, project, params }) => {
    const account = await getCloudAccount(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, body: toCloudAccount(account), etag: account.version };
  },
  'cloudaccount.delete': async ({ store, principal, project, params, ifMatch }) => {
    const tenantId = requireTenant(principal);
    const user = await clusterUsing(store, tenantId, project.project.id, { cloudAccountId: params.id });
    if (user) throw new ApiError('invalid_state', `cluster ${user.name} still uses this cloud account; delete it first`);
    await deleteCloudAccount(store, tenantId, project.project.id, params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },

  'clusterprofile.create': async ({ store, principal, project, body }) => {
    const profile = await createClusterProfile(store, requireTenant(principal), project.project.id, body);
    return { status: 201, body: toClusterProfile(profile), etag: profile.version, resourceId: profile.id };
  },
  'clusterprofile.list': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listClusterProfiles(store, requireTenant(principal), project.project.id, query), toClusterProfile),
  }),
  'clusterprofile.get': async ({ store, principal, project, params }) => {
    const profile = await getClusterProfile(store, requireTenant(principal), project.project.id, params.id);
    return { status: 200, body: toClusterProfile(profile), etag: profile.version };
  },
  'clusterprofile.delete': async ({ store, principal, project, params, ifMatch }) => {
    const tenantId = requireTenant(principal);
    const user = await clusterUsing(store, tenantId, project.project.id, { profileId: params.id });
    if (user) throw new ApiError('invalid_state', `cluster ${user.name} still uses this profile version; upgrade or delete it first`);
    await deleteClusterProfile(store, tenantId, project.project.id, params.id, ifMatch);
    return { status: 204, resourceId: params.id };
  },
});
