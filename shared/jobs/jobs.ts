/**
 * Every scheduled job by name. The scheduled Lambda (functions/scheduled/jobs.ts) runs
 * them on EventBridge's schedule, on the local runtime's timer and on demand.
 */
import { recoveries } from '../operations/recoveries.ts';
import { repairOperations } from '../operations/repair.ts';
import { generateReports } from '../reports/reports.ts';
import { rollupUsage } from '../usage/rollup.ts';
import { enforceQuotas } from './enforce-quotas.ts';
import { reconcileWorkspaces } from '../workspaces/reconcile-job.ts';
import { runBackups } from '../backups/job.ts';
import type { Job } from './runner.ts';
import type { JobName } from './schedule.ts';

export const jobs: Record<JobName, Job> = {
  'enforce-quotas': enforceQuotas,
  'repair-operations': (context) => repairOperations(context, recoveries),
  'rollup-usage': rollupUsage,
  'generate-reports': generateReports,
  'reconcile-workspaces': reconcileWorkspaces,
  'run-backups': runBackups,
};
