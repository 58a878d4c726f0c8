import { ApiError, notFound } from '#shared/errors.ts';
import { createApiHandler } from '#shared/http/api-handler.ts';
import { runJobOnDemand } from '#shared/jobs/invoke.ts';
import { jobRoutes } from '#shared/jobs/routes.ts';
import { isJobName, jobNames } from '#shared/jobs/schedule.ts';

export const handler = createApiHandler(jobRoutes, {
  'job.run': async ({ params, ifMatch }) => {
    if (!isJobName(params.name)) throw notFound(`job ${params.name} (the jobs are ${jobNames.join(', ')})`);
    // A run is not a versioned resource: there is nothing for If-Match to match.
    if (ifMatch !== undefined) throw new ApiError('precondition_failed', 'a job run has no version for If-Match to match; send it without If-Match');
    const run = await runJobOnDemand(params.name);
    return { status: 200, body: run, resourceId: params.name };
  },
});
