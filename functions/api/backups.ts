import { createApiHandler } from '#shared/http/api-handler.ts';
import { mapPage } from '#shared/store/pagination.ts';
import { requireTenant } from '#shared/auth/permissions.ts';
import { backupRoutes } from '#shared/backups/routes.ts';
import { createBackup, deleteBackup, getBackup, listBackupsOfProject, listBackupsOfVirtualCluster, toBackup } from '#shared/backups/backups.ts';
import { getVirtualCluster } from '#shared/virtual-clusters/virtual-clusters.ts';

export const handler = createApiHandler(backupRoutes, {
  'backup.create': async ({ tx, store, principal, project, params, body, requestId }) => {
    const vc = await getVirtualCluster(store, requireTenant(principal), project.project.id, params.id);
    const { backup } = await createBackup(tx, vc, { trigger: 'manual', keepDays: body.keepDays, requestId });
    return { status: 202, body: toBackup(backup), etag: backup.version, resourceId: backup.id };
  },
  'backup.list': async ({ store, principal, project, params, query }) => ({
    status: 200,
    body: mapPage(await listBackupsOfVirtualCluster(store, { tenantId: requireTenant(principal), projectId: project.project.id }, params.id, query), toBackup),
  }),
  'backup.get': async ({ store, principal, project, params }) => {
    const backup = await getBackup(store, { tenantId: requireTenant(principal), projectId: project.project.id }, params.id, params.backupId);
    return { status: 200, body: toBackup(backup), etag: backup.version };
  },
  'backup.delete': async ({ tx, store, principal, project, params, ifMatch }) => {
    const backup = await getBackup(store, { tenantId: requireTenant(principal), projectId: project.project.id }, params.id, params.backupId);
    await deleteBackup(tx, backup, { ifMatch });
    return { status: 204, resourceId: backup.id };
  },
  'backup.listProject': async ({ store, principal, project, query }) => ({
    status: 200,
    body: mapPage(await listBackupsOfProject(store, { tenantId: requireTenant(principal), projectId: project.project.id }, query), toBackup),
  }),
});
