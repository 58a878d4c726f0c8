import { featureRoutes, ok } from '../api/route-kit.ts';
import { jobParams, jobRun } from './schemas.ts';

/** Scheduled jobs on demand (API.md "Jobs"). */
export const jobRoutes = featureRoutes('jobs', {
  'job.run': {
    method: 'POST', path: '/v1/system/jobs/{name}', permission: 'system.admin', resourceType: 'job',
    summary: 'Run a scheduled job now and wait for it (one bounded invocation; the schedule continues a job cut off at its bound)',
    params: jobParams, responses: ok(jobRun),
  },
});
