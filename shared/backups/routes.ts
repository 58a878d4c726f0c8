import * as z from 'zod';
import { idOf, listOf } from '../api/schema-kit.ts';
import { accepted, featureRoutes, noContent, ok, projectParams, projectRef } from '../api/route-kit.ts';
import { backup, backupListQuery, createBackupBody } from './schemas.ts';

const ofVirtualCluster = z.strictObject({ p: projectRef, id: idOf('virtualCluster') });
const backupList = listOf(backup, 'BackupList');
const oneBackup = z.strictObject({ p: projectRef, id: idOf('virtualCluster'), backupId: idOf('backup') });

export const backupRoutes = featureRoutes('backups', {
  'backup.create': {
    method: 'POST', path: '/v1/projects/{p}/virtualclusters/{id}/backups', permission: 'project.editor', resourceType: 'backup',
    summary: 'Back up a Running virtual cluster: every object of its user namespaces, into the encrypted backup store', params: ofVirtualCluster,
    body: createBackupBody, idempotent: true, responses: accepted(backup),
  },
  'backup.list': {
    method: 'GET', path: '/v1/projects/{p}/virtualclusters/{id}/backups', permission: 'project.viewer', resourceType: 'backup',
    summary: 'List a virtual cluster\'s backups, newest first (also once the virtual cluster is deleted)', params: ofVirtualCluster, query: backupListQuery,
    responses: ok(backupList),
  },
  'backup.get': {
    method: 'GET', path: '/v1/projects/{p}/virtualclusters/{id}/backups/{backupId}', permission: 'project.viewer', resourceType: 'backup',
    summary: 'Get a backup', params: oneBackup, responses: ok(backup),
  },
  'backup.delete': {
    method: 'DELETE', path: '/v1/projects/{p}/virtualclusters/{id}/backups/{backupId}', permission: 'project.editor', resourceType: 'backup',
    summary: 'Delete a backup and its stored snapshot (refused while it is Running)', params: oneBackup, responses: noContent,
  },
  'backup.listProject': {
    method: 'GET', path: '/v1/projects/{p}/backups', permission: 'project.viewer', resourceType: 'backup',
    summary: 'List every backup of the project, of virtual clusters that exist and of deleted ones', params: projectParams, query: backupListQuery,
    responses: ok(backupList),
  },
});
