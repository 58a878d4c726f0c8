/**
 * Which feature takes back an interrupted operation, by the operation's resource type.
 * The local runtime's start-up and the scheduled repair job both go through this list.
 */
import { hostClusterRecovery } from '../host-clusters/host-clusters.ts';
import { virtualClusterRecovery } from '../virtual-clusters/virtual-clusters.ts';
import { appRecovery } from '../apps/apps.ts';
import { workspaceRecovery } from '../workspaces/workspaces.ts';
import { backupRecovery } from '../backups/backups.ts';
import type { Recoveries } from './recovery.ts';

export const recoveries: Recoveries = {
  cluster: hostClusterRecovery,
  virtualcluster: virtualClusterRecovery,
  app: appRecovery,
  workspace: workspaceRecovery,
  backup: backupRecovery,
};
