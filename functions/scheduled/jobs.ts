import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { ApiError } from '#shared/errors.ts';
import { jobs } from '#shared/jobs/jobs.ts';
import { runJob, type JobRun } from '#shared/jobs/runner.ts';
import { API_JOB_BUDGET_MS, JOB_BUDGET_MS, jobNames } from '#shared/jobs/schedule.ts';
import { logger, withInvocationLogger } from '#shared/observability/logger.ts';
import { captureLambdaHandler, tracer } from '#shared/observability/tracer.ts';
import { storeFromEnv } from '#shared/store/client.ts';

/**
 * The scheduled Lambda. EventBridge sends `{ job }` on each job's schedule: it runs
 * bounded invocations of the job while its own time allows (each stores where it
 * stopped; the next tick resumes). `POST /v1/system/jobs/{name}` sends
 * `{ job, source: "api" }` and waits: one invocation within API Gateway's 30 s.
 */
export const scheduledEvent = z.object({ job: z.enum(jobNames), source: z.enum(['schedule', 'api']).default('schedule') });
export type ScheduledEvent = z.input<typeof scheduledEvent>;

export type ScheduledResult =
  | { ok: true; runs: JobRun[] }
  | { ok: false; error: { code: ApiError['code']; message: string } };

/** Time kept back from the Lambda's own timeout for recording the run. */
const MARGIN_MS = 15_000;

const run = middy<ScheduledEvent, ScheduledResult>()
  .use(captureLambdaHandler(tracer, { captureResponse: false }))
  .handler(async (raw, context: Context) => {
    const event = scheduledEvent.parse(raw);
    tracer.putAnnotation('job', event.job);
    logger.appendKeys({ job: event.job, source: event.source });
    const store = storeFromEnv();
    const job = jobs[event.job];
    try {
      if (event.source === 'api') {
        return { ok: true, runs: [await runJob(store, event.job, job, { budgetMs: API_JOB_BUDGET_MS, waitForLeaseMs: 3_000 })] };
      }
      const runs: JobRun[] = [];
      do {
        const budgetMs = Math.min(JOB_BUDGET_MS, context.getRemainingTimeInMillis() - MARGIN_MS);
        if (budgetMs <= 0) break;
        runs.push(await runJob(store, event.job, job, { budgetMs }));
      } while (!runs[runs.length - 1]!.summary.complete && context.getRemainingTimeInMillis() > JOB_BUDGET_MS + MARGIN_MS);
      return { ok: true, runs };
    } catch (error) {
      // A job already running is the caller's to retry; anything else fails the invocation (and alarms).
      if (error instanceof ApiError && error.code === 'conflict') return { ok: false, error: { code: error.code, message: error.message } };
      throw error;
    }
  });

export const handler = withInvocationLogger('palette-scheduled', (event: ScheduledEvent, context: Context) => run(event, context));
